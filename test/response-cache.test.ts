// RESPONSE_CACHE_MS: a session's repeated query answered from memory, and
// what that may and may not change for a caller (src/http/response-cache.ts).
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DATABASE_KINDS } from './support/databases.js';
import {
  errorCode,
  makeOrganization,
  makeUser,
  startTestGateway,
  type GraphQLResponse,
  type TestGateway,
} from './support/gateway.js';
import { graphql, sourceOf, type ResultOf } from './support/graphql.js';

const MEMBERS = graphql('query ($org: String!) { organizationMembers(organization: $org) { username } }');
const COUNT = graphql('query ($org: String!) { paginatedOrganizationMembers(organization: $org) { count } }');
const ORGANIZATION = graphql('query ($org: String!) { organization(organization: $org) { name displayName } }');
const ADD_MEMBER = graphql(
  'mutation ($org: String!, $user: String!) { addOrganizationMember(organization: $org, user: $user) { userId } }',
);
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** The statements `run` costs. */
async function statements(gw: TestGateway, run: () => Promise<unknown>): Promise<number> {
  let count = 0;
  const stop = gw.database.onStatement(() => count++);
  try {
    await run();
  } finally {
    stop();
  }
  return count;
}

const usernames = (answer: GraphQLResponse<ResultOf<typeof MEMBERS>>) =>
  answer.data!.organizationMembers.map((m) => m.username).sort();

describe.each(DATABASE_KINDS)('response cache on %s', (kind) => {
  let cached: TestGateway; // answers kept for a minute: longer than any test
  let shortLived: TestGateway; // answers kept for 300 ms
  beforeAll(async () => {
    [cached, shortLived] = await Promise.all([
      startTestGateway(kind, { responseCacheMs: 60_000 }),
      startTestGateway(kind, { responseCacheMs: 300 }),
    ]);
  });
  afterAll(() => Promise.all([cached, shortLived].map((gw) => gw?.close())));

  it('answers a session repeating a query from memory, with no SQL; other variables are read', async () => {
    const db = cached.database;
    const [org, other] = [await makeOrganization(db), await makeOrganization(db)];
    const owner = await makeUser(db, { siteRoles: ['owner'] });
    await makeUser(db, { orgs: { [org.id]: [] } });

    const first = await cached.gql(COUNT, { org: org.name }, owner.token);
    expect(first.data?.paginatedOrganizationMembers.count).toBe(1);
    let again: unknown;
    expect(
      await statements(cached, async () => (again = await cached.gql(COUNT, { org: org.name }, owner.token))),
    ).toBe(0);
    expect(again).toEqual(first);

    let otherAnswer: GraphQLResponse<ResultOf<typeof COUNT>> | undefined;
    expect(
      await statements(cached, async () => (otherAnswer = await cached.gql(COUNT, { org: other.name }, owner.token))),
    ).toBeGreaterThan(0);
    expect(otherAnswer!.data!.paginatedOrganizationMembers.count).toBe(0);
  });

  it("never serves one session's answer to another, nor to a request without a token", async () => {
    const db = cached.database;
    const org = await makeOrganization(db);
    const admin = await makeUser(db, { orgs: { [org.id]: ['organization-admin'] } });
    const member = await makeUser(db, { orgs: { [org.id]: [] } });

    const adminAnswer = await cached.gql(MEMBERS, { org: org.name }, admin.token);
    expect(usernames(adminAnswer)).toEqual([admin.username, member.username].sort());
    // A plain member sees only its own membership, however recently an admin asked the same.
    const memberAnswer = await cached.gql(MEMBERS, { org: org.name }, member.token);
    expect(usernames(memberAnswer)).toEqual([member.username]);
    expect(errorCode(await cached.gql(MEMBERS, { org: org.name }))).toBe('UNAUTHENTICATED');
    // The same token as a cookie is the same session: it may reuse the admin's answer.
    expect(await cached.gql(MEMBERS, { org: org.name }, { cookie: `coder_session_token=${admin.token}` })).toEqual(
      adminAnswer,
    );
  });

  it('forgets every session’s answers after a write through the gateway', async () => {
    const db = cached.database;
    const org = await makeOrganization(db);
    const owner = await makeUser(db, { siteRoles: ['owner'] });
    const admin = await makeUser(db, { orgs: { [org.id]: ['organization-admin'] } });
    const joining = await makeUser(db);
    expect(usernames(await cached.gql(MEMBERS, { org: org.name }, admin.token))).toEqual([admin.username]);

    // The owner's write, in another session, reaches the admin's next read.
    expect(
      errorCode(await cached.gql(ADD_MEMBER, { org: org.name, user: joining.username }, owner.token)),
    ).toBeUndefined();
    expect(usernames(await cached.gql(MEMBERS, { org: org.name }, admin.token))).toEqual(
      [admin.username, joining.username].sort(),
    );
  });

  it('answers 304 Not Modified to a client that sends back the ETag of a kept answer', async () => {
    const owner = await makeUser(cached.database, { siteRoles: ['owner'] });
    const org = await makeOrganization(cached.database);
    const ask = (headers: Record<string, string> = {}) =>
      cached.yoga.fetch('http://gateway.test/graphql', {
        method: 'POST',
        headers: { 'content-type': 'application/json', 'coder-session-token': owner.token, ...headers },
        body: JSON.stringify({ query: sourceOf(ORGANIZATION), variables: { org: org.name } }),
      });
    const first = await ask();
    const etag = first.headers.get('etag');
    expect(first.status).toBe(200);
    expect(etag).toBeTruthy();
    expect(first.headers.get('cache-control'), 'per-session answers: no shared cache may keep them').toBe(
      'private, no-cache',
    );
    const revalidated = await ask({ 'if-none-match': etag! });
    expect(revalidated.status).toBe(304);
    expect(await revalidated.text()).toBe('');
    // The ETag is this session's: another session, or none, sending it gets its own answer, not a 304 that
    // would tell it the owner's answer is kept.
    const other = await makeUser(cached.database);
    for (const token of [other.token, '']) {
      const elsewhere = await ask({ 'if-none-match': etag!, 'coder-session-token': token });
      expect(elsewhere.status).not.toBe(304);
      expect(await elsewhere.text()).not.toBe('');
    }
    // After a write the kept answer is gone: the full answer again.
    const joining = await makeUser(cached.database);
    await cached.gql(ADD_MEMBER, { org: org.name, user: joining.username }, owner.token);
    expect((await ask({ 'if-none-match': etag! })).status).toBe(200);
  });

  it('keeps no answer with errors', async () => {
    const db = cached.database;
    const owner = await makeUser(db, { siteRoles: ['owner'] });
    const name = `later-${Date.now()}`;
    expect(errorCode(await cached.gql(ORGANIZATION, { org: name }, owner.token))).toBe('NOT_FOUND');
    await makeOrganization(db, name); // not through the gateway: nothing is forgotten
    expect(await cached.gql(ORGANIZATION, { org: name }, owner.token)).toEqual({
      data: { organization: { name, displayName: name.toUpperCase() } },
    });
  });

  it('sees a write made elsewhere (another replica, the CLI) once RESPONSE_CACHE_MS has passed', async () => {
    const db = shortLived.database;
    const org = await makeOrganization(db);
    const owner = await makeUser(db, { siteRoles: ['owner'] });
    const before = await shortLived.gql(ORGANIZATION, { org: org.name }, owner.token);
    await db.prisma.organization.update({ where: { id: org.id }, data: { displayName: 'Renamed' } });
    // Within the time the answer may be kept, it is (this is the documented staleness).
    expect(await shortLived.gql(ORGANIZATION, { org: org.name }, owner.token)).toEqual(before);
    await sleep(350);
    expect(await shortLived.gql(ORGANIZATION, { org: org.name }, owner.token)).toEqual({
      data: { organization: { name: org.name, displayName: 'Renamed' } },
    });
  });
});
