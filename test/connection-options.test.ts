// The gateway's PostgreSQL connections: one plan per prepared statement, and
// whatever startup options the operator's DATABASE_URL or PGOPTIONS give
// still applied alongside it.
import { afterEach, describe, expect, it } from 'vitest';
import { openDatabase, withGenericPlans, type Database } from '../src/db/database.js';
import { createServerDatabase, dropServerDatabase, SERVER_URL } from './support/databases.js';

describe('withGenericPlans', () => {
  it('adds plan_cache_mode to the options a URL gives', () => {
    const url = withGenericPlans('postgresql://gw:secret@db.example:5432/coder?sslmode=disable&options=-c%20statement_timeout%3D5000');
    const parsed = new URL(url);
    expect(parsed.searchParams.get('options')).toBe('-c statement_timeout=5000 -c plan_cache_mode=force_generic_plan');
    expect(parsed.searchParams.get('sslmode')).toBe('disable');
    expect(`${parsed.username}:${parsed.password}@${parsed.host}${parsed.pathname}`).toBe('gw:secret@db.example:5432/coder');
  });

  it('leaves a connection string it cannot parse as it is', () => {
    expect(withGenericPlans('host=/var/run/postgresql dbname=coder')).toBe('host=/var/run/postgresql dbname=coder');
  });
});

describe.skipIf(!SERVER_URL)('connections to PostgreSQL', () => {
  let url: string | undefined;
  let database: Database | undefined;
  afterEach(async () => {
    await database?.close();
    if (url) await dropServerDatabase(url);
  });

  it("plan each statement once, and keep the operator's own startup options", async () => {
    url = await createServerDatabase();
    const withOptions = new URL(url);
    withOptions.searchParams.set('options', '-c statement_timeout=4321');
    database = await openDatabase({ databaseUrl: withOptions.toString(), dataDir: 'unused', databasePoolSize: 2 });
    const [settings] = await database.sql.query<{ plans: string; timeout: string }>(
      "SELECT current_setting('plan_cache_mode') AS plans, current_setting('statement_timeout') AS timeout",
      [],
    );
    expect(settings).toEqual({ plans: 'force_generic_plan', timeout: '4321ms' });
  });
});
