// Generates the Prisma client from prisma/schema.prisma,
// skipping the work when the schema has not changed since the last run.
//
// Prisma's CLI downloads its native schema engine before every command and
// cannot here (no network beyond the npm registry). Generation itself runs on
// WebAssembly and never calls that engine, so any existing file satisfies the
// check: we point PRISMA_SCHEMA_ENGINE_BINARY at node itself.
import { createHash } from 'node:crypto';
import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('..', import.meta.url));
const schema = readFileSync(`${root}prisma/schema.prisma`);
const stampFile = `${root}src/generated/.schema-hash`;
const hash = createHash('sha256').update(schema).update(process.version).digest('hex');
const force = process.argv.includes('--force');

if (!force && existsSync(stampFile) && readFileSync(stampFile, 'utf8') === hash) process.exit(0);

execFileSync(process.execPath, [`${root}node_modules/prisma/build/index.js`, 'generate'], {
  cwd: root,
  stdio: ['ignore', 'ignore', 'inherit'],
  env: {
    ...process.env,
    PRISMA_SCHEMA_ENGINE_BINARY: process.execPath,
    PRISMA_HIDE_UPDATE_MESSAGE: '1',
    CHECKPOINT_DISABLE: '1',
  },
});
writeFileSync(stampFile, hash);
