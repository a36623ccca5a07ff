// Heap and thread tuning (src/runtime.ts) on its own; test/startup.test.ts runs it as `npm start` does.
import { mkdtemp, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { describe, expect, it } from 'vitest';
import {
  gatewayThread,
  isEntryModule,
  processExecArgv,
  SEMI_SPACE_MB,
  semiSpaceMb,
  youngGenerationMb,
} from '../src/runtime.js';

describe('heap tuning', () => {
  it('gives PostgreSQL a larger semi-space than the embedded database', () => {
    expect(semiSpaceMb({ databaseUrl: undefined })).toBe(SEMI_SPACE_MB.pglite);
    expect(semiSpaceMb({ databaseUrl: 'postgresql://postgres@127.0.0.1:5432/db' })).toBe(SEMI_SPACE_MB.postgres);
    expect(SEMI_SPACE_MB.postgres).toBeGreaterThan(SEMI_SPACE_MB.pglite);
    expect(SEMI_SPACE_MB.heavyLane).toBeLessThan(SEMI_SPACE_MB.postgres);
  });

  it("sizes a thread's young generation as V8 does: two semi-spaces and as much again", () => {
    expect(youngGenerationMb(8)).toBe(24);
    expect(youngGenerationMb(32)).toBe(96);
  });

  it("gives forked processes the semi-space as a flag, before node's own flags so that those win", () => {
    const postgres = { databaseUrl: 'postgresql://postgres@127.0.0.1:5432/db' };
    expect(processExecArgv(postgres, [])).toEqual(['--max-semi-space-size=32']);
    expect(processExecArgv(postgres, ['--heap-growing-percent=25', '--max-semi-space-size=16'])).toEqual([
      '--max-semi-space-size=32',
      '--heap-growing-percent=25',
      '--max-semi-space-size=16',
    ]);
  });
});

describe('where the gateway runs', () => {
  it('is not the gateway thread on the main thread', () => {
    expect(gatewayThread()).toBeUndefined();
  });

  it('knows the script node runs, through symbolic links, and nothing else', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'runtime-'));
    try {
      const script = join(dir, 'server.js');
      await writeFile(script, '');
      await symlink(script, join(dir, 'link.js'));
      const url = pathToFileURL(script).href;
      expect(isEntryModule(url, script)).toBe(true);
      expect(isEntryModule(url, join(dir, 'link.js'))).toBe(true);
      expect(isEntryModule(url, join(dir, 'other.js'))).toBe(false);
      expect(isEntryModule(url, undefined)).toBe(false);
      // Importing src/server.ts from a test starts nothing: vitest is the script here.
      expect(isEntryModule(new URL('../src/server.ts', import.meta.url).href)).toBe(false);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
