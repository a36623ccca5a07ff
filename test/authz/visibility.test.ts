// What a successful read shows: only what the caller may read, never a field
// of something hidden. The grid lists, per caller (the columns of the matrix),
// which organizations and which members each list shows.
//
// The full cast (makeFullCast, ../support/fixtures.ts): organizations A and
// B; the callers' org roles are in A, site-role holders belong to no
// organization; `peer` is a plain member of both A and B.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DATABASE_KINDS } from '../support/databases.js';
import type { TadaDocumentNode } from 'gql.tada';
import { errorCode, startTestGateway, type TestGateway } from '../support/gateway.js';
import {
  makeFullCast,
  CALLERS,
  dataOf,
  errorOf,
  fieldOf,
  type AuthenticatedCaller,
  type FullCast,
} from '../support/fixtures.js';
import { graphql } from '../support/graphql.js';

const NOT_FOUND = 'NOT_FOUND';
/** The list shows every member of A. */
const ALL = 'all';
/** The list shows the caller's own membership only. */
const SELF = 'self';
/** peer is not in the list the caller gets, so neither are its memberships. */
const UNSEEN = 'peer unseen';
/** peer's row is in the list, but not its user account, which the caller may not read: null and NOT_FOUND. */
const HIDDEN = 'user hidden';
type Orgs = 'A' | 'B' | 'A B';

// prettier-ignore
const VISIBLE: {
  /** `organizations`, restricted to A and B. */
  organizations: Orgs[];
  /** `organizationMembers(A)` and `organization(A).members`. */
  membersOfA: (typeof ALL | typeof SELF | typeof NOT_FOUND)[];
  /** peer's `organizationMemberships`, reached through peer's row of `organizationMembers(A)`. */
  peerMembershipsViaA: (Orgs | typeof UNSEEN | typeof HIDDEN | typeof NOT_FOUND)[];
  /** peer's `organizationMemberships`, reached through `user(peer)`. */
  peerMembershipsViaUser: (Orgs | typeof NOT_FOUND)[];
} = {
  //                       outsider   member     org aud    org u.adm  org admin  org t.adm  site aud   site u.adm site t.adm owner      custom
  organizations: ['B', 'A', 'A', 'A', 'A', 'A', 'A B', 'A B', 'A B', 'A B', 'A'],
  membersOfA: [NOT_FOUND, SELF, ALL, ALL, ALL, ALL, ALL, ALL, ALL, ALL, ALL],
  peerMembershipsViaA: [NOT_FOUND, UNSEEN, HIDDEN, 'A', 'A', HIDDEN, 'A B', 'A B', 'A B', 'A B', HIDDEN],
  peerMembershipsViaUser: [NOT_FOUND, NOT_FOUND, NOT_FOUND, 'A', 'A', NOT_FOUND, 'A B', 'A B', 'A B', 'A B', NOT_FOUND],
};

const ORGANIZATIONS = graphql('{ organizations { id } }');
const MEMBERS = graphql('query ($o: String!) { organizationMembers(organization: $o) { username } }');
const MEMBERS_CONNECTION = graphql(
  'query ($o: String!) { organization(organization: $o) { members { totalCount edges { node { username } } } } }',
);
const MEMBERS_MEMBERSHIPS = graphql(
  'query ($o: String!) { organizationMembers(organization: $o) { userId user { organizationMemberships { organizationId userId } } } }',
);
const USER_MEMBERSHIPS = graphql(
  'query ($u: String!) { user(user: $u) { organizationMemberships { organizationId roles { name } } } }',
);
const PLAIN_MEMBER_VIEW = graphql(`query ($a: String!, $b: String!) {
  me { organizationMemberships { organizationId } }
  a: organizationMembers(organization: $a) { userId }
  b: organizationMembers(organization: $b) { userId }
  orgs: organizations { id members { totalCount edges { node { userId } } } }
}`);
const PEER_AND_SELF = graphql(`query ($o: String!, $peer: String!) {
  organization(organization: $o) { peer: member(user: $peer) { userId } self: member(user: "me") { userId } }
  peer: organizationMember(organization: $o, user: $peer) { userId }
  self: organizationMember(organization: $o, user: "me") { userId }
}`);

const columns = <T>(row: T[]) => CALLERS.map((caller, i) => ({ caller, expected: row[i]! }));

describe.each(DATABASE_KINDS)('what reads show, on %s', (kind) => {
  let gw: TestGateway;
  let w: FullCast;
  /** The usernames of A's members, in list order (lower-cased username). */
  let membersOfA: string[];
  const orgIds = (orgs: Orgs) => orgs.split(' ').map((letter) => (letter === 'A' ? w.A.id : w.B.id));
  const usernameOf = (caller: AuthenticatedCaller) => w.users[caller].username;

  beforeAll(async () => {
    gw = await startTestGateway(kind);
    w = await makeFullCast(gw);
    const rows = await w.db.prisma.organizationMember.findMany({
      where: { organizationId: w.A.id },
      select: { user: true },
    });
    membersOfA = rows.map((r) => r.user.username).sort((a, b) => (a.toLowerCase() < b.toLowerCase() ? -1 : 1));
  });
  afterAll(() => gw?.close());

  it.each(columns(VISIBLE.organizations))('organizations, as $caller: $expected', async ({ caller, expected }) => {
    const data = dataOf(await w.gw.gql(ORGANIZATIONS, {}, w.auth(caller)));
    const listed = data.organizations.map((o) => o.id).filter((id) => id === w.A.id || id === w.B.id);
    expect(new Set(listed)).toEqual(new Set(orgIds(expected)));
  });

  it.each(columns(VISIBLE.membersOfA))(
    'organizationMembers(A) and A.members, as $caller: $expected',
    async ({ caller, expected }) => {
      const list = await w.gw.gql(MEMBERS, { o: w.A.id }, w.auth(caller));
      const connection = await w.gw.gql(MEMBERS_CONNECTION, { o: w.A.id }, w.auth(caller));
      if (expected === NOT_FOUND) {
        expect([errorCode(list), errorCode(connection)]).toEqual([NOT_FOUND, NOT_FOUND]);
        return;
      }
      const usernames = expected === ALL ? membersOfA : [usernameOf(caller)];
      expect(dataOf(list).organizationMembers.map((m) => m.username)).toEqual(usernames);
      if (expected === SELF) {
        // The list filters rows; the connection pages all members, so it refuses (SPEC D).
        expect(errorCode(connection)).toBe(NOT_FOUND);
        expect(connection.data).toEqual({ organization: { members: null } });
        return;
      }
      const members = dataOf(connection).organization?.members;
      expect(members?.edges.map((e) => e.node.username)).toEqual(usernames);
      expect(members?.totalCount).toBe(usernames.length);
    },
  );

  it.each(columns(VISIBLE.peerMembershipsViaA))(
    "peer's memberships through organizationMembers(A), as $caller: $expected",
    async ({ caller, expected }) => {
      const response = await w.gw.gql(MEMBERS_MEMBERSHIPS, { o: w.A.id }, w.auth(caller));
      if (expected === NOT_FOUND) return expect(errorCode(response)).toBe(NOT_FOUND);
      if (expected === HIDDEN) {
        const row = response.data?.organizationMembers.find((m) => m.userId === w.peer.id);
        expect(row).toEqual({ userId: w.peer.id, user: null });
        return expect(errorCode(response)).toBe(NOT_FOUND);
      }
      const peerRow = dataOf(response).organizationMembers.find((m) => m.userId === w.peer.id);
      if (expected === UNSEEN) return expect(peerRow).toBeUndefined();
      const memberships = orgIds(expected).map((organizationId) => ({ organizationId, userId: w.peer.id }));
      expect(peerRow?.user?.organizationMemberships).toEqual(memberships.sort(byOrgName(w)));
    },
  );

  it.each(columns(VISIBLE.peerMembershipsViaUser))(
    'user(peer).organizationMemberships, as $caller: $expected',
    async ({ caller, expected }) => {
      const response = await w.gw.gql(USER_MEMBERSHIPS, { u: w.peer.username }, w.auth(caller));
      if (expected === NOT_FOUND) return expect(errorCode(response)).toBe(NOT_FOUND);
      expect(dataOf(response).user?.organizationMemberships).toEqual(
        orgIds(expected)
          .map((organizationId) => ({ organizationId, roles: [] }))
          .sort(byOrgName(w)),
      );
    },
  );

  it("a plain member of A and B sees its own two memberships, only itself in each organization's list, and no organization's pages", async () => {
    const response = await w.gw.gql(PLAIN_MEMBER_VIEW, { a: w.A.id, b: w.B.id }, w.peer.token);
    const data = response.data!;
    expect(data.me.organizationMemberships.map((m) => m.organizationId).sort()).toEqual([w.A.id, w.B.id].sort());
    expect(data.a).toEqual([{ userId: w.peer.id }]);
    expect(data.b).toEqual([{ userId: w.peer.id }]);
    expect(data.orgs.map((o) => o.id).sort()).toEqual([w.A.id, w.B.id].sort());
    for (const org of data.orgs) expect(org.members).toBeNull();
    expect(response.errors?.map((e) => e.extensions?.code)).toEqual(['NOT_FOUND', 'NOT_FOUND']);
  });

  it("Organization.member and organizationMember hide another member's row from a plain member, but not its own", async () => {
    const response = await w.gw.gql(PEER_AND_SELF, { o: w.A.id, peer: w.peer.id }, w.users.member.token);
    const self = { userId: w.users.member.id };
    expect(dataOf(response)).toEqual({ organization: { peer: null, self }, peer: null, self });
  });

  describe('a member of A asking about B, by id or by name, gets what it would get for no organization at all', () => {
    const queries: Record<string, TadaDocumentNode<Record<string, unknown>, { o: string }>> = {
      organization: graphql('query ($o: String!) { organization(organization: $o) { id } }'),
      organizationMembers: graphql('query ($o: String!) { organizationMembers(organization: $o) { userId } }'),
      paginatedOrganizationMembers: graphql(
        'query ($o: String!) { paginatedOrganizationMembers(organization: $o) { count } }',
      ),
      organizationMember: graphql(
        'query ($o: String!) { organizationMember(organization: $o, user: "me") { userId } }',
      ),
      assignableOrganizationRoles: graphql(
        'query ($o: String!) { assignableOrganizationRoles(organization: $o) { name } }',
      ),
      createOrganizationRole: graphql(
        'mutation ($o: String!) { createOrganizationRole(organization: $o, role: { name: "probe" }) { name } }',
      ),
      deleteOrganizationRole: graphql(
        'mutation ($o: String!) { deleteOrganizationRole(organization: $o, name: "probe") }',
      ),
    };
    const refs: [string, (w: FullCast) => string][] = [
      ['id', (w) => w.B.id],
      ['upper-case id', (w) => w.B.id.toUpperCase()],
      ['name', (w) => w.B.name],
      ['upper-case name', (w) => w.B.name.toUpperCase()],
    ];
    const cases = Object.keys(queries).flatMap((query) => refs.map(([how, ref]) => ({ query, how, ref })));

    it.each(cases)('$query, B by $how: NOT_FOUND', async ({ query, ref }) => {
      const document = queries[query]!;
      const hidden = await w.gw.gql(document, { o: ref(w) }, w.users.member.token);
      const missing = await w.gw.gql(document, { o: 'no-such-organization' }, w.users.member.token);
      expect(errorCode(hidden)).toBe(NOT_FOUND);
      // Indistinguishable: same message, same extensions.
      expect(errorOf(hidden).message).toBe(errorOf(missing).message);
      expect(errorOf(hidden).extensions).toEqual(errorOf(missing).extensions);
      expect(hidden.data?.[query] ?? null).toBeNull();
    });
  });

  // Federation resolves entities by key through `_entities`, which clients of
  // the subgraph can call too. SPEC C: "a field of a type the caller may not
  // read is never returned"; OrganizationMember's resolver checks, User's and
  // Organization's do not (src/schema/user/user.ts, organization/organization.ts).
  describe('entities by key (_entities)', () => {
    // A string: schema.graphql, which graphql() types documents from, leaves `_entities` out.
    const entities = (representations: object[], token: string) =>
      w.gw.gql(
        `query ($r: [_Any!]!) {
           _entities(representations: $r) {
             ... on User { id email }
             ... on Organization { id name }
             ... on OrganizationMember { userId email }
           }
         }`,
        { r: representations },
        token,
      );

    it("a plain member resolves its own user, organization and membership, but not peer's membership", async () => {
      const member = w.users.member;
      const response = await entities(
        [
          { __typename: 'User', id: member.id },
          { __typename: 'Organization', id: w.A.id },
          { __typename: 'OrganizationMember', organizationId: w.A.id, userId: member.id },
          { __typename: 'OrganizationMember', organizationId: w.A.id, userId: w.peer.id },
        ],
        member.token,
      );
      expect(fieldOf(response, '_entities')).toEqual([
        { id: member.id, email: `${member.username}@example.com` },
        { id: w.A.id, name: w.A.name },
        { userId: member.id, email: `${member.username}@example.com` },
        null,
      ]);
      // SPEC C: what the caller may not read is NOT_FOUND, at its own index.
      expect(response.errors?.map((e) => [e.path, e.extensions?.code])).toEqual([[['_entities', 3], 'NOT_FOUND']]);
    });

    it('a plain member of A cannot read another user (peer) as an entity', async () => {
      const response = await entities([{ __typename: 'User', id: w.peer.id }], w.users.member.token);
      expect(response.data).toEqual({ _entities: [null] });
      expect(response.errors?.map((e) => [e.path, e.extensions?.code])).toEqual([[['_entities', 0], 'NOT_FOUND']]);
    });

    it('a member of A only cannot read organization B as an entity', async () => {
      const response = await entities([{ __typename: 'Organization', id: w.B.id }], w.users.member.token);
      expect(response.data).toEqual({ _entities: [null] });
      expect(response.errors?.map((e) => [e.path, e.extensions?.code])).toEqual([[['_entities', 0], 'NOT_FOUND']]);
    });

    it('refuses entities without a token', async () => {
      const response = await w.gw.gql(
        'query ($r: [_Any!]!) { _entities(representations: $r) { ... on User { id } } }',
        { r: [{ __typename: 'User', id: w.peer.id }] },
      );
      expect(errorCode(response)).toBe('UNAUTHENTICATED');
      expect(JSON.stringify(response.data ?? null)).not.toContain(w.peer.id);
    });
  });
});

/** Memberships are listed by organization name. */
function byOrgName(w: FullCast) {
  const name = (id: string) => (id === w.A.id ? w.A.name : w.B.name);
  return (a: { organizationId: string }, b: { organizationId: string }) =>
    name(a.organizationId) < name(b.organizationId) ? -1 : 1;
}
