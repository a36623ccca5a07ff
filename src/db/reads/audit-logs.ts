// Pages of an organization's audit entries about its members and custom
// roles (Organization.auditLogs), newest first, by keyset: an entry's place
// is its (time, id), so a page does not shift as new entries arrive. One
// statement finds every page a request asks for, whatever the number of
// organizations and the page sizes.
import type { Sql } from '../sql.js';

/** The entries a page holds without `first` or `last`, and the most it may hold. */
export const AUDIT_DEFAULT_PAGE = 50;
export const AUDIT_MAX_PAGE = 1000;

/** Where an entry stands in the order: its time (UTC, microseconds, as text) and id. */
export interface AuditPosition {
  time: string;
  id: string;
}

export interface AuditPageRequest {
  organizationId: string;
  /** Only entries of this resource type; null for both. */
  resourceType: 'organization_member' | 'custom_role' | null;
  /** Only membership entries about this user, by id or (case-insensitively) by username. */
  userId: string | null;
  username: string | null;
  /** Entries older than `after` and newer than `before`. */
  after: AuditPosition | null;
  before: AuditPosition | null;
  /** How many entries, counted from the newest (forward) or from the oldest (backward) end of that range. */
  take: number;
  backward: boolean;
  /** Whether its entries carry their diff and additional fields (the selection asks for them); else `{}`. */
  details: boolean;
}

export interface AuditLogRow {
  id: string;
  /** UTC, microseconds: the position's time, exactly. */
  time: string;
  /** The user who made the change. */
  actorId: string;
  /** Their username now; null if the user is gone. */
  actorUsername: string | null;
  organizationId: string;
  ip: string | null;
  userAgent: string | null;
  resourceType: string;
  resourceId: string;
  resourceTarget: string;
  action: string;
  diff: Record<string, unknown>;
  statusCode: number;
  additionalFields: Record<string, unknown>;
  requestId: string;
}

export interface AuditPage {
  /** Newest first. */
  rows: AuditLogRow[];
  /** Whether the range holds entries beyond `take` (older ones forward, newer ones backward). */
  more: boolean;
}

/** An entry as the statement returns it: an array, which PostgreSQL builds and the gateway parses for less. */
type EntryTuple = [
  id: string,
  time: string,
  actorId: string,
  actorUsername: string | null,
  organizationId: string,
  ip: string | null,
  userAgent: string | null,
  resourceType: string,
  resourceId: string,
  resourceTarget: string,
  action: string,
  diff: Record<string, unknown>,
  statusCode: number,
  additionalFields: Record<string, unknown>,
  requestId: string,
];

/**
 * Coder's `audit_action` values at the version this gateway follows, every one (the gateway writes create, write
 * and delete). An entry of an action a later Coder adds is left out, as entries of other resource types are: the
 * API's enum could not name it.
 */
export const AUDIT_ACTIONS = [
  'create',
  'write',
  'delete',
  'start',
  'stop',
  'login',
  'logout',
  'register',
  'request_password_reset',
  'connect',
  'disconnect',
  'open',
  'close',
] as const;

/**
 * Which entries of the page's organization it reads (`a`, per page `p`). Each optional condition is a CASE rather than `p.x IS NULL OR …`: PostgreSQL
 * estimates an IS NULL on a parameter it cannot see as rare, and five of them made it expect about one entry for an
 * organization of 20,000, so it read and sorted all of them (on disk) for every page, 50 to 670 ms, instead of
 * walking the (organization_id, time, id) index for the page, 2 ms (2026-12-08, 400,000 entries).
 */
const ENTRIES = `
  a.organization_id = p.organization_id
  AND a.resource_type IN ('organization_member', 'custom_role')
  AND a.action::text IN (${AUDIT_ACTIONS.map((action) => `'${action}'`).join(', ')})
  AND CASE WHEN p.resource_type IS NULL THEN true ELSE a.resource_type::text = p.resource_type END
  AND CASE WHEN p.user_id IS NULL THEN true
        ELSE a.resource_type = 'organization_member' AND a.resource_id = p.user_id END
  AND CASE WHEN p.username IS NULL THEN true
        ELSE a.resource_type = 'organization_member' AND a.resource_id =
          (SELECT u.id FROM users u WHERE lower(u.username) = lower(p.username) AND NOT u.deleted) END
  AND CASE WHEN p.after_time IS NULL THEN true ELSE (a."time", a.id) < (p.after_time, p.after_id) END
  AND CASE WHEN p.before_time IS NULL THEN true ELSE (a."time", a.id) > (p.before_time, p.before_id) END`;

/**
 * What a request's pages may carry of entries' `diff` and `additional_fields`, counted as JSON text, over all its
 * statements (aliases, levels). Each entry's are stored as written (by Coder too), and a custom role's display name
 * may be any length: 280 updates of a role named with a megabyte made one page of 1.1 GB, past what the driver can
 * take in one value, and the process ended. Past this a page stops early and says that more follow, as a shorter
 * page may, but never before its first entry: a page with no entry and more to come would give its reader no
 * cursor to go on from.
 */
export const AUDIT_BYTES_PER_REQUEST = 16 * 1024 * 1024;

/**
 * Per page, the `take` entries nearest the end it counts from: forward, the
 * newest, walking the gateway's index on (organization_id, time DESC, id DESC);
 * backward, the oldest, walking it the other way. Only one of the two
 * branches reads anything for a page. The caller asks for one more than it
 * shows, to learn whether more follow. Entries are kept, page by page from
 * that end, while those before them hold less than $11 bytes (see
 * AUDIT_BYTES_PER_REQUEST); `cut` says a page lost some, `bytes` what it kept.
 */
const PAGES_STATEMENT = `
  SELECT k.page, coalesce(json_agg(json_build_array(k.id,
      to_char(k."time" AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"'), k.user_id, k.username,
      k.organization_id, host(k.ip), k.user_agent, k.resource_type, k.resource_id, k.resource_target, k.action,
      CASE WHEN k.details THEN k.diff ELSE '{}' END, k.status_code,
      CASE WHEN k.details THEN k.additional_fields ELSE '{}' END, k.request_id) ORDER BY k."time" DESC, k.id DESC)
      FILTER (WHERE k.kept), '[]'::json) AS entries,
    bool_or(NOT k.kept) AS cut, coalesce(sum(k.bytes) FILTER (WHERE k.kept), 0)::float8 AS bytes
  FROM (
    SELECT s.*, s.n = 1 OR sum(s.bytes) OVER w - s.bytes < $11 AS kept
    FROM (
      SELECT p.page, p.details, l.*, u.username,
        CASE WHEN p.details THEN octet_length(l.diff::text) + octet_length(l.additional_fields::text) ELSE 0 END AS bytes
      FROM unnest($1::uuid[], $2::text[], $3::uuid[], $4::text[], $5::timestamptz[], $6::uuid[], $7::timestamptz[],
                  $8::uuid[], $9::int[], $10::boolean[], $12::boolean[])
        WITH ORDINALITY AS p(organization_id, resource_type, user_id, username, after_time, after_id, before_time,
                             before_id, take, backward, details, page)
      CROSS JOIN LATERAL (
        (SELECT a.*, row_number() OVER (ORDER BY a."time" DESC, a.id DESC) AS n
          FROM audit_logs a WHERE NOT p.backward AND ${ENTRIES}
          ORDER BY a."time" DESC, a.id DESC LIMIT p.take)
        UNION ALL
        (SELECT a.*, row_number() OVER (ORDER BY a."time" ASC, a.id ASC) AS n
          FROM audit_logs a WHERE p.backward AND ${ENTRIES}
          ORDER BY a."time" ASC, a.id ASC LIMIT p.take)
      ) l
      LEFT JOIN users u ON u.id = l.user_id
    ) s
    WINDOW w AS (ORDER BY s.page, s.n)
  ) k
  GROUP BY k.page`;

/**
 * The pages `requests` ask for, in order, each holding at most `take - 1` rows (the last one tells `more`), and
 * carrying about `budget` bytes of diffs at most; `bytes`: what they carry.
 */
export async function findAuditPages(
  sql: Sql,
  requests: readonly AuditPageRequest[],
  budget: number,
): Promise<{ pages: AuditPage[]; bytes: number }> {
  const column = <T>(pick: (r: AuditPageRequest) => T) => requests.map(pick);
  const found = await sql.query<{
    page: number | string | bigint;
    entries: EntryTuple[];
    cut: boolean;
    bytes: number;
  }>(PAGES_STATEMENT, [
    column((r) => r.organizationId),
    column((r) => r.resourceType),
    column((r) => r.userId),
    column((r) => r.username),
    column((r) => r.after?.time ?? null),
    column((r) => r.after?.id ?? null),
    column((r) => r.before?.time ?? null),
    column((r) => r.before?.id ?? null),
    column((r) => r.take),
    column((r) => r.backward),
    budget,
    column((r) => r.details),
  ]);
  const pages: AuditPage[] = requests.map(() => ({ rows: [], more: false }));
  let bytes = 0;
  for (const { page, entries, cut, bytes: carried } of found) {
    bytes += Number(carried);
    const request = requests[Number(page) - 1]!;
    const shown = request.take - 1;
    // Cut short by size, a page is its entries, and more follow; else the extra entry tells.
    const more = cut || entries.length > shown;
    // Newest first: forward, the extra entry is the oldest; backward, the newest.
    const kept = cut || !more ? entries : request.backward ? entries.slice(1) : entries.slice(0, shown);
    pages[Number(page) - 1] = { rows: kept.map(fromTuple), more };
  }
  return { pages, bytes };
}

function fromTuple([
  id,
  time,
  actorId,
  actorUsername,
  organizationId,
  ip,
  userAgent,
  resourceType,
  resourceId,
  resourceTarget,
  action,
  diff,
  statusCode,
  additionalFields,
  requestId,
]: EntryTuple): AuditLogRow {
  return {
    id,
    time,
    actorId,
    actorUsername,
    organizationId,
    ip,
    userAgent,
    resourceType,
    resourceId,
    resourceTarget,
    action,
    // As Coder's GET /audit reads them: a stored value that is no JSON object (an older or foreign row's) is `{}`
    // for that entry, not an error for the page.
    diff: asObject(diff),
    statusCode,
    additionalFields: asObject(additionalFields),
    requestId,
  };
}

const asObject = (value: unknown): Record<string, unknown> =>
  typeof value === 'object' && value !== null && !Array.isArray(value) ? (value as Record<string, unknown>) : {};
