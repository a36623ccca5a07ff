// Pages of an organization's members in Coder's order (lower-cased username,
// then id), for every list of members the API serves. Prisma cannot order by
// lower(username), so one SQL statement finds the page of every organization
// a request asks for (with each one's total), and one Prisma query loads those
// rows with the selection the GraphQL query needs.
import DataLoader from 'dataloader';
import type { RequestContext } from '../../context.js';
import type { OrganizationMember, Prisma } from '../../generated/prisma/client.js';

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
}

export interface MemberPage {
  /** Members in the (restricted) list, ignoring the window. */
  total: number;
  /** Index of `rows[0]` in the ordered list. */
  start: number;
  rows: OrganizationMember[];
}

type MemberQuery = Omit<Prisma.OrganizationMemberFindManyArgs, 'where' | 'orderBy' | 'skip' | 'take' | 'cursor'>;

interface PageRow {
  page: bigint | number;
  total: number;
  start: number;
  user_id: string | null;
}

async function loadPages(ctx: RequestContext, query: MemberQuery, requests: readonly PageRequest[]): Promise<MemberPage[]> {
  const column = <T>(pick: (r: PageRequest) => T) => requests.map(pick);
  const rows = await ctx.prisma.$queryRaw<PageRow[]>`
    SELECT p.page, t.total, st.start, m.user_id
    FROM unnest(
      ${column((r) => r.organizationId)}::uuid[], ${column((r) => r.onlyUserId)}::uuid[],
      ${column((r) => r.window.skip)}::int[], ${column((r) => r.window.before)}::int[],
      ${column((r) => r.window.first)}::int[], ${column((r) => r.window.last)}::int[]
    ) WITH ORDINALITY AS p(organization_id, only_user, skip, before, first, last, page)
    CROSS JOIN LATERAL (
      SELECT count(*)::int AS total
      FROM organization_members om JOIN users u ON u.id = om.user_id
      WHERE om.organization_id = p.organization_id AND NOT u.deleted AND NOT u.is_system
        AND (p.only_user IS NULL OR om.user_id = p.only_user)
    ) t
    CROSS JOIN LATERAL (SELECT LEAST(COALESCE(p.before, t.total), t.total, COALESCE(p.skip + p.first, t.total)) AS stop) s
    CROSS JOIN LATERAL (SELECT GREATEST(p.skip, COALESCE(s.stop - p.last, p.skip)) AS start) st
    LEFT JOIN LATERAL (
      SELECT om.user_id
      FROM organization_members om JOIN users u ON u.id = om.user_id
      WHERE om.organization_id = p.organization_id AND NOT u.deleted AND NOT u.is_system
        AND (p.only_user IS NULL OR om.user_id = p.only_user)
      ORDER BY lower(u.username), u.id
      OFFSET st.start LIMIT GREATEST(s.stop - st.start, 0)
    ) m ON true`;

  // Rows come back in page order, each page's members in list order.
  const pages: { total: number; start: number; userIds: string[] }[] = requests.map(() => ({ total: 0, start: 0, userIds: [] }));
  for (const row of rows) {
    const page = pages[Number(row.page) - 1]!;
    page.total = row.total;
    page.start = row.start;
    if (row.user_id) page.userIds.push(row.user_id);
  }

  const wanted = new Map<string, Set<string>>();
  pages.forEach((page, i) => {
    const ids = wanted.get(requests[i]!.organizationId) ?? new Set();
    page.userIds.forEach((id) => ids.add(id));
    wanted.set(requests[i]!.organizationId, ids);
  });
  const members = [...wanted.values()].some((ids) => ids.size)
    ? await ctx.prisma.organizationMember.findMany({
        ...withKeys(query),
        where: { OR: [...wanted].map(([organizationId, ids]) => ({ organizationId, userId: { in: [...ids] } })) },
      })
    : [];
  const byKey = new Map(members.map((m) => [`${m.organizationId}/${m.userId}`, m]));

  return pages.map((page, i) => ({
    total: page.total,
    start: page.start,
    // A member removed between the two statements is left out rather than failing the page.
    rows: page.userIds.flatMap((id) => byKey.get(`${requests[i]!.organizationId}/${id}`) ?? []),
  }));
}

/** The rows must carry their key, whatever the GraphQL selection asked for. */
function withKeys(query: MemberQuery): MemberQuery {
  return query.select ? { ...query, select: { ...query.select, organizationId: true, userId: true } } : query;
}

const loaders = (ctx: RequestContext) => new Map<string, DataLoader<PageRequest, MemberPage, string>>();

/**
 * Loads one page; pages requested in the same tick with the same selection
 * (20 organizations' `members`, say) share one batch.
 */
export function loadMemberPage(ctx: RequestContext, query: MemberQuery, request: PageRequest): Promise<MemberPage> {
  const byQuery = ctx.perRequest(loaders);
  const queryKey = JSON.stringify(query);
  let loader = byQuery.get(queryKey);
  if (!loader) {
    loader = new DataLoader((requests) => loadPages(ctx, query, requests), { cacheKeyFn: (r) => JSON.stringify(r) });
    byQuery.set(queryKey, loader);
  }
  return loader.load(request);
}

export const WHOLE_LIST: MemberWindow = { skip: 0, before: null, first: null, last: null };
