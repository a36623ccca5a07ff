// Pages of organizations' members in Coder's order (lower-cased username), for
// every list of members the API serves: one statement for every page a
// request asks for, each member with its user's row.
import { nextTurn } from '../../execution/turns.js';
import type { OrganizationRef } from '../references.js';
import type { Sql } from '../sql.js';
import { organizationCustomRolesJson, type StoredCustomRole } from './custom-roles.js';
import { organizationByRefLateral, organizationRefParameters } from './organizations.js';
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

/**
 * The window of a page read for its total alone: `last: 0` holds no member whatever the rest, and the statement
 * then reads none (the walk would otherwise look for one, through the whole site for an empty organization).
 */
export const NO_ROWS: MemberWindow = { skip: 0, before: null, first: 0, last: 0 };

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

/**
 * A page's members come in rows of at most this many, each part as JSON text. As one JSON value, a list of 5,000
 * members was parsed and converted in one stretch of tens of milliseconds, in which the serving thread answers no
 * one else; parsed by the driver, parts would still be one stretch, as a socket's waiting bytes are read in one
 * go. As text the driver only decodes them, and each part is parsed and converted on a turn of its own
 * (execution/turns.ts).
 */
export const MEMBERS_PER_PART = 250;

/** One part of a page: the page's own columns are on every part, its custom roles on the first only. */
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
  /** Which part of the window's members and one more (if any) this row holds, in list order; null for none. */
  part: number | null;
  /** How many members this part holds. */
  size: number | null;
  /** Its members as JSON text: an array of MemberTuple. */
  members: string | null;
  /** On the first part (or the only row of an empty window). */
  custom_roles: StoredCustomRole[] | null;
}

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
 * Rows come one of two ways, a statement each (docs/performance.md has the
 * measurements); `strategyOf` picks one per page:
 * - walk: Coder's unique index on lower(username), probing each user's
 *   membership, stops after the page. It reads about stop × users ÷ members
 *   users: a page with an end, early in the list of an organization that
 *   holds a good share of the site;
 * - walk back: the same index from its end, for `last` counted from the
 *   list's end (no `first`, no `before`): about last × users ÷ members users;
 * - sort: the organization's memberships, each joined to its user, sorted.
 *   It reads every member once: a window with no end (a whole list, an
 *   offset without a limit), where a walk would read the whole site, a
 *   `last` past the walk's reach, and a caller restricted to its own row.
 *
 * The total counts members from the primary key alone, less those whose user
 * is deleted or a system user (few, found once per statement through the
 * gateway's own partial index), instead of a user lookup per member.
 */
export type PageStrategy = 'walk' | 'walkBack' | 'sort';

/**
 * The walk's reach: a window that ends past this many members is sorted. A walk reads about stop × users ÷ members
 * users, so a deep window (an offset or cursor of thousands, or past the end) would read much of the site, where
 * sorting reads each member once.
 */
const WALK_AT_MOST = 1_000;

/**
 * The walk back's reach, in members from the end. Shorter than the walk's: a page counted from the end is
 * walked from wherever the organization's last members sit among the site's users (`last: 500` of an
 * organization of 1,000 among 20,000 users: 40 ms walked back against 23 sorted; `last: 50`: 8 either way).
 */
const WALK_BACK_AT_MOST = 100;

/** How a page is read (see pagesStatement). */
export function strategyOf({ onlyUserId, window }: Pick<PageRequest, 'onlyUserId' | 'window'>): PageStrategy {
  if (onlyUserId !== null) return 'sort';
  // Counted back from the list's end: the last members are the first of the walk back (a sort of 5,000 for
  // `last: 50` took 30 ms, the walk back 0.5).
  if (window.last !== null && window.first === null && window.before === null)
    return window.last <= WALK_BACK_AT_MOST ? 'walkBack' : 'sort';
  const ends = [window.before, window.first === null ? null : window.skip + window.first];
  const stop = Math.min(...ends.map((end) => end ?? Number.POSITIVE_INFINITY));
  return stop <= WALK_AT_MOST ? 'walk' : 'sort';
}

/** The window's rows plus one, which tells whether more follow. */
const WINDOW = 'OFFSET w.start LIMIT CASE WHEN w.stop IS NULL THEN NULL ELSE GREATEST(w.stop - w.start, 0) + 1 END';

const MEMBERS: Record<PageStrategy, string> = {
  walk: `
        SELECT ${MEMBER_TUPLE('om', 'u')} AS member,
          -- lower(username) is unique among live users, so it orders them completely.
          lower(u.username) AS sort_key
        FROM users u JOIN organization_members om ON om.organization_id = p.organization_id AND om.user_id = u.id
        -- The only_user test is always true here (a restricted caller's page is sorted), but the planner's
        -- estimate with it is what keeps this plan a walk of the username index rather than a join and a sort.
        WHERE NOT u.deleted AND NOT u.is_system AND (p.only_user IS NULL OR u.id = p.only_user)
          AND p.last IS DISTINCT FROM 0 -- a window of no member reads none (NO_ROWS)
        ORDER BY lower(u.username)
        ${WINDOW}`,
  // From the list's end (the window ends there: `stop` is the total), exactly the window's rows.
  walkBack: `
        SELECT ${MEMBER_TUPLE('om', 'u')} AS member, lower(u.username) AS sort_key
        FROM users u JOIN organization_members om ON om.organization_id = p.organization_id AND om.user_id = u.id
        WHERE NOT u.deleted AND NOT u.is_system AND (p.only_user IS NULL OR u.id = p.only_user)
        ORDER BY lower(u.username) DESC
        LIMIT GREATEST(w.stop - w.start, 0)`,
  // Sorted on the key alone, the tuples built for the window only (`last` and an offset skip the rest): built
  // above the window's LIMIT, as PostgreSQL builds a cheap expression before the sort, for every row it sorts
  // (5,000 tuples for `last: 50`: 30 ms of a 47 ms statement).
  sort: `
        SELECT ${memberTupleOf((table, column) => `r.${table}_${column}`)} AS member, r.sort_key FROM (
          SELECT s.* FROM (
            SELECT ${SORTED_COLUMNS}, lower(u.username) AS sort_key
            FROM organization_members om JOIN users u ON u.id = om.user_id
            WHERE om.organization_id = p.organization_id AND NOT u.deleted AND NOT u.is_system
              AND (p.only_user IS NULL OR om.user_id = p.only_user) AND p.last IS DISTINCT FROM 0
            OFFSET 0 -- a fence: sorted here, not walked through the username index
          ) s
          ORDER BY s.sort_key
          ${WINDOW}
        ) r`,
};

const pagesStatement = (pages: string, organizationColumn: string, strategy: PageStrategy) => `
    WITH hidden AS MATERIALIZED (SELECT id FROM users WHERE deleted OR is_system)
    SELECT p.page, p.organization_id, ${organizationColumn} AS organization, t.total, w.start, w.stop,
      m.part, m.size, m.members,
      CASE WHEN coalesce(m.part, 0) = 0 THEN ${organizationCustomRolesJson('p.organization_id')} END AS custom_roles
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
      SELECT CASE WHEN p.last IS NULL THEN p.skip ELSE GREATEST(p.skip, s.stop - p.last) END AS start, s.stop
    ) w
    LEFT JOIN LATERAL (
      SELECT n.part, count(*)::int AS size, json_agg(n.member ORDER BY n.sort_key)::text AS members FROM (
        SELECT l.member, l.sort_key, ((row_number() OVER (ORDER BY l.sort_key) - 1) / ${MEMBERS_PER_PART})::int AS part
        FROM (${MEMBERS[strategy]}
        ) l
      ) n
      GROUP BY n.part
    ) m ON true`;

const PAGE_COLUMNS = 'p(organization_id, only_user, skip, before, first, last, with_total, page)';

/** A statement for each way of reading a page. */
const eachStrategy = (statement: (strategy: PageStrategy) => string): Record<PageStrategy, string> => ({
  walk: statement('walk'),
  walkBack: statement('walkBack'),
  sort: statement('sort'),
});

/** Every page a batch asks for, one per element of the parameter arrays. */
const PAGES = eachStrategy((strategy) =>
  pagesStatement(
    `unnest($1::uuid[], $2::uuid[], $3::bigint[], $4::bigint[], $5::bigint[], $6::bigint[], $7::boolean[])
      WITH ORDINALITY AS ${PAGE_COLUMNS}`,
    'NULL::json',
    strategy,
  ),
);

/**
 * The pages of the organizations references name, each found in the same
 * statement; a reference that names none has a row with no organization.
 * Written as the batch is, the organizations found in an array that unnest()
 * reads, so that the planner sees neither the organization nor the page size
 * and walks the username index as it does for a batch: shown the
 * organization (a join, 2026-12-07: 21–25 ms a page of 100 against 4–5), it
 * reckoned on thousands of members, joined them all and sorted them.
 */
const PAGES_OF_REFERENCES = eachStrategy((strategy) =>
  pagesStatement(
    `unnest(
      ARRAY(SELECT (SELECT o.id FROM (${organizationByRefLateral('r')}) o LIMIT 1)
            FROM unnest($1::uuid[], $2::text[], $3::boolean[]) WITH ORDINALITY AS r(org_id, org_name, org_default, ord)
            ORDER BY r.ord),
      array_fill(NULL::uuid, ARRAY[cardinality($1::uuid[])]), $4::bigint[], $5::bigint[], $6::bigint[], $7::bigint[],
      $8::boolean[])
      WITH ORDINALITY AS ${PAGE_COLUMNS}`,
    `(SELECT ${ORGANIZATION_TUPLE('o')} FROM organizations o WHERE o.id = p.organization_id)`,
    strategy,
  ),
);

/**
 * `last` counts back from the window's end, which is the list's end when
 * `before` is absent or lies past it (a cursor kept while members left), so
 * it needs the total too.
 */
const countsTotal = ({ withTotal, window }: Pick<PageRequest, 'withTotal' | 'window'>) =>
  withTotal || window.last !== null;

/** The pages `requests` ask for, in the same order: one statement per way of reading them that the batch needs. */
export async function memberPages(sql: Sql, requests: readonly PageRequest[]): Promise<MemberPage[]> {
  const pages: MemberPage[] = new Array(requests.length);
  await Promise.all(
    [...indexesByStrategy(requests, strategyOf)].map(async ([strategy, indexes]) => {
      const batch = indexes.map((i) => requests[i]!);
      const rows = await sql.query<PageRow>(PAGES[strategy], [
        batch.map((r) => r.organizationId),
        batch.map((r) => r.onlyUserId),
        ...windowColumns(batch),
      ]);
      for (const [page, parts] of partsByPage(rows)) {
        const index = indexes[page - 1]!;
        pages[index] = await pageFromParts(requests[index]!.organizationId, parts);
      }
    }),
  );
  return pages;
}

/** A page of every member of the organization a reference names. */
export interface PageOfReference extends Pick<PageRequest, 'window' | 'withTotal'> {
  organization: OrganizationRef;
}

/**
 * The pages references ask for, each with its organization, in the same order (undefined for a reference that
 * names no organization): one statement per way of reading them that the batch needs, where finding the
 * organizations first costs another. Whether the caller may see an organization and its members is the caller's
 * to decide before answering.
 */
export async function memberPagesOf(
  sql: Sql,
  requests: readonly PageOfReference[],
): Promise<((MemberPage & { organization: OrganizationRow }) | undefined)[]> {
  // Filled, not sparse: DataLoader takes an array with a hole at its end for no array at all.
  const pages: ((MemberPage & { organization: OrganizationRow }) | undefined)[] = requests.map(() => undefined);
  await Promise.all(
    [...indexesByStrategy(requests, ({ window }) => strategyOf({ onlyUserId: null, window }))].map(
      async ([strategy, indexes]) => {
        const batch = indexes.map((i) => requests[i]!);
        const rows = await sql.query<PageRow>(PAGES_OF_REFERENCES[strategy], [
          ...organizationRefParameters(batch.map((r) => r.organization)),
          ...windowColumns(batch),
        ]);
        for (const [page, parts] of partsByPage(rows)) {
          const first = parts[0]!;
          if (!first.organization_id || !first.organization) continue;
          pages[indexes[page - 1]!] = {
            ...(await pageFromParts(first.organization_id, parts)),
            organization: organizationFromTuple(first.organization),
          };
        }
      },
    ),
  );
  return pages;
}

/** The indexes of `requests` by the way each is read: a statement for each. */
function indexesByStrategy<R>(requests: readonly R[], strategy: (request: R) => PageStrategy) {
  const byStrategy = new Map<PageStrategy, number[]>();
  for (const [index, request] of requests.entries()) {
    const indexes = byStrategy.get(strategy(request));
    if (indexes) indexes.push(index);
    else byStrategy.set(strategy(request), [index]);
  }
  return byStrategy;
}

/** A batch's windows as the parameter arrays its statement's unnest() reads after the organizations. */
const windowColumns = (batch: readonly Pick<PageRequest, 'window' | 'withTotal'>[]) => [
  batch.map((r) => r.window.skip),
  batch.map((r) => r.window.before),
  batch.map((r) => r.window.first),
  batch.map((r) => r.window.last),
  batch.map(countsTotal),
];

const sortedParts = (parts: PageRow[]) => parts.sort((a, b) => (a.part ?? 0) - (b.part ?? 0));

/** A batch's rows by page number (1-based, as the statement numbers them), each page's parts in order. */
function partsByPage(rows: readonly PageRow[]): Map<number, PageRow[]> {
  const byPage = new Map<number, PageRow[]>();
  for (const row of rows) {
    const page = Number(row.page);
    const parts = byPage.get(page);
    if (parts) parts.push(row);
    else byPage.set(page, [row]);
  }
  for (const parts of byPage.values()) sortedParts(parts);
  return byPage;
}

/** A page from its parts, in order: each part after the first is converted on a turn of its own. */
async function pageFromParts(organizationId: string, parts: readonly PageRow[]): Promise<MemberPage> {
  const first = parts[0]!;
  const start = Number(first.start);
  const stop = first.stop === null ? null : Number(first.stop);
  let read = 0;
  for (const part of parts) read += part.size ?? 0;
  const size = stop === null ? read : Math.max(stop - start, 0);
  const rows: MemberRow[] = [];
  for (const part of parts) {
    if (rows.length === size) break;
    if (rows.length > 0) await nextTurn();
    for (const member of JSON.parse(part.members ?? '[]') as MemberTuple[]) {
      if (rows.length === size) break;
      rows.push(memberFromTuple(organizationId, member));
    }
  }
  return { total: first.total, start, rows, hasMore: read > size, customRoles: first.custom_roles ?? [] };
}
