// Session-token authentication (SPEC B.2), through the GraphQL endpoint:
// where the token is read from, every way it is refused and what the message
// says, the side effects of a good one, and what is stored of it.
import { createHash } from 'node:crypto';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { graphql } from './support/graphql.js';
import { DATABASE_KINDS, freshDatabase } from './support/databases.js';
import {
  errorCode,
  makeOrganization,
  makeUser,
  startTestGateway,
  testGatewayOn,
  type GraphQLResponse,
  type TestGateway,
  type TestUser,
} from './support/gateway.js';

const ME = graphql('{ me { username } }');
const ME_AND_STATUS = graphql('{ me { username status } }');
const ORGANIZATIONS = graphql('{ organizations { id } }');
const MEMBERS = graphql('query ($org: String!) { organizationMembers(organization: $org) { userId } }');
const ADD_MEMBER = graphql(
  'mutation ($org: String!, $user: String!) { addOrganizationMember(organization: $org, user: $user) { userId } }',
);
const TYPENAME = graphql('{ __typename }');
const SCHEMA_AND_TYPE = graphql('{ __schema { queryType { name } } __type(name: "User") { name } }');
const TYPENAME_AND_SCHEMA = graphql('{ __typename __schema { queryType { name } } }');
const TYPENAME_AND_ME = graphql('{ __typename me { username } }');
const HOUR = 60 * 60 * 1000;

const MISSING = /no session token/i;
const MALFORMED = /malformed/i;
const INVALID = 'API key is invalid.';

const idOf = (token: string) => token.slice(0, 10);
const secretOf = (token: string) => token.slice(11);

/** A well-formed token whose id exists nowhere. */
const UNKNOWN_TOKEN = `AAAAAAAAAA-${'B'.repeat(22)}`;

/** The same id with a secret that differs in one character. */
function wrongSecret(token: string): string {
  const secret = secretOf(token);
  return `${idOf(token)}-${secret[0] === 'a' ? 'b' : 'a'}${secret.slice(1)}`;
}

describe.each(DATABASE_KINDS)('session tokens on %s', (kind) => {
  let gw: TestGateway;
  let alice: TestUser;
  let bob: TestUser;

  const me = (auth?: string | Record<string, string>) => gw.gql(ME, {}, auth);
  const apiKey = (token: string) => gw.database.prisma.apiKey.findUniqueOrThrow({ where: { id: idOf(token) } });
  const setKey = (token: string, data: { expiresAt?: Date; lastUsed?: Date }) =>
    gw.database.prisma.apiKey.update({ where: { id: idOf(token) }, data });

  /** Refused with UNAUTHENTICATED, no data, and a message matching `message`. */
  function expectRefused(response: GraphQLResponse, message: RegExp | string) {
    expect(errorCode(response)).toBe('UNAUTHENTICATED');
    expect(response.errors).toHaveLength(1);
    if (typeof message === 'string') expect(response.errors![0]!.message).toBe(message);
    else expect(response.errors![0]!.message).toMatch(message);
    expect(response.data ?? null).toBeNull();
  }
  const expectUser = (response: GraphQLResponse, user: TestUser) =>
    expect(response).toEqual({ data: { me: { username: user.username } } });

  beforeAll(async () => {
    gw = await startTestGateway(kind);
    alice = await makeUser(gw.database, { username: 'alice' });
    bob = await makeUser(gw.database, { username: 'bob' });
  });
  afterAll(() => gw?.close());

  describe('refusals', () => {
    it('refuses a request with no token, saying how to send one', async () => {
      expectRefused(await me(), MISSING);
      expectRefused(await me({ cookie: 'other=1' }), MISSING);
      expectRefused(await me({ authorization: 'Basic dXNlcjpwYXNz' }), MISSING);
    });

    it.each([
      ['too short', 'abc'],
      ['id of 9', 'AAAAAAAAA-BBBBBBBBBBBBBBBBBBBBBB'],
      ['id of 11', 'AAAAAAAAAAA-BBBBBBBBBBBBBBBBBBBBBB'],
      ['secret of 21', 'AAAAAAAAAA-BBBBBBBBBBBBBBBBBBBBB'],
      ['secret of 23', 'AAAAAAAAAA-BBBBBBBBBBBBBBBBBBBBBBB'],
      ['no separator', 'AAAAAAAAAA_BBBBBBBBBBBBBBBBBBBBBB'],
      ['two separators', 'AAAAAAAAAA-BBBBBBBBBBB-BBBBBBBBBB'],
      ['bad character in the id', 'AAAA!AAAAA-BBBBBBBBBBBBBBBBBBBBBB'],
      ['bad character in the secret', 'AAAAAAAAAA-BBBBBBBBBBBB+BBBBBBBBB'],
      ['base64 padding', 'AAAAAAAAAA-BBBBBBBBBBBBBBBBBBBBB='],
    ])('refuses a malformed token (%s)', async (_case, token) => {
      expectRefused(await me(token), MALFORMED);
    });

    it('refuses a real token with characters around it', async () => {
      expectRefused(await me(`${alice.token}x`), MALFORMED);
      expectRefused(await me(`x${alice.token}`), MALFORMED);
    });

    it('gives one message for an unknown id and a wrong secret, so ids cannot be probed', async () => {
      const unknown = await me(UNKNOWN_TOKEN);
      const wrong = await me(wrongSecret(alice.token));
      expectRefused(unknown, INVALID);
      expect(wrong).toEqual(unknown);
    });

    it('refuses an expired token and says so', async () => {
      const carol = await makeUser(gw.database, { username: 'carol' });
      await setKey(carol.token, { expiresAt: new Date(Date.now() - 60_000) });
      expectRefused(await me(carol.token), /expired/i);
      // One that expires in a minute still works.
      await setKey(carol.token, { expiresAt: new Date(Date.now() + 60_000) });
      expectUser(await me(carol.token), carol);
    });

    it("refuses a deleted user's token", async () => {
      const dave = await makeUser(gw.database, { username: 'dave' });
      await gw.database.prisma.user.update({ where: { id: dave.id }, data: { deleted: true } });
      expectRefused(await me(dave.token), /deleted/i);
    });

    it("refuses a suspended user's token and leaves the user suspended", async () => {
      const erin = await makeUser(gw.database, { username: 'erin', status: 'suspended' });
      expectRefused(await me(erin.token), /suspended/i);
      const user = await gw.database.prisma.user.findUniqueOrThrow({ where: { id: erin.id } });
      expect(user.status).toBe('suspended');
    });
  });

  describe('where the token is read from', () => {
    it('accepts the cookie, the Coder-Session-Token header and a bearer token', async () => {
      expectUser(await me({ cookie: `coder_session_token=${alice.token}` }), alice);
      expectUser(await me({ cookie: `theme=dark; coder_session_token=${alice.token}; lang=en` }), alice);
      // In double quotes, as a cookie value may be sent: Coder (Go's cookie reader) takes what is inside them.
      expectUser(await me({ cookie: `coder_session_token="${alice.token}"` }), alice);
      expectUser(await me({ 'Coder-Session-Token': alice.token }), alice);
      expectUser(await me({ authorization: `Bearer ${alice.token}` }), alice);
    });

    it('prefers the cookie to the header, and the header to a bearer token', async () => {
      // Two good tokens: the higher-priority place decides who the caller is.
      expectUser(await me({ cookie: `coder_session_token=${alice.token}`, 'coder-session-token': bob.token }), alice);
      expectUser(await me({ 'coder-session-token': bob.token, authorization: `Bearer ${alice.token}` }), bob);
      expectUser(await me({ cookie: `coder_session_token=${bob.token}`, authorization: `Bearer ${alice.token}` }), bob);

      // A bad token in the lower-priority place is ignored...
      expectUser(await me({ cookie: `coder_session_token=${alice.token}`, 'coder-session-token': 'garbage' }), alice);
      expectUser(await me({ 'coder-session-token': alice.token, authorization: `Bearer ${UNKNOWN_TOKEN}` }), alice);
      // ...and a bad one in the higher-priority place is not rescued by a good one below it.
      expectRefused(
        await me({ cookie: `coder_session_token=${UNKNOWN_TOKEN}`, 'coder-session-token': alice.token }),
        INVALID,
      );
      expectRefused(await me({ 'coder-session-token': 'garbage', authorization: `Bearer ${alice.token}` }), MALFORMED);
      expectRefused(
        await me({ cookie: `coder_session_token=${wrongSecret(alice.token)}`, authorization: `Bearer ${alice.token}` }),
        INVALID,
      );
    });
  });

  describe('a successful request', () => {
    it('makes a dormant user active', async () => {
      const frank = await makeUser(gw.database, { username: 'frank', status: 'dormant' });
      const status = () => gw.database.prisma.user.findUniqueOrThrow({ where: { id: frank.id } }).then((u) => u.status);
      expect(await status()).toBe('dormant');
      expect(await gw.gql(ME_AND_STATUS, {}, frank.token)).toEqual({
        data: { me: { username: 'frank', status: 'ACTIVE' } },
      });
      expect(await status()).toBe('active');
    });

    it('does not activate a dormant user whose token is refused', async () => {
      const gina = await makeUser(gw.database, { username: 'gina', status: 'dormant' });
      await setKey(gina.token, { expiresAt: new Date(Date.now() - 1000) });
      expectRefused(await me(gina.token), /expired/i);
      const user = await gw.database.prisma.user.findUniqueOrThrow({ where: { id: gina.id } });
      expect(user.status).toBe('dormant');
    });

    it('refreshes last_used when it is over an hour old, and not when it is recent', async () => {
      const harry = await makeUser(gw.database, { username: 'harry' });

      const recent = new Date(Date.now() - 10 * 60 * 1000);
      await setKey(harry.token, { lastUsed: recent });
      expectUser(await me(harry.token), harry);
      expect((await apiKey(harry.token)).lastUsed).toEqual(recent);

      const old = new Date(Date.now() - 2 * HOUR);
      await setKey(harry.token, { lastUsed: old });
      const before = Date.now();
      expectUser(await me(harry.token), harry);
      const refreshed = (await apiKey(harry.token)).lastUsed.getTime();
      expect(refreshed).toBeGreaterThanOrEqual(before - 1000);
      expect(refreshed).toBeLessThanOrEqual(Date.now() + 1000);
    });

    // SPEC B.2 is silent here, so Coder's behaviour applies: its API-key
    // middleware writes users.last_seen_at whenever it refreshes last_used
    // (coderd/httpmw/apikey.go, UpdateUserLastSeenAt), and Coder's dormancy job
    // reads last_seen_at. User.lastSeenAt is part of our schema too.
    it('records when the user was last seen, when it refreshes last_used (as Coder does)', async () => {
      const iris = await makeUser(gw.database, { username: 'iris' });
      await setKey(iris.token, { lastUsed: new Date(Date.now() - 2 * HOUR) });
      const before = Date.now();
      expectUser(await me(iris.token), iris);
      const user = await gw.database.prisma.user.findUniqueOrThrow({ where: { id: iris.id } });
      expect(user.lastSeenAt.getTime()).toBeGreaterThanOrEqual(before - 1000);
      expect(user.lastSeenAt.getTime()).toBeLessThanOrEqual(Date.now() + 1000);
    });

    // users.last_seen_at has no time zone; a gateway running in another zone
    // must still see that the user was seen half an hour ago, not hours ago.
    it('reads last_seen_at as UTC, whatever time zone the gateway runs in', async () => {
      const zone = process.env.TZ;
      process.env.TZ = 'Asia/Tokyo'; // UTC+9: read as local time, 30 minutes ago would look 9.5 hours old
      try {
        const kim = await makeUser(gw.database, { username: 'kim' });
        const seen = new Date(Date.now() - 30 * 60 * 1000);
        await gw.database.prisma.user.update({ where: { id: kim.id }, data: { lastSeenAt: seen } });
        await setKey(kim.token, { lastUsed: new Date() });
        expectUser(await me(kim.token), kim);
        const user = await gw.database.prisma.user.findUniqueOrThrow({ where: { id: kim.id } });
        expect(user.lastSeenAt).toEqual(seen);
      } finally {
        if (zone === undefined) delete process.env.TZ;
        else process.env.TZ = zone;
      }
    });

    it('does not touch last_used for a refused token', async () => {
      const old = new Date(Date.now() - 2 * HOUR);
      await setKey(alice.token, { lastUsed: old });
      expectRefused(await me(wrongSecret(alice.token)), INVALID);
      expect((await apiKey(alice.token)).lastUsed).toEqual(old);
    });
  });

  // Coder issues keys scoped to application_connect for workspace apps; its
  // RBAC lets such a key do nothing else (coderd/rbac/scopes.go), even for an owner.
  it('lets a key scoped to application_connect read and change nothing, whatever its user may do', async () => {
    const organization = await makeOrganization(gw.database);
    const owner = await makeUser(gw.database, {
      siteRoles: ['owner'],
      orgs: { [organization.id]: ['organization-admin'] },
    });
    expectUser(await me(owner.token), owner);

    await gw.database.prisma.apiKey.update({
      where: { id: idOf(owner.token) },
      data: { scope: 'application_connect' },
    });
    expect(errorCode(await me(owner.token))).toBe('NOT_FOUND');
    expect(await gw.gql(ORGANIZATIONS, {}, owner.token)).toEqual({ data: { organizations: [] } });
    const members = await gw.gql(MEMBERS, { org: organization.name }, owner.token);
    expect(errorCode(members)).toBe('NOT_FOUND');
    const add = await gw.gql(ADD_MEMBER, { org: organization.name, user: alice.username }, owner.token);
    expect(errorCode(add)).toBe('NOT_FOUND');
    // Coder's AssignableSiteRoles answers such a key 403 (coderd/roles.go).
    expect(errorCode(await gw.gql(graphql('{ assignableSiteRoles { name } }'), {}, owner.token))).toBe('FORBIDDEN');
    expect(
      await gw.database.prisma.organizationMember.count({
        where: { organizationId: organization.id, userId: alice.id },
      }),
    ).toBe(0);
  });

  it('stores only the SHA-256 of the secret; the token appears nowhere in the api_keys row', async () => {
    const key = await apiKey(bob.token);
    const expected = createHash('sha256').update(secretOf(bob.token)).digest();
    expect(Buffer.from(key.hashedSecret).equals(expected)).toBe(true);

    const [row] = await gw.database.prisma.$queryRawUnsafe<{ row: string }[]>(
      `SELECT row_to_json(k)::text AS row FROM api_keys k WHERE id = $1`,
      idOf(bob.token),
    );
    expect(row!.row).toContain(idOf(bob.token));
    expect(row!.row).not.toContain(secretOf(bob.token));
    expect(row!.row).not.toContain(bob.token);
  });

  describe('introspection', () => {
    it('needs no token', async () => {
      expect(await gw.gql(TYPENAME)).toEqual({ data: { __typename: 'Query' } });
      const schema = await gw.gql(SCHEMA_AND_TYPE);
      expect(schema).toEqual({ data: { __schema: { queryType: { name: 'Query' } }, __type: { name: 'User' } } });
    });

    it('is not broken by a bad token', async () => {
      const bad: (string | Record<string, string>)[] = [
        'garbage',
        UNKNOWN_TOKEN,
        { cookie: 'coder_session_token=garbage' },
        { authorization: 'Bearer garbage' },
      ];
      for (const auth of bad) {
        expect(await gw.gql(TYPENAME_AND_SCHEMA, {}, auth)).toEqual({
          data: { __typename: 'Query', __schema: { queryType: { name: 'Query' } } },
        });
      }
    });

    it('does not open the other fields of the same request', async () => {
      const response = await gw.gql(TYPENAME_AND_ME);
      expectRefused(response, MISSING);
    });
  });
});

// A Coder database's time zone need not be UTC; the times a request writes are the instant it happened all the same.
// PostgreSQL only: the embedded database is the gateway's own, started in UTC.
describe.each(DATABASE_KINDS.filter((kind) => kind === 'postgres'))(
  'the times a session writes, on %s whose time zone is UTC+14',
  (kind) => {
    const ZONE = 'Pacific/Kiritimati';
    let gw: TestGateway;
    const ME_SEEN = graphql('{ me { username status lastSeenAt } }');

    beforeAll(async () => {
      const database = await freshDatabase(kind);
      // From a connection of its own, then without any the pool opened before: new sessions take the zone.
      const admin = new pg.Client({ connectionString: database.url });
      await admin.connect();
      await admin.query(`ALTER DATABASE ${new URL(database.url!).pathname.slice(1)} SET timezone = '${ZONE}'`);
      await admin.query(
        'SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = current_database() AND pid <> pg_backend_pid()',
      );
      await admin.end();
      await database.migrate();
      gw = testGatewayOn(kind, database);
    });
    afterAll(() => gw?.database.close());

    // The database's own, which Coder's sessions would use.
    const zone = () =>
      gw.database.prisma
        .$queryRawUnsafe<{ zone: string }[]>(
          `SELECT s.setconfig::text AS zone FROM pg_db_role_setting s JOIN pg_database d ON d.oid = s.setdatabase
          WHERE d.datname = current_database()`,
        )
        .then((rows) => rows[0]!.zone);
    const expectNow = (time: Date | string) =>
      expect(Math.abs(new Date(time).getTime() - Date.now())).toBeLessThan(60_000);

    it.each(['dormant', 'active'] as const)('records a %s user seen now', async (status) => {
      const user = await makeUser(gw.database, { status });
      await gw.database.prisma.user.update({
        where: { id: user.id },
        data: { lastSeenAt: new Date(Date.now() - 2 * HOUR) },
      });
      const response = await gw.gql(ME_SEEN, {}, user.token);
      expect(await zone()).toBe(`{TimeZone=${ZONE}}`);
      expect(response.data?.me).toMatchObject({ username: user.username, status: 'ACTIVE' });
      expectNow((response.data!.me as { lastSeenAt: string }).lastSeenAt);
      // As instants, whatever the session's zone (Coder's last_seen_at is a UTC time without zone).
      const [row] = await gw.database.prisma.$queryRawUnsafe<{ seen: number; updated: number }[]>(
        `SELECT extract(epoch FROM last_seen_at AT TIME ZONE 'UTC')::float8 * 1000 AS seen,
                extract(epoch FROM updated_at)::float8 * 1000 AS updated FROM users WHERE id = $1::uuid`,
        user.id,
      );
      expectNow(new Date(row!.seen));
      expectNow(new Date(row!.updated));
    });
  },
);
