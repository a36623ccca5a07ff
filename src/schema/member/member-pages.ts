// Pages of an organization's members in Coder's order (lower-cased username),
// for every list of members the API serves. Prisma cannot order by
// lower(username), so one SQL statement finds the page of every organization
// a request asks for, with each member's own data; only a selection that needs
// more (the member's organization, the whole user) costs a Prisma query for
// those rows.
import { queryFromInfo } from '@pothos/plugin-prisma';
import DataLoader from 'dataloader';
import type { GraphQLResolveInfo } from 'graphql';
import type { RequestContext } from '../../context.js';
import type { OrganizationMember, Prisma, User } from '../../generated/prisma/client.js';
import { organizationCustomRolesJson, type StoredCustomRole } from '../../db/custom-roles.js';
import { statementPerForm, type Condition } from '../organization/lookup.js';
import { customRoles } from '../role/role.js';
import { selectsFieldBelow } from '../shared/selection.js';

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

export interface PageRequest {
  organizationId: string;
  /** Restricts the list to this user's row (a caller who may read only its own membership). */
  onlyUserId: string | null;
  window: MemberWindow;
  /** Count the whole list too. Counting reads every member, so it is done only when asked. */
  withTotal: boolean;
}

/** The user data every member carries: OrganizationMember's type-level include. */
export const withUserData = {
  user: { select: { username: true, name: true, email: true, avatarUrl: true, rbacRoles: true } },
} as const;

/** A member row as the OrganizationMember type loads it, with its user's data. */
export type MemberRow = OrganizationMember & {
  user: Pick<User, 'username' | 'name' | 'email' | 'avatarUrl' | 'rbacRoles'>;
};

export interface MemberPage {
  /** Members in the (restricted) list, ignoring the window; null unless asked for. */
  total: number | null;
  /** Index of `rows[0]` in the ordered list. */
  start: number;
  rows: MemberRow[];
  /** Whether the list goes on after the last row. */
  hasMore: boolean;
}

export type MemberQuery = Omit<Prisma.OrganizationMemberFindManyArgs, 'where' | 'orderBy' | 'skip' | 'take' | 'cursor'>;

/** What a list of members is asked for. */
export interface MemberSelection {
  /** The Prisma query planned from the GraphQL selection. */
  query: MemberQuery;
  /** Whether anything below reads a timestamp; pages leave them out otherwise. */
  withTimes: boolean;
}

/** The selection of the members under `path` (default: the field itself). */
export function memberSelection(ctx: RequestContext, info: GraphQLResolveInfo, path?: string[]): MemberSelection {
  return {
    query: queryFromInfo({ context: ctx, info, ...(path ? { path } : {}) }),
    withTimes: selectsFieldBelow(info, ['createdAt', 'updatedAt']),
  };
}

interface PageRow {
  // bigint columns: pg gives strings, PGlite numbers or bigints; read with Number().
  page: bigint | number | string;
  /** Null only from pageOfReferenceStatement, when no organization matched. */
  organization_id: string | null;
  total: number | null;
  // bigint: the window is computed in bigint, as skip + first can pass 2^31 - 1.
  start: bigint | number | string;
  stop: bigint | number | string | null;
  /** The window's members and one more, if any, in list order, with their own data. */
  members: OwnDataTuple[];
  /** The page's organization's custom roles, for the members' role names. */
  custom_roles: StoredCustomRole[];
}

/**
 * A member's own data as the page statement returns it: an array rather than
 * an object, which PostgreSQL builds and the gateway parses for less (no key
 * per value), in this order. Timestamps are epoch milliseconds, or null when
 * the selection reads none: the driver's parser for timestamp text was the
 * largest single cost of a 1,000-member answer (8% of its CPU, in a profile),
 * where `new Date(ms)` costs next to nothing.
 */
type OwnDataTuple = [
  userId: string,
  roles: string[],
  username: string,
  name: string,
  email: string,
  avatarUrl: string,
  rbacRoles: string[],
  createdMs: number | null,
  updatedMs: number | null,
];

/**
 * One statement for all pages. Per page: the total (only when asked), then the
 * window's bounds, then its rows plus one, which tells whether more follow.
 * `last` without `before` needs the total, so it is counted then too.
 * LEAST and GREATEST ignore NULLs: an absent bound is no bound. Bounds are
 * bigint, since offset plus page size may pass the largest Int.
 *
 * Why it is shaped so (PostgreSQL, 20,000 users, 5,000 in one organization):
 * - rows: walking the unique index on lower(username) and probing the
 *   membership's primary key stops after the page, where joining every member
 *   to its user and sorting costs a lookup per member (0.4 ms against 15 ms
 *   for a page of 50);
 * - total: members counted from the primary key alone, less those whose user
 *   is deleted or a system user (few, found once per statement through the
 *   gateway's own partial index, see its migration), instead of a user lookup
 *   per member (1 ms against 8 ms; the index takes 1.2 ms more off).
 */
const pagesStatement = (pages: string) => `
    WITH hidden AS MATERIALIZED (SELECT id FROM users WHERE deleted OR is_system)
    SELECT p.page, p.organization_id, t.total, w.start, w.stop, m.members,
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
      SELECT CASE WHEN p.last IS NULL THEN p.skip ELSE GREATEST(p.skip, s.stop - p.last) END AS start, s.stop
    ) w
    CROSS JOIN LATERAL (
      -- One JSON array per page: parsing it natively costs the gateway a third
      -- of what the driver's per-column parsers cost for the same rows.
      SELECT coalesce(json_agg(l.member ORDER BY l.sort_key), '[]'::json) AS members FROM (
        SELECT json_build_array(u.id, om.roles, u.username, u.name, u.email, u.avatar_url, u.rbac_roles,
            CASE WHEN p.with_times THEN floor(extract(epoch FROM om.created_at) * 1000)::float8 END,
            CASE WHEN p.with_times THEN floor(extract(epoch FROM om.updated_at) * 1000)::float8 END) AS member,
          -- lower(username) is unique among live users, so it orders them completely.
          lower(u.username) AS sort_key
        FROM users u JOIN organization_members om ON om.organization_id = p.organization_id AND om.user_id = u.id
        WHERE NOT u.deleted AND NOT u.is_system AND (p.only_user IS NULL OR u.id = p.only_user)
        ORDER BY lower(u.username)
        OFFSET w.start LIMIT CASE WHEN w.stop IS NULL THEN NULL ELSE GREATEST(w.stop - w.start, 0) + 1 END
      ) l
    ) m`;

/** What each source of pages gives, in order: the statement reads these. */
const PAGE_COLUMNS = 'p(organization_id, only_user, skip, before, first, last, with_total, with_times, page)';

/** Every page a batch asks for, one per element of the parameter arrays. */
const PAGES_STATEMENT = pagesStatement(`
    unnest($1::uuid[], $2::uuid[], $3::bigint[], $4::bigint[], $5::bigint[], $6::bigint[], $7::boolean[], $8::boolean[])
      WITH ORDINALITY AS ${PAGE_COLUMNS}`);

/**
 * The one page of the organization that `organization` ($1) finds; if it
 * finds none, a row with no organization. Written as the batch is, through
 * unnest(), so that the planner sees neither the organization nor the page
 * size and walks the username index as it does for a batch: shown the
 * organization, it reckoned on thousands of members, joined them all and
 * sorted them (26 ms in place of 2 for (a) of npm run bench).
 */
const pageOfReferenceStatement = statementPerForm((organization: Condition) =>
  pagesStatement(`
    unnest(ARRAY(SELECT o.id FROM organizations o WHERE ${organization.sql('o', 1)}), ARRAY[NULL::uuid],
      ARRAY[$2::bigint], ARRAY[$3::bigint], ARRAY[$4::bigint], ARRAY[$5::bigint], ARRAY[$6::boolean], ARRAY[$7::boolean])
      WITH ORDINALITY AS ${PAGE_COLUMNS}`),
);

/** `last` without `before` counts back from the end, so it needs the total too. */
const countsTotal = ({ withTotal, window }: Pick<PageRequest, 'withTotal' | 'window'>) =>
  withTotal || (window.last !== null && window.before === null);

function findPages(ctx: RequestContext, withTimes: boolean, requests: readonly PageRequest[]): Promise<PageRow[]> {
  const column = <T>(pick: (r: PageRequest) => T) => requests.map(pick);
  return ctx.sql.query<PageRow>(PAGES_STATEMENT, [
    column((r) => r.organizationId),
    column((r) => r.onlyUserId),
    column((r) => r.window.skip),
    column((r) => r.window.before),
    column((r) => r.window.first),
    column((r) => r.window.last),
    column(countsTotal),
    column(() => withTimes),
  ]);
}

async function loadPages(
  ctx: RequestContext,
  selection: MemberSelection,
  requests: readonly PageRequest[],
): Promise<MemberPage[]> {
  return pagesFromRows(ctx, selection.query, requests, await findPages(ctx, selection.withTimes, requests));
}

/** The statement's rows, one per page in any order, made into the pages `requests` asked for. */
async function pagesFromRows(
  ctx: RequestContext,
  query: MemberQuery,
  requests: readonly PageRequest[],
  rows: PageRow[],
): Promise<MemberPage[]> {
  const pages: { total: number | null; start: number; stop: number | null; members: MemberRow[] }[] = [];
  const roles = ctx.perRequest(customRoles);
  for (const row of rows) {
    const { organizationId } = requests[Number(row.page) - 1]!;
    roles.remember(organizationId, row.custom_roles);
    pages[Number(row.page) - 1] = {
      total: row.total,
      start: Number(row.start),
      stop: row.stop === null ? null : Number(row.stop),
      members: row.members.map((member) => memberFromTuple(organizationId, member)),
    };
  }
  const windows = pages.map((page) => {
    const size = page.stop === null ? page.members.length : Math.max(page.stop - page.start, 0);
    return { members: page.members.slice(0, size), hasMore: page.members.length > size };
  });
  // A selection that needs more than the member's own data (its organization,
  // all of its user) is loaded by Prisma, with the query planned for it.
  const loaded = isOwnData(query)
    ? undefined
    : await loadSelection(
        ctx,
        query,
        windows.flatMap((w) => w.members),
      );

  return windows.map(({ members, hasMore }, i) => ({
    total: pages[i]!.total,
    start: pages[i]!.start,
    hasMore,
    // A member removed between the two statements is left out rather than failing the page.
    rows: loaded ? members.flatMap((m) => loaded.get(`${m.organizationId}/${m.userId}`) ?? []) : members,
  }));
}

/**
 * Stands for a timestamp the page left out, since nothing selected reads it.
 * Invalid, so that a read nobody foresaw fails loudly (the DateTime scalar
 * refuses it) rather than answering a wrong date.
 */
const TIME_NOT_LOADED = new Date(Number.NaN);

function memberFromTuple(
  organizationId: string,
  [userId, roles, username, name, email, avatarUrl, rbacRoles, createdMs, updatedMs]: OwnDataTuple,
): MemberRow {
  return {
    organizationId,
    userId,
    roles,
    createdAt: createdMs === null ? TIME_NOT_LOADED : new Date(createdMs),
    updatedAt: updatedMs === null ? TIME_NOT_LOADED : new Date(updatedMs),
    user: { username, name, email, avatarUrl, rbacRoles },
  };
}

/** Whether the planned query asks for nothing beyond what the page statement returns. */
export function isOwnData(query: MemberQuery): boolean {
  return JSON.stringify(query) === OWN_DATA_QUERY;
}
const OWN_DATA_QUERY = JSON.stringify({ include: withUserData });

async function loadSelection(
  ctx: RequestContext,
  query: MemberQuery,
  members: MemberRow[],
): Promise<Map<string, MemberRow>> {
  const byOrganization = new Map<string, string[]>();
  for (const m of members) {
    const userIds = byOrganization.get(m.organizationId);
    if (userIds) userIds.push(m.userId);
    else byOrganization.set(m.organizationId, [m.userId]);
  }
  const rows = byOrganization.size
    ? await ctx.prisma.organizationMember.findMany({
        ...withKeys(query),
        where: {
          OR: [...byOrganization].map(([organizationId, userIds]) => ({ organizationId, userId: { in: userIds } })),
        },
      })
    : [];
  return new Map((rows as MemberRow[]).map((m) => [`${m.organizationId}/${m.userId}`, m]));
}

/** The rows must carry their key, whatever the GraphQL selection asked for. */
function withKeys(query: MemberQuery): MemberQuery {
  return query.select ? { ...query, select: { ...query.select, organizationId: true, userId: true } } : query;
}

const loaders = () => new Map<string, DataLoader<PageRequest, MemberPage, string>>();

/**
 * Loads one page; pages requested in the same tick with the same selection
 * (20 organizations' `members`, say) share one batch.
 */
export function loadMemberPage(
  ctx: RequestContext,
  selection: MemberSelection,
  request: PageRequest,
): Promise<MemberPage> {
  const bySelection = ctx.perRequest(loaders);
  const selectionKey = JSON.stringify(selection);
  let loader = bySelection.get(selectionKey);
  if (!loader) {
    loader = new DataLoader((requests) => loadPages(ctx, selection, requests), {
      cacheKeyFn: (r) => JSON.stringify(r),
    });
    bySelection.set(selectionKey, loader);
  }
  return loader.load(request);
}

/**
 * One page of the organization an argument names, found in the same
 * statement as its members: one statement where finding the organization
 * first costs two. Undefined if the argument names no organization. Whether
 * the caller may see the organization and its members is not decided here:
 * the caller of this function must check before answering.
 */
export async function loadMemberPageOf(
  ctx: RequestContext,
  { query, withTimes }: MemberSelection,
  organization: Condition,
  { window, withTotal }: Pick<PageRequest, 'window' | 'withTotal'>,
): Promise<(MemberPage & { organizationId: string }) | undefined> {
  const rows = await ctx.sql.query<PageRow>(pageOfReferenceStatement(organization), [
    organization.value,
    window.skip,
    window.before,
    window.first,
    window.last,
    countsTotal({ window, withTotal }),
    withTimes,
  ]);
  const organizationId = rows[0]?.organization_id;
  if (!organizationId) return undefined;
  const [page] = await pagesFromRows(ctx, query, [{ organizationId, onlyUserId: null, window, withTotal }], rows);
  return { ...page!, organizationId };
}

export const WHOLE_LIST: MemberWindow = { skip: 0, before: null, first: null, last: null };
