// `npm run build` (run by `npm start`): generates the Prisma client if the
// schema changed, then compiles src/ to dist/, skipping the compiler (seconds
// even when incremental) when no source file changed since the last build.
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('..', import.meta.url));
const stampFile = join(root, 'dist/.build-stamp');

execFileSync(process.execPath, [join(root, 'scripts/prisma-generate.mjs')], { stdio: 'inherit' });

/** Every file under `dir` with its size and modification time: what a rebuild depends on. */
function listing(dir) {
  return readdirSync(dir, { withFileTypes: true, recursive: true })
    .filter((entry) => entry.isFile())
    .map((entry) => {
      const file = join(entry.parentPath, entry.name);
      const { size, mtimeMs } = statSync(file);
      return `${file} ${size} ${mtimeMs}`;
    })
    .sort();
}

const hash = createHash('sha256')
  .update(listing(join(root, 'src')).join('\n'))
  .update(readFileSync(join(root, 'tsconfig.json')))
  .update(readFileSync(join(root, 'tsconfig.build.json')))
  .update(process.version)
  .digest('hex');
if (existsSync(stampFile) && readFileSync(stampFile, 'utf8') === hash) process.exit(0);

execFileSync(
  process.execPath,
  [join(root, 'node_modules/typescript/bin/tsc'), '-p', join(root, 'tsconfig.build.json')],
  { stdio: 'inherit' },
);
writeFileSync(stampFile, hash);
