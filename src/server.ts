// `npm start` runs this file: the configuration, then where the gateway runs (src/runtime.ts), then in the
// gateway's thread or process the database and its migrations, the first-start bootstrap, the HTTP server and
// shutdown. With WORKERS > 1 a primary process prepares the database once and forks the gateway processes.
// Tests and the benchmark call `startGateway`; importing this module starts nothing.
//
// The gateway's own modules are imported where they run (`await import`): a main thread that only starts the
// gateway's thread, or forks its processes, never loads them.
import cluster from 'node:cluster';
import { writeSync } from 'node:fs';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { ConfigError, loadConfig, type Config } from './config.js';
import type { AuditLogMode } from './context.js';
import type { Database } from './db/database.js';
import type { Logger } from './logger.js';
import type { BootstrapResult } from './operator/bootstrap.js';
import {
  gatewayThread,
  isEntryModule,
  processExecArgv,
  serveFromThread,
  type StopRequests,
  stopOnSignals,
} from './runtime.js';

export interface RunningGateway {
  url: string;
  database: Database;
  bootstrap: BootstrapResult;
  close(): Promise<void>;
}

function configOrExit(): Config {
  try {
    return loadConfig();
  } catch (error) {
    if (!(error instanceof ConfigError)) throw error;
    console.error(error.message);
    process.exit(2);
  }
}

/**
 * Migrations, then the first-start bootstrap. With MIGRATE=false the database is someone else's (a Coder
 * deployment's): only check that the schema is there, and write nothing, since a first owner made here would take
 * the place of the one Coder's own setup creates.
 */
async function prepareDatabase(database: Database, config: Config, logger: Logger): Promise<BootstrapResult> {
  if (!config.migrate) {
    const { assertSchemaPresent } = await import('./db/migrate.js');
    await assertSchemaPresent(database.prisma);
    return { createdOrganization: false };
  }
  const applied = await database.migrate();
  logger.info({ applied }, applied.length ? 'applied database migrations' : 'database schema is up to date');
  const { bootstrap } = await import('./operator/bootstrap.js');
  return bootstrap(database.prisma);
}

/**
 * Whether changes are audited (docs/audit.md). Our migrations create `audit_logs` and every Coder database has
 * it; a database served with MIGRATE=false that lacks it is still served, unaudited, as SPEC E writes rows where
 * the table exists, and the gateway says so at start.
 */
export async function auditLogMode(database: Database, config: Config, logger: Logger): Promise<AuditLogMode> {
  const { tablePresent } = await import('./db/migrate.js');
  if (!(await tablePresent(database.prisma, 'audit_logs'))) {
    logger.warn('the database has no audit_logs table: changes made through the gateway will not be audited');
    return 'absent';
  }
  if (!config.audit) logger.info('AUDIT=false: changes made through the gateway will not be audited');
  return config.audit ? 'write' : 'read';
}

/** What SHUTDOWN_TIMEOUT_MS keeps for closing the database after requests: a quarter, at most a second. */
const closeGraceMs = (shutdownTimeoutMs: number) => Math.min(1000, shutdownTimeoutMs / 4);

/** Opens and prepares the database, builds the gateway (src/yoga.ts), starts its heavy-query lane, and listens. */
export async function startGateway(config: Config, logger: Logger): Promise<RunningGateway> {
  const [{ openDatabase }, { gatewayFromConfig }, { createStoppableServer, ANSWER_STALL_MS }, { HeavyLane }] =
    await Promise.all([
      import('./db/database.js'),
      import('./yoga.js'),
      import('./http/node-server.js'),
      import('./execution/heavy-lane.js'),
    ]);
  // The heavy-query lane's thread reaches the embedded database only if it lives on a thread of its own.
  const database = await openDatabase({
    ...config,
    embeddedThread: config.heavyQueryThread,
    onEmbeddedThreadLost: (error) =>
      logger.error({ err: error }, "the embedded database's thread stopped: requests are refused until a restart"),
  });
  let stopTracing = async () => {};
  let heavyLane: InstanceType<typeof HeavyLane> | undefined;
  let bootstrapped: BootstrapResult | undefined;
  try {
    bootstrapped = await prepareDatabase(database, config, logger);
    const auditLogs = await auditLogMode(database, config, logger);
    if (config.heavyQueryThread)
      heavyLane = new HeavyLane(config, auditLogs, logger, database.smallTraffic, database.connectFromThread);
    // The lane's thread loads and builds its gateway while this one builds its own; both before listening.
    const laneStarted = heavyLane?.start();
    laneStarted?.catch(() => {});
    const gateway = await gatewayFromConfig(config, { database, logger, auditLogs, heavyLane });
    await laneStarted;
    stopTracing = gateway.stopTracing;
    const { server, stop } = createStoppableServer(gateway.yoga, {
      receiveMs: config.requestTimeoutMs,
      // The deadline to run, then as long again to read the answer.
      answerMs: 2 * config.requestTimeoutMs,
      stallMs: Math.min(ANSWER_STALL_MS, 2 * config.requestTimeoutMs),
      maxConnections: config.maxConnections,
    });
    reportDroppedConnections(server, config.maxConnections, logger);
    await new Promise<void>((resolve, reject) => {
      server.once('error', (error: NodeJS.ErrnoException) => reject(unlistenable(error, config.host)));
      server.listen(config.port, config.host, resolve);
    });
    const { port } = server.address() as AddressInfo;
    const host = config.host.includes(':') ? `[${config.host}]` : config.host;
    return {
      url: `http://${host}:${port}/graphql`,
      database,
      bootstrap: bootstrapped,
      close: async () => {
        // Requests get most of SHUTDOWN_TIMEOUT_MS to finish; closing the database (and the lane's) gets the rest.
        const grace = closeGraceMs(config.shutdownTimeoutMs);
        await stop(Math.max(0, config.shutdownTimeoutMs - grace));
        await Promise.all([heavyLane?.close(grace), database.close()]);
        // Sends the spans still buffered.
        await stopTracing().catch(() => {});
      },
    };
  } catch (error) {
    // The owner is in the database now, and a later start creates none: its token is shown here or never.
    if (bootstrapped) announceOwner(logger, bootstrapped);
    await stopTracing().catch(() => {});
    await heavyLane?.close(0).catch(() => {});
    await database.close().catch(() => {});
    throw error;
  }
}

/**
 * Logged once, on the start that created the owner (only its hash is stored): once serving at `url`, or without
 * one if that start then failed.
 */
function announceOwner(logger: Logger, { owner }: BootstrapResult, url?: string) {
  if (!owner) return;
  // Whatever LOG_LEVEL says: without this line nobody could ever sign in.
  logger
    .child({}, { level: 'info' })
    .info(
      { owner: owner.username, token: owner.token, url },
      `created the first owner "${owner.username}"; its session token is shown only now. ` +
        (url
          ? `Open ${url} and send it as the header Coder-Session-Token: ${owner.token}`
          : `The gateway could not start; once it serves, send it as the header Coder-Session-Token: ${owner.token}`),
    );
}

/** How often, at most, connections closed at MAX_CONNECTIONS are logged: a flood of them is one line a period. */
const DROPPED_REPORT_MS = 10_000;

function reportDroppedConnections(server: Server, maxConnections: number, logger: Logger): void {
  let dropped = 0;
  let timer: NodeJS.Timeout | undefined;
  const report = () => {
    timer = undefined;
    if (dropped === 0) return;
    logger.warn({ dropped, maxConnections }, 'closed new connections at MAX_CONNECTIONS');
    dropped = 0;
    timer = setTimeout(report, DROPPED_REPORT_MS).unref();
  };
  server.on('drop', () => {
    dropped++;
    if (!timer) report();
  });
}

/** A JSON logger that `console` writes to as well. */
async function processLogger(config: Config): Promise<Logger> {
  const { createProcessLogger } = await import('./logger.js');
  return createProcessLogger(config.logLevel);
}

/** Errors of listening that mean HOST names no address of this machine: a bad value of HOST, said so. */
const NO_SUCH_ADDRESS = new Set(['ENOTFOUND', 'EAI_AGAIN', 'EAI_FAIL', 'EADDRNOTAVAIL']);

function unlistenable(error: NodeJS.ErrnoException, host: string): Error {
  if (!NO_SUCH_ADDRESS.has(error.code ?? '')) return error;
  return new ConfigError(`HOST=${host}: not an address of this machine to listen on (${error.code})`);
}

/** A gateway that cannot start says why, once, and exits 1 (2 for a setting found bad only now: HOST). */
async function failingFast(logger: Logger, start: () => Promise<void>) {
  try {
    await start();
  } catch (error) {
    const [{ MigrationError }, { DataDirInUseError }] = await Promise.all([
      import('./db/migrate.js'),
      import('./db/data-dir.js'),
    ]);
    if (error instanceof MigrationError || error instanceof DataDirInUseError) {
      logger.fatal(error.message);
    } else {
      logger.fatal({ err: error }, 'could not start');
    }
    // And plainly on stderr, for the person at the terminal: the port taken, the database not reached. Written at
    // once: this may run on the gateway's thread, whose process.stderr reaches the terminal after it has exited.
    if (error instanceof ConfigError) {
      writeSync(2, `${error.message}\n`);
      process.exit(2);
    }
    writeSync(2, `could not start: ${error instanceof Error ? error.message : String(error)}\n`);
    process.exit(1);
  }
}

/**
 * Stopping ends within SHUTDOWN_TIMEOUT_MS whatever is still running: closing the database waits for connections
 * in use, and one whose server stopped answering would hold the process for minutes.
 */
function exitAfter(timeoutMs: number, logger?: Logger): void {
  setTimeout(() => {
    logger?.error({ timeoutMs }, 'could not stop within SHUTDOWN_TIMEOUT_MS; exiting anyway');
    process.exit(1);
  }, timeoutMs).unref();
}

/** Serves until `stopRequests` says to stop; exits (the process, or the thread it runs in) when closed. */
async function serve(config: Config, stopRequests: StopRequests): Promise<void> {
  const logger = await processLogger(config);
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
 * WORKERS > 1 (PostgreSQL only): prepares the database once, then forks that many gateway processes sharing the
 * port, as replicas would; stops them on SIGINT or SIGTERM, and all of them if one dies.
 */
async function supervise(config: Config): Promise<void> {
  const logger = await processLogger(config);
  await failingFast(logger, async () => {
    const { openDatabase } = await import('./db/database.js');
    const database = await openDatabase(config);
    let bootstrapped: BootstrapResult;
    try {
      bootstrapped = await prepareDatabase(database, config, logger);
    } finally {
      await database.close();
    }
    // The database is ready: workers neither migrate nor bootstrap again.
    cluster.setupPrimary({ execArgv: processExecArgv(config, process.execArgv) });
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

const thread = gatewayThread();
if (thread) {
  await serve(thread.config, thread.stopRequests);
} else if (isEntryModule(import.meta.url)) {
  const config = configOrExit();
  if (cluster.isWorker) await serve(config, stopOnSignals);
  else if (config.workers > 1) await supervise(config);
  else serveFromThread(new URL(import.meta.url), config);
}
