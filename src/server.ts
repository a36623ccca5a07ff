// `npm start`: reads the configuration from the environment, then serves from
// a worker thread whose heap suits the database (below). With WORKERS > 1
// (PostgreSQL only), a primary process prepares the database once and forks
// that many gateway processes sharing the port, as replicas would.
//
// This module stays small: the main thread of a single gateway loads nothing
// but the configuration, and the gateway's code only where it runs.
import cluster from 'node:cluster';
import { isMainThread, parentPort, Worker, workerData } from 'node:worker_threads';
import { ConfigError, loadConfig, type Config } from './config.js';

/**
 * The young generation (V8's semi-space, in MB) the gateway's heap gets, by
 * database. Answers of a thousand members stay alive across a request's wait
 * for PostgreSQL, so most of what one allocates survives a small young
 * generation and is copied, promoted and collected again: with 32 MB rather
 * than 8, (b) of `npm run bench` spent 11.5 against 16.0 ms of gateway CPU per
 * request and served 16% more in an interleaved run (README "Performance"),
 * for about 60 MB. PGlite's heap already holds the database, and keeps 8 MB to
 * stay well under the 300 MB budget.
 *
 * A Node flag (`--max-semi-space-size`) sizes the heap before any code runs,
 * so it cannot depend on the configuration; a worker thread's resource limits
 * are set when it starts. A flag given to node still wins: V8 applies it over
 * any thread's limits.
 */
const SEMI_SPACE_MB = { pglite: 8, postgres: 32 } as const;

const semiSpaceMb = (config: Config) => (config.databaseUrl ? SEMI_SPACE_MB.postgres : SEMI_SPACE_MB.pglite);

/** What V8 calls the young generation: two semi-spaces and as much again for new large objects. */
const youngGenerationMb = (semiSpaceMb: number) => 3 * semiSpaceMb;

/** How long past SHUTDOWN_TIMEOUT_MS the main thread waits for the gateway's thread to exit on its own. */
const THREAD_EXIT_MARGIN_MS = 250;

function configOrExit(): Config {
  try {
    return loadConfig();
  } catch (error) {
    if (!(error instanceof ConfigError)) throw error;
    console.error(error.message);
    process.exit(2);
  }
}

/** Runs the gateway in a worker thread and lives as long as it does, passing it SIGINT and SIGTERM. */
function serveFromThread(config: Config) {
  const thread = new Worker(new URL(import.meta.url), {
    workerData: config,
    resourceLimits: { maxYoungGenerationSizeMb: youngGenerationMb(semiSpaceMb(config)) },
  });
  for (const signal of ['SIGINT', 'SIGTERM'] as const) {
    // Once: a second Ctrl-C ends the process without waiting for requests in progress.
    process.once(signal, () => {
      thread.postMessage({ stop: signal });
      // The thread exits by itself within the timeout; this thread makes sure of it even if
      // the gateway's is busy (PGlite runs a statement on it, and cannot be interrupted).
      setTimeout(() => process.exit(1), config.shutdownTimeoutMs + THREAD_EXIT_MARGIN_MS).unref();
    });
  }
  // A crash the thread did not handle (it reports its own start-up failures).
  thread.on('error', (error) => console.error(error));
  thread.on('exit', (code) => process.exit(code));
}

if (!isMainThread) {
  const { serve } = await import('./serve.js');
  await serve(workerData as Config, (stop) =>
    parentPort!.once('message', (message: { stop: string }) => stop(message.stop)),
  );
} else if (cluster.isWorker) {
  // Forked by supervise() (src/serve.ts), with node flags that size the heap.
  const { serve, stopOnSignals } = await import('./serve.js');
  await serve(configOrExit(), stopOnSignals);
} else {
  const config = configOrExit();
  if (config.workers > 1) {
    const { supervise } = await import('./serve.js');
    // Flags given to node come after ours, and so win.
    await supervise(config, [`--max-semi-space-size=${semiSpaceMb(config)}`, ...process.execArgv]);
  } else {
    serveFromThread(config);
  }
}
