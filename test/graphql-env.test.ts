// The tests' typed documents read the schema from test/support/graphql-env.d.ts
// (gql.tada's introspection of schema.graphql): it must be the one that
// `npm run schema:print` writes today, or tsc checks tests against an old schema.
import { execFile } from 'node:child_process';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { promisify } from 'node:util';
import { expect, it } from 'vitest';

const REPO = resolve(import.meta.dirname, '..');

it('test/support/graphql-env.d.ts is generated from the committed schema.graphql', { timeout: 60_000 }, async () => {
  const dir = await mkdtemp(join(tmpdir(), 'gateway-graphql-env-'));
  try {
    const output = join(dir, 'graphql-env.d.ts');
    const cli = join(REPO, 'node_modules/gql.tada/bin/cli.js');
    await promisify(execFile)(process.execPath, [cli, 'generate-output', '--output', output], { cwd: REPO });
    const committed = await readFile(join(REPO, 'test/support/graphql-env.d.ts'), 'utf8');
    expect(committed === (await readFile(output, 'utf8')), 'run `npm run schema:print` and commit the result').toBe(
      true,
    );
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});
