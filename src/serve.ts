// What a gateway process or thread does once src/server.ts has chosen where
// it runs: serve until told to stop, or (WORKERS > 1) prepare the database
// and supervise the gateway processes that serve.
import cluster from 'node:cluster';
import { format } from 'node:util';
import type { Config } from './config.js';
import { prepareDatabase, startGateway } from './app.js';
import { openDatabase } from './db/database.js';
import { MigrationError } from './db/migrate.js';
import { DataDirInUseError } from './db/data-dir.js';
import { createLogger, type Logger } from './logger.js';
import type { BootstrapResult } from './operator/bootstrap.js';

/** Calls `stop` once, with the name of what asked to stop (a signal). */
export type StopRequests = (stop: (signal: string) => void) => void;

/** SIGINT and SIGTERM sent to this process. */
export const stopOnSignals: StopRequests = (stop) => {
  for (const signal of ['SIGINT', 'SIGTERM'] as const) process.once(signal, () => stop(signal));
};

/** Logged once, on the start that created the owner; only its hash is stored. */
function announceOwner(logger: Logger, { owner }: BootstrapResult, url: string) {
  if (!owner) return;
  // Whatever LOG_LEVEL says: without this line nobody could ever sign in.
  logger
    .child({}, { level: 'info' })
    .info(
      { owner: owner.username, token: owner.token, url },
      `created the first owner "${owner.username}"; its session token is shown only now. ` +
        `Open ${url} and send it as the header Coder-Session-Token: ${owner.token}`,
    );
}

/**
 * Every line on stdout is JSON: what a library prints through `console`
 * (graphql-jit reports a failed compilation with console.error, for one) goes
 * to the JSON log too, at the matching level.
 */
function consoleToLog(logger: Logger) {
  const levels = { debug: 'debug', log: 'info', info: 'info', warn: 'warn', error: 'error' } as const;
  for (const [method, level] of Object.entries(levels)) {
    console[method as keyof typeof levels] = (...args: unknown[]) => logger[level](format(...args));
  }
}

/** Serves until `stopRequests` says to stop; exits (the process, or the thread it runs in) when closed. */
export async function serve(config: Config, stopRequests: StopRequests): Promise<void> {
  const logger = createLogger(config.logLevel);
  consoleToLog(logger);
  await failingFast(logger, async () => {
    const gateway = await startGateway(config, logger);
    const database = gateway.database.kind === 'pglite' ? `embedded PostgreSQL in ${config.dataDir}` : 'PostgreSQL';
    logger.info(
      { url: gateway.url, database: gateway.database.kind },
      `serving GraphQL at ${gateway.url} on ${database}`,
    );
    announceOwner(logger, gateway.bootstrap, gateway.url);
    stopRequests((signal) => {
      logger.info({ signal }, 'shutting down');
      exitAfter(config.shutdownTimeoutMs, logger);
      gateway.close().then(
        () => process.exit(0),
        () => process.exit(1),
      );
    });
  });
}

/**
 * Prepares the database once, then forks `config.workers` gateway processes
 * sharing the port, run by node with `execArgv`; stops them on SIGINT or
 * SIGTERM, and all of them if one dies.
 */
export async function supervise(config: Config, execArgv: string[]): Promise<void> {
  const logger = createLogger(config.logLevel);
  consoleToLog(logger);
  await failingFast(logger, async () => {
    const database = await openDatabase(config);
    let bootstrapped: BootstrapResult;
    try {
      bootstrapped = await prepareDatabase(database, config, logger);
    } finally {
      await database.close();
    }
    // The database is ready: workers neither migrate nor bootstrap again.
    cluster.setupPrimary({ execArgv });
    for (let i = 0; i < config.workers; i++) cluster.fork({ MIGRATE: 'false' });
    cluster.once('listening', (_worker, address) => {
      announceOwner(logger, bootstrapped, `http://${config.host}:${address.port}/graphql`);
    });
    let stopping = false;
    cluster.on('exit', (worker, code) => {
      if (stopping) return;
      logger.error({ pid: worker.process.pid, code }, 'a gateway worker died; stopping');
      stopping = true;
      for (const other of Object.values(cluster.workers ?? {})) other?.kill('SIGTERM');
      process.exitCode = 1;
    });
    stopOnSignals(() => {
      stopping = true;
      for (const worker of Object.values(cluster.workers ?? {})) worker?.kill('SIGTERM');
    });
  });
}

/**
 * Stopping ends within SHUTDOWN_TIMEOUT_MS whatever is still running: closing
 * the database waits for connections in use, and one whose server stopped
 * answering would hold the process for minutes.
 */
export function exitAfter(timeoutMs: number, logger?: Logger): void {
  setTimeout(() => {
    logger?.error({ timeoutMs }, 'could not stop within SHUTDOWN_TIMEOUT_MS; exiting anyway');
    process.exit(1);
  }, timeoutMs).unref();
}

/** A gateway that cannot start says why, once, and exits 1. */
async function failingFast(logger: Logger, start: () => Promise<void>) {
  try {
    await start();
  } catch (error) {
    if (error instanceof MigrationError || error instanceof DataDirInUseError) {
      logger.fatal(error.message);
      // And plainly on stderr, for the person at the terminal.
      process.stderr.write(`${error.message}\n`);
    } else {
      logger.fatal({ err: error }, 'could not start');
    }
    process.exit(1);
  }
}
