// `npm start`: reads the configuration from the environment and serves.
import { ConfigError, loadConfig } from './config.js';
import { startGateway } from './app.js';
import { MigrationError } from './db/migrate.js';
import { DataDirInUseError } from './db/pglite.js';
import { createLogger } from './logger.js';

let config;
try {
  config = loadConfig();
} catch (error) {
  if (!(error instanceof ConfigError)) throw error;
  console.error(error.message);
  process.exit(2);
}

const logger = createLogger(config.logLevel);
try {
  const gateway = await startGateway(config, logger);
  const database = gateway.database.kind === 'pglite' ? `embedded PostgreSQL in ${config.dataDir}` : 'PostgreSQL';
  logger.info({ url: gateway.url, database: gateway.database.kind }, `serving GraphQL at ${gateway.url} on ${database}`);
  const { owner } = gateway.bootstrap;
  if (owner) {
    // Printed once, on the start that created the owner; only its hash is stored.
    process.stdout.write(
      `\nCreated the first owner "${owner.username}". Its session token (shown only now):\n\n  ${owner.token}\n\n` +
        `Open ${gateway.url} and send it as the header  Coder-Session-Token: ${owner.token}\n\n`,
    );
  }
  for (const signal of ['SIGINT', 'SIGTERM'] as const) {
    process.once(signal, () => {
      logger.info({ signal }, 'shutting down');
      gateway.close().then(() => process.exit(0), () => process.exit(1));
    });
  }
} catch (error) {
  if (error instanceof MigrationError || error instanceof DataDirInUseError) {
    logger.fatal(error.message);
    console.error(error.message);
  } else {
    logger.fatal({ err: error }, 'could not start');
  }
  process.exit(1);
}
