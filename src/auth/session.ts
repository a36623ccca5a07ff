// Session-token authentication as Coder does it (SPEC B.2).
import { parse as parseCookies } from 'cookie';
import type { DataAccess } from '../db/database.js';
import { customRoleJson, type StoredCustomRole } from '../db/reads/custom-roles.js';
import type { Sql } from '../db/sql.js';
import type { ApiKeyScope } from '../rbac/index.js';
import type { SessionCache } from './session-cache.js';
import { parseToken, secretMatches } from './tokens.js';

export const SESSION_COOKIE = 'coder_session_token';
export const SESSION_HEADER = 'Coder-Session-Token';
/** Coder refreshes a key's `last_used` and its user's `last_seen_at` at most this often, to spare writes. */
const LAST_USED_REFRESH_MS = 60 * 60 * 1000;

/** What authorization needs of the caller: its site roles and, per organization, its stored roles. */
export interface CallerRoles {
  memberships: { organizationId: string; roles: string[] }[];
  /** Site-wide custom roles and those of the caller's organizations, as stored. */
  customRoles: StoredCustomRole[];
}

export interface Session {
  apiKeyId: string;
  /** What the key may be used for at all (SPEC B.1); authorization applies it. */
  scope: ApiKeyScope;
  user: { id: string; rbacRoles: string[] };
  roles: CallerRoles;
}

export type Authentication = { ok: true; session: Session } | { ok: false; reason: string };

/** Cookie first, then the Coder header, then `Authorization: Bearer`. */
export function sessionTokenFrom(headers: Headers): string | undefined {
  const cookie = headers.get('cookie');
  const fromCookie = cookie ? parseCookies(cookie)[SESSION_COOKIE] : undefined;
  if (fromCookie) return fromCookie;
  const fromHeader = headers.get(SESSION_HEADER);
  if (fromHeader) return fromHeader;
  const authorization = headers.get('authorization');
  const bearer = authorization && /^Bearer\s+(\S+)\s*$/i.exec(authorization);
  return bearer ? bearer[1] : undefined;
}

export interface KeyRow {
  hashed_secret: Uint8Array;
  scope: ApiKeyScope;
  expires_at: Date;
  last_used: Date;
  user_id: string;
  last_seen_at: Date;
  status: 'active' | 'dormant' | 'suspended';
  deleted: boolean;
  rbac_roles: string[];
  memberships: CallerRoles['memberships'];
  custom_roles: CallerRoles['customRoles'];
}

/**
 * The key, its user, and everything authorization will ask about the user, in
 * one statement: every authenticated request pays it, so it is one round trip
 * and not four. `users.last_seen_at` is a timestamp without time zone, kept in
 * UTC (as Coder and Prisma write it); read bare, the drivers would take it for
 * the gateway's local time.
 */
const KEY_STATEMENT = `
    SELECT k.hashed_secret, k.scope::text AS scope, k.expires_at, k.last_used, u.id AS user_id, u.last_seen_at AT TIME ZONE 'UTC' AS last_seen_at, u.status::text AS status, u.deleted, u.rbac_roles,
      (SELECT coalesce(json_agg(json_build_object('organizationId', m.organization_id, 'roles', m.roles)), '[]'::json)
         FROM organization_members m WHERE m.user_id = u.id) AS memberships,
      (SELECT coalesce(json_agg(${customRoleJson('c')}), '[]'::json)
         FROM custom_roles c
         WHERE c.organization_id IS NULL
            OR c.organization_id IN (SELECT m.organization_id FROM organization_members m WHERE m.user_id = u.id)) AS custom_roles
    FROM api_keys k JOIN users u ON u.id = k.user_id
    WHERE k.id = $1`;

const findKey = (sql: Sql, id: string) => sql.query<KeyRow>(KEY_STATEMENT, [id]);

/**
 * Authenticates a request by its session token. With a `cache`, the key's row
 * may be reused for a short while (see session-cache.ts); every check below
 * still runs on each request.
 */
export async function authenticate(
  { sql, prisma }: DataAccess,
  headers: Headers,
  { now = new Date(), cache }: { now?: Date; cache?: SessionCache<KeyRow> | undefined } = {},
): Promise<Authentication> {
  const token = sessionTokenFrom(headers);
  if (!token) {
    return fail(
      `No session token provided: send the "${SESSION_COOKIE}" cookie, the "${SESSION_HEADER}" header or "Authorization: Bearer <token>".`,
    );
  }
  const parsed = parseToken(token);
  if (!parsed) return fail('Session token is malformed: expected "<10 character id>-<22 character secret>".');

  const find = async () => (await findKey(sql, parsed.id))[0];
  const key = cache ? await cache.get(parsed.id, find) : await find();
  // One message for an unknown id and a wrong secret, so ids cannot be probed.
  if (!key || !secretMatches(parsed.secret, key.hashed_secret)) return fail('API key is invalid.');
  if (key.expires_at.getTime() <= now.getTime()) return fail(`API key expired at ${key.expires_at.toISOString()}.`);
  if (key.deleted) return fail('The user of this API key has been deleted.');
  if (key.status === 'suspended')
    return fail('User is not active (status = "suspended"). Contact an admin to reactivate your account.');

  const stale = (seen: Date) => now.getTime() - seen.getTime() >= LAST_USED_REFRESH_MS;
  // A dormant user becomes active; Coder's dormancy job reads last_seen_at.
  if (key.status === 'dormant' || stale(key.last_seen_at)) {
    await prisma.user.update({
      where: { id: key.user_id },
      data: { status: 'active', lastSeenAt: now, updatedAt: now },
    });
    // The row may be cached: record the write, so that the next request does not repeat it.
    Object.assign(key, { status: 'active', last_seen_at: now });
  }
  if (stale(key.last_used)) {
    await prisma.apiKey.update({ where: { id: parsed.id }, data: { lastUsed: now } });
    key.last_used = now;
  }
  return { ok: true, session: sessionOf(parsed.id, key) };
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

function fail(reason: string): Authentication {
  return { ok: false, reason };
}
