// The embedded database's own thread (src/db/pglite.ts starts it). PGlite runs
// each statement as WebAssembly on the thread that calls it; here, that is not
// the serving thread, which keeps reading, checking and answering requests
// while a statement runs. Each message is one call of PGlite's own API, so
// its locks order them as they would in process: a transaction holds the
// database until it ends, other statements wait for it.
import { type MessagePort, parentPort, workerData } from 'node:worker_threads';
import { messages, PGlite, type Transaction } from '@electric-sql/pglite';
import type { FromDatabaseThread, DatabaseThreadData, ToDatabaseThread } from './pglite-messages.js';

if (!parentPort) throw new Error('pglite-thread.ts runs as a worker thread');
const port = parentPort;
const { dataDir, startParams } = workerData as DatabaseThreadData;

const pglite = await PGlite.create({ dataDir, startParams });
/** Open transactions by id: each, the call that lets its callback return, and what COMMIT (or ROLLBACK) came to. */
const transactions = new Map<number, { tx: Transaction; finish(rollback: boolean): void; outcome: Promise<unknown> }>();
let nextTransaction = 0;

/** Thrown inside a transaction's callback to make PGlite roll it back. */
const ROLL_BACK = Symbol('roll back');

/** Answers the calls that come through `port`: the serving thread's, or another thread's it connected. */
function serve(port: MessagePort | NonNullable<typeof parentPort>): void {
  // A thread that goes away (the lane's, restarted) would leave its open transactions holding the database.
  const begun = new Set<number>();
  let gone = false;
  port.on('close', () => {
    gone = true;
    for (const id of begun) end(id, true).catch(() => {});
  });
  port.on('message', (message: ToDatabaseThread) => {
    if (message.op === 'connect') {
      serve(message.port);
      return;
    }
    if (message.op === 'end') begun.delete(message.tx);
    const handled =
      message.op === 'begin'
        ? begin().then((id) => {
            if (gone) end(id, true).catch(() => {});
            else begun.add(id);
            return id;
          })
        : handle(message);
    handled.then(
      (result) => port.postMessage({ id: message.id, result } satisfies FromDatabaseThread),
      (error: unknown) =>
        port.postMessage({ id: message.id, error: describeError(error) } satisfies FromDatabaseThread),
    );
  });
}
serve(port);
port.postMessage({ id: 0, result: 'ready' } satisfies FromDatabaseThread);

async function handle(message: Exclude<ToDatabaseThread, { op: 'connect' | 'begin' }>): Promise<unknown> {
  const queryable = message.tx === undefined ? pglite : transactionOf(message.tx).tx;
  switch (message.op) {
    case 'query': {
      const { text, values, rowMode, rawTypes } = message;
      // Values of the types the caller parses itself come back as PostgreSQL's text.
      const parsers = Object.fromEntries(rawTypes.map((type) => [type, (value: string) => value]));
      return queryable.query(text, values, { rowMode, parsers });
    }
    case 'exec':
      return queryable.exec(message.text);
    case 'rollback':
      return transactionOf(message.tx).tx.rollback();
    case 'end':
      return end(message.tx, message.rollback === true);
    case 'close':
      await pglite.close();
      setImmediate(() => process.exit(0));
      return undefined;
  }
}

/** Opens a transaction and answers with its id once PGlite has begun it; it stays open until `end`. */
function begin(): Promise<number> {
  const id = ++nextTransaction;
  return new Promise((resolve, reject) => {
    // The callback runs once PGlite has begun the transaction, after `outcome` is set.
    const outcome: Promise<unknown> = pglite.transaction(
      (tx) =>
        new Promise((returned, thrown) => {
          const finish = (rollback: boolean) => (rollback ? thrown(ROLL_BACK) : returned(undefined));
          transactions.set(id, { tx, finish, outcome });
          resolve(id);
        }),
    );
    outcome.catch(reject);
  });
}

async function end(id: number, rollback: boolean): Promise<void> {
  const open = transactions.get(id);
  if (!open) return;
  transactions.delete(id);
  open.finish(rollback);
  try {
    await open.outcome;
  } catch (error) {
    if (error !== ROLL_BACK) throw error;
  }
}

function transactionOf(id: number) {
  const transaction = transactions.get(id);
  if (!transaction) throw new Error(`no open transaction ${id}`);
  return transaction;
}

/** An error as data: structured cloning keeps an Error's message, not PostgreSQL's fields on it. */
function describeError(error: unknown): FromDatabaseThread['error'] {
  if (!(error instanceof Error)) return { message: String(error), fields: {} };
  const { message, name, stack, ...fields } = error as Error & Record<string, unknown>;
  // PGlite adds the query's options, which may hold functions (parsers) that cannot be cloned.
  delete fields.queryOptions;
  return { message, name, database: error instanceof messages.DatabaseError, fields };
}
