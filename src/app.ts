// Starts the gateway: configuration, database, migrations, first-start
// bootstrap, HTTP. src/server.ts calls it; tests and the benchmark do too.
import type { AddressInfo } from 'node:net';
import type { Config } from './config.js';
import type { AuditLogMode } from './context.js';
import { openDatabase, type Database } from './db/database.js';
import { assertSchemaPresent, tablePresent } from './db/migrate.js';
import type { Logger } from './logger.js';
import { createStoppableServer } from './http/shutdown.js';
import { bootstrap, type BootstrapResult } from './operator/bootstrap.js';
import { readTrustedDocuments } from './http/trusted-documents.js';
import type { Tracing } from './observability/tracing.js';
import { createGateway } from './yoga.js';

export interface RunningGateway {
  url: string;
  database: Database;
  bootstrap: BootstrapResult;
  close(): Promise<void>;
}

/**
 * Migrations, then the first-start bootstrap. With MIGRATE=false the database
 * is someone else's (a Coder deployment's): only check that the schema is
 * there, and write nothing, since a first owner made here would take the
 * place of the one Coder's own setup creates.
 */
export async function prepareDatabase(database: Database, config: Config, logger: Logger): Promise<BootstrapResult> {
  if (!config.migrate) {
    await assertSchemaPresent(database.prisma);
    return { createdOrganization: false };
  }
  const applied = await database.migrate();
  logger.info({ applied }, applied.length ? 'applied database migrations' : 'database schema is up to date');
  return bootstrap(database.prisma);
}

/**
 * Whether changes are audited (docs/audit.md). Our migrations create
 * `audit_logs` and every Coder database has it; a database served with
 * MIGRATE=false that lacks it is still served, unaudited, as SPEC E writes
 * rows where the table exists, and the gateway says so at start.
 */
export async function auditLogMode(database: Database, config: Config, logger: Logger): Promise<AuditLogMode> {
  if (!(await tablePresent(database.prisma, 'audit_logs'))) {
    logger.warn('the database has no audit_logs table: changes made through the gateway will not be audited');
    return 'absent';
  }
  if (!config.audit) logger.info('AUDIT=false: changes made through the gateway will not be audited');
  return config.audit ? 'write' : 'read';
}

/** What SHUTDOWN_TIMEOUT_MS keeps for closing the database after requests: a quarter, at most a second. */
const closeGraceMs = (shutdownTimeoutMs: number) => Math.min(1000, shutdownTimeoutMs / 4);

export async function startGateway(config: Config, logger: Logger): Promise<RunningGateway> {
  // Read before anything starts: a file that is not there or not JSON stops start-up with the reason.
  const trustedDocuments = config.trustedDocuments ? readTrustedDocuments(config.trustedDocuments) : undefined;
  const database = await openDatabase(config);
  let stopTracing = async () => {};
  try {
    const bootstrapped = await prepareDatabase(database, config, logger);
    let tracing: Tracing | undefined;
    if (config.otlpEndpoint) {
      const { createTracing, startOtlpTracing } = await import('./observability/tracing.js');
      const otlp = await startOtlpTracing(config.otlpEndpoint);
      stopTracing = otlp.stop;
      tracing = createTracing(otlp.provider);
    }
    const yoga = createGateway({
      database,
      logger,
      sessionCacheMs: config.sessionCacheMs,
      responseCacheMs: config.responseCacheMs,
      auditLogs: await auditLogMode(database, config, logger),
      sessionExpiryRefresh: config.sessionExpiryRefresh,
      proxyTrustedOrigins: config.proxyTrustedOrigins,
      proxyTrustedHeaders: config.proxyTrustedHeaders,
      accessLog: config.accessLog,
      metrics: config.metrics,
      compression: config.compression,
      tracing,
      trustedDocuments,
      migrate: config.migrate,
      limits: config.limits,
      requestTimeoutMs: config.requestTimeoutMs,
      corsOrigins: config.corsOrigins,
      graphiql: config.graphiql ? { persistHeaders: config.graphiqlPersistHeaders } : false,
    });
    const { server, stop } = createStoppableServer(yoga);
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(config.port, config.host, resolve);
    });
    const { port } = server.address() as AddressInfo;
    const host = config.host.includes(':') ? `[${config.host}]` : config.host;
    return {
      url: `http://${host}:${port}/graphql`,
      database,
      bootstrap: bootstrapped,
      close: async () => {
        // Requests get most of SHUTDOWN_TIMEOUT_MS to finish; closing the database gets the rest.
        await stop(Math.max(0, config.shutdownTimeoutMs - closeGraceMs(config.shutdownTimeoutMs)));
        await database.close();
        // Sends the spans still buffered.
        await stopTracing().catch(() => {});
      },
    };
  } catch (error) {
    await stopTracing().catch(() => {});
    await database.close().catch(() => {});
    throw error;
  }
}
