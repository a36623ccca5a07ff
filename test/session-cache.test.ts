// SESSION_CACHE_MS: a session token's row is reused for a short while, and
// what that may and may not change for a caller.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DATABASE_KINDS } from './support/databases.js';
import { errorCode, makeOrganization, makeUser, startTestGateway, type TestGateway } from './support/gateway.js';
import { graphql } from './support/graphql.js';

const SESSION_STATEMENT = /FROM api_keys k JOIN users u/;
const ME = graphql('{ me { id } }');
const MEMBERS = graphql('query ($org: String!) { paginatedOrganizationMembers(organization: $org) { count } }');
const DEMOTE = graphql(
  'mutation ($org: String!, $user: String!) { updateOrganizationMemberRoles(organization: $org, user: $user, roles: []) { roles { name } } }',
);
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** How many session statements `run` costs. */
async function sessionStatements(gw: TestGateway, run: () => Promise<unknown>): Promise<number> {
  let count = 0;
  const stop = gw.database.onStatement((sql) => {
    if (SESSION_STATEMENT.test(sql)) count++;
  });
  try {
    await run();
  } finally {
    stop();
  }
  return count;
}

describe.each(DATABASE_KINDS)('session cache on %s', (kind) => {
  let cached: TestGateway; // rows kept for a minute: longer than any test
  let shortLived: TestGateway; // rows kept for 200 ms
  let uncached: TestGateway;
  beforeAll(async () => {
    [cached, shortLived, uncached] = await Promise.all([
      startTestGateway(kind, { sessionCacheMs: 60_000 }),
      startTestGateway(kind, { sessionCacheMs: 200 }),
      startTestGateway(kind),
    ]);
  });
  afterAll(() => Promise.all([cached, shortLived, uncached].map((gw) => gw?.close())));

  it('reads a token once for a burst of requests, concurrent ones included; without the cache, once per request', async () => {
    const user = await makeUser(cached.database);
    const burst = (gw: TestGateway, token: string) =>
      Promise.all(Array.from({ length: 5 }, () => gw.gql(ME, {}, token))).then(async (first) => [
        ...first,
        await gw.gql(ME, {}, token),
      ]);
    let answers: unknown[] = [];
    expect(await sessionStatements(cached, async () => (answers = await burst(cached, user.token)))).toBe(1);
    expect(answers).toEqual(Array(6).fill({ data: { me: { id: user.id } } }));

    const other = await makeUser(uncached.database);
    expect(await sessionStatements(uncached, () => burst(uncached, other.token))).toBe(6);
  });

  it('still checks the secret of a cached key on every request', async () => {
    const user = await makeUser(cached.database);
    expect(errorCode(await cached.gql(ME, {}, user.token))).toBeUndefined();
    const wrongSecret = user.token.slice(0, 11) + (user.token[11] === 'a' ? 'b' : 'a') + user.token.slice(12);
    const refused = await cached.gql(ME, {}, wrongSecret);
    expect(errorCode(refused)).toBe('UNAUTHENTICATED');
    expect(refused.errors?.[0]?.message).toBe('API key is invalid.');
  });

  it('refuses a cached key once it expires', async () => {
    const user = await makeUser(cached.database);
    const keyId = user.token.slice(0, 10);
    // A lifetime under an hour never slides (Coder slides once less than the lifetime less an hour is left).
    await cached.database.prisma.apiKey.update({
      where: { id: keyId },
      data: { expiresAt: new Date(Date.now() + 1500), lifetimeSeconds: 60 },
    });
    expect(errorCode(await cached.gql(ME, {}, user.token))).toBeUndefined();
    await sleep(1600);
    const refused = await cached.gql(ME, {}, user.token);
    expect(errorCode(refused)).toBe('UNAUTHENTICATED');
    expect(refused.errors?.[0]?.message).toMatch(/^API key expired at /);
  });

  it('applies a write made through the gateway to the very next request', async () => {
    const db = cached.database;
    const org = await makeOrganization(db);
    const owner = await makeUser(db, { siteRoles: ['owner'] });
    const admin = await makeUser(db, { orgs: { [org.id]: ['organization-admin'] } });
    expect(await cached.gql(MEMBERS, { org: org.name }, admin.token)).toEqual({
      data: { paginatedOrganizationMembers: { count: 1 } },
    });

    const demoted = await cached.gql(DEMOTE, { org: org.name, user: admin.username }, owner.token);
    expect(demoted).toEqual({ data: { updateOrganizationMemberRoles: { roles: [] } } });
    // A plain member may not page through every member.
    expect(errorCode(await cached.gql(MEMBERS, { org: org.name }, admin.token))).toBe('NOT_FOUND');
  });

  it('sees a write made elsewhere (another replica, the CLI) within SESSION_CACHE_MS', async () => {
    const db = shortLived.database;
    const org = await makeOrganization(db);
    const admin = await makeUser(db, { orgs: { [org.id]: ['organization-admin'] } });
    expect(errorCode(await shortLived.gql(MEMBERS, { org: org.name }, admin.token))).toBeUndefined();

    await db.prisma.organizationMember.update({
      where: { organizationId_userId: { organizationId: org.id, userId: admin.id } },
      data: { roles: [] },
    });
    await sleep(250);
    expect(errorCode(await shortLived.gql(MEMBERS, { org: org.name }, admin.token))).toBe('NOT_FOUND');

    await db.prisma.user.update({ where: { id: admin.id }, data: { status: 'suspended' } });
    await sleep(250);
    const refused = await shortLived.gql(ME, {}, admin.token);
    expect(errorCode(refused)).toBe('UNAUTHENTICATED');
    expect(refused.errors?.[0]?.message).toMatch(/suspended/);
  });
});
