// `npm start`: reads the configuration from the environment and serves. With
// WORKERS > 1 (PostgreSQL only), a primary process prepares the database once
// and forks that many gateway processes sharing the port, as replicas would.
import cluster from 'node:cluster';
import { ConfigError, loadConfig, type Config } from './config.js';
import { prepareDatabase, startGateway } from './app.js';
import { openDatabase } from './db/database.js';
import { MigrationError } from './db/migrate.js';
import { DataDirInUseError } from './db/data-dir.js';
import { createLogger, type Logger } from './logger.js';
import type { BootstrapResult } from './operator/bootstrap.js';

let config: Config;
try {
  config = loadConfig();
} catch (error) {
  if (!(error instanceof ConfigError)) throw error;
  console.error(error.message);
  process.exit(2);
}
const logger = createLogger(config.logLevel);

/** Printed once, on the start that created the owner; only its hash is stored. */
function announceOwner({ owner }: BootstrapResult, url: string) {
  if (!owner) return;
  process.stdout.write(
    `\nCreated the first owner "${owner.username}". Its session token (shown only now):\n\n  ${owner.token}\n\n` +
      `Open ${url} and send it as the header  Coder-Session-Token: ${owner.token}\n\n`,
  );
}

async function serve(config: Config, logger: Logger) {
  const gateway = await startGateway(config, logger);
  const database = gateway.database.kind === 'pglite' ? `embedded PostgreSQL in ${config.dataDir}` : 'PostgreSQL';
  logger.info({ url: gateway.url, database: gateway.database.kind }, `serving GraphQL at ${gateway.url} on ${database}`);
  announceOwner(gateway.bootstrap, gateway.url);
  for (const signal of ['SIGINT', 'SIGTERM'] as const) {
    process.once(signal, () => {
      logger.info({ signal }, 'shutting down');
      gateway.close().then(() => process.exit(0), () => process.exit(1));
    });
  }
}

async function supervise(config: Config, logger: Logger) {
  const database = await openDatabase(config);
  let bootstrapped: BootstrapResult;
  try {
    bootstrapped = await prepareDatabase(database, config, logger);
  } finally {
    await database.close();
  }
  // The database is ready: workers neither migrate nor bootstrap again.
  for (let i = 0; i < config.workers; i++) cluster.fork({ MIGRATE: 'false' });
  cluster.once('listening', (_worker, address) => {
    announceOwner(bootstrapped, `http://${config.host}:${address.port}/graphql`);
  });
  let stopping = false;
  cluster.on('exit', (worker, code) => {
    if (stopping) return;
    logger.error({ pid: worker.process.pid, code }, 'a gateway worker died; stopping');
    stopping = true;
    for (const other of Object.values(cluster.workers ?? {})) other?.kill('SIGTERM');
    process.exitCode = 1;
  });
  for (const signal of ['SIGINT', 'SIGTERM'] as const) {
    process.once(signal, () => {
      stopping = true;
      for (const worker of Object.values(cluster.workers ?? {})) worker?.kill('SIGTERM');
    });
  }
}

try {
  if (config.workers > 1 && cluster.isPrimary) await supervise(config, logger);
  else await serve(config, logger);
} catch (error) {
  if (error instanceof MigrationError || error instanceof DataDirInUseError) {
    logger.fatal(error.message);
    console.error(error.message);
  } else {
    logger.fatal({ err: error }, 'could not start');
  }
  process.exit(1);
}
