// The embedded database's folder is one process's at a time: a lock file
// names the process that holds it. Apart from pglite.ts so that the server
// and the CLI can name the error without loading PGlite on PostgreSQL.
import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

export class DataDirInUseError extends Error {
  override name = 'DataDirInUseError';
}

/** Folders this process holds: the lock file alone cannot tell two opens by one process apart. */
const heldHere = new Set<string>();

/**
 * Takes DATA_DIR for this process, or throws DataDirInUseError naming the
 * process that holds it; returns the release.
 */
export function lockDataDir(dataDir: string): () => void {
  mkdirSync(dataDir, { recursive: true });
  const lockFile = join(dataDir, 'gateway.lock');
  if (heldHere.has(lockFile)) {
    throw new DataDirInUseError(
      `DATA_DIR ${dataDir} is already open in this process: the embedded database serves one user at a time`,
    );
  }
  try {
    writeFileSync(lockFile, String(process.pid), { flag: 'wx' });
  } catch {
    const holder = Number(readFileSync(lockFile, 'utf8'));
    // Our own pid in the file, for a folder we do not hold, is a previous run
    // of a container whose process numbers start over (the gateway as pid 1).
    if (holder !== process.pid && isAlive(holder)) {
      throw new DataDirInUseError(
        `DATA_DIR ${dataDir} is in use by process ${holder}: ` +
          'the embedded database serves one process at a time (stop it, or use DATABASE_URL)',
      );
    }
    writeFileSync(lockFile, String(process.pid)); // left behind by a process that died
  }
  heldHere.add(lockFile);
  return () => {
    heldHere.delete(lockFile);
    rmSync(lockFile, { force: true });
  };
}

function isAlive(pid: number): boolean {
  if (!Number.isInteger(pid) || pid <= 0) return false;
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}
