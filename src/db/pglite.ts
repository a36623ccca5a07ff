import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { MessageChannel, type MessagePort, Worker } from 'node:worker_threads';
import {
  messages,
  PGlite,
  type ParserOptions,
  type QueryOptions,
  type Results,
  type RowMode,
  type Transaction,
} from '@electric-sql/pglite';
import type { SqlMigrationAwareDriverAdapterFactory } from '@prisma/driver-adapter-utils';
import { PrismaPGlite } from 'pglite-prisma-adapter';
import { statementRequest, throwIfRequestEnded } from './cancellation.js';
import { lockDataDir } from './data-dir.js';
import { DatabaseUnavailable } from './postgres-pool.js';
import { withWholeScripts } from './whole-scripts.js';
import { youngGenerationMb } from '../runtime.js';
import { startThread } from '../execution/threads.js';
import type { DatabaseThreadData, FromDatabaseThread, ToDatabaseThread } from './pglite-messages.js';

/**
 * PostgreSQL's default shared buffers are memory the WebAssembly build touches at start, whatever the data. This
 * holds the embedded database's working set at the sizes it is meant for; pages beyond it are read again from the
 * files, which the operating system caches (docs/performance.md). UTC, as on PostgreSQL (postgres-pool.ts IN_UTC):
 * Prisma's adapter reads and writes times as if it were.
 */
const EMBEDDED_SETTINGS = ['-c', 'shared_buffers=16MB', '-c', 'TimeZone=UTC'];

/** What the gateway uses of PGlite: queries, scripts and transactions. */
export type EmbeddedDatabase = Pick<PGlite, 'query' | 'exec' | 'transaction'>;

export interface OpenedPGlite {
  pglite: EmbeddedDatabase;
  /** A port for another thread (connectPGlite), where this thread opened PGlite on a thread of its own. */
  connect?(): MessagePort;
  close(): Promise<void>;
}

/**
 * Opens the embedded PostgreSQL, persisted in `dataDir` (in memory for
 * `memory://`): in this thread, or on a thread of its own
 * (pglite-thread.ts) that other threads can reach too. PGlite is
 * single-process: two processes on one folder would corrupt it, so a lock
 * file names the process that holds it.
 */
export async function openPGlite(
  dataDir: string,
  onItsThread = false,
  /** Called once if the database's thread stops other than by close(). */
  onThreadLost?: (error: Error) => void,
): Promise<OpenedPGlite> {
  const release = dataDir.startsWith('memory://') ? () => {} : lockDataDir(dataDir);
  try {
    const startParams = [...PGlite.defaultStartParams, ...EMBEDDED_SETTINGS];
    if (!dataDir.startsWith('memory://') && !existsSync(join(dataDir, 'PG_VERSION')))
      await createApart(dataDir, startParams);
    const pglite = onItsThread
      ? await PGliteOnItsThread.start({ dataDir, startParams }, onThreadLost)
      : await PGlite.create({ dataDir, startParams });
    lightStatementsFirst(pglite);
    return {
      pglite,
      connect: pglite instanceof PGliteOnItsThread ? () => pglite.connect() : undefined,
      close: async () => {
        await pglite.close();
        release();
      },
    };
  } catch (error) {
    release();
    throw error;
  }
}

/**
 * PGlite on the thread of pglite-thread.ts, behind the part of its API the
 * gateway uses, for when the heavy-query lane's thread (HEAVY_QUERY_THREAD)
 * needs to reach it too. A statement then holds that thread rather than the
 * serving one, which goes on answering meanwhile. Rows are parsed on the
 * database's thread, but for the types a caller brings parsers of its own for
 * (Prisma's adapter brings them for dates, numbers and JSON), which are parsed
 * here.
 *
 * Our own: PGlite's PGliteWorker is made for browser tabs (leader election
 * through Web Locks, BroadcastChannel), which Node 20 does not all have.
 */
class PGliteOnItsThread implements EmbeddedDatabase {
  /** The database's thread, if this thread started it; or a port to it that the thread that did gave this one. */
  readonly #line: Worker | MessagePort;
  readonly #pending = new Map<number, { resolve(result: unknown): void; reject(error: Error): void }>();
  #nextId = 0;
  #stopped: Error | undefined;
  #closing = false;
  readonly #onLost: ((error: Error) => void) | undefined;

  constructor(line: Worker | MessagePort, onLost?: (error: Error) => void) {
    this.#line = line;
    this.#onLost = onLost;
    line.on('message', (message: FromDatabaseThread) => this.#receive(message));
    // Every call from then on is refused as an unavailable database (SERVICE_UNAVAILABLE), as a lost server is.
    if (line instanceof Worker) {
      line.on('error', (error) => this.#stop(new DatabaseUnavailable(error)));
      line.on('exit', (code) =>
        this.#stop(new DatabaseUnavailable(new Error(`the embedded database's thread exited with ${code}`))),
      );
    } else
      line.on('close', () => this.#stop(new DatabaseUnavailable(new Error("the embedded database's thread is gone"))));
  }

  static async start(data: DatabaseThreadData, onLost?: (error: Error) => void): Promise<PGliteOnItsThread> {
    const thread = startThread(import.meta.url, 'pglite-thread', {
      workerData: data,
      resourceLimits: { maxYoungGenerationSizeMb: youngGenerationMb(2) },
    });
    const database = new PGliteOnItsThread(thread, onLost);
    await new Promise((resolve, reject) => database.#pending.set(0, { resolve, reject }));
    return database;
  }

  /** A port through which another thread reaches this database (connectPGlite). */
  connect(): MessagePort {
    // A port posted to a thread that is gone would never answer nor close.
    if (this.#stopped) throw this.#stopped;
    const { port1, port2 } = new MessageChannel();
    this.#line.postMessage({ id: -1, op: 'connect', port: port2 } satisfies ToDatabaseThread, [port2]);
    return port1;
  }

  async query<T>(text: string, values?: unknown[], options?: QueryOptions): Promise<Results<T>> {
    return this.#query<T>(text, values, options, undefined);
  }

  async exec(text: string): Promise<Results[]> {
    return this.#exec(text, undefined);
  }

  async transaction<T>(callback: (tx: Transaction) => Promise<T>): Promise<T> {
    const id = (await this.#call({ op: 'begin' })) as number;
    let closed = false;
    const open = () => {
      if (closed) throw new Error('Transaction is closed');
    };
    const tx: Transaction = {
      query: <R>(text: string, values?: unknown[], options?: QueryOptions) => {
        open();
        return this.#query<R>(text, values, options, id);
      },
      exec: (text: string) => {
        open();
        return this.#exec(text, id);
      },
      rollback: async () => {
        open();
        await this.#call({ op: 'rollback', tx: id });
        closed = true;
      },
      sql: () => Promise.reject(new Error('not used by the gateway')),
      listen: () => Promise.reject(new Error('not used by the gateway')),
      get closed() {
        return closed;
      },
    };
    let result: T;
    try {
      result = await callback(tx);
    } catch (error) {
      closed = true;
      await this.#call({ op: 'end', tx: id, rollback: true }).catch(() => {});
      throw error;
    }
    closed = true;
    await this.#call({ op: 'end', tx: id });
    return result;
  }

  async close(): Promise<void> {
    this.#closing = true;
    if (this.#line instanceof Worker) {
      if (!this.#stopped) await this.#call({ op: 'close' }).catch(() => {});
      await this.#line.terminate();
    } else this.#line.close();
  }

  async #query<T>(text: string, values: unknown[] | undefined, options: QueryOptions | undefined, tx?: number) {
    const parsers = options?.parsers ?? {};
    const rawTypes = Object.keys(parsers).map(Number);
    // With parsers of the caller's, rows come as arrays and are parsed by column here (two columns may share a name).
    const rowMode = rawTypes.length > 0 ? 'array' : options?.rowMode;
    const results = (await this.#call({ op: 'query', text, values, rowMode, rawTypes, tx })) as Results<T>;
    if (rawTypes.length > 0) parseRaw(results, parsers, options?.rowMode);
    return results;
  }

  async #exec(text: string, tx: number | undefined): Promise<Results[]> {
    return (await this.#call({ op: 'exec', text, tx })) as Results[];
  }

  #call(message: DistributiveOmit<Exclude<ToDatabaseThread, { op: 'connect' }>, 'id'>): Promise<unknown> {
    if (this.#stopped) return Promise.reject(this.#stopped);
    const id = ++this.#nextId;
    return new Promise((resolve, reject) => {
      this.#pending.set(id, { resolve, reject });
      this.#line.postMessage({ ...message, id } as ToDatabaseThread);
    });
  }

  #receive({ id, result, error }: FromDatabaseThread): void {
    const pending = this.#pending.get(id);
    this.#pending.delete(id);
    if (error) pending?.reject(rebuildError(error));
    else pending?.resolve(result);
  }

  #stop(error: Error): void {
    if (!this.#stopped && !this.#closing) this.#onLost?.(error);
    this.#stopped ??= error;
    for (const pending of this.#pending.values()) pending.reject(this.#stopped);
    this.#pending.clear();
  }
}

type DistributiveOmit<T, K extends PropertyKey> = T extends unknown ? Omit<T, K> : never;

/**
 * Parses, in place, the values the database's thread left as text for `parsers`, in rows that came as arrays; then
 * makes objects of them unless the caller asked for arrays, the last of two columns of one name winning, as in PGlite.
 */
function parseRaw(results: Results<unknown>, parsers: ParserOptions, rowMode: RowMode | undefined): void {
  const rows = results.rows as unknown[][];
  results.fields.forEach(({ dataTypeID }, index) => {
    const parse = parsers[dataTypeID];
    if (!parse) return;
    for (const row of rows) {
      const value = row[index];
      if (value !== null && value !== undefined) row[index] = parse(value as string);
    }
  });
  if (rowMode !== 'array')
    results.rows = rows.map((row) => Object.fromEntries(results.fields.map(({ name }, index) => [name, row[index]])));
}

/** PostgreSQL's errors become PGlite's DatabaseError again, which Prisma's adapter maps to its own codes. */
function rebuildError({ message, name, database, fields }: NonNullable<FromDatabaseThread['error']>): Error {
  const error = database
    ? new messages.DatabaseError(message, 0, (name ?? 'error') as messages.MessageName)
    : new Error(message);
  return Object.assign(error, fields);
}

/** The embedded database that another thread opened, through the port its `connect()` gave. */
export function connectPGlite(port: MessagePort): OpenedPGlite {
  const pglite = new PGliteOnItsThread(port);
  lightStatementsFirst(pglite);
  return { pglite, close: () => pglite.close() };
}

/**
 * PGlite runs one statement at a time. In the gateway's thread, it answers
 * with promises alone, so a large document's statements, one after another,
 * never let the event loop take new requests or fire timers
 * (docs/performance.md). So statements go to it one by one from a line of our
 * own (one for each thread that reaches it), each after a turn of the event
 * loop; light documents' statements go before heavy ones' (cost of at least
 * HEAVY_COST, src/db/cancellation.ts),
 * so that a flood of heavy documents does not make a one-member read wait
 * behind all their statements. A statement whose request ended while it
 * waited does not run.
 */
function lightStatementsFirst(pglite: EmbeddedDatabase): void {
  const query = pglite.query.bind(pglite);
  const waiting = { light: [] as Array<() => void>, heavy: [] as Array<() => void> };
  let running = false;
  const runNext = () => {
    const next = waiting.light.shift() ?? waiting.heavy.shift();
    running = next !== undefined;
    next?.();
  };
  pglite.query = (async (...args: Parameters<typeof query>) => {
    await new Promise<void>((resolve) => {
      waiting[statementRequest()?.heavy ? 'heavy' : 'light'].push(resolve);
      if (!running) {
        running = true;
        setImmediate(runNext);
      }
    });
    try {
      throwIfRequestEnded();
      return await query(...args);
    } finally {
      setImmediate(runNext);
    }
  }) as typeof pglite.query;
}

/** Run by a node process of its own: opening a folder with no database creates one, then it is closed. */
const CREATE_DATABASE = `
  const { PGlite } = require(process.env.PGLITE_MODULE);
  PGlite.create({ dataDir: process.env.PGLITE_DATA_DIR, startParams: JSON.parse(process.env.PGLITE_START_PARAMS) })
    .then((db) => db.close());`;

/**
 * Creating a database (initdb) takes PGlite far more memory than serving, and a process that did it keeps much of
 * it. So a folder with no database yet (no PG_VERSION, PGlite's own test) gets one from a short-lived node process,
 * and the gateway then opens it as on any restart, at the cost of a slower first start (docs/performance.md).
 */
async function createApart(dataDir: string, startParams: string[]): Promise<void> {
  const env = {
    ...process.env,
    PGLITE_MODULE: createRequire(import.meta.url).resolve('@electric-sql/pglite'),
    PGLITE_DATA_DIR: dataDir,
    PGLITE_START_PARAMS: JSON.stringify(startParams),
  };
  try {
    await promisify(execFile)(process.execPath, ['-e', CREATE_DATABASE], { env });
  } catch (error) {
    const stderr = (error as { stderr?: string }).stderr?.trim();
    throw new Error(`could not create the embedded database in ${dataDir}${stderr ? `: ${stderr}` : ''}`, {
      cause: error,
    });
  }
}

export function pgliteAdapterFactory(pglite: EmbeddedDatabase): SqlMigrationAwareDriverAdapterFactory {
  // The adapter calls only query, exec and transaction.
  const adapter = new PrismaPGlite(pglite as PGlite);
  return withWholeScripts(surfaceCommitFailures(adapter), (script) => pglite.exec(script));
}

/** What surfaceCommitFailures reaches into: pglite-prisma-adapter's adapter, which does not export its type. */
interface TransactionStarter {
  startTransactionInner(conn: Pick<PGlite, 'transaction'>, options: unknown): Promise<{ commit(): Promise<void> }>;
}

/**
 * pglite-prisma-adapter (0.7.2) loses an error raised by COMMIT
 * (a deferred constraint, say): it rejects a promise already resolved, so
 * Prisma reports a transaction PostgreSQL rolled back as committed, the bug
 * Prisma fixed in its PlanetScale adapter (prisma/orm#29155). Until the
 * adapter does the same, each transaction's outcome is watched here and its
 * failure thrown from commit(), as the pg adapter does.
 */
function surfaceCommitFailures(factory: SqlMigrationAwareDriverAdapterFactory): SqlMigrationAwareDriverAdapterFactory {
  const connect = factory.connect.bind(factory);
  factory.connect = async () => {
    const adapter = await connect();
    const starter = adapter as unknown as TransactionStarter;
    const start = starter.startTransactionInner.bind(adapter);
    starter.startTransactionInner = async (conn, options) => {
      let failure: { error: unknown } | undefined;
      const watched: Pick<PGlite, 'transaction'> = {
        transaction(callback) {
          const outcome = conn.transaction(callback);
          outcome.catch((error: unknown) => (failure = { error }));
          return outcome;
        },
      };
      const transaction = await start(watched, options);
      const commit = transaction.commit.bind(transaction);
      transaction.commit = async () => {
        await commit();
        if (failure) throw failure.error;
      };
      return transaction;
    };
    return adapter;
  };
  return factory;
}
