// What authenticating a session token reads: the key with its user and all
// that authorization will ask about the user, and the user's login link.
import type { ApiKeyScope } from '../../rbac/index.js';
import { customRoleJson, type StoredCustomRole } from './custom-roles.js';
import type { Sql } from '../sql.js';

export interface KeyRow {
  hashed_secret: Uint8Array;
  scope: ApiKeyScope;
  login_type: string;
  lifetime_seconds: number;
  expires_at: Date;
  last_used: Date;
  user_id: string;
  username: string;
  last_seen_at: Date;
  status: 'active' | 'dormant' | 'suspended';
  deleted: boolean;
  rbac_roles: string[];
  memberships: { organizationId: string; roles: string[] }[];
  /** The custom roles the user holds (site-wide, and in its organizations), as stored but for display names (''). */
  custom_roles: StoredCustomRole[];
  /**
   * The user's login link for the key's login type, once looked up (github
   * and oidc keys only): null if there is none. Kept with the row, so that a
   * cached row is not looked up again.
   */
  user_link?: UserLink | null;
  /**
   * An OAuth2 provider-app key's token, once looked up (those keys only): null if there is none, or if the
   * database has no `oauth2_provider_app_tokens` table.
   */
  app_token?: { audience: string | null } | null;
}

/**
 * The key, its user, and everything authorization will ask about the user, in
 * one statement: every authenticated request pays it, so it is one round trip
 * and not four. Of custom roles, only those the user holds, without their
 * display names: what an organization's admins store there is read by every
 * member's every request, before the secret is even checked. Found from the
 * user's memberships, not by a test of every role of the site (an `OR EXISTS`
 * ran its subquery per role: 143-156 ms on 40,000 roles; joined, 0.1-0.6 ms
 * on 20,000). `users.last_seen_at` is a timestamp without time zone, kept in
 * UTC (as Coder and Prisma write it); read bare, the drivers would take it for
 * the gateway's local time.
 */
const KEY_STATEMENT = `
    SELECT k.hashed_secret, k.scope::text AS scope, k.login_type::text AS login_type,
      k.lifetime_seconds::float8 AS lifetime_seconds, k.expires_at, k.last_used,
      u.id AS user_id, u.username, u.last_seen_at AT TIME ZONE 'UTC' AS last_seen_at, u.status::text AS status, u.deleted, u.rbac_roles,
      (SELECT coalesce(json_agg(json_build_object('organizationId', m.organization_id, 'roles', m.roles)), '[]'::json)
         FROM organization_members m WHERE m.user_id = u.id) AS memberships,
      (SELECT coalesce(json_agg(held.role), '[]'::json) FROM (
         SELECT ${customRoleJson('c', { displayName: false })} AS role
           FROM custom_roles c WHERE c.organization_id IS NULL AND c.name = ANY(u.rbac_roles)
         UNION ALL
         SELECT ${customRoleJson('c', { displayName: false })}
           FROM organization_members m
           JOIN custom_roles c ON c.organization_id = m.organization_id AND c.name = ANY(m.roles)
           WHERE m.user_id = u.id) held) AS custom_roles
    FROM api_keys k JOIN users u ON u.id = k.user_id
    WHERE k.id = $1`;

export async function findKey(sql: Sql, id: string): Promise<KeyRow | undefined> {
  return (await sql.query<KeyRow>(KEY_STATEMENT, [id]))[0];
}

export interface UserLink {
  /** When the provider's token expires; null when it does not (Coder stores its zero time, year 1, for that). */
  oauthExpiry: Date | null;
}

/** Which of Coder's tables the database has, asked once per database and table (our own schema has neither). */
const tablesPresent = new WeakMap<Sql, Map<string, Promise<boolean>>>();

function hasTable(sql: Sql, table: 'user_links' | 'oauth2_provider_app_tokens'): Promise<boolean> {
  let tables = tablesPresent.get(sql);
  if (!tables) tablesPresent.set(sql, (tables = new Map()));
  let present = tables.get(table);
  if (!present) {
    present = sql
      .query<{ present: boolean }>(`SELECT to_regclass($1) IS NOT NULL AS present`, [table])
      .then(([row]) => row?.present === true);
    // A failed check is asked again next time rather than remembered.
    present.catch(() => tables.delete(table));
    tables.set(table, present);
  }
  return present;
}

/**
 * The user's link for an external login type (github, oidc): null if there
 * is none, undefined if the database has no `user_links` table at all.
 */
export async function findUserLink(sql: Sql, userId: string, loginType: string): Promise<UserLink | null | undefined> {
  if (!(await hasTable(sql, 'user_links'))) return undefined;
  // As epoch milliseconds: the drivers' date parsers read Coder's zero time (year 1) as 2001.
  const [row] = await sql.query<{ expiry_ms: number | null }>(
    `SELECT CASE WHEN l.oauth_expiry > '0001-01-01 00:00:00+00' THEN floor(extract(epoch FROM l.oauth_expiry) * 1000) END::float8 AS expiry_ms
     FROM user_links l WHERE l.user_id = $1::uuid AND l.login_type::text = $2`,
    [userId, loginType],
  );
  return row ? { oauthExpiry: row.expiry_ms === null ? null : new Date(row.expiry_ms) } : null;
}

/** An OAuth2 provider-app key's token: null if there is none, or if the database has no such table. */
export async function findAppToken(sql: Sql, keyId: string): Promise<{ audience: string | null } | null> {
  if (!(await hasTable(sql, 'oauth2_provider_app_tokens'))) return null;
  const [row] = await sql.query<{ audience: string | null }>(
    'SELECT t.audience FROM oauth2_provider_app_tokens t WHERE t.api_key_id = $1',
    [keyId],
  );
  return row ?? null;
}
