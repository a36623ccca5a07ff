// Session-token authentication as Coder does it (SPEC B.2).
import { parse as parseCookies } from 'cookie';
import type { DataAccess } from '../db/database.js';
import type { StoredCustomRole } from '../db/reads/custom-roles.js';
import { findAppToken, findKey, findUserLink, type KeyRow } from '../db/reads/sessions.js';
import type { Sql } from '../db/sql.js';
import { activateDormantUser, recordKeyUse, recordUserSeen, type KeyUse } from '../db/writes/sessions.js';
import { type ApiError, forbidden, unauthenticated } from '../errors.js';
import type { ApiKeyScope } from '../rbac/index.js';
import { appTokenAudienceProblem } from './audience.js';
import type { SessionCache } from './session-cache.js';
import { parseToken, secretMatches } from './tokens.js';

export const SESSION_COOKIE = 'coder_session_token';
export const SESSION_HEADER = 'Coder-Session-Token';
/** Coder refreshes a key's `last_used` and its user's `last_seen_at` at most this often, to spare writes. */
const HOUR_MS = 60 * 60 * 1000;

export type { KeyRow };

/** What authorization needs of the caller: its site roles and, per organization, its stored roles. */
export interface CallerRoles {
  memberships: { organizationId: string; roles: string[] }[];
  /** The custom roles the caller holds, site-wide and in its organizations, as stored but for display names. */
  customRoles: StoredCustomRole[];
}

export interface Session {
  apiKeyId: string;
  /** What the key may be used for at all (SPEC B.1); authorization applies it. */
  scope: ApiKeyScope;
  user: { id: string; rbacRoles: string[] };
  roles: CallerRoles;
}

/** A refusal is UNAUTHENTICATED, or FORBIDDEN for a token that is valid but not meant for this server. */
export type Authentication = { ok: true; session: Session } | { ok: false; reason: string; forbidden?: true };

/** Cookie first, then the Coder header, then `Authorization: Bearer`. */
export function sessionTokenFrom(headers: Headers): string | undefined {
  const cookie = headers.get('cookie');
  const fromCookie = cookie ? unquoted(parseCookies(cookie)[SESSION_COOKIE]) : undefined;
  if (fromCookie) return fromCookie;
  const fromHeader = headers.get(SESSION_HEADER);
  if (fromHeader) return fromHeader;
  const authorization = headers.get('authorization');
  const bearer = authorization && /^Bearer\s+(\S+)\s*$/i.exec(authorization);
  return bearer ? bearer[1] : undefined;
}

/** A cookie value in double quotes is the value inside them, as Go's `http.Request.Cookie` reads it for Coder. */
const unquoted = (value: string | undefined) =>
  value && value.length > 1 && value.startsWith('"') && value.endsWith('"') ? value.slice(1, -1) : value;

/**
 * Authenticates a request by its session token. With a `cache`, the key's row
 * may be reused for a short while (see session-cache.ts); every check below
 * still runs on each request, and what a request writes (a slide, a refreshed
 * last use) is written into the cached row too, so that a later request
 * neither repeats nor undoes it.
 */
export async function authenticate(
  { sql, prisma }: DataAccess,
  headers: Headers,
  {
    now = new Date(),
    cache,
    ip = null,
    expiryRefresh = true,
    audited = false,
    // No audience known (no ACCESS_URL, or outside a request): a token bound to any audience is refused.
    audience = () => '',
  }: AuthenticateOptions = {},
): Promise<Authentication> {
  const token = sessionTokenFrom(headers);
  if (!token) {
    return fail(
      `No session token provided: send the "${SESSION_COOKIE}" cookie, the "${SESSION_HEADER}" header or "Authorization: Bearer <token>".`,
    );
  }
  const parsed = parseToken(token);
  if (!parsed) return fail('Session token is malformed: expected "<10 character id>-<22 character secret>".');

  const find = () => findKey(sql, parsed.id);
  const key = cache ? await cache.get(parsed.id, find) : await find();
  // One message for an unknown id and a wrong secret, so ids cannot be probed.
  if (!key || !secretMatches(parsed.secret, key.hashed_secret)) return fail('API key is invalid.');
  if (key.expires_at.getTime() <= now.getTime()) return fail(`API key expired at ${key.expires_at.toISOString()}.`);
  const linkProblem = await checkLoginLink(sql, key, now);
  if (linkProblem) return fail(linkProblem);
  if (key.deleted) return fail('The user of this API key has been deleted.');
  if (key.login_type === 'oauth2_provider_app') {
    // Looked up once per key row (a cached row keeps it): null, no token, is an answer too.
    if (key.app_token === undefined) key.app_token = await findAppToken(sql, parsed.id);
    const problem = appTokenAudienceProblem(key.app_token, audience);
    if (problem) return { ok: false, reason: problem, forbidden: true };
  }

  // As Coder does, a suspended user's key is still recorded as used (its expiry slides) before it is refused.
  await recordUse(prisma, parsed.id, key, { now, ip, expiryRefresh, audited });
  if (key.status === 'suspended')
    return fail('User is not active (status = "suspended"). Contact an admin to reactivate your account.');
  return { ok: true, session: sessionOf(parsed.id, key) };
}

export interface AuthenticateOptions {
  now?: Date;
  cache?: SessionCache<KeyRow> | undefined;
  /** The client's address, recorded with the key's last use (null: unknown, recorded as 0.0.0.0 as Coder does). */
  ip?: string | null;
  /** Slide the key's expiry (Coder's default; its --disable-session-expiry-refresh turns it off). */
  expiryRefresh?: boolean;
  /** Record waking a dormant user in the audit trail, as Coder does. */
  audited?: boolean;
  /** The audience an OAuth2 provider-app token may be bound to: ACCESS_URL; '' for none. */
  audience?: () => string;
}

/** Keys of these login types need their user's link to that provider, as in Coder. */
const LINKED_LOGIN_TYPES: Record<string, string> = { github: 'GitHub', oidc: 'OpenID Connect' };

/**
 * Why a github or oidc key may not be used, if it may not: its user has no
 * link for that login, or the provider's token behind it has expired. Coder
 * refreshes an expired token with the provider; the gateway has no provider
 * configuration, so the user signs in to Coder again, which renews the link
 * (Coder with no provider configured refuses too). Databases without
 * `user_links` (our own schema) have no such logins to check.
 */
async function checkLoginLink(sql: Sql, key: KeyRow, now: Date): Promise<string | undefined> {
  const provider = LINKED_LOGIN_TYPES[key.login_type];
  if (!provider) return undefined;
  if (key.user_link === undefined) {
    const link = await findUserLink(sql, key.user_id, key.login_type);
    if (link === undefined) return undefined;
    key.user_link = link;
  }
  if (key.user_link === null) {
    return 'You are signed out or your session has expired: you must re-authenticate with the login provider (sign in to Coder again).';
  }
  const expiry = key.user_link.oauthExpiry;
  if (expiry && expiry.getTime() < now.getTime()) {
    return `${provider} session expired at ${expiry.toISOString()}: sign in to Coder again.`;
  }
  return undefined;
}

/**
 * As Coder's ExtractAPIKey: the key's last use (with the client's address) is
 * refreshed once it is over an hour old, and its expiry slides to now plus its
 * lifetime once less than the lifetime less an hour is left; the user is seen
 * (a dormant one woken).
 * The cached row takes the new values before the write, so that concurrent
 * requests sharing it do not write them again; they are put back if it fails.
 */
async function recordUse(
  prisma: DataAccess['prisma'],
  keyId: string,
  key: KeyRow,
  { now, ip, expiryRefresh, audited }: { now: Date; ip: string | null; expiryRefresh: boolean; audited: boolean },
): Promise<void> {
  const before = { last_used: key.last_used, expires_at: key.expires_at, status: key.status, seen: key.last_seen_at };
  const use: KeyUse = { lastUsed: key.last_used, expiresAt: key.expires_at };
  let keyChanged = false;
  if (now.getTime() - key.last_used.getTime() > HOUR_MS) {
    use.lastUsed = now;
    use.ipAddress = ip ?? '0.0.0.0';
    keyChanged = true;
  }
  const lifetimeMs = key.lifetime_seconds * 1000;
  if (expiryRefresh && key.expires_at.getTime() - now.getTime() <= lifetimeMs - HOUR_MS) {
    use.expiresAt = new Date(now.getTime() + lifetimeMs);
    keyChanged = true;
  }
  const userSeen = keyChanged || key.status === 'dormant' || now.getTime() - key.last_seen_at.getTime() >= HOUR_MS;
  if (!keyChanged && !userSeen) return;

  Object.assign(key, { last_used: use.lastUsed, expires_at: use.expiresAt });
  if (userSeen) Object.assign(key, { last_seen_at: now }, key.status === 'dormant' ? { status: 'active' } : {});
  try {
    await Promise.all([
      keyChanged ? recordKeyUse(prisma, keyId, use) : undefined,
      before.status === 'dormant'
        ? activateDormantUser(prisma, { id: key.user_id, username: key.username }, now, audited)
        : userSeen
          ? recordUserSeen(prisma, key.user_id, now)
          : undefined,
    ]);
  } catch (error) {
    Object.assign(key, { last_used: before.last_used, expires_at: before.expires_at });
    Object.assign(key, { status: before.status, last_seen_at: before.seen });
    throw error;
  }
}

/**
 * One Session per key row: while the row is cached, its requests share the
 * session, and with it the permissions built from it (src/access/gate.ts).
 */
const sessions = new WeakMap<KeyRow, Session>();

function sessionOf(apiKeyId: string, key: KeyRow): Session {
  let session = sessions.get(key);
  if (!session) {
    session = {
      apiKeyId,
      scope: key.scope,
      user: { id: key.user_id, rbacRoles: key.rbac_roles },
      roles: { memberships: key.memberships, customRoles: key.custom_roles },
    };
    sessions.set(key, session);
  }
  return session;
}

/** The error a refused authentication answers with. */
export function authenticationRefused(failure: { reason: string; forbidden?: true } | undefined): ApiError {
  if (failure?.forbidden) return forbidden(failure.reason);
  return unauthenticated(failure?.reason ?? 'You must be authenticated.');
}

function fail(reason: string): Authentication {
  return { ok: false, reason };
}
