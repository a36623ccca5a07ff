// The pool of connections to a PostgreSQL server, with the limits SPEC G asks
// for: a connection that cannot be made, a statement that runs too long and a
// server that stops answering all end in an error within a bound, and a
// request that ends cancels its statements (cancellation.ts). Errors that say
// the database cannot be reached become DatabaseUnavailable, which the API
// answers with SERVICE_UNAVAILABLE.
import pg from 'pg';
import { cancelBackend, StatementCancelled, statementRequest } from './cancellation.js';
import { Slots } from '../limits/slots.js';
import type { SmallTraffic } from '../limits/small-traffic.js';

export interface PoolLimits {
  /** Connections per process (DATABASE_POOL_SIZE). */
  size: number;
  /** How long to wait for a connection, a new one or a free one (DATABASE_CONNECT_TIMEOUT_MS). */
  connectTimeoutMs: number;
  /** PostgreSQL's statement_timeout on every connection (DATABASE_STATEMENT_TIMEOUT_MS). */
  statementTimeoutMs: number;
  /**
   * Statements of heavy documents running at once on this pool while small documents are being served
   * (src/limits/small-traffic.ts); the others wait (DATABASE_HEAVY_STATEMENTS; 0: no limit). With no small
   * traffic, all but two connections.
   */
  heavyStatements: number;
  /** When a small document last started (the serving thread's clock, shared with the heavy-query lane). */
  smallTraffic: SmallTraffic;
  /** What pg_stat_activity shows for these connections, unless DATABASE_URL or PGAPPNAME names one. */
  applicationName?: string;
}

/**
 * A statement the server stopped answering (a lost network) fails this long
 * after statement_timeout would have ended it on the server; the connection
 * is then discarded.
 */
const READ_TIMEOUT_MARGIN_MS = 5000;

/**
 * TCP keep-alive probes start after this long idle, so that a connection whose
 * server vanished is found dead rather than kept in the pool.
 */
const KEEPALIVE_DELAY_MS = 10_000;

/**
 * A transaction left open and idle holds its locks until this ends it; ours
 * run their statements back to back, so this is only ever a hung client.
 */
const IDLE_IN_TRANSACTION_TIMEOUT_MS = 60_000;

/** The database cannot be reached or is shutting down: a client may retry later. */
export class DatabaseUnavailable extends Error {
  override name = 'DatabaseUnavailable';
  constructor(cause: unknown) {
    super(`the database is unavailable: ${(cause as Error)?.message ?? cause}`, { cause });
  }
}

/**
 * SQLSTATE classes and codes that mean the server cannot serve now: connection exceptions, shutdown, start-up, too
 * many connections, and a database or role that is not (or no longer) there: dropped, renamed, its password
 * rotated. Each is the deployment's to fix, not a fault of the request's.
 */
const UNAVAILABLE_SQLSTATE = /^(08|57P0[1-4]|53300|3D000|28000|28P01)/;
const UNAVAILABLE_MESSAGE = new RegExp(
  [
    'timeout exceeded when trying to connect',
    'Connection terminated',
    'Query read timeout',
    'connect ECONNREFUSED',
    'ECONNRESET|EPIPE|ETIMEDOUT|EHOSTUNREACH|ENOTFOUND',
    'Client has encountered a connection error',
  ].join('|'),
);

export function isUnavailable(error: unknown): boolean {
  const { code, message } = (error ?? {}) as { code?: unknown; message?: unknown };
  return (
    (typeof code === 'string' && (UNAVAILABLE_SQLSTATE.test(code) || /^E[A-Z]+$/.test(code))) ||
    (typeof message === 'string' && UNAVAILABLE_MESSAGE.test(message))
  );
}

const classify = (error: unknown) => (isUnavailable(error) ? new DatabaseUnavailable(error) : error);

/**
 * Whatever the database's or the URL's time zone: Prisma's adapter sends a time as UTC without a zone, which
 * PostgreSQL reads in the session's zone, and reads a timestamptz's offset as +00:00. First of the settings: a
 * server that refuses one stops at it, and this one is not tuning.
 */
const IN_UTC = ['TimeZone', 'UTC'];

/**
 * Session settings of every new connection, sent as SET (as poolers such as
 * PgBouncer refuse startup options). `jit = off`: PostgreSQL's JIT compiles
 * our nested member statements for longer than they run
 * (docs/performance.md). A setting that the operator's DATABASE_URL
 * gives in its startup `options` is left as given, but for the time zone.
 */
export function sessionSettings(limits: PoolLimits, connectionString: string): string {
  const given = new URL(connectionString).searchParams.get('options') ?? '';
  const tuning = [
    ['statement_timeout', String(Math.trunc(limits.statementTimeoutMs))],
    ['idle_in_transaction_session_timeout', String(IDLE_IN_TRANSACTION_TIMEOUT_MS)],
    ['jit', 'off'],
  ].filter(([name]) => !given.includes(name!));
  return [IN_UTC, ...tuning].map(([name, value]) => `SET ${name} = ${value}`).join('; ');
}

export function createPool(
  connectionString: string,
  limits: PoolLimits,
  onConnect?: (client: pg.ClientBase) => Promise<void>,
): pg.Pool {
  const settings = sessionSettings(limits, connectionString);
  const pool = new pg.Pool({
    connectionString,
    fallback_application_name: limits.applicationName,
    max: limits.size,
    connectionTimeoutMillis: limits.connectTimeoutMs,
    query_timeout: limits.statementTimeoutMs + READ_TIMEOUT_MARGIN_MS,
    keepAlive: true,
    keepAliveInitialDelayMillis: KEEPALIVE_DELAY_MS,
    onConnect: async (client) => {
      // A server that refuses a setting (a pooler, an old version) still serves, without it.
      if (settings) await client.query(settings).catch(() => {});
      await onConnect?.(client);
    },
  });
  // A client that loses its server must not crash the process: an idle one is
  // reported here, and one in use (ours, or a Prisma transaction's) fails its
  // statement, but also emits an 'error' that nothing else listens to.
  pool.on('error', () => {});
  pool.on('connect', (client) => client.on('error', () => {}));
  const query = pool.query.bind(pool) as (config: pg.QueryConfig) => Promise<pg.QueryResult>;
  const connect = pool.connect.bind(pool) as (...args: unknown[]) => unknown;
  // pg-pool's own query() calls connect with a callback; the promise form is ours and Prisma's transactions'.
  const checkOut = () => (connect() as Promise<BackendClient>).catch((error) => Promise.reject(classify(error)));
  // The promise form is Prisma's transactions' (runCancellable checks out its own connections).
  pool.connect = ((...args: unknown[]) => {
    if (args.length) return connect(...args);
    const request = statementRequest();
    return request ? checkOut().then((client) => cancelledWith(client, request.signal)) : checkOut();
  }) as typeof pool.connect;
  // With no small traffic, heavy statements may take all but two connections:
  // reports run at full speed when they hold nobody up.
  const alone = Math.max(limits.heavyStatements, limits.size - 2);
  const heavySlots = new Slots(() => (limits.smallTraffic.recent ? limits.heavyStatements : alone));
  pool.query = (async (config: pg.QueryConfig, ...rest: unknown[]) => {
    if (rest.length) throw new TypeError('pool.query takes one query config here');
    const request = statementRequest();
    if (!request) return query(config).catch((error) => Promise.reject(classify(error)));
    if (!request.heavy || limits.heavyStatements <= 0) return runCancellable(checkOut, request.signal, config);
    const done = await heavySlots.take(request.signal).catch((reason) => {
      throw new StatementCancelled(reason);
    });
    try {
      return await runCancellable(checkOut, request.signal, config);
    } finally {
      done();
    }
  }) as typeof pool.query;
  return pool;
}

interface BackendClient extends pg.PoolClient {
  host: string;
  processID: number | null;
  secretKey: number | null;
}

/** One statement on a connection of its own, cancelled on the server if `signal` fires while it runs. */
async function runCancellable(checkOut: () => Promise<BackendClient>, signal: AbortSignal, config: pg.QueryConfig) {
  if (signal.aborted) throw new StatementCancelled(signal.reason);
  const client = cancelledWith(await checkOut(), signal);
  let failure: unknown;
  try {
    if (signal.aborted) throw new StatementCancelled(signal.reason);
    return await client.query(config);
  } catch (error) {
    failure = error;
    throw signal.aborted ? new StatementCancelled(signal.reason) : classify(error);
  } finally {
    // pg-pool's query() also discards a connection after any error.
    client.release(failure as Error | undefined);
  }
}

/**
 * A connection a request holds (for one statement, or for a Prisma transaction): if the request ends meanwhile,
 * the statement running on it is cancelled on the server, and the connection is not reused, since it may receive
 * the cancel late, during its next statement.
 * Before transactions had it, a write waiting on a row lock past its deadline kept its connection until `statement_timeout`:
 * a dozen of them held the whole pool, and every other request got SERVICE_UNAVAILABLE.
 */
function cancelledWith(client: BackendClient, signal: AbortSignal): BackendClient {
  let cancelled = false;
  const cancel = () => {
    cancelled = true;
    cancelBackend(client);
  };
  signal.addEventListener('abort', cancel, { once: true });
  // pg-pool gives the client a new release() at each checkout.
  const release = client.release.bind(client);
  client.release = (error?: Error | boolean) => {
    signal.removeEventListener('abort', cancel);
    return release(cancelled ? true : error);
  };
  return client;
}
