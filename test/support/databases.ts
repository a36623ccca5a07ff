// The databases every suite runs against: the embedded PGlite always, and a
// PostgreSQL server too when DATABASE_URL is set (CI sets it). Each test file
// gets its own fresh database, dropped when it is done.
import { randomBytes } from 'node:crypto';
import pg from 'pg';
import { openDatabase, type Database, type DatabaseKind } from '../../src/db/database.js';

export const SERVER_URL = process.env.DATABASE_URL || undefined;

export const DATABASE_KINDS: DatabaseKind[] = SERVER_URL ? ['pglite', 'postgres'] : ['pglite'];

/** EMBEDDED_THREAD=true: the suites' PGlite runs on a thread of its own, as with HEAVY_QUERY_THREAD=true. */
const EMBEDDED_THREAD = process.env.EMBEDDED_THREAD === 'true';

export interface TestDatabase extends Database {
  /** The connection string of the fresh PostgreSQL database, if this is one. */
  url?: string;
}

/** A fresh, empty database of `kind` (not migrated). */
export async function freshDatabase(kind: DatabaseKind): Promise<TestDatabase> {
  if (kind === 'pglite')
    return openDatabase({
      databaseUrl: undefined,
      dataDir: 'memory://',
      databasePoolSize: 1,
      embeddedThread: EMBEDDED_THREAD,
    });
  const url = await createServerDatabase();
  const database = await openDatabase({ databaseUrl: url, dataDir: 'unused', databasePoolSize: 8 });
  return {
    ...database,
    url,
    async close() {
      await database.close();
      await dropServerDatabase(url);
    },
  };
}

/** A new, empty database on the server of `serverUrl` (default DATABASE_URL); returns its URL. */
export async function createServerDatabase(serverUrl = SERVER_URL): Promise<string> {
  if (!serverUrl) throw new Error('DATABASE_URL is not set');
  const name = `gateway_test_${randomBytes(6).toString('hex')}`;
  await withAdmin(serverUrl, (client) => client.query(`CREATE DATABASE ${name}`));
  const url = new URL(serverUrl);
  url.pathname = `/${name}`;
  return url.toString();
}

export async function dropServerDatabase(url: string, serverUrl = SERVER_URL): Promise<void> {
  const name = new URL(url).pathname.slice(1);
  await withAdmin(serverUrl, (client) => client.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`));
}

async function withAdmin<T>(serverUrl: string | undefined, use: (client: pg.Client) => Promise<T>): Promise<T> {
  const client = new pg.Client({ connectionString: serverUrl });
  await client.connect();
  try {
    return await use(client);
  } finally {
    await client.end();
  }
}
