// Runs once before every suite. With DATABASE_URL set, each test file creates
// its own database on that server through the database the URL names, so that
// one must exist: create it when it is missing, and stop the run with one
// clear message when the server cannot be reached.
import pg from 'pg';

const MISSING_DATABASE = '3D000';
const DUPLICATE_DATABASE = '42P04';

export default async function setup(): Promise<void> {
  const serverUrl = process.env.DATABASE_URL;
  if (!serverUrl) return;
  const url = new URL(serverUrl);
  const name = decodeURIComponent(url.pathname.slice(1));
  try {
    await connectAndEnd(serverUrl);
  } catch (error) {
    if ((error as { code?: string }).code !== MISSING_DATABASE || !name) throw unreachable(url, error);
    url.pathname = '/postgres';
    try {
      await withClient(url.toString(), (client) => client.query(`CREATE DATABASE ${pg.escapeIdentifier(name)}`));
    } catch (createError) {
      if ((createError as { code?: string }).code !== DUPLICATE_DATABASE) throw unreachable(url, createError);
    }
  }
}

function unreachable(url: URL, error: unknown): Error {
  const shown = `${url.protocol}//${url.host}${url.pathname}`;
  return new Error(
    `DATABASE_URL (${shown}): cannot use this PostgreSQL server for the tests: ${(error as Error).message}. ` +
      'Start the server, fix the URL, or unset DATABASE_URL to run on the embedded database alone.',
  );
}

async function connectAndEnd(connectionString: string): Promise<void> {
  await withClient(connectionString, async () => {});
}

async function withClient<T>(connectionString: string, use: (client: pg.Client) => Promise<T>): Promise<T> {
  const client = new pg.Client({ connectionString, connectionTimeoutMillis: 10_000 });
  await client.connect();
  try {
    return await use(client);
  } finally {
    await client.end();
  }
}
