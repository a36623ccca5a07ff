// The GraphQL-over-HTTP specification, as graphql-http's audit suite checks a server against it (the suite the
// specification's working group keeps): every audit, MUST and SHOULD, over real HTTP, as a signed-in client.
import { serverAudits } from 'graphql-http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Database } from '../src/db/database.js';
import { freshDatabase } from './support/databases.js';
import { makeUser } from './support/gateway.js';
import { serveOverHttp, type HttpGateway } from './support/http.js';

let database: Database;
let gateway: HttpGateway;
let token: string;

beforeAll(async () => {
  database = await freshDatabase('pglite');
  await database.migrate();
  ({ token } = await makeUser(database));
  gateway = await serveOverHttp(database);
});

afterAll(async () => {
  await gateway?.close();
  await database?.close();
});

/** fetch with the client's session token on every request, as a GraphQL client configured for the gateway sends. */
const signedIn: typeof fetch = (input, init = {}) => {
  const headers = new Headers(init.headers);
  headers.set('coder-session-token', token);
  return fetch(input, { ...init, headers });
};

describe('GraphQL over HTTP (graphql-http audits)', () => {
  const audits = serverAudits({ url: () => `http://127.0.0.1:${gateway.port}/graphql`, fetchFn: signedIn });

  it.each(audits.map((audit) => [audit.name, audit] as const))('%s', async (_name, audit) => {
    const result = await audit.fn();
    expect(result.status, 'reason' in result ? result.reason : undefined).toBe('ok');
  });
});
