// A nested query costs the same number of SQL statements whatever the size of
// its answer: each case runs on a small and a large data set and must cost
// the same, and no more than its stated budget. Every budget includes the one
// statement any authenticated request pays: the session, which loads the api
// key, its user, and the user's memberships and custom roles together (the
// gateways here keep no session cache; with SESSION_CACHE_MS, a token's later
// requests within it skip that statement, see session-cache.test.ts).
import type { TadaDocumentNode } from 'gql.tada';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DATABASE_KINDS } from '../support/databases.js';
import { startTestGateway, type GraphQLResponse, type TestGateway } from '../support/gateway.js';
import { graphql } from '../support/graphql.js';
import { seedMembers, type SeededData } from '../support/seed.js';

// The large size is past LONG_LIST (src/execution/turns.ts): its lists of organizations and members are built in turns.
const SIZES = { small: 5, large: 250 };

/** Sends a case's document, with its variables for the data set, as `token`. */
type Send = (gw: TestGateway, data: SeededData, token: string) => Promise<GraphQLResponse>;

/** A case's typed document and the variables it takes from the data set. */
const ask =
  <TData, TVariables>(document: TadaDocumentNode<TData, TVariables>, variables: (d: SeededData) => TVariables): Send =>
  (gw, d, token) =>
    gw.gql(document, variables(d), token);

const firstOrganization = (d: SeededData) => ({ org: d.organizationIds[0]! });

// `grows`: the answer itself is larger on the large data set.
const cases: {
  name: string;
  budget: number;
  grows: boolean;
  send: Send;
  as?: 'owner' | 'member';
}[] = [
  {
    name: "(a) one organization's page of 100 members with user fields, roles and global roles",
    budget: 2,
    grows: true,
    send: ask(
      graphql(`query ($org: String!) { paginatedOrganizationMembers(organization: $org, limit: 100) {
      count members { userId username name email avatarUrl createdAt roles { name displayName } globalRoles { name displayName } } } }`),
      firstOrganization,
    ),
  },
  {
    name: '(b) every organization with its first 50 members, their users and roles',
    budget: 4,
    grows: true,
    send: ask(
      graphql(`{ organizations { id name members(first: 50) { totalCount pageInfo { hasNextPage endCursor }
      edges { cursor node { username roles { name displayName } globalRoles { name } user { id email status } } } } } }`),
      () => ({}),
    ),
  },
  {
    name: "(l) a whole member list with each member's memberships and their organizations",
    budget: 3,
    grows: true,
    send: ask(
      graphql(`query ($org: String!) { organizationMembers(organization: $org) { username
      user { organizationMemberships { organizationId organization { name } } } } }`),
      firstOrganization,
    ),
  },
  {
    name: "(m) every organization's roles, one member and audit page",
    budget: 5,
    grows: true,
    send: ask(
      graphql(`query ($user: String!) { organizations { name customRoles { name } assignableRoles { name assignable }
      member(user: $user) { username roles { displayName } } auditLogs(first: 2) { edges { node { id } } } } }`),
      (d) => ({ user: d.memberUsernames[1]! }),
    ),
  },
  {
    name: '(c) one member by organization and user',
    budget: 2,
    grows: false,
    send: ask(
      graphql(`query ($org: String!, $user: String!) { organizationMember(organization: $org, user: $user) {
      username email roles { name displayName } globalRoles { name } } }`),
      (d) => ({ org: d.organizationIds[0]!, user: d.memberUsernames[0]! }),
    ),
  },
  {
    name: '(d) assignableOrganizationRoles with custom roles',
    budget: 4,
    grows: false,
    send: ask(
      graphql(`query ($org: String!) { assignableOrganizationRoles(organization: $org) {
      name displayName assignable builtIn organizationPermissions { action resourceType } organization { name } } }`),
      firstOrganization,
    ),
  },
  {
    name: "(f) every organization with its 20 newest audit entries (one statement for all organizations' pages)",
    budget: 3,
    grows: true,
    send: ask(
      graphql(`{ organizations { id auditLogs(first: 20) { pageInfo { hasNextPage endCursor }
      edges { cursor node { id time requestId actorId actorUsername ip userAgent resourceType resourceId resourceTarget
        action statusCode diff additionalFields } } } } }`),
      () => ({}),
    ),
  },
  {
    name: "(g) one organization's audit entries, 100 of them, and one member's, side by side",
    budget: 3,
    grows: true,
    send: ask(
      graphql(`query ($org: String!, $user: String!) { organization(organization: $org) {
      all: auditLogs(first: 100) { edges { node { id resourceTarget diff } } }
      one: auditLogs(last: 5, user: $user, resourceType: ORGANIZATION_MEMBER) {
        edges { node { id resourceTarget } } } } }`),
      (d) => ({ org: d.organizationIds[0]!, user: d.memberUsernames[1]! }),
    ),
  },
  {
    name: '(h) aliased pages of several organizations named by reference, offset and Relay forms (one statement)',
    budget: 2,
    grows: true,
    send: ask(
      graphql(`query ($a: String!, $b: String!, $c: String!) {
      pa: paginatedOrganizationMembers(organization: $a, limit: 100) { count members { username email } }
      pb: paginatedOrganizationMembers(organization: $b, limit: 50, offset: 1) { count members { username email } }
      pc: paginatedOrganizationMembers(organization: $c, limit: 100) { members { username } }
      oa: organization(organization: $a) { name members(first: 100) { totalCount edges { node { username } } } }
      ob: organization(organization: $b) { name first: members(first: 2) { edges { node { username } } }
        counted: members { totalCount } } }`),
      (d) => ({ a: d.organizationIds[0]!, b: d.organizationIds[1]!, c: d.organizationIds[2]! }),
    ),
  },
  {
    name: '(i) one organization with two of its members and a page of them, selected twice (nothing read twice)',
    budget: 2,
    grows: false,
    send: ask(
      graphql(`query ($org: String!, $u0: String!, $u1: String!) { organization(organization: $org) {
      a: member(user: $u0) { username } b: member(user: $u1) { username roles { name displayName } }
      members(first: 3) { totalCount } members(first: 3) { edges { node { username } } } } }`),
      (d) => ({ org: d.organizationIds[0]!, u0: d.memberUsernames[0]!, u1: d.memberUsernames[1]! }),
    ),
  },
  {
    name: '(e) organizationMembers as a plain member (row filtering costs no query per row)',
    budget: 3,
    grows: false,
    as: 'member',
    send: ask(
      graphql('query ($org: String!) { organizationMembers(organization: $org) { username roles { name } } }'),
      firstOrganization,
    ),
  },
];

describe.each(DATABASE_KINDS)('SQL statements per request on %s', (kind) => {
  const gateways: Partial<Record<keyof typeof SIZES, { gw: TestGateway; data: SeededData }>> = {};

  beforeAll(async () => {
    for (const [size, rows] of Object.entries(SIZES) as [keyof typeof SIZES, number][]) {
      const gw = await startTestGateway(kind);
      gateways[size] = { gw, data: await seedMembers(gw.database, rows) };
    }
  });
  afterAll(async () => {
    for (const entry of Object.values(gateways)) await entry?.gw.close();
  });

  async function statementsFor(size: keyof typeof SIZES, send: Send, as: 'owner' | 'member' = 'owner') {
    const { gw, data } = gateways[size]!;
    const statements: string[] = [];
    const stop = gw.database.onStatement((sql) => statements.push(sql));
    try {
      const response = await send(gw, data, as === 'owner' ? data.ownerToken : data.memberToken);
      expect(response.errors).toBeUndefined();
      return { statements, response };
    } finally {
      stop();
    }
  }

  it.each(cases)('$name', async ({ send, budget, grows, as }) => {
    const small = await statementsFor('small', send, as);
    const large = await statementsFor('large', send, as);
    if (grows) expect(JSON.stringify(large.response).length).toBeGreaterThan(JSON.stringify(small.response).length);
    expect(large.statements.length, large.statements.join('\n---\n')).toBe(small.statements.length);
    expect(large.statements.length, large.statements.join('\n---\n')).toBeLessThanOrEqual(budget);
  });

  it('costs the same statements on every run: reads started together never race to read a row twice', async () => {
    const raced = cases.find((c) => c.name.startsWith('(i)'))!;
    const counts = new Set<number>();
    for (let run = 0; run < 20; run++) counts.add((await statementsFor('small', raced.send)).statements.length);
    expect([...counts]).toEqual([2]);
  });

  it('gives the plain member of case (e) its own membership only, at both sizes', async () => {
    const plain = cases.find((c) => c.name.startsWith('(e)'))!;
    for (const size of ['small', 'large'] as const) {
      const { response } = await statementsFor(size, plain.send, 'member');
      const rows = (response.data as { organizationMembers: { username: string }[] }).organizationMembers;
      expect(rows.map((row) => row.username)).toEqual([gateways[size]!.data.memberUsernames[0]]);
    }
  });

  it("loads the caller's roles once per request, however many organizations the answer spans", async () => {
    const { statements } = await statementsFor('large', cases[1]!.send);
    const sessionLoads = statements.filter((sql) => /FROM api_keys k JOIN users u/.test(sql));
    expect(sessionLoads).toHaveLength(1);
  });
});
