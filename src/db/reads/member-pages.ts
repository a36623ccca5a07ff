// Pages of organizations' members in Coder's order (lower-cased username), for
// every list of members the API serves: one statement for every page a
// request asks for, each member with its user's row.
import type { OrganizationRef } from '../references.js';
import type { Sql } from '../sql.js';
import { organizationCustomRolesJson, type StoredCustomRole } from './custom-roles.js';
import { organizationByRefLateral } from './organizations.js';
import {
  MEMBER_COLUMNS,
  MEMBER_TUPLE,
  memberTupleOf,
  ORGANIZATION_TUPLE,
  memberFromTuple,
  organizationFromTuple,
  type MemberRow,
  type MemberTuple,
  type OrganizationRow,
  type OrganizationTuple,
} from './rows.js';

/**
 * Which rows, by 0-based index in the ordered list: those from `skip` up to
 * (not including) `before`, then the first `first` or the last `last` of them.
 */
export interface MemberWindow {
  skip: number;
  before: number | null;
  first: number | null;
  last: number | null;
}

export const WHOLE_LIST: MemberWindow = { skip: 0, before: null, first: null, last: null };

export interface PageRequest {
  organizationId: string;
  /** Restricts the list to this user's row (a caller who may read only its own membership). */
  onlyUserId: string | null;
  window: MemberWindow;
  /** Count the whole list too. Counting reads every member, so it is done only when asked. */
  withTotal: boolean;
}

export interface MemberPage {
  /** Members in the (restricted) list, ignoring the window; null unless asked for. */
  total: number | null;
  /** Index of `rows[0]` in the ordered list. */
  start: number;
  rows: MemberRow[];
  /** Whether the list goes on after the last row. */
  hasMore: boolean;
  /** The organization's custom roles, read with the page (for the members' role names). */
  customRoles: StoredCustomRole[];
}

interface PageRow {
  // bigint columns: pg gives strings, PGlite numbers or bigints; read with Number().
  page: bigint | number | string;
  /** Null only from the reference form, when the reference names no organization. */
  organization_id: string | null;
  /** The organization's row: in the reference form only. */
  organization: OrganizationTuple | null;
  total: number | null;
  // bigint: the window is computed in bigint, as skip + first can pass 2^31 - 1.
  start: bigint | number | string;
  stop: bigint | number | string | null;
  /** The window's members and one more, if any, in list order. */
  members: MemberTuple[];
  custom_roles: StoredCustomRole[];
}

/**
 * What the walk pays per user read, as a share of what the sort pays per
 * member (a membership, its user by primary key, its place in the sort):
 * measured on PostgreSQL 15 with 20,000 users.
 */
const WALK_STEP = 0.4;

/** The sort's subquery names each column `<table>_<column>`, for memberTupleOf. */
const SORTED_COLUMNS = Object.entries(MEMBER_COLUMNS)
  .flatMap(([table, columns]) => columns.map((column) => `${table}.${column} AS ${table}_${column}`))
  .join(', ');

/**
 * Per page: the total (only when asked), then the window's bounds, then its
 * rows plus one, which tells whether more follow. `last` needs the total
 * (see countsTotal), so it is counted then too. LEAST and GREATEST ignore NULLs:
 * an absent bound is no bound. Bounds are bigint, since offset plus page size
 * may pass the largest Int.
 *
 * Rows come one of two ways (docs/performance.md has the measurements):
 * - walk: Coder's unique index on lower(username), probing each user's
 *   membership, stops after the page. It reads about stop × users ÷ members
 *   users, so it suits an early page of an organization that holds a good
 *   share of the site;
 * - sort: the organization's memberships, each joined to its user, sorted.
 *   It reads every member once, so it suits a whole list, a late page, a
 *   small organization on a large site, and a caller restricted to its own
 *   row.
 * With the total counted, the cheaper way is known (WALK_STEP). Otherwise a
 * window that ends is walked first, over at most 2 × sqrt(stop × users ÷
 * WALK_STEP) users (users: the planner's estimate, or the table's size before
 * any ANALYZE), and sorted if that budget is the whole site; a walk that finds
 * the page, or reaches the last user, is the answer, and one that runs out of
 * budget is sorted instead. A sort then costs what it would have plus a walk
 * within a small factor of it, and a walk that finds its page costs no count.
 *
 * The total counts members from the primary key alone, less those whose user
 * is deleted or a system user (few, found once per statement through the
 * gateway's own partial index), instead of a user lookup per member.
 */
const pagesStatement = (pages: string, organizationColumn: string) => `
    WITH hidden AS MATERIALIZED (SELECT id FROM users WHERE deleted OR is_system),
      site AS MATERIALIZED (
        SELECT CASE WHEN reltuples >= 0 THEN reltuples ELSE pg_relation_size(oid) / 300 END::float8 AS users
        FROM pg_class WHERE oid = 'users'::regclass)
    SELECT p.page, p.organization_id, ${organizationColumn} AS organization, t.total, w.start, w.stop,
      CASE WHEN k.walked THEN walk.members ELSE sorted.members END AS members,
      ${organizationCustomRolesJson('p.organization_id')} AS custom_roles
    FROM ${pages}
    CROSS JOIN LATERAL (
      -- CASE, not WHERE: the planner may hoist a WHERE and count anyway.
      SELECT CASE WHEN p.with_total THEN
          ((SELECT count(*) FROM organization_members om
            WHERE om.organization_id = p.organization_id AND (p.only_user IS NULL OR om.user_id = p.only_user))
         - (SELECT count(*) FROM organization_members om JOIN hidden h ON h.id = om.user_id
            WHERE om.organization_id = p.organization_id AND (p.only_user IS NULL OR om.user_id = p.only_user)))::int
        END AS total
      OFFSET 0 -- a fence: without it the planner inlines the counts into every use of total
    ) t
    CROSS JOIN LATERAL (SELECT LEAST(p.before, t.total, p.skip + p.first) AS stop) s
    CROSS JOIN LATERAL (
      SELECT CASE WHEN p.last IS NULL THEN p.skip ELSE GREATEST(p.skip, s.stop - p.last) END AS start, s.stop,
        -- The window's rows plus one, which tells whether more follow.
        CASE WHEN s.stop IS NULL THEN NULL
          ELSE GREATEST(s.stop - CASE WHEN p.last IS NULL THEN p.skip ELSE GREATEST(p.skip, s.stop - p.last) END, 0) + 1
        END AS wanted
    ) w
    CROSS JOIN LATERAL (
      -- How many users the walk may read; NULL: sort at once.
      SELECT CASE
        WHEN w.stop IS NULL OR p.only_user IS NOT NULL THEN NULL
        -- Counted: walk only if it reads fewer users than the sort reads members.
        WHEN t.total IS NOT NULL THEN
          CASE WHEN ${WALK_STEP} * (w.stop + 1) * site.users < t.total::float8 * t.total THEN 9223372036854775807 END
        -- A budget of the whole site (a page as large as a list) is a sort's work at best.
        WHEN 2 * sqrt((w.stop + 1) * site.users / ${WALK_STEP}) >= site.users THEN NULL
        ELSE ceil(2 * sqrt((w.stop + 1) * site.users / ${WALK_STEP}))::bigint
      END AS budget
      FROM site
    ) b
    CROSS JOIN LATERAL (
      SELECT count(*) AS found, coalesce(json_agg(l.member ORDER BY l.sort_key), '[]'::json) AS members FROM (
        SELECT ${MEMBER_TUPLE('om', 'u')} AS member,
          -- lower(username) is unique among live users, so it orders them completely.
          u.sort_key
        FROM (SELECT ${MEMBER_COLUMNS.u.map((column) => `u.${column}`).join(', ')}, lower(u.username) AS sort_key FROM users u
              WHERE b.budget IS NOT NULL AND NOT u.deleted AND NOT u.is_system
              ORDER BY lower(u.username) LIMIT b.budget) u
        CROSS JOIN LATERAL (
          -- LIMIT 1 keeps this a probe per user: the planner walks users in order and stops after the page.
          SELECT om.roles, om.created_at, om.updated_at FROM organization_members om
          WHERE om.organization_id = p.organization_id AND om.user_id = u.id LIMIT 1
        ) om
        ORDER BY u.sort_key
        OFFSET w.start LIMIT w.wanted
      ) l
    ) walk
    CROSS JOIN LATERAL (
      -- The walk is the answer if it found the page, or all the rows there are (counted, or every user read).
      SELECT CASE
        WHEN b.budget IS NULL THEN false
        WHEN walk.found >= w.wanted THEN true
        WHEN t.total IS NOT NULL THEN w.start + walk.found >= t.total
        ELSE (SELECT count(*) FROM (SELECT FROM users u WHERE NOT u.deleted AND NOT u.is_system LIMIT b.budget) e)
          < b.budget
      END AS walked
      OFFSET 0 -- a fence: evaluated once
    ) k
    CROSS JOIN LATERAL (
      -- Sorted on the key alone, the tuples built for the window only (a late page skips the rest).
      SELECT coalesce(json_agg(r.member ORDER BY r.sort_key), '[]'::json) AS members FROM (
        SELECT ${memberTupleOf((table, column) => `r.${table}_${column}`)} AS member, r.sort_key FROM (
          SELECT ${SORTED_COLUMNS}, lower(u.username) AS sort_key
          FROM organization_members om JOIN users u ON u.id = om.user_id
          WHERE NOT k.walked AND om.organization_id = p.organization_id AND NOT u.deleted AND NOT u.is_system
            AND (p.only_user IS NULL OR om.user_id = p.only_user)
          OFFSET 0 -- a fence: sorted here, not walked through the username index
        ) r
        ORDER BY r.sort_key
        OFFSET w.start LIMIT w.wanted
      ) r
    ) sorted`;

const PAGE_COLUMNS = 'p(organization_id, only_user, skip, before, first, last, with_total, page)';

/** Every page a batch asks for, one per element of the parameter arrays. */
const PAGES = pagesStatement(
  `unnest($1::uuid[], $2::uuid[], $3::bigint[], $4::bigint[], $5::bigint[], $6::bigint[], $7::boolean[])
      WITH ORDINALITY AS ${PAGE_COLUMNS}`,
  'NULL::json',
);

/**
 * The one page of the organization a reference ($1-$3) names, found in the
 * same statement; if it names none, a row with no organization. Written as the
 * batch is, through unnest(), so that the planner sees neither the
 * organization nor the page size and walks the username index as it does for
 * a batch: shown the organization, it reckoned on thousands of members, joined
 * them all and sorted them.
 */
const PAGE_OF_REFERENCE = pagesStatement(
  `unnest(
      ARRAY(SELECT o.id FROM (SELECT $1::uuid AS org_id, $2::text AS org_name, $3::boolean AS org_default) r
            CROSS JOIN LATERAL (${organizationByRefLateral('r')}) o),
      ARRAY[NULL::uuid], ARRAY[$4::bigint], ARRAY[$5::bigint], ARRAY[$6::bigint], ARRAY[$7::bigint], ARRAY[$8::boolean])
      WITH ORDINALITY AS ${PAGE_COLUMNS}`,
  `(SELECT ${ORGANIZATION_TUPLE('o')} FROM organizations o WHERE o.id = p.organization_id)`,
);

/**
 * `last` counts back from the window's end, which is the list's end when
 * `before` is absent or lies past it (a cursor kept while members left), so
 * it needs the total too.
 */
const countsTotal = ({ withTotal, window }: Pick<PageRequest, 'withTotal' | 'window'>) =>
  withTotal || window.last !== null;

/** The pages `requests` ask for, in the same order. */
export async function memberPages(sql: Sql, requests: readonly PageRequest[]): Promise<MemberPage[]> {
  const column = <T>(pick: (r: PageRequest) => T) => requests.map(pick);
  const rows = await sql.query<PageRow>(PAGES, [
    column((r) => r.organizationId),
    column((r) => r.onlyUserId),
    column((r) => r.window.skip),
    column((r) => r.window.before),
    column((r) => r.window.first),
    column((r) => r.window.last),
    column(countsTotal),
  ]);
  const pages: MemberPage[] = [];
  for (const row of rows) {
    const index = Number(row.page) - 1;
    pages[index] = pageFromRow(requests[index]!.organizationId, row);
  }
  return pages;
}

/**
 * The page of the organization a reference names, with the organization, in
 * one statement where finding the organization first costs two; undefined if
 * the reference names none. Whether the caller may see the organization and
 * its members is the caller's to decide before answering.
 */
export async function memberPageOf(
  sql: Sql,
  organization: OrganizationRef,
  { window, withTotal }: Pick<PageRequest, 'window' | 'withTotal'>,
): Promise<(MemberPage & { organization: OrganizationRow }) | undefined> {
  const [row] = await sql.query<PageRow>(PAGE_OF_REFERENCE, [
    'id' in organization ? organization.id : null,
    'name' in organization ? organization.name : null,
    'isDefault' in organization,
    window.skip,
    window.before,
    window.first,
    window.last,
    countsTotal({ window, withTotal }),
  ]);
  if (!row?.organization_id || !row.organization) return undefined;
  return { ...pageFromRow(row.organization_id, row), organization: organizationFromTuple(row.organization) };
}

function pageFromRow(organizationId: string, row: PageRow): MemberPage {
  const start = Number(row.start);
  const stop = row.stop === null ? null : Number(row.stop);
  const size = stop === null ? row.members.length : Math.max(stop - start, 0);
  return {
    total: row.total,
    start,
    rows: row.members.slice(0, size).map((member) => memberFromTuple(organizationId, member)),
    hasMore: row.members.length > size,
    customRoles: row.custom_roles,
  };
}
