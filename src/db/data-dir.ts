// The embedded database's folder is one process's at a time: a lock file
// names the process that holds it. Apart from pglite.ts so that the server
// and the CLI can name the error without loading PGlite on PostgreSQL.
import { existsSync, mkdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';

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
  makeFolder(dataDir);
  const lockFile = join(dataDir, 'gateway.lock');
  if (heldHere.has(lockFile)) {
    throw new DataDirInUseError(
      `DATA_DIR ${dataDir} is already open in this process: the embedded database serves one user at a time`,
    );
  }
  try {
    writeFileSync(lockFile, String(process.pid), { flag: 'wx' });
  } catch {
    takeOverIfLeft(lockFile, dataDir);
  }
  heldHere.add(lockFile);
  return () => {
    heldHere.delete(lockFile);
    rmSync(lockFile, { force: true });
  };
}

/**
 * `path` and its missing parents, made one at a time. Node's recursive mkdir loops for ever on a folder it cannot
 * make under one that answers "no such file" to it (`/proc/x`), and the process then ignores SIGTERM; this fails at
 * once with the system's error instead.
 */
function makeFolder(path: string): void {
  const missing: string[] = [];
  for (let folder = resolve(path); !existsSync(folder) && dirname(folder) !== folder; folder = dirname(folder))
    missing.unshift(folder);
  for (const folder of missing) mkdirSync(folder);
}

/** A takeover left by a process that died while it held it (a moment's work) is this old at most. */
const TAKEOVER_STALE_MS = 10_000;

/**
 * Takes a lock file left behind by a process that died, or throws DataDirInUseError. Two processes that both find
 * it left must not both take it (a restart and a CLI run at once, after a crash): reading the holder and writing
 * the lock again is done under a second lock file, created exclusively, so one of them at a time does it, and the
 * other then finds the first alive.
 */
function takeOverIfLeft(lockFile: string, dataDir: string): void {
  const takeover = `${lockFile}.takeover`;
  try {
    writeFileSync(takeover, String(process.pid), { flag: 'wx' });
  } catch {
    const since = statSync(takeover, { throwIfNoEntry: false })?.mtimeMs;
    // Another process is taking the folder now, or has just taken it.
    if (since === undefined || Date.now() - since < TAKEOVER_STALE_MS)
      throw new DataDirInUseError(
        `DATA_DIR ${dataDir} is being opened by another process: ` +
          'the embedded database serves one process at a time (stop it, or use DATABASE_URL)',
      );
    rmSync(takeover, { force: true });
    takeOverIfLeft(lockFile, dataDir);
    return;
  }
  try {
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
  } finally {
    rmSync(takeover, { force: true });
  }
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
