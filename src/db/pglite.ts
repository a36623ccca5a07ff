import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { PGlite } from '@electric-sql/pglite';
import type { SqlMigrationAwareDriverAdapterFactory } from '@prisma/driver-adapter-utils';
import { PrismaPGlite } from 'pglite-prisma-adapter';
import { statementRequest, throwIfRequestEnded } from './cancellation.js';
import { lockDataDir } from './data-dir.js';
import { withWholeScripts } from './whole-scripts.js';

/**
 * PostgreSQL's default shared buffers are memory the WebAssembly build touches at start, whatever the data. This
 * holds the embedded database's working set at the sizes it is meant for; pages beyond it are read again from the
 * files, which the operating system caches (docs/performance.md).
 */
const EMBEDDED_SETTINGS = ['-c', 'shared_buffers=16MB'];

/**
 * Opens the embedded PostgreSQL, persisted in `dataDir` (in memory for
 * `memory://`). PGlite is single-process: two processes on one folder would
 * corrupt it, so a lock file names the process that holds it.
 */
export async function openPGlite(dataDir: string): Promise<{ pglite: PGlite; close(): Promise<void> }> {
  const release = dataDir.startsWith('memory://') ? () => {} : lockDataDir(dataDir);
  try {
    const startParams = [...PGlite.defaultStartParams, ...EMBEDDED_SETTINGS];
    if (!dataDir.startsWith('memory://') && !existsSync(join(dataDir, 'PG_VERSION')))
      await createApart(dataDir, startParams);
    const pglite = await PGlite.create({ dataDir, startParams });
    lightStatementsFirst(pglite);
    return {
      pglite,
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
 * PGlite runs each statement on the gateway's thread, one at a time, and
 * answers with promises alone, so a large document's statements, one after
 * another, never let the event loop take new requests or fire timers
 * (docs/performance.md). So statements go to it one by one from a line of our
 * own, each after a turn of the event loop; light documents' statements go
 * before heavy ones' (cost of at least HEAVY_COST, src/db/cancellation.ts),
 * so that a flood of heavy documents does not make a one-member read wait
 * behind all their statements. A statement whose request ended while it
 * waited does not run.
 */
function lightStatementsFirst(pglite: PGlite): void {
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

export function pgliteAdapterFactory(pglite: PGlite): SqlMigrationAwareDriverAdapterFactory {
  return withWholeScripts(surfaceCommitFailures(new PrismaPGlite(pglite)), (script) => pglite.exec(script));
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
