// Who may do what: every members operation against every kind of caller,
// with the outcome SPEC D (and B.2, B.3) gives. Read the grid row by row
// against the SPEC; the code below it only runs the rows.
//
// The full cast (makeFullCast, ../support/fixtures.ts): organizations A and
// B; the callers' org roles are in A, site-role holders belong to no
// organization; `peer` is a plain member of A and B. Each read looks at A or
// at `peer`; each mutation case acts on targets made for it alone (a fresh
// user, membership or custom role of A) and, when refused, must leave the
// database exactly as it was.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DATABASE_KINDS } from '../support/databases.js';
import { errorCode, makeUser, startTestGateway, type GraphQLResponse, type TestGateway } from '../support/gateway.js';
import {
  expectRefusal,
  makeFullCast,
  makeMember,
  CALLERS,
  dataOf,
  fresh,
  READ_MEMBERS,
  insertCustomRole,
  storedRoles,
  storedCustomRole,
  UNAUTHENTICATED_CALLERS,
  type AuthenticatedCaller,
  type Caller,
  type FullCast,
} from '../support/fixtures.js';
import { graphql } from '../support/graphql.js';

const ok = 'ok';
/** Succeeds with `null`: the thing is hidden from the caller (the field is nullable for exactly this). */
const NULL = 'null';
const NOT_FOUND = 'NOT_FOUND';
const FORBIDDEN = 'FORBIDDEN';
const BAD_INPUT = 'BAD_USER_INPUT';
type Expected = typeof ok | typeof NULL | typeof NOT_FOUND | typeof FORBIDDEN | typeof BAD_INPUT | 'UNAUTHENTICATED';

// Columns, in CALLERS order: outsider (member of B only), member (plain member of A), organization-auditor,
// organization-user-admin, organization-admin, organization-template-admin (each of A), site auditor, site user-admin,
// site template-admin, owner, and a member of A holding the custom role `steward` (organization_member crud and
// assign_org_role assign/unassign/read/create/update/delete in A, created by the owner).
// prettier-ignore
const MATRIX: Record<string, Expected[]> = {
  //                               outsider   member     org aud    org u.adm  org admin  org t.adm  site aud   site u.adm site t.adm owner      custom
  me: [ok, ok, ok, ok, ok, ok, ok, ok, ok, ok, ok],
  user: [NOT_FOUND, NOT_FOUND, NOT_FOUND, ok, ok, NOT_FOUND, ok, ok, ok, ok, NOT_FOUND],
  organizations: [ok, ok, ok, ok, ok, ok, ok, ok, ok, ok, ok],
  organization: [NOT_FOUND, ok, ok, ok, ok, ok, ok, ok, ok, ok, ok],
  organizationMembers: [NOT_FOUND, ok, ok, ok, ok, ok, ok, ok, ok, ok, ok],
  paginatedOrganizationMembers: [NOT_FOUND, NOT_FOUND, ok, ok, ok, ok, ok, ok, ok, ok, ok],
  organizationMember: [NOT_FOUND, NULL, ok, ok, ok, ok, ok, ok, ok, ok, ok],
  assignableOrganizationRoles: [NOT_FOUND, ok, ok, ok, ok, ok, ok, ok, ok, ok, ok],
  assignableSiteRoles: [ok, ok, ok, ok, ok, ok, ok, ok, ok, ok, ok],
  'Organization.members': [NOT_FOUND, NOT_FOUND, ok, ok, ok, ok, ok, ok, ok, ok, ok],
  'User.organizationMemberships': [NOT_FOUND, NOT_FOUND, NOT_FOUND, ok, ok, NOT_FOUND, ok, ok, ok, ok, NOT_FOUND],
  addOrganizationMember: [NOT_FOUND, BAD_INPUT, BAD_INPUT, ok, ok, BAD_INPUT, NOT_FOUND, ok, NOT_FOUND, ok, BAD_INPUT],
  removeOrganizationMember: [NOT_FOUND, NOT_FOUND, NOT_FOUND, ok, ok, NOT_FOUND, NOT_FOUND, ok, NOT_FOUND, ok, ok],
  updateOrganizationMemberRoles: [
    NOT_FOUND,
    NOT_FOUND,
    FORBIDDEN,
    BAD_INPUT,
    ok,
    FORBIDDEN,
    FORBIDDEN,
    BAD_INPUT,
    FORBIDDEN,
    ok,
    BAD_INPUT,
  ],
  createOrganizationRole: [
    NOT_FOUND,
    NOT_FOUND,
    NOT_FOUND,
    NOT_FOUND,
    ok,
    NOT_FOUND,
    NOT_FOUND,
    NOT_FOUND,
    NOT_FOUND,
    ok,
    ok,
  ],
  updateOrganizationRole: [
    NOT_FOUND,
    NOT_FOUND,
    NOT_FOUND,
    NOT_FOUND,
    ok,
    NOT_FOUND,
    NOT_FOUND,
    NOT_FOUND,
    NOT_FOUND,
    ok,
    ok,
  ],
  deleteOrganizationRole: [
    NOT_FOUND,
    FORBIDDEN,
    FORBIDDEN,
    FORBIDDEN,
    ok,
    FORBIDDEN,
    FORBIDDEN,
    FORBIDDEN,
    FORBIDDEN,
    ok,
    ok,
  ],
};
// And every operation refuses a request with no token, with an expired token (an owner's), or from a suspended user
// (an organization admin of A): UNAUTHENTICATED.
//
// What each row does: reads look at A, or at peer (user, organizationMember, User.organizationMemberships); the
// mutations, each on targets made for that case alone, add a user who belongs nowhere to A, remove a plain member of A,
// give a plain member of A `organization-auditor`, create a role granting organization_member read, rewrite a custom
// role of A to organization read, and delete a custom role of A that a member holds.
//
// Why the less obvious cells hold (SPEC B.3, D):
// - outsider: A is hidden from it, so everything naming A is NOT_FOUND (indistinguishable from no such organization).
// - user, User.organizationMemberships: reading another user needs site `user read`, which organization-admin and
//   organization-user-admin carry but organization-auditor, organization-template-admin and custom org roles do not.
// - paginatedOrganizationMembers: needs read on every member; a plain member may read only its own row.
// - organizationMember: a plain member may not see peer's membership: null, not an error.
// - addOrganizationMember: the new member must be a user the caller can read (else BAD_USER_INPUT), then the caller
//   needs `assign` on roles in A and the right to assign organization-member (else NOT_FOUND).
// - updateOrganizationMemberRoles gives `organization-auditor`: callers who see the membership but may not assign get
//   FORBIDDEN; those who may assign but not that role (user admins, the custom role) get BAD_USER_INPUT.
// - deleteOrganizationRole refuses with FORBIDDEN, its create/update siblings with NOT_FOUND (as in Coder).

const OPERATIONS = Object.keys(MATRIX);

/** One row's operation, its own types hidden: it arranges what a case starts from, then runs as a caller. */
interface Step {
  /** The root field, whose value a refusal must not carry. */
  field: string;
  mutation: boolean;
  /** Makes the state one case starts from, for it alone, and returns how to run the case as a caller. */
  arrange(w: FullCast): Promise<(caller: Caller) => Promise<Run>>;
}

interface Run {
  response: GraphQLResponse;
  /** What success means, beyond having no error. */
  succeeded(): void | Promise<void>;
}

/** A read, of A or of peer. */
const read = <D>(op: {
  field: string;
  run(w: FullCast, caller: Caller): Promise<GraphQLResponse<D>>;
  succeeded(data: D, w: FullCast, caller: Caller): void | Promise<void>;
}): Step => ({
  field: op.field,
  mutation: false,
  arrange: async (w) => async (caller) => {
    const response = await op.run(w, caller);
    return { response, succeeded: () => op.succeeded(dataOf(response), w, caller) };
  },
});

/** A write, on a target made for the case alone. */
const write = <D, T>(op: {
  field: string;
  arrange(w: FullCast): Promise<T>;
  run(w: FullCast, caller: Caller, target: T): Promise<GraphQLResponse<D>>;
  succeeded(data: D, w: FullCast, target: T): void | Promise<void>;
}): Step => ({
  field: op.field,
  mutation: true,
  async arrange(w) {
    const target = await op.arrange(w);
    return async (caller) => {
      const response = await op.run(w, caller, target);
      return { response, succeeded: () => op.succeeded(dataOf(response), w, target) };
    };
  },
});

const ids = (
  list: { organizationId?: string; userId?: string; id?: string }[],
  key: 'organizationId' | 'userId' | 'id',
) => list.map((item) => item[key]);

const ME = graphql('{ me { id } }');
const USER = graphql('query ($u: String!) { user(user: $u) { id username } }');
const ORGANIZATIONS = graphql('{ organizations { id } }');
const ORGANIZATION = graphql('query ($o: String!) { organization(organization: $o) { id name } }');
const ORGANIZATION_MEMBERS = graphql(
  'query ($o: String!) { organizationMembers(organization: $o) { organizationId userId } }',
);
const PAGINATED_ORGANIZATION_MEMBERS = graphql(
  'query ($o: String!) { paginatedOrganizationMembers(organization: $o) { count members { organizationId userId } } }',
);
const ORGANIZATION_MEMBER = graphql(
  'query ($o: String!, $u: String!) { organizationMember(organization: $o, user: $u) { organizationId userId } }',
);
const ASSIGNABLE_ORGANIZATION_ROLES = graphql(
  'query ($o: String!) { assignableOrganizationRoles(organization: $o) { name builtIn } }',
);
const ASSIGNABLE_SITE_ROLES = graphql('{ assignableSiteRoles { name } }');
const ORGANIZATION_MEMBERS_CONNECTION = graphql(
  'query ($o: String!) { organization(organization: $o) { members { totalCount edges { node { organizationId userId } } } } }',
);
const USER_MEMBERSHIPS = graphql(
  'query ($u: String!) { user(user: $u) { organizationMemberships { organizationId userId } } }',
);
const ADD_MEMBER = graphql(
  'mutation ($o: String!, $u: String!) { addOrganizationMember(organization: $o, user: $u) { organizationId userId roles { name } } }',
);
const REMOVE_MEMBER = graphql(
  'mutation ($o: String!, $u: String!) { removeOrganizationMember(organization: $o, user: $u) }',
);
const MAKE_AUDITOR = graphql(`mutation ($o: String!, $u: String!) {
  updateOrganizationMemberRoles(organization: $o, user: $u, roles: ["organization-auditor"]) { userId roles { name } }
}`);
const CREATE_ROLE = graphql(`mutation ($o: String!, $r: CustomRoleInput!) {
  createOrganizationRole(organization: $o, role: $r) { name organizationPermissions { resourceType action negate } }
}`);
const UPDATE_ROLE = graphql(
  'mutation ($o: String!, $r: CustomRoleInput!) { updateOrganizationRole(organization: $o, role: $r) { name displayName } }',
);
const DELETE_ROLE = graphql(
  'mutation ($o: String!, $n: String!) { deleteOrganizationRole(organization: $o, name: $n) }',
);

const OPERATION: Record<string, Step> = {
  me: read({
    field: 'me',
    run: (w, c) => w.gw.gql(ME, {}, w.auth(c)),
    succeeded: (d, w, c) => expect(d.me.id).toBe(w.users[c as AuthenticatedCaller].id),
  }),
  user: read({
    field: 'user',
    run: (w, c) => w.gw.gql(USER, { u: w.peer.id }, w.auth(c)),
    succeeded: (d, w) => expect(d.user).toEqual({ id: w.peer.id, username: w.peer.username }),
  }),
  organizations: read({
    field: 'organizations',
    run: (w, c) => w.gw.gql(ORGANIZATIONS, {}, w.auth(c)),
    // Which ones each caller sees: visibility.test.ts.
    succeeded: (d) => expect(d.organizations.length).toBeGreaterThan(0),
  }),
  organization: read({
    field: 'organization',
    run: (w, c) => w.gw.gql(ORGANIZATION, { o: w.A.id }, w.auth(c)),
    succeeded: (d, w) => expect(d.organization).toEqual(w.A),
  }),
  organizationMembers: read({
    field: 'organizationMembers',
    run: (w, c) => w.gw.gql(ORGANIZATION_MEMBERS, { o: w.A.id }, w.auth(c)),
    succeeded: (d, w) => {
      expect(d.organizationMembers.length).toBeGreaterThan(0);
      expect(new Set(ids(d.organizationMembers, 'organizationId'))).toEqual(new Set([w.A.id]));
    },
  }),
  paginatedOrganizationMembers: read({
    field: 'paginatedOrganizationMembers',
    run: (w, c) => w.gw.gql(PAGINATED_ORGANIZATION_MEMBERS, { o: w.A.id }, w.auth(c)),
    succeeded: (d, w) => {
      const page = d.paginatedOrganizationMembers;
      expect(page.count).toBe(page.members.length);
      expect(ids(page.members, 'userId')).toContain(w.peer.id);
      expect(new Set(ids(page.members, 'organizationId'))).toEqual(new Set([w.A.id]));
    },
  }),
  organizationMember: read({
    field: 'organizationMember',
    run: (w, c) => w.gw.gql(ORGANIZATION_MEMBER, { o: w.A.id, u: w.peer.id }, w.auth(c)),
    succeeded: (d, w) => expect(d.organizationMember).toEqual({ organizationId: w.A.id, userId: w.peer.id }),
  }),
  assignableOrganizationRoles: read({
    field: 'assignableOrganizationRoles',
    run: (w, c) => w.gw.gql(ASSIGNABLE_ORGANIZATION_ROLES, { o: w.A.id }, w.auth(c)),
    succeeded: (d) =>
      expect(d.assignableOrganizationRoles.slice(0, 5).map((r) => r.name)).toEqual([
        'organization-admin',
        'organization-auditor',
        'organization-user-admin',
        'organization-template-admin',
        'organization-workspace-creation-ban',
      ]),
  }),
  assignableSiteRoles: read({
    field: 'assignableSiteRoles',
    run: (w, c) => w.gw.gql(ASSIGNABLE_SITE_ROLES, {}, w.auth(c)),
    succeeded: (d) =>
      expect(d.assignableSiteRoles.map((r) => r.name)).toEqual(['owner', 'auditor', 'template-admin', 'user-admin']),
  }),
  'Organization.members': read({
    field: 'organization',
    run: (w, c) => w.gw.gql(ORGANIZATION_MEMBERS_CONNECTION, { o: w.A.id }, w.auth(c)),
    succeeded: (d, w) => {
      const { totalCount, edges } = d.organization!.members!;
      expect(totalCount).toBe(edges.length);
      expect(totalCount).toBeGreaterThan(0);
      expect(new Set(edges.map((e) => e.node.organizationId))).toEqual(new Set([w.A.id]));
    },
  }),
  'User.organizationMemberships': read({
    field: 'user',
    run: (w, c) => w.gw.gql(USER_MEMBERSHIPS, { u: w.peer.id }, w.auth(c)),
    // Whose memberships each caller sees: visibility.test.ts.
    succeeded: (d, w) => {
      const memberships = d.user!.organizationMemberships;
      expect(ids(memberships, 'organizationId')).toContain(w.A.id);
      expect(new Set(ids(memberships, 'userId'))).toEqual(new Set([w.peer.id]));
    },
  }),

  addOrganizationMember: write({
    field: 'addOrganizationMember',
    arrange: (w) => makeUser(w.db),
    run: (w, c, target) => w.gw.gql(ADD_MEMBER, { o: w.A.id, u: target.id }, w.auth(c)),
    succeeded: async (d, w, target) => {
      expect(d.addOrganizationMember).toEqual({ organizationId: w.A.id, userId: target.id, roles: [] });
      expect(await storedRoles(w.db, w.A.id, target.id)).toEqual([]);
    },
  }),
  removeOrganizationMember: write({
    field: 'removeOrganizationMember',
    arrange: (w) => makeMember(w.db, w.A.id),
    run: (w, c, target) => w.gw.gql(REMOVE_MEMBER, { o: w.A.id, u: target.id }, w.auth(c)),
    succeeded: async (d, w, target) => {
      expect(d.removeOrganizationMember).toBe(true);
      expect(await storedRoles(w.db, w.A.id, target.id)).toBeUndefined();
    },
  }),
  updateOrganizationMemberRoles: write({
    field: 'updateOrganizationMemberRoles',
    arrange: (w) => makeMember(w.db, w.A.id),
    run: (w, c, target) => w.gw.gql(MAKE_AUDITOR, { o: w.A.id, u: target.id }, w.auth(c)),
    succeeded: async (d, w, target) => {
      expect(d.updateOrganizationMemberRoles).toEqual({ userId: target.id, roles: [{ name: 'organization-auditor' }] });
      expect(await storedRoles(w.db, w.A.id, target.id)).toEqual(['organization-auditor']);
    },
  }),
  createOrganizationRole: write({
    field: 'createOrganizationRole',
    arrange: async () => fresh('role'),
    run: (w, c, name) =>
      w.gw.gql(
        CREATE_ROLE,
        { o: w.A.id, r: { name, organizationPermissions: [{ resourceType: 'ORGANIZATION_MEMBER', action: 'READ' }] } },
        w.auth(c),
      ),
    succeeded: async (d, w, name) => {
      expect(d.createOrganizationRole).toEqual({
        name,
        organizationPermissions: [{ resourceType: 'ORGANIZATION_MEMBER', action: 'READ', negate: false }],
      });
      expect((await storedCustomRole(w.db, w.A.id, name))?.orgPermissions).toEqual([
        { negate: false, resource_type: 'organization_member', action: 'read' },
      ]);
    },
  }),
  updateOrganizationRole: write({
    field: 'updateOrganizationRole',
    arrange: (w) => insertCustomRole(w.db, { organizationId: w.A.id, org: READ_MEMBERS }),
    run: (w, c, name) =>
      w.gw.gql(
        UPDATE_ROLE,
        {
          o: w.A.id,
          r: {
            name,
            displayName: 'Renamed',
            organizationPermissions: [{ resourceType: 'ORGANIZATION', action: 'READ' }],
          },
        },
        w.auth(c),
      ),
    succeeded: async (d, w, name) => {
      expect(d.updateOrganizationRole).toEqual({ name, displayName: 'Renamed' });
      expect(await storedCustomRole(w.db, w.A.id, name)).toMatchObject({
        displayName: 'Renamed',
        orgPermissions: [{ negate: false, resource_type: 'organization', action: 'read' }],
      });
    },
  }),
  deleteOrganizationRole: write({
    field: 'deleteOrganizationRole',
    // A role that someone holds: deleting it must also take it from the holder.
    arrange: async (w) => {
      const name = await insertCustomRole(w.db, { organizationId: w.A.id, org: READ_MEMBERS });
      return { name, holder: await makeMember(w.db, w.A.id, [name]) };
    },
    run: (w, c, { name }) => w.gw.gql(DELETE_ROLE, { o: w.A.id, n: name }, w.auth(c)),
    succeeded: async (d, w, { name, holder }) => {
      expect(d.deleteOrganizationRole).toBe(true);
      expect(await storedCustomRole(w.db, w.A.id, name)).toBeNull();
      expect(await storedRoles(w.db, w.A.id, holder.id)).toEqual([]);
    },
  }),
};

/** Everything the members API can change: every membership and every custom role. */
async function databaseState(w: FullCast) {
  const [memberships, customRoles] = await Promise.all([
    w.db.prisma.organizationMember.findMany({ orderBy: [{ organizationId: 'asc' }, { userId: 'asc' }] }),
    w.db.prisma.customRole.findMany({ orderBy: { id: 'asc' } }),
  ]);
  return { memberships, customRoles };
}

/** SPEC B.2: the message says which check refused the session. */
const WHY_UNAUTHENTICATED: Partial<Record<Caller, RegExp>> = {
  'no token': /no session token/i,
  'expired token': /expired/i,
  'suspended user': /suspended/i,
};

interface Row {
  operation: string;
  caller: Caller;
  expected: Expected;
}

const ROWS: Row[] = OPERATIONS.flatMap((op) => [
  ...UNAUTHENTICATED_CALLERS.map((caller): Row => ({ operation: op, caller, expected: 'UNAUTHENTICATED' })),
  ...CALLERS.map((caller, i): Row => ({ operation: op, caller, expected: MATRIX[op]![i]! })),
]);

describe('the matrix is complete', () => {
  it('has one outcome per caller for each of the 17 operations', () => {
    expect(OPERATIONS).toHaveLength(17);
    expect(Object.keys(OPERATION).sort()).toEqual([...OPERATIONS].sort());
    for (const op of OPERATIONS) expect(MATRIX[op], op).toHaveLength(CALLERS.length);
  });
});

describe.each(DATABASE_KINDS)('authorization matrix on %s', (kind) => {
  let gw: TestGateway;
  let w: FullCast;
  beforeAll(async () => {
    gw = await startTestGateway(kind);
    w = await makeFullCast(gw);
  });
  afterAll(() => gw?.close());

  it.each(ROWS)('$operation as $caller: $expected', async ({ operation: name, caller, expected }) => {
    const op = OPERATION[name]!;
    const run = await op.arrange(w);
    const before = op.mutation ? await databaseState(w) : undefined;

    const { response, succeeded } = await run(caller);

    if (expected === ok) {
      await succeeded();
      return;
    }
    if (expected === NULL) {
      expect(response).toEqual({ data: { [op.field]: null } });
      return;
    }
    expect(errorCode(response), JSON.stringify(response)).toBe(expected);
    if (expected === 'UNAUTHENTICATED') expect(response.errors![0]!.message).toMatch(WHY_UNAUTHENTICATED[caller]!);
    expectRefusal(response, expected); // and the refused field is null
    if (op.mutation) expect(await databaseState(w)).toEqual(before);
  });
});
