// `Organization.members`: a Relay connection over an organization's members,
// in paginated members' order, for a caller who may read them all. Walking it forwards or backwards, with any
// page size, gives the same members in the same order as paging through
// `paginatedOrganizationMembers`.
import { offsetToCursor } from '@pothos/plugin-relay';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DATABASE_KINDS } from '../support/databases.js';
import { addMembers, dataOf, expectRefusal, makeCast, type Cast } from '../support/fixtures.js';
import { makeOrganization, startTestGateway, type TestGateway } from '../support/gateway.js';
import { graphql } from '../support/graphql.js';

// 25 usernames of mixed case, in the order the API lists them (lower-cased username).
const ORDERED = [
  'alice',
  'Bob',
  'bobby',
  'Carol',
  'carol-2',
  'dave',
  'Dmitri',
  'eve',
  'Frank',
  'george',
  'Hana',
  'ivan',
  'Jules',
  'kim',
  'Liam',
  'mia',
  'Noah',
  'olga',
  'Pete',
  'quinn',
  'Rosa',
  'sam',
  'Tariq',
  'uma',
  'Vera',
];
const PAGE_SIZES = [1, 4, 7, 25, 30];

const CONNECTION = graphql(`query ($org: String!, $first: Int, $after: String, $last: Int, $before: String) {
  organization(organization: $org) {
    members(first: $first, after: $after, last: $last, before: $before) {
      totalCount
      edges { cursor node { username organizationId } }
      pageInfo { hasNextPage hasPreviousPage startCursor endCursor }
    }
  }
}`);
/** Without totalCount: the page alone decides where a window ends. */
const LAST_BEFORE = graphql(`query ($org: String!, $last: Int!, $before: String!) {
  organization(organization: $org) {
    members(last: $last, before: $before) { edges { node { username } } pageInfo { hasPreviousPage } }
  }
}`);

const PAGINATED = graphql(`query ($org: String!, $limit: Int, $offset: Int) {
  paginatedOrganizationMembers(organization: $org, limit: $limit, offset: $offset) { count members { username } }
}`);

interface Connection {
  totalCount: number;
  edges: { cursor: string; node: { username: string; organizationId: string } }[];
  pageInfo: { hasNextPage: boolean; hasPreviousPage: boolean; startCursor: string | null; endCursor: string | null };
}

describe.each(DATABASE_KINDS)('Organization.members on %s', (kind) => {
  let gw: TestGateway;
  let cast: Cast;
  let org: Awaited<ReturnType<typeof makeOrganization>>;

  const connection = async (
    args: { first?: number; after?: string | null; last?: number; before?: string | null },
    token = cast.owner.token,
    ref = org.name,
  ) => {
    const response = await gw.gql(CONNECTION, { org: ref, ...args }, token);
    expect(response.errors, JSON.stringify(response.errors)).toBeUndefined();
    return response.data?.organization?.members as Connection;
  };
  const usernames = (c: Connection) => c.edges.map((e) => e.node.username);

  /** Pages from the start, following endCursor while hasNextPage. */
  const walkForward = async (size: number) => {
    const pages: Connection[] = [];
    let after: string | null = null;
    do {
      const page = await connection({ first: size, after });
      pages.push(page);
      after = page.pageInfo.hasNextPage ? page.pageInfo.endCursor : null;
    } while (after && pages.length <= ORDERED.length);
    return pages;
  };

  /** Pages from the end, following startCursor while hasPreviousPage; returned in list order. */
  const walkBackward = async (size: number) => {
    const pages: Connection[] = [];
    let before: string | null = null;
    let first = true;
    while (first || before) {
      first = false;
      const page: Connection = await connection(before ? { last: size, before } : { last: size });
      pages.unshift(page);
      before = page.pageInfo.hasPreviousPage ? page.pageInfo.startCursor : null;
      if (pages.length > ORDERED.length) break;
    }
    return pages;
  };

  /** paginatedOrganizationMembers pages of `size`, until one comes back short. */
  const walkPaginated = async (size: number) => {
    const pages: string[][] = [];
    for (let offset = 0; ; offset += size) {
      const response = await gw.gql(PAGINATED, { org: org.name, limit: size, offset }, cast.owner.token);
      const { count, members } = dataOf(response).paginatedOrganizationMembers;
      expect(count).toBe(ORDERED.length);
      if (members.length) pages.push(members.map((m) => m.username));
      if (members.length < size) return pages;
    }
  };

  beforeAll(async () => {
    gw = await startTestGateway(kind);
    cast = await makeCast(gw.database);
    org = await makeOrganization(gw.database);
    // Created out of order, so that insertion order cannot pass for the listing order.
    const shuffled = [...ORDERED].sort((a, b) =>
      [...b]
        .reverse()
        .join('')
        .localeCompare([...a].reverse().join('')),
    );
    await addMembers(gw.database, org.id, shuffled);
  });
  afterAll(() => gw?.close());

  it('gives every member in lower-cased username order when called without arguments', async () => {
    const all = await connection({});
    expect(usernames(all)).toEqual(ORDERED);
    expect(all.totalCount).toBe(25);
    expect(all.pageInfo).toMatchObject({ hasNextPage: false, hasPreviousPage: false });
    expect(all.pageInfo.startCursor).toBe(all.edges[0]!.cursor);
    expect(all.pageInfo.endCursor).toBe(all.edges[24]!.cursor);
  });

  it.each(PAGE_SIZES)('walked forwards %i at a time, pages exactly like paginatedOrganizationMembers', async (size) => {
    const pages = await walkForward(size);
    expect(pages.map(usernames)).toEqual(await walkPaginated(size));
    expect(pages.flatMap(usernames)).toEqual(ORDERED);
    expect(pages.every((p) => p.totalCount === 25)).toBe(true);
    expect(pages[0]!.pageInfo.hasPreviousPage).toBe(false);
    expect(pages.at(-1)!.pageInfo.hasNextPage).toBe(false);
  });

  it.each(PAGE_SIZES)('walked backwards %i at a time, gives the same members in the same order', async (size) => {
    const pages = await walkBackward(size);
    expect(pages.flatMap(usernames)).toEqual(ORDERED);
    expect(pages.every((p) => p.totalCount === 25)).toBe(true);
    // Full pages from the end; what is left over comes first.
    expect(pages.at(-1)!.edges).toHaveLength(Math.min(size, 25));
    expect(pages[0]!.pageInfo.hasPreviousPage).toBe(false);
  });

  it("gives each member the same cursor whatever the page size, so a walk can resume from any member's cursor", async () => {
    const cursors = (pages: Connection[]) =>
      new Map(pages.flatMap((p) => p.edges.map((e) => [e.node.username, e.cursor] as const)));
    const byOne = cursors(await walkForward(1));
    expect(cursors(await walkForward(7))).toEqual(byOne);
    expect(cursors(await walkBackward(4))).toEqual(byOne);
    const resumed = await connection({ first: 3, after: byOne.get('Hana')! });
    expect(usernames(resumed)).toEqual(['ivan', 'Jules', 'kim']);
  });

  it('gives the members strictly between `after` and `before`', async () => {
    const all = await connection({});
    const between = await connection({ after: all.edges[2]!.cursor, before: all.edges[6]!.cursor });
    expect(usernames(between)).toEqual(ORDERED.slice(3, 6));
    const lastTwo = await connection({ after: all.edges[2]!.cursor, before: all.edges[6]!.cursor, last: 2 });
    expect(usernames(lastTwo)).toEqual(ORDERED.slice(4, 6));
  });

  it('applies `first` and then `last` when given both', async () => {
    expect(usernames(await connection({ first: 10, last: 3 }))).toEqual(ORDERED.slice(7, 10));
  });

  it('gives the last members for `last` alone', async () => {
    const tail = await connection({ last: 3 });
    expect(usernames(tail)).toEqual(ORDERED.slice(22));
    expect(tail.pageInfo).toMatchObject({ hasPreviousPage: true, hasNextPage: false });
  });

  it('counts `last` back from the end of the list when `before` lies past it (a cursor kept while members left)', async () => {
    const small = await makeOrganization(gw.database);
    const suffix = Math.random().toString(36).slice(2, 8);
    const [amy, kim, zed] = ['amy', 'Kim', 'zed'].map((name) => `${name}-${suffix}`) as [string, string, string];
    await addMembers(gw.database, small.id, [zed, amy, kim]);
    try {
      const lastBefore = async (last: number) => {
        const response = await gw.gql(
          LAST_BEFORE,
          { org: small.name, last, before: offsetToCursor(20) },
          cast.owner.token,
        );
        return dataOf(response).organization!.members!;
      };
      const tail = await lastBefore(2);
      expect(tail.edges.map((e) => e.node.username)).toEqual([kim, zed]);
      const all = await lastBefore(10);
      expect(all.edges.map((e) => e.node.username)).toEqual([amy, kim, zed]);
      expect(all.pageInfo.hasPreviousPage).toBe(false);
    } finally {
      // Other cases count every organization the owner sees.
      await gw.database.prisma.organizationMember.deleteMany({ where: { organizationId: small.id } });
      await gw.database.prisma.organization.delete({ where: { id: small.id } });
    }
  });

  it('gives no edges, but the total, for `first: 0` and after the last member', async () => {
    const none = await connection({ first: 0 });
    expect(none.edges).toEqual([]);
    expect(none.totalCount).toBe(25);
    const all = await connection({});
    const past = await connection({ first: 5, after: all.edges[24]!.cursor });
    expect(past.edges).toEqual([]);
    expect(past.totalCount).toBe(25);
    expect(past.pageInfo.hasNextPage).toBe(false);
  });

  it('takes the largest Int as a page size after a cursor', async () => {
    const all = await connection({});
    expect(usernames(await connection({ first: 2_147_483_647, after: all.edges[19]!.cursor }))).toEqual(
      ORDERED.slice(20),
    );
  });

  // SPEC D: Organization.members is paginated members, which a plain member may not read.
  it('refuses a plain member (NOT_FOUND, members null, the organization still answered), and pages every member for an admin', async () => {
    const refused = await gw.gql(
      graphql('query ($org: String!) { organization(organization: $org) { name members { totalCount } } }'),
      { org: cast.org.name },
      cast.member.token,
    );
    expect(refused.errors?.map((e) => [e.extensions?.code, e.path])).toEqual([
      ['NOT_FOUND', ['organization', 'members']],
    ]);
    expect(refused.data).toEqual({ organization: { name: cast.org.name, members: null } });

    const everywhere = await gw.gql(
      graphql('{ organizations { name members { totalCount } } }'),
      {},
      cast.member.token,
    );
    expect(everywhere.data?.organizations).toEqual([{ name: cast.org.name, members: null }]);
    expect(everywhere.errors?.map((e) => e.extensions?.code)).toEqual(['NOT_FOUND']);

    for (const reader of [cast.admin, cast.userAdmin, cast.auditor, cast.siteAuditor]) {
      const page = await connection({ first: 2 }, reader.token, cast.org.name);
      expect(page.totalCount).toBe(4);
      expect(page.edges).toHaveLength(2);
    }
  });

  it('reads the organization named by reference in the statement of its one page, with or without the total', async () => {
    await connection({ first: 1 }); // the session's first use may refresh its last_used: not counted
    const statementsOf = async <T>(ask: () => Promise<T>) => {
      const statements: string[] = [];
      const stop = gw.database.onStatement((sql) => statements.push(sql));
      try {
        return { answer: await ask(), count: statements.length };
      } finally {
        stop();
      }
    };
    // The session, then the organization and its page together.
    const page = await statementsOf(() => connection({ first: 3, after: offsetToCursor(1) }, cast.owner.token, org.id));
    expect(page.answer.edges.map((e) => e.node.username)).toEqual(ORDERED.slice(2, 5));
    expect(page.answer.totalCount).toBe(25);
    expect(page.count).toBe(2);
    const withoutTotal = await statementsOf(() =>
      gw.gql(LAST_BEFORE, { org: org.name.toUpperCase(), last: 2, before: offsetToCursor(4) }, cast.owner.token),
    );
    expect(withoutTotal.answer.data?.organization?.members?.edges.map((e) => e.node.username)).toEqual(
      ORDERED.slice(2, 4),
    );
    expect(withoutTotal.count).toBe(2);
    // Two pages of one organization: both, and the organization, in one statement (two windows read the same way;
    // member-pages.test.ts has the rest).
    const two = await statementsOf(() =>
      gw.gql(
        graphql(`query ($org: String!) { organization(organization: $org) {
          head: members(first: 1) { edges { node { username } } } more: members(first: 2) { edges { node { username } } } } }`),
        { org: org.name },
        cast.owner.token,
      ),
    );
    expect(two.answer.data?.organization).toEqual({
      head: { edges: [{ node: { username: ORDERED[0] } }] },
      more: { edges: ORDERED.slice(0, 2).map((username) => ({ node: { username } })) },
    });
    expect(two.count).toBe(2);
  });

  it("reads no page for a caller who may page no organization's members, and refuses it as before", async () => {
    const PAGE_TOTAL = graphql(
      'query ($org: String!) { organization(organization: $org) { name members { totalCount } } }',
    );
    await gw.gql(PAGE_TOTAL, { org: cast.org.name }, cast.member.token); // the session's first use: not counted
    const statements: string[] = [];
    const stop = gw.database.onStatement((sql) => statements.push(sql));
    const refused = await gw.gql(PAGE_TOTAL, { org: cast.org.name }, cast.member.token);
    stop();
    expect(refused.data).toEqual({ organization: { name: cast.org.name, members: null } });
    expect(refused.errors?.map((e) => e.extensions?.code)).toEqual(['NOT_FOUND']);
    // Member pages are the only statements that sort by the lower-cased username.
    expect(statements.filter((sql) => sql.includes('sort_key'))).toEqual([]);
  });

  it("answers a bad cursor under organization(organization:) as that field's error, the organization still answered", async () => {
    const response = await gw.gql(
      graphql(
        'query ($org: String!) { organization(organization: $org) { name members(after: "nonsense") { totalCount } } }',
      ),
      { org: org.name },
      cast.owner.token,
    );
    expect(response.errors?.map((e) => [e.extensions?.code, e.path])).toEqual([
      ['BAD_USER_INPUT', ['organization', 'members']],
    ]);
    expect(response.data).toEqual({ organization: { name: org.name, members: null } });
  });

  it("pages each organization's own members when several are asked for in one query", async () => {
    const response = await gw.gql(
      graphql('{ organizations { id members(first: 2) { totalCount edges { node { organizationId } } } } }'),
      {},
      cast.owner.token,
    );
    const organizations = response.data?.organizations as {
      id: string;
      members: { totalCount: number; edges: { node: { organizationId: string } }[] };
    }[];
    const sizes = Object.fromEntries(organizations.map((o) => [o.id, o.members.totalCount]));
    expect(sizes).toEqual({ [org.id]: 25, [cast.org.id]: 4, [cast.otherOrg.id]: 1 });
    for (const o of organizations) expect(o.members.edges.every((e) => e.node.organizationId === o.id)).toBe(true);
  });

  // Pages leave the timestamps out unless the selection reads them: each
  // selection must get its own, and one that reads them (through fragments
  // too) the stored values.
  it('gives the stored timestamps wherever a selection reads them, beside the same pages read without them', async () => {
    const response = await gw.gql(
      graphql(`query ($org: String!) {
        organizations { id
          plain: members(first: 3) { edges { node { userId } } }
          timed: members(first: 3) { edges { node { userId ...times } } }
        }
        paginatedOrganizationMembers(organization: $org, limit: 3) { members { userId ... on OrganizationMember { createdAt } } }
      }
      fragment times on OrganizationMember { createdAt updatedAt }`),
      { org: org.name },
      cast.owner.token,
    );
    const data = dataOf(response);
    const stored = await gw.database.prisma.organizationMember.findMany({ where: { organizationId: org.id } });
    const times = new Map(
      stored.map((m) => [m.userId, { createdAt: m.createdAt.toISOString(), updatedAt: m.updatedAt.toISOString() }]),
    );
    const ours = data.organizations.find((o) => o.id === org.id)!;
    expect(ours.timed?.edges).toHaveLength(3);
    expect(ours.timed?.edges.map((e) => e.node)).toEqual(
      ours.plain?.edges.map((e) => ({ userId: e.node.userId, ...times.get(e.node.userId) })),
    );
    const paged = data.paginatedOrganizationMembers.members;
    expect(paged).toEqual(
      ours.plain?.edges.map((e) => ({ userId: e.node.userId, createdAt: times.get(e.node.userId)!.createdAt })),
    );
  });

  it('is unreachable for someone outside the organization', async () => {
    expectRefusal(await gw.gql(CONNECTION, { org: cast.org.name }, cast.outsider.token), 'NOT_FOUND');
  });
});
