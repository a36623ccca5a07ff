import { PGlite } from '@electric-sql/pglite';
import type { SqlMigrationAwareDriverAdapterFactory } from '@prisma/driver-adapter-utils';
import { PrismaPGlite } from 'pglite-prisma-adapter';
import { lockDataDir } from './data-dir.js';
import { withWholeScripts } from './whole-scripts.js';

/**
 * Opens the embedded PostgreSQL, persisted in `dataDir` (in memory for
 * `memory://`). PGlite is single-process: two processes on one folder would
 * corrupt it, so a lock file names the process that holds it.
 */
export async function openPGlite(dataDir: string): Promise<{ pglite: PGlite; close(): Promise<void> }> {
  const release = dataDir.startsWith('memory://') ? () => {} : lockDataDir(dataDir);
  try {
    const pglite = await PGlite.create({ dataDir });
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
