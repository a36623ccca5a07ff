import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { generateToken } from '../src/auth/tokens.js';
import type { Database } from '../src/db/database.js';
import { DATABASE_KINDS } from './support/databases.js';
import { findKey } from '../src/db/reads/sessions.js';
import { insertCustomRole } from './support/fixtures.js';
import {
  errorCode,
  makeOrganization,
  makeUser,
  startTestGateway,
  testGatewayOn,
  type TestGateway,
} from './support/gateway.js';
import { graphql, sourceOf } from './support/graphql.js';
import { serveOverHttp } from './support/http.js';

const ME = graphql('{ me { id } }');
const TYPENAME_AND_SCHEMA = graphql('{ __typename __schema { queryType { name } } }');
const ME_AND_USERNAME = graphql('{ me { id username } }');

describe.each(DATABASE_KINDS)('session tokens on %s', (kind) => {
  let gw: TestGateway;
  beforeAll(async () => {
    gw = await startTestGateway(kind);
  });
  afterAll(() => gw?.close());

  it('answers introspection and __typename without a token', async () => {
    const response = await gw.gql(TYPENAME_AND_SCHEMA);
    expect(response).toEqual({ data: { __typename: 'Query', __schema: { queryType: { name: 'Query' } } } });
  });

  it('refuses a field without a token', async () => {
    const response = await gw.gql(ME);
    expect(errorCode(response)).toBe('UNAUTHENTICATED');
  });

  it('reads of custom roles only those the caller holds, without their display names', async () => {
    // What an organization's admins store in its roles is not read by its members' every request: a few hundred
    // roles named with a megabyte each made each of them seconds long, then took the process past its longest string.
    const organization = await makeOrganization(gw.database);
    const held = await insertCustomRole(gw.database, {
      organizationId: organization.id,
      displayName: 'x'.repeat(9_000),
    });
    const siteHeld = await insertCustomRole(gw.database, { organizationId: null });
    await insertCustomRole(gw.database, { organizationId: organization.id });
    await insertCustomRole(gw.database, { organizationId: null });
    const user = await makeUser(gw.database, { siteRoles: [siteHeld], orgs: { [organization.id]: [held] } });
    const key = await findKey(gw.database.sql, user.token.split('-')[0]!);
    expect(key?.custom_roles.map((role) => [role.name, role.displayName]).sort()).toEqual(
      [
        [held, ''],
        [siteHeld, ''],
      ].sort(),
    );
  });

  it('accepts a valid token in the Coder-Session-Token header', async () => {
    const user = await makeUser(gw.database);
    const response = await gw.gql(ME_AND_USERNAME, {}, user.token);
    expect(response).toEqual({ data: { me: { id: user.id, username: user.username } } });
  });
});

// Coder's httpmw.ExtractAPIKey at the reference commit, case by case from its
// TestAPIKey (coderd/httpmw/apikey_test.go): what using a key writes back.
const HOUR = 3600_000;
const DAY = 24 * HOUR;

interface KeyOptions {
  lastUsed: Date;
  expiresAt: Date;
  lifetimeSeconds?: number;
  loginType?: 'password' | 'github' | 'oidc' | 'token' | 'oauth2_provider_app';
}

/** An API key row written as Coder's dbgen.APIKey would, for an existing user; returns its token. */
async function insertKey(db: Database, userId: string, options: KeyOptions): Promise<{ id: string; token: string }> {
  const key = generateToken();
  await db.prisma.apiKey.create({
    data: {
      id: key.id,
      hashedSecret: key.hashedSecret,
      userId,
      lastUsed: options.lastUsed,
      expiresAt: options.expiresAt,
      createdAt: options.lastUsed,
      updatedAt: options.lastUsed,
      loginType: options.loginType ?? 'password',
      lifetimeSeconds: BigInt(options.lifetimeSeconds ?? 86_400),
    },
  });
  return { id: key.id, token: key.token };
}

const storedKey = (db: Database, id: string) =>
  db.prisma.apiKey.findUniqueOrThrow({ where: { id }, select: { lastUsed: true, expiresAt: true, ipAddress: true } });

/** The UPDATEs of api_keys that `run` sends. */
async function keyWrites(gw: TestGateway, run: () => Promise<unknown>): Promise<number> {
  let writes = 0;
  const stop = gw.database.onStatement((sql) => {
    if (/^\s*UPDATE\s+"?(public"?\.)?"?api_keys/i.test(sql)) writes++;
  });
  try {
    await run();
  } finally {
    stop();
  }
  return writes;
}

describe.each(DATABASE_KINDS)('using a session token on %s, as Coder does', (kind) => {
  let gw: TestGateway;
  let cached: TestGateway;
  let noRefresh: TestGateway;
  let proxied: TestGateway;
  beforeAll(async () => {
    gw = await startTestGateway(kind);
    // Each gateway has its own database: users are made in the one its requests read.
    [cached, noRefresh, proxied] = await Promise.all([
      startTestGateway(kind, { sessionCacheMs: 60_000 }),
      startTestGateway(kind, { sessionExpiryRefresh: false }),
      startTestGateway(kind, { proxyTrustedOrigins: ['10.0.0.0/8'], proxyTrustedHeaders: ['X-Forwarded-For'] }),
    ]);
  });
  afterAll(() => Promise.all([gw, cached, noRefresh, proxied].map((g) => g?.close())));

  it('TestAPIKey/Valid: a key used recently, far from expiry, is left as it is', async () => {
    const user = await makeUser(gw.database);
    const sent = { lastUsed: new Date(Date.now() - 60_000), expiresAt: new Date(Date.now() + DAY) };
    const key = await insertKey(gw.database, user.id, sent);
    expect(await gw.gql(ME, {}, key.token)).toEqual({ data: { me: { id: user.id } } });
    expect(await storedKey(gw.database, key.id)).toEqual({ ...sent, ipAddress: '0.0.0.0' });
  });

  it('TestAPIKey/ValidUpdateLastUsed: last_used over an hour old is refreshed; the expiry stays', async () => {
    const user = await makeUser(gw.database);
    const sent = { lastUsed: new Date(Date.now() - DAY), expiresAt: new Date(Date.now() + DAY) };
    const key = await insertKey(gw.database, user.id, sent);
    const before = Date.now();
    expect(errorCode(await gw.gql(ME, {}, key.token))).toBeUndefined();
    const stored = await storedKey(gw.database, key.id);
    expect(stored.lastUsed.getTime()).toBeGreaterThanOrEqual(before);
    expect(stored.expiresAt).toEqual(sent.expiresAt);
  });

  it('records the use of a suspended user’s key before refusing it, as Coder does (its session slides)', async () => {
    const user = await makeUser(gw.database);
    await gw.database.prisma.user.update({ where: { id: user.id }, data: { status: 'suspended' } });
    const sent = { lastUsed: new Date(Date.now() - 3 * HOUR), expiresAt: new Date(Date.now() + HOUR) };
    const key = await insertKey(gw.database, user.id, sent);
    const before = Date.now();
    const refused = await gw.gql(ME, {}, key.token, '192.0.2.9');
    expect(errorCode(refused)).toBe('UNAUTHENTICATED');
    expect(refused.errors?.[0]?.message).toMatch(/User is not active \(status = "suspended"\)/);
    const stored = await storedKey(gw.database, key.id);
    expect(stored.lastUsed.getTime()).toBeGreaterThanOrEqual(before);
    expect(stored.expiresAt.getTime()).toBeGreaterThanOrEqual(before + DAY);
    expect(stored.ipAddress).toBe('192.0.2.9');
  });

  it('marks a user seen without writing its status: a suspension that commits meanwhile stands', async () => {
    const user = await makeUser(gw.database);
    await gw.database.prisma.user.update({
      where: { id: user.id },
      data: { lastSeenAt: new Date(Date.now() - 2 * HOUR) },
    });
    const key = await insertKey(gw.database, user.id, {
      lastUsed: new Date(Date.now() - 2 * HOUR),
      expiresAt: new Date(Date.now() + DAY),
    });
    // An admin suspends the user in a transaction that commits while the request is running: on PostgreSQL the
    // request reads the user as active, then its write waits for the row.
    let answered: Promise<unknown> | undefined;
    await gw.database.prisma.$transaction(async (tx) => {
      await tx.$executeRaw`UPDATE users SET status = 'suspended' WHERE id = ${user.id}::uuid`;
      answered = gw.gql(ME, {}, key.token);
      await new Promise((resolve) => setTimeout(resolve, 300));
    });
    await answered;
    const stored = await gw.database.prisma.user.findUniqueOrThrow({ where: { id: user.id } });
    expect(stored.status).toBe('suspended');
    expect(errorCode(await gw.gql(ME, {}, key.token))).toBe('UNAUTHENTICATED');
  });

  it('TestAPIKey/ValidUpdateExpiry: a key with less than its lifetime less an hour left slides to now + lifetime', async () => {
    const user = await makeUser(gw.database);
    const sent = { lastUsed: new Date(), expiresAt: new Date(Date.now() + 60_000) };
    const key = await insertKey(gw.database, user.id, sent);
    const before = Date.now();
    expect(errorCode(await gw.gql(ME, {}, key.token))).toBeUndefined();
    const stored = await storedKey(gw.database, key.id);
    expect(stored.lastUsed).toEqual(sent.lastUsed);
    expect(stored.expiresAt.getTime()).toBeGreaterThanOrEqual(before + DAY);
    expect(stored.expiresAt.getTime()).toBeLessThanOrEqual(Date.now() + DAY);
  });

  it('slides at lifetime less an hour, not before: a browser session used hourly never dies at 24 h', async () => {
    const user = await makeUser(gw.database);
    // 22 h 59 min left of 24 h: slides; 23 h 01 min left: does not.
    const sliding = await insertKey(gw.database, user.id, {
      lastUsed: new Date(),
      expiresAt: new Date(Date.now() + 23 * HOUR - 60_000),
    });
    const fresh = { lastUsed: new Date(), expiresAt: new Date(Date.now() + 23 * HOUR + 60_000) };
    const notYet = await insertKey(gw.database, user.id, fresh);
    await gw.gql(ME, {}, sliding.token);
    await gw.gql(ME, {}, notYet.token);
    expect((await storedKey(gw.database, sliding.id)).expiresAt.getTime()).toBeGreaterThan(Date.now() + 23.9 * HOUR);
    expect((await storedKey(gw.database, notYet.id)).expiresAt).toEqual(fresh.expiresAt);
  });

  it("slides an operator's token by its own lifetime", async () => {
    const user = await makeUser(gw.database);
    const key = await insertKey(gw.database, user.id, {
      lastUsed: new Date(),
      expiresAt: new Date(Date.now() + 2 * DAY),
      lifetimeSeconds: 7 * 86_400,
      loginType: 'token',
    });
    await gw.gql(ME, {}, key.token);
    expect((await storedKey(gw.database, key.id)).expiresAt.getTime()).toBeGreaterThan(Date.now() + 6.9 * DAY);
  });

  it('TestAPIKey/Expired: an expired key is refused and not slid back to life', async () => {
    const user = await makeUser(gw.database);
    const sent = { lastUsed: new Date(Date.now() - DAY), expiresAt: new Date(Date.now() - HOUR) };
    const key = await insertKey(gw.database, user.id, sent);
    const refused = await gw.gql(ME, {}, key.token);
    expect(errorCode(refused)).toBe('UNAUTHENTICATED');
    expect(refused.errors?.[0]?.message).toMatch(/^API key expired at /);
    expect(await storedKey(gw.database, key.id)).toEqual({ ...sent, ipAddress: '0.0.0.0' });
  });

  it('TestAPIKey/NoRefresh: with DISABLE_SESSION_EXPIRY_REFRESH, last_used is refreshed but the expiry never slides', async () => {
    const user = await makeUser(noRefresh.database);
    const sent = { lastUsed: new Date(Date.now() - DAY), expiresAt: new Date(Date.now() + 60_000) };
    const key = await insertKey(noRefresh.database, user.id, sent);
    expect(errorCode(await noRefresh.gql(ME, {}, key.token))).toBeUndefined();
    const stored = await storedKey(noRefresh.database, key.id);
    expect(stored.lastUsed.getTime()).toBeGreaterThan(sent.lastUsed.getTime());
    expect(stored.expiresAt).toEqual(sent.expiresAt);
  });

  it("TestAPIKey/RemoteIPUpdates: refreshing last_used records the client's address", async () => {
    const user = await makeUser(gw.database);
    const key = await insertKey(gw.database, user.id, {
      lastUsed: new Date(Date.now() - DAY),
      expiresAt: new Date(Date.now() + DAY),
    });
    expect(errorCode(await gw.gql(ME, {}, key.token, '1.1.1.1'))).toBeUndefined();
    expect((await storedKey(gw.database, key.id)).ipAddress).toBe('1.1.1.1');
  });

  it('records an IPv4 client of a dual-stack socket as IPv4, and an IPv6 one as IPv6', async () => {
    const user = await makeUser(gw.database);
    const stale = () =>
      insertKey(gw.database, user.id, { lastUsed: new Date(Date.now() - DAY), expiresAt: new Date(Date.now() + DAY) });
    const [v4, v6] = [await stale(), await stale()];
    await gw.gql(ME, {}, v4.token, '::ffff:192.0.2.7');
    await gw.gql(ME, {}, v6.token, '2001:db8::7');
    expect((await storedKey(gw.database, v4.id)).ipAddress).toBe('192.0.2.7');
    expect((await storedKey(gw.database, v6.id)).ipAddress).toBe('2001:db8::7');
  });

  it('ignores X-Forwarded-For from a peer that is not a trusted proxy, and takes it from one that is', async () => {
    const user = await makeUser(proxied.database);
    const stale = () =>
      insertKey(proxied.database, user.id, {
        lastUsed: new Date(Date.now() - DAY),
        expiresAt: new Date(Date.now() + DAY),
      });
    const [direct, viaProxy] = [await stale(), await stale()];
    const forwarded = (token: string) => ({ 'coder-session-token': token, 'x-forwarded-for': '203.0.113.9, 10.1.1.1' });
    await proxied.gql(ME, {}, forwarded(direct.token), '198.51.100.4');
    await proxied.gql(ME, {}, forwarded(viaProxy.token), '10.1.2.3');
    expect((await storedKey(proxied.database, direct.id)).ipAddress).toBe('198.51.100.4');
    expect((await storedKey(proxied.database, viaProxy.id)).ipAddress).toBe('203.0.113.9');
    // The default gateway trusts no proxy at all.
    const other = await insertKey(gw.database, (await makeUser(gw.database)).id, {
      lastUsed: new Date(Date.now() - DAY),
      expiresAt: new Date(Date.now() + DAY),
    });
    await gw.gql(ME, {}, forwarded(other.token), '10.1.2.3');
    expect((await storedKey(gw.database, other.id)).ipAddress).toBe('10.1.2.3');
  });

  it("records the socket's peer over real HTTP", async () => {
    const user = await makeUser(gw.database);
    const key = await insertKey(gw.database, user.id, {
      lastUsed: new Date(Date.now() - DAY),
      expiresAt: new Date(Date.now() + DAY),
    });
    const server = await serveOverHttp(gw.database);
    try {
      const response = await fetch(`http://127.0.0.1:${server.port}/graphql`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', 'coder-session-token': key.token },
        body: JSON.stringify({ query: sourceOf(ME) }),
      });
      expect(await response.json()).toEqual({ data: { me: { id: user.id } } });
    } finally {
      await server.close();
    }
    expect((await storedKey(gw.database, key.id)).ipAddress).toBe('127.0.0.1');
  });

  describe('with the session cache (SESSION_CACHE_MS)', () => {
    it('slides once: the cached row carries the slide, so later requests neither repeat nor undo it', async () => {
      const user = await makeUser(cached.database);
      const key = await insertKey(cached.database, user.id, {
        lastUsed: new Date(),
        expiresAt: new Date(Date.now() + 1500),
      });
      expect(await keyWrites(cached, () => cached.gql(ME, {}, key.token))).toBe(1);
      const slid = (await storedKey(cached.database, key.id)).expiresAt;
      expect(slid.getTime()).toBeGreaterThan(Date.now() + 23.9 * HOUR);
      // Past the key's original expiry: the cached row must not still hold it.
      await new Promise((resolve) => setTimeout(resolve, 1600));
      const writes = await keyWrites(cached, async () => {
        const answers = await Promise.all([1, 2, 3].map(() => cached.gql(ME, {}, key.token)));
        for (const answer of answers) expect(answer).toEqual({ data: { me: { id: user.id } } });
      });
      expect(writes).toBe(0);
      expect((await storedKey(cached.database, key.id)).expiresAt).toEqual(slid);
    });

    it('refreshes last_used once for concurrent requests sharing the cached row', async () => {
      const user = await makeUser(cached.database);
      const key = await insertKey(cached.database, user.id, {
        lastUsed: new Date(Date.now() - DAY),
        expiresAt: new Date(Date.now() + DAY),
      });
      const writes = await keyWrites(cached, () =>
        Promise.all([1, 2, 3, 4].map(() => cached.gql(ME, {}, key.token, '192.0.2.1'))),
      );
      expect(writes).toBe(1);
      expect((await storedKey(cached.database, key.id)).ipAddress).toBe('192.0.2.1');
    });
  });
});

// TestAPIKey/UserLinkNotFound and its OAuth neighbours. Coder's schema has
// `user_links`; ours does not (no OIDC logins), so these run on a database
// given a minimal copy of Coder's table (coderd/database/dump.sql).
describe.each(DATABASE_KINDS)('GitHub and OIDC keys on %s', (kind) => {
  let gw: TestGateway;
  let plain: TestGateway;
  beforeAll(async () => {
    [gw, plain] = await Promise.all([startTestGateway(kind), startTestGateway(kind)]);
    await gw.database.prisma.$executeRawUnsafe(`
      CREATE TABLE user_links (
        user_id uuid NOT NULL REFERENCES users(id) ON DELETE CASCADE,
        login_type login_type NOT NULL,
        linked_id text DEFAULT ''::text NOT NULL,
        oauth_access_token text DEFAULT ''::text NOT NULL,
        oauth_refresh_token text DEFAULT ''::text NOT NULL,
        oauth_expiry timestamp with time zone DEFAULT '0001-01-01 00:00:00+00'::timestamp with time zone NOT NULL,
        oauth_access_token_key_id text,
        oauth_refresh_token_key_id text,
        claims jsonb DEFAULT '{}'::jsonb NOT NULL,
        PRIMARY KEY (user_id, login_type))`);
  });
  afterAll(() => Promise.all([gw, plain].map((g) => g?.close())));

  const link = (userId: string, loginType: string, oauthExpiry?: Date) =>
    gw.database.prisma.$executeRawUnsafe(
      `INSERT INTO user_links (user_id, login_type, oauth_expiry) VALUES ($1::uuid, $2::login_type, coalesce($3::timestamptz, '0001-01-01 00:00:00+00'))`,
      userId,
      loginType,
      oauthExpiry ?? null,
    );
  const githubKey = (db: Database, userId: string, loginType: 'github' | 'oidc' = 'github') =>
    insertKey(db, userId, { lastUsed: new Date(), expiresAt: new Date(Date.now() + DAY), loginType });

  it('TestAPIKey/UserLinkNotFound: a github key whose user has no github link is refused', async () => {
    const user = await makeUser(gw.database);
    const key = await githubKey(gw.database, user.id);
    const refused = await gw.gql(ME, {}, key.token);
    expect(errorCode(refused)).toBe('UNAUTHENTICATED');
    expect(refused.errors?.[0]?.message).toMatch(/re-authenticate with the login provider/);
  });

  it('refuses an oidc key whose user is linked to GitHub only: the link must be of the key’s login type', async () => {
    const user = await makeUser(gw.database);
    await link(user.id, 'github');
    const key = await githubKey(gw.database, user.id, 'oidc');
    expect(errorCode(await gw.gql(ME, {}, key.token))).toBe('UNAUTHENTICATED');
  });

  it('TestAPIKey/OAuthNotExpired: with its link (no expiry, or a future one) the key works', async () => {
    const [github, oidc] = [await makeUser(gw.database), await makeUser(gw.database)];
    await link(github.id, 'github');
    await link(oidc.id, 'oidc', new Date(Date.now() + HOUR));
    expect(await gw.gql(ME, {}, (await githubKey(gw.database, github.id)).token)).toEqual({
      data: { me: { id: github.id } },
    });
    expect(await gw.gql(ME, {}, (await githubKey(gw.database, oidc.id, 'oidc')).token)).toEqual({
      data: { me: { id: oidc.id } },
    });
  });

  it('TestAPIKey/OAuthExpiredNoRefresh: a link whose provider token has expired is refused (the gateway cannot refresh it)', async () => {
    const user = await makeUser(gw.database);
    await link(user.id, 'oidc', new Date(Date.now() - HOUR));
    const key = await githubKey(gw.database, user.id, 'oidc');
    const refused = await gw.gql(ME, {}, key.token);
    expect(errorCode(refused)).toBe('UNAUTHENTICATED');
    expect(refused.errors?.[0]?.message).toMatch(/OpenID Connect session expired at .*sign in to Coder again/);
  });

  it('does not look for links of password and token keys', async () => {
    const user = await makeUser(gw.database);
    expect(await gw.gql(ME, {}, user.token)).toEqual({ data: { me: { id: user.id } } });
  });

  it('accepts github keys on a database without user_links (our own schema has no such logins)', async () => {
    const user = await makeUser(plain.database);
    const key = await githubKey(plain.database, user.id);
    expect(await plain.gql(ME, {}, key.token)).toEqual({ data: { me: { id: user.id } } });
  });
});

// Coder's ExtractAPIKey checks an OAuth2 provider-app key's token against the
// server it is used at (RFC 8707, validateOAuth2ProviderAppTokenAudience): a
// token an app obtained for one resource server is refused by any other. Our
// schema has no `oauth2_provider_app_tokens`, so these run on a database given
// the columns of Coder's table that matter here.
describe.each(DATABASE_KINDS)('OAuth2 provider-app keys on %s', (kind) => {
  let gw: TestGateway;
  let behindProxy: TestGateway;
  let plain: TestGateway;
  beforeAll(async () => {
    [gw, plain] = await Promise.all([startTestGateway(kind), startTestGateway(kind)]);
    // The same database, served under the public URL of a proxy in front (ACCESS_URL).
    behindProxy = testGatewayOn(kind, gw.database, { accessUrl: 'https://Members.Example.com:443/' });
    await gw.database.prisma.$executeRawUnsafe(`
      CREATE TABLE oauth2_provider_app_tokens (
        id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
        api_key_id text NOT NULL REFERENCES api_keys(id) ON DELETE CASCADE,
        audience text,
        user_id uuid NOT NULL)`);
  });
  afterAll(() => Promise.all([gw, plain].map((g) => g?.close())));

  /** An app's key for a new user, with its token row bound to `audience` (none: no token row at all). */
  async function appKey(db: Database, audience?: string | null): Promise<{ userId: string; token: string }> {
    const user = await makeUser(db);
    const key = await insertKey(db, user.id, {
      lastUsed: new Date(),
      expiresAt: new Date(Date.now() + DAY),
      loginType: 'oauth2_provider_app',
    });
    if (audience !== undefined) {
      await db.prisma.$executeRawUnsafe(
        'INSERT INTO oauth2_provider_app_tokens (api_key_id, audience, user_id) VALUES ($1, $2, $3::uuid)',
        key.id,
        audience,
        user.id,
      );
    }
    return { userId: user.id, token: key.token };
  }

  it('accepts a token bound to ACCESS_URL, in any spelling of it', async () => {
    for (const audience of [
      'https://members.example.com',
      'HTTPS://Members.Example.com:443/',
      'https://members.example.com/./',
    ]) {
      const { userId, token } = await appKey(gw.database, audience);
      expect(await behindProxy.gql(ME, {}, token), audience).toEqual({ data: { me: { id: userId } } });
    }
  });

  it('accepts a token bound to no audience, as Coder does', async () => {
    for (const audience of [null, '']) {
      const { userId, token } = await appKey(gw.database, audience);
      expect(await gw.gql(ME, {}, token)).toEqual({ data: { me: { id: userId } } });
    }
  });

  it('refuses, FORBIDDEN, a token bound to another server, and a key with no token row', async () => {
    for (const audience of [
      'https://coder.example.com',
      'http://members.example.com',
      'https://members.example.com/api',
      undefined,
    ]) {
      const { token } = await appKey(gw.database, audience);
      const refused = await behindProxy.gql(ME, {}, token);
      expect(errorCode(refused), String(audience)).toBe('FORBIDDEN');
      expect(refused.errors?.[0]?.message).toBe('Token audience validation failed.');
    }
  });

  it('without ACCESS_URL, refuses every token bound to an audience: the Host a request names is the client’s to choose', async () => {
    for (const audience of ['http://gateway.test', 'https://members.example.com']) {
      const { token } = await appKey(gw.database, audience);
      expect(errorCode(await gw.gql(ME, {}, token)), audience).toBe('FORBIDDEN');
    }
  });

  it('refuses every app key on a database without the table (our own schema issues no such tokens)', async () => {
    const { token } = await appKey(plain.database);
    expect(errorCode(await plain.gql(ME, {}, token))).toBe('FORBIDDEN');
  });
});
