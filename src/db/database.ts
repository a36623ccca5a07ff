import { createHash } from 'node:crypto';
import type { SqlMigrationAwareDriverAdapterFactory } from '@prisma/driver-adapter-utils';
import { PrismaPg } from '@prisma/adapter-pg';
import type { MessagePort } from 'node:worker_threads';
import pg from 'pg';
import type { Config } from '../config.js';
import { PrismaClient } from '../generated/prisma/client.js';
import { allMigrationsApplied, applyMigrations } from './migrate.js';
import { countStatements, type StatementListener } from './statement-counter.js';
import { createSql, type RunStatement, type Sql } from './sql.js';
import { throwIfRequestEnded } from './cancellation.js';
import { SmallTraffic } from '../limits/small-traffic.js';
import { createPool } from './postgres-pool.js';
import { DEFAULT_DATABASE_TIMEOUTS, DEFAULT_HEAVY_STATEMENTS } from '../config.js';
import { withWholeScripts } from './whole-scripts.js';

export type DatabaseKind = 'postgres' | 'pglite';

export interface Database {
  kind: DatabaseKind;
  prisma: PrismaClient;
  /** The hottest reads' hand-written SQL, on the same connections (see sql.ts). */
  sql: Sql;
  /** Calls `listener` with every SQL statement run (Prisma's and `sql`'s); returns a function that stops it. */
  onStatement(listener: StatementListener): () => void;
  /** PostgreSQL's connection pool as it is now; undefined for the embedded database, which has none. */
  poolStats(): PoolStats | undefined;
  /**
   * When a small document last started, for the threads that make larger ones give way
   * (src/limits/small-traffic.ts); PostgreSQL's pool holds heavy statements back by it.
   */
  smallTraffic: SmallTraffic;
  /**
   * A port through which another thread (the heavy-query lane's) reaches the embedded database opened on a thread
   * of its own (DatabaseConfig.embeddedThread); undefined otherwise, and for PostgreSQL, which any thread can reach.
   */
  connectFromThread?(): MessagePort;
  /** Runs the migrations not yet applied; returns their names. */
  migrate(migrationsDir?: string): Promise<string[]>;
  close(): Promise<void>;
}

export interface PoolStats {
  /** Connections open. */
  total: number;
  /** Open connections not in use. */
  idle: number;
  /** Queries waiting for a connection. */
  waiting: number;
}

/** What a request needs of the database. */
export type DataAccess = Pick<Database, 'prisma' | 'sql'>;

export type DatabaseConfig = Pick<Config, 'databaseUrl' | 'dataDir' | 'databasePoolSize'> &
  Partial<Pick<Config, 'databaseConnectTimeoutMs' | 'databaseStatementTimeoutMs' | 'databaseHeavyStatements'>> & {
    /** PostgreSQL's application_name for the pool's connections (pg_stat_activity), unless DATABASE_URL sets it. */
    applicationName?: string;
    /** When a small document last started, if shared with another thread (src/limits/small-traffic.ts). */
    smallTraffic?: SmallTraffic;
    /** Open the embedded database on a thread of its own, which other threads can reach (connectFromThread). */
    embeddedThread?: boolean;
    /** Called once if that thread stops other than by close(): every statement is refused from then on. */
    onEmbeddedThreadLost?: (error: Error) => void;
    /** The embedded database that another thread opened (Database.connectFromThread), rather than `dataDir`. */
    embeddedDatabase?: MessagePort;
  };

/** The serving thread's connections in pg_stat_activity; the heavy-query lane's say so after it. */
export const APPLICATION_NAME = 'coder-members-gateway';

/**
 * One database, two engines: a PostgreSQL server when `databaseUrl` is set,
 * otherwise the embedded PGlite persisted in `dataDir`. Both run the same
 * Prisma schema through a driver adapter.
 */
export async function openDatabase(config: DatabaseConfig): Promise<Database> {
  const smallTraffic = config.smallTraffic ?? new SmallTraffic();
  if (config.databaseUrl) {
    const url = config.databaseUrl;
    const pool = createPool(
      url,
      {
        size: config.databasePoolSize,
        connectTimeoutMs: config.databaseConnectTimeoutMs ?? DEFAULT_DATABASE_TIMEOUTS.connectTimeoutMs,
        statementTimeoutMs: config.databaseStatementTimeoutMs ?? DEFAULT_DATABASE_TIMEOUTS.statementTimeoutMs,
        applicationName: config.applicationName ?? APPLICATION_NAME,
        heavyStatements: config.databaseHeavyStatements ?? DEFAULT_HEAVY_STATEMENTS,
        smallTraffic,
      },
      planOnce,
    );
    // Prisma's statements stay unnamed: it writes IN ($1, …, $n) out in full, so
    // naming them would prepare a new statement per list length on every connection.
    const adapter = new PrismaPg(pool);
    const run: RunStatement = async (text, values) =>
      (await pool.query({ name: preparedStatementName({ sql: text }), text, values })).rows;
    return wrap(
      'postgres',
      smallTraffic,
      adapter,
      run,
      () => ({ total: pool.totalCount, idle: pool.idleCount, waiting: pool.waitingCount }),
      () => pool.end(),
      async (migrationsDir) => {
        // The migration engine takes a session-level advisory lock and never
        // releases it: the native engine's connection closes, ours would go back
        // to the pool still holding it and stall every other replica's start.
        // So migrations get a connection of their own, closed when they are done.
        const session = new pg.Pool({ connectionString: url, max: 1 });
        session.on('error', () => {});
        try {
          return await applyMigrations(
            withWholeScripts(new PrismaPg(session), (script) => session.query(script)),
            migrationsDir,
          );
        } finally {
          await session.end();
        }
      },
    );
  }
  // Loaded only for the embedded database: PGlite is large to import.
  const { connectPGlite, openPGlite, pgliteAdapterFactory } = await import('./pglite.js');
  const { pglite, connect, close } = config.embeddedDatabase
    ? connectPGlite(config.embeddedDatabase)
    : await openPGlite(config.dataDir, config.embeddedThread, config.onEmbeddedThreadLost);
  const adapter = pgliteAdapterFactory(pglite);
  const run: RunStatement = async (text, values) => (await pglite.query<Record<string, unknown>>(text, values)).rows;
  const database = wrap(
    'pglite',
    smallTraffic,
    adapter,
    run,
    () => undefined,
    close,
    (migrationsDir) => applyMigrations(adapter, migrationsDir),
  );
  database.connectFromThread = connect;
  return database;
}

/**
 * Every statement is prepared once per connection (see preparedStatementName). PostgreSQL would plan our
 * unnest()-shaped member pages afresh on every run, since it cannot estimate their rows without the values, so each
 * new connection asks for one plan per statement (docs/performance.md). A SET rather than a startup option, which
 * poolers such as PgBouncer refuse; if the server refuses it, the connection still serves with PostgreSQL's plans.
 */
async function planOnce(client: pg.ClientBase): Promise<void> {
  await client.query('SET plan_cache_mode = force_generic_plan').catch(() => {});
}

/**
 * Lookup keys per statement on the embedded database (Sql.keysPerStatement): 250 member lookups take about 14 ms
 * there, 1,000 take 51 ms; parts of 100 would cost a third more statements' worth of work for 7 ms stretches.
 */
const EMBEDDED_KEYS_PER_STATEMENT = 250;

const statementNames = new Map<string, string>();

/**
 * Names each of our fixed SQL texts (src/db/reads, the session), so that pg
 * prepares it once per connection and later runs only bind and execute:
 * PostgreSQL shares the machine's CPU with the gateway, and parsing every
 * statement again is work it can skip. Lists travel as array parameters, so
 * the set of texts, and of statements prepared on a connection, is fixed.
 */
function preparedStatementName({ sql }: { sql: string }): string {
  let name = statementNames.get(sql);
  if (!name) {
    name = `gw_${createHash('sha1').update(sql).digest('hex').slice(0, 20)}`;
    statementNames.set(sql, name);
  }
  return name;
}

function wrap(
  kind: DatabaseKind,
  smallTraffic: SmallTraffic,
  adapter: SqlMigrationAwareDriverAdapterFactory,
  run: RunStatement,
  poolStats: () => PoolStats | undefined,
  closeDriver: () => Promise<void>,
  migrate: Database['migrate'],
): Database {
  const listeners = new Set<StatementListener>();
  const report: StatementListener = (sql, values) => {
    // Called before every statement, Prisma's and `sql`'s, on both engines: none starts for a request that has ended.
    throwIfRequestEnded();
    let done: (() => void)[] | undefined;
    for (const listener of listeners) {
      const whenDone = listener(sql, values);
      if (typeof whenDone === 'function') (done ??= []).push(whenDone as () => void);
    }
    return (
      done &&
      (() => {
        for (const call of done) call();
      })
    );
  };
  const prisma = new PrismaClient({ adapter: countStatements(adapter, report) });
  return {
    kind,
    smallTraffic,
    prisma,
    sql: createSql(run, report, kind === 'pglite' ? EMBEDDED_KEYS_PER_STATEMENT : undefined),
    poolStats,
    onStatement(listener) {
      listeners.add(listener);
      return () => listeners.delete(listener);
    },
    migrate: async (migrationsDir) => ((await allMigrationsApplied(run, migrationsDir)) ? [] : migrate(migrationsDir)),
    async close() {
      await prisma.$disconnect();
      await closeDriver();
    },
  };
}
