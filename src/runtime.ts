// Where the gateway runs and how large its young generation is. A single gateway serves from a worker thread,
// whose heap limits can follow the configuration; with WORKERS > 1 each forked process gets the same size as a
// node flag. src/server.ts decides what each thread or process does.
import { realpathSync } from 'node:fs';
import { pathToFileURL } from 'node:url';
import { isMainThread, parentPort, Worker, workerData } from 'node:worker_threads';
import type { Config } from './config.js';

/**
 * V8's semi-space (MB) by database. A request's answer stays alive while it waits for PostgreSQL, so with a small
 * young generation most of it is copied and promoted; a larger one saves gateway CPU (docs/performance.md).
 * PGlite's heap also holds the database, so it keeps a small one to stay within the memory budget. The heavy-query
 * lane's thread (src/execution/heavy-lane.ts) keeps a small one too: its shorter collections, on a CPU the serving
 * thread may want, kept a bystander's p99 lower in `npm run bench:hostile`, for a process 20 MB smaller.
 */
export const SEMI_SPACE_MB = { pglite: 8, postgres: 32, heavyLane: 8 } as const;

export const semiSpaceMb = (config: Pick<Config, 'databaseUrl'>): number =>
  config.databaseUrl ? SEMI_SPACE_MB.postgres : SEMI_SPACE_MB.pglite;

/** What V8 calls the young generation: two semi-spaces and as much again for new large objects. */
export const youngGenerationMb = (semiSpaceMb: number): number => 3 * semiSpaceMb;

/**
 * Node's flags for a forked gateway process. A flag's size is fixed before any code runs, so it is given here;
 * flags given to node come after ours, and so win.
 */
export const processExecArgv = (config: Pick<Config, 'databaseUrl'>, execArgv: readonly string[]): string[] => [
  `--max-semi-space-size=${semiSpaceMb(config)}`,
  ...execArgv,
];

/** How long past SHUTDOWN_TIMEOUT_MS the main thread waits for the gateway's thread to exit on its own. */
export const THREAD_EXIT_MARGIN_MS = 250;

/** Calls `stop` once, with the name of what asked to stop (a signal). */
export type StopRequests = (stop: (signal: string) => void) => void;

/** SIGINT and SIGTERM sent to this process. */
export const stopOnSignals: StopRequests = (stop) => {
  for (const signal of ['SIGINT', 'SIGTERM'] as const) process.once(signal, () => stop(signal));
};

/** Marks the worker thread that `serveFromThread` starts, so that no other thread takes itself for it. */
interface ThreadData {
  gatewayConfig: Config;
}

/** In the thread that `serveFromThread` started: its configuration, and stop requests from the main thread. */
export function gatewayThread(): { config: Config; stopRequests: StopRequests } | undefined {
  const data = workerData as Partial<ThreadData> | null;
  if (isMainThread || !data?.gatewayConfig || !parentPort) return undefined;
  const port = parentPort;
  return {
    config: data.gatewayConfig,
    stopRequests: (stop) => port.once('message', (message: { stop: string }) => stop(message.stop)),
  };
}

/**
 * Runs `entry` in a worker thread whose young generation suits the database, and lives as long as it does,
 * passing it SIGINT and SIGTERM. A flag given to node still wins: V8 applies it over any thread's limits.
 */
export function serveFromThread(entry: URL, config: Config): void {
  const thread = new Worker(entry, {
    workerData: { gatewayConfig: config } satisfies ThreadData,
    resourceLimits: { maxYoungGenerationSizeMb: youngGenerationMb(semiSpaceMb(config)) },
  });
  for (const signal of ['SIGINT', 'SIGTERM'] as const) {
    // Once: a second Ctrl-C ends the process without waiting for requests in progress.
    process.once(signal, () => {
      thread.postMessage({ stop: signal });
      // The thread exits by itself within the timeout; this makes sure of it even while the thread is busy
      // (PGlite runs a statement on it, and cannot be interrupted).
      setTimeout(() => process.exit(1), config.shutdownTimeoutMs + THREAD_EXIT_MARGIN_MS).unref();
    });
  }
  // A crash the thread did not handle (it reports its own start-up failures).
  thread.on('error', (error) => console.error(error));
  thread.on('exit', (code) => process.exit(code));
}

/** Whether the module at `moduleUrl` is the script node was asked to run (`node dist/server.js`). */
export function isEntryModule(moduleUrl: string, script: string | undefined = process.argv[1]): boolean {
  if (!script) return false;
  try {
    return pathToFileURL(realpathSync(script)).href === moduleUrl;
  } catch {
    return false;
  }
}
