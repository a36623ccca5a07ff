// The gateway's PostgreSQL connections: one plan per prepared statement, and
// whatever startup options the operator's DATABASE_URL gives still applied.
import { afterEach, describe, expect, it } from 'vitest';
import { openDatabase, type Database } from '../src/db/database.js';
import { createServerDatabase, dropServerDatabase, SERVER_URL } from './support/databases.js';

describe.skipIf(!SERVER_URL)('connections to PostgreSQL', () => {
  let url: string | undefined;
  let database: Database | undefined;
  afterEach(async () => {
    await database?.close();
    if (url) await dropServerDatabase(url);
  });

  it("plan each statement once, on every connection, in UTC, and keep the operator's own startup options", async () => {
    url = await createServerDatabase();
    const withOptions = new URL(url);
    // A zone of the operator's own too: every connection runs in UTC all the same (Prisma's adapter needs it).
    withOptions.searchParams.set('options', '-c statement_timeout=4321 -c TimeZone=Asia/Tokyo');
    database = await openDatabase({ databaseUrl: withOptions.toString(), dataDir: 'unused', databasePoolSize: 3 });
    const settings = () =>
      database!.sql.query<{ plans: string; timeout: string; zone: string }>(
        `SELECT current_setting('plan_cache_mode') AS plans, current_setting('statement_timeout') AS timeout,
           current_setting('TimeZone') AS zone`,
        [],
      );
    // Concurrent statements open several connections, each of which must be set before its first statement.
    const answers = await Promise.all([settings(), settings(), settings()]);
    expect(answers.flat()).toEqual(Array(3).fill({ plans: 'force_generic_plan', timeout: '4321ms', zone: 'UTC' }));
  });
});
