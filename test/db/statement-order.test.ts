// The embedded PGlite runs one statement at a time, so the gateway hands it
// statements from a line of its own: a light document's statements before a
// heavy one's, so that a one-member read does not wait behind a flood of heavy
// documents, and none for a request that ended while it waited
// (src/db/pglite.ts). PostgreSQL's side (at most DATABASE_HEAVY_STATEMENTS
// heavy statements per pool) is in test/hostile/database.test.ts.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { asStatementRequest, StatementCancelled } from '../../src/db/cancellation.js';
import { freshDatabase, type TestDatabase } from '../support/databases.js';

describe('statements on the embedded PGlite', () => {
  let database: TestDatabase;

  beforeAll(async () => {
    database = await freshDatabase('pglite');
  });

  afterAll(async () => {
    await database?.close();
  });

  /** Runs a short statement as a request of that weight, and notes `label` in `finished` when it is done. */
  const statement = (label: string, heavy: boolean, finished: string[], signal = new AbortController().signal) =>
    asStatementRequest({ signal, heavy }, () =>
      database.sql.query('SELECT pg_sleep(0.02)', []).then(() => void finished.push(label)),
    );

  it('runs statements of light documents before those of heavy documents that asked first', async () => {
    const finished: string[] = [];
    const heavy = [1, 2, 3].map((i) => statement(`heavy ${i}`, true, finished));
    const light = [1, 2].map((i) => statement(`light ${i}`, false, finished));
    await Promise.all([...heavy, ...light]);
    expect(finished).toEqual(['light 1', 'light 2', 'heavy 1', 'heavy 2', 'heavy 3']);
  });

  it('keeps the order in which statements of the same weight asked', async () => {
    const finished: string[] = [];
    await Promise.all([1, 2, 3, 4].map((i) => statement(`light ${i}`, false, finished)));
    expect(finished).toEqual(['light 1', 'light 2', 'light 3', 'light 4']);
  });

  it('does not run a statement whose request ended while it waited, and goes on with the others', async () => {
    const finished: string[] = [];
    const left = new AbortController();
    const first = statement('heavy 1', true, finished);
    const gone = statement('heavy 2', true, finished, left.signal);
    const third = statement('heavy 3', true, finished);
    left.abort();
    await expect(gone).rejects.toBeInstanceOf(StatementCancelled);
    await Promise.all([first, third]);
    expect(finished).toEqual(['heavy 1', 'heavy 3']);
  });
});
