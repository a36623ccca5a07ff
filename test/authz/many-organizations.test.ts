// One request over three organizations and thirty members: the caller's
// roles are loaded once and each decision serves every row, so a big query
// comes back whole and already filtered: no row refused with an error, no row
// of something the caller may not read. (Only a page of members the caller
// may not read in full is refused, as a whole: SPEC D.)
//
// Organizations A, B, C; ten members in A only, ten in A and B, ten in B and C.
// The admin is organization-admin of A and a plain member of B.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DATABASE_KINDS } from '../support/databases.js';
import {
  errorCode,
  makeOrganization,
  makeUser,
  startTestGateway,
  type TestGateway,
  type TestUser,
} from '../support/gateway.js';
import { dataOf } from '../support/fixtures.js';
import { graphql } from '../support/graphql.js';

const QUERY = graphql(`
  query ($a: String!, $b: String!) {
    organizations {
      id
      members(first: 50) { totalCount edges { node { username user { organizationMemberships { organizationId } } } } }
    }
    listA: organizationMembers(organization: $a) { username roles { name } user { organizationMemberships { organizationId } } }
    listB: organizationMembers(organization: $b) { username }
    pageA: paginatedOrganizationMembers(organization: $a, limit: 5, offset: 5) { count members { username } }
  }`);
const MEMBERS = graphql('query ($c: String!) { organizationMembers(organization: $c) { username } }');

describe.each(DATABASE_KINDS)('a query over 3 organizations and 30 members, on %s', (kind) => {
  let gw: TestGateway;
  let A: string, B: string, C: string;
  let admin: TestUser;
  let auditor: TestUser;
  /** username → ids of the organizations it is a member of. */
  const memberships = new Map<string, string[]>();
  /** The usernames of an organization's members, in list order (all names are lower-case letters and digits). */
  const membersOf = (org: string) =>
    [...memberships]
      .filter(([, orgs]) => orgs.includes(org))
      .map(([name]) => name)
      .sort();

  beforeAll(async () => {
    gw = await startTestGateway(kind);
    const db = gw.database;
    A = (await makeOrganization(db, 'manya')).id;
    B = (await makeOrganization(db, 'manyb')).id;
    C = (await makeOrganization(db, 'manyc')).id;
    const groups: [string, string[]][] = [
      ['onlya', [A]],
      ['bothab', [A, B]],
      ['bothbc', [B, C]],
    ];
    for (const [prefix, orgs] of groups) {
      for (let i = 0; i < 10; i++) {
        const username = `${prefix}${String(i).padStart(2, '0')}`;
        await makeUser(db, { username, orgs: Object.fromEntries(orgs.map((org) => [org, []])) });
        memberships.set(username, orgs);
      }
    }
    admin = await makeUser(db, { username: 'admin', orgs: { [A]: ['organization-admin'], [B]: [] } });
    memberships.set('admin', [A, B]);
    auditor = await makeUser(db, { username: 'auditor', siteRoles: ['auditor'] });
  });
  afterAll(() => gw?.close());

  it("an organization admin of A gets A's members with only their A memberships, only itself in B's list, and NOT_FOUND for B's pages", async () => {
    const response = await gw.gql(QUERY, { a: A, b: B }, admin.token);
    // A plain member of B may list B's members (its own row) but not page through them (SPEC D).
    expect(response.errors?.map((e) => [e.extensions?.code, e.path])).toEqual([
      ['NOT_FOUND', ['organizations', 1, 'members']],
    ]);
    const data = response.data!;

    expect(data.organizations.map((o) => o.id)).toEqual([A, B]);
    const [orgA, orgB] = data.organizations;
    if (!orgA?.members || !orgB) throw new Error(`expected A's members and B: ${JSON.stringify(data)}`);
    const inA = membersOf(A);
    expect(inA).toHaveLength(21);
    expect(orgA.members.totalCount).toBe(21);
    expect(orgA.members.edges.map((e) => e.node.username)).toEqual(inA);
    // Others' B memberships are hidden from a plain member of B; its own are not.
    const visibleMemberships = (username: string) => (username === 'admin' ? [A, B] : [A]);
    for (const { node } of orgA.members.edges) {
      expect(
        node.user?.organizationMemberships.map((m) => m.organizationId),
        node.username,
      ).toEqual(visibleMemberships(node.username));
    }
    expect(orgB.members).toBeNull();

    expect(data.listA.map((m) => m.username)).toEqual(inA);
    for (const member of data.listA) {
      expect(member.user?.organizationMemberships.map((m) => m.organizationId)).toEqual(
        visibleMemberships(member.username),
      );
      expect(member.roles).toEqual(member.username === 'admin' ? [{ name: 'organization-admin' }] : []);
    }
    expect(data.listB).toEqual([{ username: 'admin' }]);
    expect(data.pageA).toEqual({ count: 21, members: inA.slice(5, 10).map((username) => ({ username })) });
  });

  it('the same organization admin gets NOT_FOUND for C, where it is not a member', async () => {
    const response = await gw.gql(MEMBERS, { c: C }, admin.token);
    expect(errorCode(response)).toBe('NOT_FOUND');
  });

  it('a site auditor gets every organization, member and membership', async () => {
    const response = await gw.gql(QUERY, { a: A, b: B }, auditor.token);
    const data = dataOf(response);
    expect(data.organizations.map((o) => o.id)).toEqual([A, B, C]);
    for (const [i, org] of [A, B, C].entries()) {
      const members = data.organizations[i]?.members;
      if (!members) throw new Error(`expected the members of ${org}`);
      expect(members.totalCount).toBe(membersOf(org).length);
      expect(members.edges.map((e) => e.node.username)).toEqual(membersOf(org));
      for (const { node } of members.edges) {
        expect(node.user?.organizationMemberships.map((m) => m.organizationId)).toEqual(memberships.get(node.username));
      }
    }
    expect(data.listB.map((m) => m.username)).toEqual(membersOf(B));
    expect(data.pageA.count).toBe(21);
  });
});
