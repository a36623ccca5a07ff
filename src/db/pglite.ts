import { PGlite } from '@electric-sql/pglite';
import type { SqlMigrationAwareDriverAdapterFactory } from '@prisma/driver-adapter-utils';
import { PrismaPGlite } from 'pglite-prisma-adapter';
import { lockDataDir } from './data-dir.js';
import { withWholeScripts } from './whole-scripts.js';

/**
 * PostgreSQL's default 128 MB of shared buffers is memory the WebAssembly
 * build touches at start, whatever the data. 16 MB holds the embedded
 * database's working set at the sizes it is meant for; pages beyond that are
 * read again from the files, which the operating system caches. Each halving
 * from 128 MB took its size off the process's resident memory, and 32 and
 * 16 MB served the bench at the same rates (README "Performance").
 */
const EMBEDDED_SETTINGS = ['-c', 'shared_buffers=16MB'];

/**
 * Opens the embedded PostgreSQL, persisted in `dataDir` (in memory for
 * `memory://`). PGlite is single-process: two processes on one folder would
 * corrupt it, so a lock file names the process that holds it.
 */
export async function openPGlite(dataDir: string): Promise<{ pglite: PGlite; close(): Promise<void> }> {
  const release = dataDir.startsWith('memory://') ? () => {} : lockDataDir(dataDir);
  try {
    const pglite = await PGlite.create({ dataDir, startParams: [...PGlite.defaultStartParams, ...EMBEDDED_SETTINGS] });
    return {
      pglite,
      close: async () => {
        await pglite.close();
        release();
      },
    };
  } catch (error) {
    release();
    throw error;
  }
}

export function pgliteAdapterFactory(pglite: PGlite): SqlMigrationAwareDriverAdapterFactory {
  return withWholeScripts(new PrismaPGlite(pglite), (script) => pglite.exec(script));
}
