// Nobody gains more than they hold (SPEC B.3, D): organization roles are not
// site roles, an organization's admin is nobody elsewhere, a custom role
// cannot grant what its creator lacks, the assignment table is not widened by
// custom permissions, and negated permissions (the workspace-creation ban)
// bind an organization admin but not an owner. Every refusal must leave the
// database as it was.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DATABASE_KINDS } from '../support/databases.js';
import {
  errorCode,
  makeOrganization,
  makeUser,
  startTestGateway,
  type GraphQLResponse,
  type TestGateway,
  type TestUser,
} from '../support/gateway.js';
import {
  makeFullCast,
  makeMember,
  dataOf,
  errorOf,
  fresh,
  READ_MEMBERS,
  insertCustomRole,
  storedRoles,
  STEWARD_ROLE,
  storedCustomRole,
  type FullCast,
} from '../support/fixtures.js';
import { graphql, type VariablesOf } from '../support/graphql.js';

const SET_ROLES = graphql(`mutation ($o: String!, $u: String!, $r: [String!]!) {
  updateOrganizationMemberRoles(organization: $o, user: $u, roles: $r) { roles { name } }
}`);
const CREATE_ROLE = graphql(
  `mutation ($o: String!, $r: CustomRoleInput!) { createOrganizationRole(organization: $o, role: $r) { name } }`,
);
const UPDATE_ROLE = graphql(
  `mutation ($o: String!, $r: CustomRoleInput!) { updateOrganizationRole(organization: $o, role: $r) { name } }`,
);
const ADD_MEMBER = graphql(
  'mutation ($o: String!, $u: String!) { addOrganizationMember(organization: $o, user: $u) { userId } }',
);
const ADD_MEMBER_ROLES = graphql(
  'mutation ($o: String!, $u: String!) { addOrganizationMember(organization: $o, user: $u) { roles { name } } }',
);
const REMOVE_MEMBER = graphql(
  'mutation ($o: String!, $u: String!) { removeOrganizationMember(organization: $o, user: $u) }',
);
const REMOVE_SELF = graphql('mutation ($o: String!) { removeOrganizationMember(organization: $o, user: "me") }');
const DELETE_ROLE = graphql(
  'mutation ($o: String!, $n: String!) { deleteOrganizationRole(organization: $o, name: $n) }',
);
const ASSIGNABLE_ORGANIZATION_ROLES = graphql(
  'query ($o: String!) { assignableOrganizationRoles(organization: $o) { name assignable } }',
);
const ASSIGNABLE_SITE_ROLES = graphql('{ assignableSiteRoles { name assignable } }');

const setRoles = (w: FullCast, token: string, organization: string, user: string, roles: string[]) =>
  w.gw.gql(SET_ROLES, { o: organization, u: user, r: roles }, token);

type RoleInput = VariablesOf<typeof CREATE_ROLE>['r'];
type PermissionInput = NonNullable<RoleInput['organizationPermissions']>[number];

const createRole = (
  w: FullCast,
  token: string,
  organization: string,
  name: string,
  organizationPermissions: PermissionInput[],
  extra: Partial<RoleInput> = {},
) => w.gw.gql(CREATE_ROLE, { o: organization, r: { name, organizationPermissions, ...extra } }, token);

const updateRole = (
  w: FullCast,
  token: string,
  organization: string,
  name: string,
  organizationPermissions: PermissionInput[],
) => w.gw.gql(UPDATE_ROLE, { o: organization, r: { name, organizationPermissions } }, token);

/** A BAD_USER_INPUT whose message says `why`. */
function expectBadInput(response: GraphQLResponse, why: RegExp) {
  expect(errorCode(response), JSON.stringify(response)).toBe('BAD_USER_INPUT');
  expect(errorOf(response).message).toMatch(why);
}

describe.each(DATABASE_KINDS)('no escalation, on %s', (kind) => {
  let gw: TestGateway;
  let w: FullCast;
  beforeAll(async () => {
    gw = await startTestGateway(kind);
    w = await makeFullCast(gw);
  });
  afterAll(() => gw?.close());

  describe('site roles are not organization roles', () => {
    const cases = [
      ...['owner', 'member', 'auditor', 'user-admin', 'template-admin'].flatMap((role) =>
        (['org admin', 'owner'] as const).map((caller) => ({ caller, role })),
      ),
      // A scoped name ("role:org") is not a bare organization role name either.
      { caller: 'org admin' as const, role: 'organization-admin:ORG' },
    ];
    it.each(cases)('$caller giving $role in A: BAD_USER_INPUT "not a supported role"', async ({ caller, role }) => {
      const target = await makeMember(w.db, w.A.id);
      const response = await setRoles(w, w.users[caller].token, w.A.id, target.id, [role.replace('ORG', w.A.id)]);
      expectBadInput(response, /not a supported role/i);
      expect(await storedRoles(w.db, w.A.id, target.id)).toEqual([]);
      expect((await w.db.prisma.user.findUniqueOrThrow({ where: { id: target.id } })).rbacRoles).toEqual([]);
    });
  });

  describe("an organization admin of A is nobody in B's role management", () => {
    // How the admin of A relates to B, and what B's refusal is.
    const cases = [
      { relation: 'not a member of B', rolesInB: null, expected: 'NOT_FOUND' }, // B is hidden
      { relation: 'a plain member of B', rolesInB: [], expected: 'NOT_FOUND' }, // the target's membership is hidden
      { relation: 'an organization auditor of B', rolesInB: ['organization-auditor'], expected: 'FORBIDDEN' }, // sees it, may not assign
      {
        relation: 'an organization user admin of B',
        rolesInB: ['organization-user-admin'],
        expected: 'BAD_USER_INPUT',
      }, // may assign organization-member only
    ];
    it.each(cases)('when $relation, giving organization-admin in B: $expected', async ({ rolesInB, expected }) => {
      const admin = await makeUser(w.db, {
        orgs: { [w.A.id]: ['organization-admin'], ...(rolesInB ? { [w.B.id]: rolesInB } : {}) },
      });
      const target = await makeMember(w.db, w.B.id);
      const response = await setRoles(w, admin.token, w.B.name, target.id, ['organization-admin']);
      expect(errorCode(response), JSON.stringify(response)).toBe(expected);
      expect(await storedRoles(w.db, w.B.id, target.id)).toEqual([]);
    });

    it('as a plain member of B, cannot add a member to B, remove one, or create, change or delete a role there', async () => {
      const admin = await makeUser(w.db, { orgs: { [w.A.id]: ['organization-admin'], [w.B.id]: [] } });
      const outsiderOfB = await makeUser(w.db);
      const memberOfB = await makeMember(w.db, w.B.id);
      const roleOfB = await insertCustomRole(w.db, { organizationId: w.B.id, org: READ_MEMBERS });
      const before = await storedCustomRole(w.db, w.B.id, roleOfB);
      const responses = {
        add: await w.gw.gql(ADD_MEMBER, { o: w.B.id, u: outsiderOfB.id }, admin.token),
        remove: await w.gw.gql(REMOVE_MEMBER, { o: w.B.id, u: memberOfB.id }, admin.token),
        create: await createRole(w, admin.token, w.B.id, fresh('role'), [
          { resourceType: 'ORGANIZATION', action: 'READ' },
        ]),
        update: await updateRole(w, admin.token, w.B.id, roleOfB, [{ resourceType: 'ORGANIZATION', action: 'READ' }]),
        delete: await w.gw.gql(DELETE_ROLE, { o: w.B.id, n: roleOfB }, admin.token),
      };
      expect(Object.fromEntries(Object.entries(responses).map(([k, r]) => [k, errorCode(r)]))).toEqual({
        add: 'NOT_FOUND',
        remove: 'NOT_FOUND',
        create: 'NOT_FOUND',
        update: 'NOT_FOUND',
        delete: 'FORBIDDEN',
      });
      expect(await storedRoles(w.db, w.B.id, outsiderOfB.id)).toBeUndefined();
      expect(await storedRoles(w.db, w.B.id, memberOfB.id)).toEqual([]);
      expect(await storedCustomRole(w.db, w.B.id, roleOfB)).toEqual(before);
      expect(await w.db.prisma.customRole.count({ where: { organizationId: w.B.id } })).toBe(1);
    });
  });

  describe('an organization admin cannot grant in a custom role what it does not hold', () => {
    const refused: PermissionInput[] = [
      { resourceType: 'WORKSPACE', action: 'SSH' },
      { resourceType: 'WORKSPACE', action: 'APPLICATION_CONNECT' },
      { resourceType: 'ASSIGN_ROLE', action: 'ASSIGN' },
      { resourceType: 'ASSIGN_ROLE', action: 'UNASSIGN' },
    ];
    it.each(refused)(
      'creating a role with $resourceType $action: BAD_USER_INPUT "not allowed to grant"',
      async (permission) => {
        const name = fresh('role');
        const response = await createRole(w, w.users['org admin'].token, w.A.id, name, [
          { resourceType: 'WORKSPACE', action: 'READ' },
          permission,
        ]);
        expectBadInput(response, /not allowed to grant this permission/i);
        expect(await storedCustomRole(w.db, w.A.id, name)).toBeNull();
      },
    );

    it.each(refused)(
      'adding $resourceType $action to an existing role: BAD_USER_INPUT, role unchanged',
      async (permission) => {
        const name = await insertCustomRole(w.db, { organizationId: w.A.id, org: READ_MEMBERS });
        const before = await storedCustomRole(w.db, w.A.id, name);
        const response = await updateRole(w, w.users['org admin'].token, w.A.id, name, [permission]);
        expectBadInput(response, /not allowed to grant this permission/i);
        expect(await storedCustomRole(w.db, w.A.id, name)).toEqual(before);
      },
    );

    it('the owner can grant workspace ssh and application_connect, and assign_role assign, in a custom role of A', async () => {
      const name = fresh('role');
      const response = await createRole(w, w.users.owner.token, w.A.id, name, refused);
      expect(dataOf(response)).toEqual({ createOrganizationRole: { name } });
    });

    it('an organization admin may grant what it holds: workspace actions other than ssh/application_connect, and assign_role read', async () => {
      // assign_role read is held by every user (the implicit site role `member`), so granting it escalates nothing.
      const name = fresh('role');
      const granted = (['READ', 'CREATE', 'UPDATE', 'DELETE', 'START', 'STOP'] as const).map(
        (action): PermissionInput => ({ resourceType: 'WORKSPACE', action }),
      );
      const response = await createRole(w, w.users['org admin'].token, w.A.id, name, [
        ...granted,
        { resourceType: 'ASSIGN_ROLE', action: 'READ' },
      ]);
      expect(dataOf(response)).toEqual({ createOrganizationRole: { name } });
    });

    it.each([
      { list: 'sitePermissions', caller: 'org admin' },
      { list: 'userPermissions', caller: 'org admin' },
      { list: 'sitePermissions', caller: 'owner' },
    ] as const)('$caller cannot put permissions in $list of an organization role', async ({ list, caller }) => {
      const name = fresh('role');
      const response = await createRole(w, w.users[caller].token, w.A.id, name, [], {
        [list]: [{ resourceType: 'ORGANIZATION', action: 'READ' }],
      });
      expect(errorCode(response)).toBe('BAD_USER_INPUT');
      expect(await storedCustomRole(w.db, w.A.id, name)).toBeNull();
    });
  });

  describe('nobody changes their own roles', () => {
    const callers = ['org admin', 'org user admin', 'custom role'] as const;
    const selves: [string, (u: TestUser) => string][] = [
      ['"me"', () => 'me'],
      ['its id', (u) => u.id],
      ['its upper-case username', (u) => u.username.toUpperCase()],
    ];
    const cases = callers.flatMap((caller) => selves.map(([how, ref]) => ({ caller, how, ref })));

    it.each(cases)('$caller, naming itself by $how: BAD_USER_INPUT', async ({ caller, ref }) => {
      const self = w.users[caller];
      const before = await storedRoles(w.db, w.A.id, self.id);
      for (const roles of [[...before!, 'organization-auditor'], []]) {
        expectBadInput(await setRoles(w, self.token, w.A.id, ref(self), roles), /your own/i);
      }
      expect(await storedRoles(w.db, w.A.id, self.id)).toEqual(before);
    });

    it('an organization admin cannot remove itself either', async () => {
      const response = await w.gw.gql(REMOVE_SELF, { o: w.A.id }, w.users['org admin'].token);
      expectBadInput(response, /cannot remove self/i);
      expect(await storedRoles(w.db, w.A.id, w.users['org admin'].id)).toEqual(['organization-admin']);
    });
  });

  describe('an organization user admin adds members but hands out no visible role', () => {
    const VISIBLE_ROLES = [
      'organization-admin',
      'organization-auditor',
      'organization-user-admin',
      'organization-template-admin',
      'organization-workspace-creation-ban',
    ];

    it('adds a member, who gets no roles', async () => {
      const target = await makeUser(w.db);
      const response = await w.gw.gql(
        ADD_MEMBER_ROLES,
        { o: w.A.id, u: target.username },
        w.users['org user admin'].token,
      );
      expect(dataOf(response)).toEqual({ addOrganizationMember: { roles: [] } });
      expect(await storedRoles(w.db, w.A.id, target.id)).toEqual([]);
    });

    it.each([...VISIBLE_ROLES, STEWARD_ROLE.name])(
      'giving %s: BAD_USER_INPUT "not authorized to assign role"',
      async (role) => {
        const target = await makeMember(w.db, w.A.id);
        const response = await setRoles(w, w.users['org user admin'].token, w.A.id, target.id, [role]);
        expectBadInput(response, /not authorized to assign role/i);
        expect(await storedRoles(w.db, w.A.id, target.id)).toEqual([]);
      },
    );

    it.each(VISIBLE_ROLES)('taking %s away: BAD_USER_INPUT "not authorized to assign role"', async (role) => {
      const target = await makeMember(w.db, w.A.id, [role]);
      const response = await setRoles(w, w.users['org user admin'].token, w.A.id, target.id, []);
      expectBadInput(response, /not authorized to assign role/i);
      expect(await storedRoles(w.db, w.A.id, target.id)).toEqual([role]);
    });

    it('may confirm a plain member as plain (the implicit organization-member is its to assign)', async () => {
      const target = await makeMember(w.db, w.A.id);
      const response = await setRoles(w, w.users['org user admin'].token, w.A.id, target.id, []);
      expect(dataOf(response)).toEqual({ updateOrganizationMemberRoles: { roles: [] } });
    });
  });

  describe('a custom role granting assign_org_role assign does not widen the assignment table', () => {
    // STEWARD_ROLE: organization_member crud and assign_org_role assign/unassign/read/create/update/delete in A.
    it.each([
      { roles: ['organization-admin'] },
      { roles: ['organization-auditor'] },
      { roles: [STEWARD_ROLE.name] },
      { roles: [] }, // still "assigns" the implicit organization-member, which is not the steward's to assign
    ])('the steward giving $roles: BAD_USER_INPUT "not authorized to assign role"', async ({ roles }) => {
      const target = await makeMember(w.db, w.A.id);
      const response = await setRoles(w, w.users['custom role'].token, w.A.id, target.id, roles);
      expectBadInput(response, /not authorized to assign role/i);
      expect(await storedRoles(w.db, w.A.id, target.id)).toEqual([]);
    });

    it('the steward cannot take a role away either', async () => {
      const target = await makeMember(w.db, w.A.id, ['organization-auditor']);
      const response = await setRoles(w, w.users['custom role'].token, w.A.id, target.id, []);
      expectBadInput(response, /not authorized to assign role/i);
      expect(await storedRoles(w.db, w.A.id, target.id)).toEqual(['organization-auditor']);
    });
  });

  describe("assignableOrganizationRoles' `assignable` is exactly what the caller can then assign", () => {
    const callers = ['owner', 'org admin', 'org user admin', 'site user admin', 'custom role'] as const;
    it.each(callers)('%s', async (caller) => {
      const token = w.users[caller].token;
      const listed = dataOf(
        await w.gw.gql(ASSIGNABLE_ORGANIZATION_ROLES, { o: w.A.id }, token),
      ).assignableOrganizationRoles;
      expect(listed.map((r) => r.name)).toContain(STEWARD_ROLE.name);
      const expectAssignable = caller === 'owner' || caller === 'org admin';
      expect(listed.filter((r) => r.assignable !== expectAssignable)).toEqual([]);

      for (const { name, assignable } of listed) {
        const target = await makeMember(w.db, w.A.id);
        const response = await setRoles(w, token, w.A.id, target.id, [name]);
        if (assignable)
          expect(dataOf(response), name).toEqual({ updateOrganizationMemberRoles: { roles: [{ name }] } });
        else expect(errorCode(response), name).toBe('BAD_USER_INPUT');
        expect(await storedRoles(w.db, w.A.id, target.id)).toEqual(assignable ? [name] : []);
      }
    });

    it.each(['owner', 'site user admin', 'org admin', 'member'] as const)(
      'assignableSiteRoles for %s',
      async (caller) => {
        const listed = dataOf(await w.gw.gql(ASSIGNABLE_SITE_ROLES, {}, w.users[caller].token)).assignableSiteRoles;
        expect(listed).toEqual(
          ['owner', 'auditor', 'template-admin', 'user-admin'].map((name) => ({
            name,
            assignable: caller === 'owner',
          })),
        );
      },
    );
  });

  describe('the workspace-creation ban binds an organization admin but not an owner', () => {
    const BANNED = ['CREATE', 'DELETE', 'CREATE_AGENT', 'DELETE_AGENT'] as const;
    let bannedAdmin: TestUser;
    let bannedOwner: TestUser;
    beforeAll(async () => {
      bannedAdmin = await makeUser(w.db, {
        orgs: { [w.A.id]: ['organization-admin', 'organization-workspace-creation-ban'] },
      });
      bannedOwner = await makeUser(w.db, {
        siteRoles: ['owner'],
        orgs: { [w.A.id]: ['organization-workspace-creation-ban'] },
      });
    });

    it.each(BANNED)(
      'a banned organization admin granting workspace %s: BAD_USER_INPUT "not allowed to grant"',
      async (action) => {
        const name = fresh('role');
        const response = await createRole(w, bannedAdmin.token, w.A.id, name, [{ resourceType: 'WORKSPACE', action }]);
        expectBadInput(response, /not allowed to grant this permission/i);
        expect(await storedCustomRole(w.db, w.A.id, name)).toBeNull();
      },
    );

    it.each(BANNED)('an organization admin without the ban may grant workspace %s', async (action) => {
      const name = fresh('role');
      const response = await createRole(w, w.users['org admin'].token, w.A.id, name, [
        { resourceType: 'WORKSPACE', action },
      ]);
      expect(dataOf(response)).toEqual({ createOrganizationRole: { name } });
    });

    it('the ban is only on what it negates: the banned admin may still grant workspace read, update, start and stop', async () => {
      const name = fresh('role');
      const allowed = (['READ', 'UPDATE', 'START', 'STOP'] as const).map(
        (action): PermissionInput => ({ resourceType: 'WORKSPACE', action }),
      );
      const response = await createRole(w, bannedAdmin.token, w.A.id, name, allowed);
      expect(dataOf(response)).toEqual({ createOrganizationRole: { name } });
    });

    it.each(BANNED)('an owner holding the ban in A may grant workspace %s (the site grant wins)', async (action) => {
      const name = fresh('role');
      const response = await createRole(w, bannedOwner.token, w.A.id, name, [{ resourceType: 'WORKSPACE', action }]);
      expect(dataOf(response)).toEqual({ createOrganizationRole: { name } });
    });
  });

  describe('connection_log follows audit_log', () => {
    // A custom role that may create roles in A and nothing else; combined with built-in roles of A, whoever holds
    // it may grant audit_log read exactly when it may grant connection_log read.
    let roleMaker: string;
    beforeAll(async () => {
      roleMaker = fresh('role-maker');
      const response = await createRole(w, w.users.owner.token, w.A.id, roleMaker, [
        { resourceType: 'ASSIGN_ORG_ROLE', action: 'CREATE' },
        { resourceType: 'ASSIGN_ORG_ROLE', action: 'READ' },
      ]);
      expect(dataOf(response)).toEqual({ createOrganizationRole: { name: roleMaker } });
    });

    const holders = [
      { holds: 'role-maker', roles: [], expected: 'BAD_USER_INPUT' },
      { holds: 'role-maker + organization-auditor', roles: ['organization-auditor'], expected: 'ok' },
      { holds: 'role-maker + org template admin', roles: ['organization-template-admin'], expected: 'BAD_USER_INPUT' },
      { holds: 'role-maker + org user admin', roles: ['organization-user-admin'], expected: 'BAD_USER_INPUT' },
      { holds: 'organization-admin', roles: ['organization-admin'], expected: 'ok', withoutRoleMaker: true },
    ];
    const cases = holders.flatMap((h) =>
      (['AUDIT_LOG', 'CONNECTION_LOG'] as const).map((resourceType) => ({ ...h, resourceType })),
    );

    it.each(cases)(
      '$holds granting $resourceType read: $expected',
      async ({ roles, expected, resourceType, withoutRoleMaker }) => {
        const holder = await makeUser(w.db, { orgs: { [w.A.id]: withoutRoleMaker ? roles : [roleMaker, ...roles] } });
        const name = fresh('role');
        const response = await createRole(w, holder.token, w.A.id, name, [{ resourceType, action: 'READ' }]);
        if (expected === 'ok') {
          expect(dataOf(response)).toEqual({ createOrganizationRole: { name } });
        } else {
          expectBadInput(response, /not allowed to grant this permission/i);
          expect(await storedCustomRole(w.db, w.A.id, name)).toBeNull();
        }
      },
    );
  });
});

// Each mutation field is one of Coder's REST calls, which authenticates afresh: a field after a write is judged by
// the caller's roles as that write left them, with the session cache on (its default) as without it.
describe.each(DATABASE_KINDS)('a write that narrows the caller’s own role binds its next field, on %s', (kind) => {
  let gw: TestGateway;
  beforeAll(async () => {
    gw = await startTestGateway(kind, { sessionCacheMs: 60_000 });
  });
  afterAll(() => gw?.close());

  const DELETE_THEN_REMOVE = graphql(`mutation ($o: String!, $n: String!, $u: String!) {
    deleted: deleteOrganizationRole(organization: $o, name: $n)
    removed: removeOrganizationMember(organization: $o, user: $u)
  }`);
  const REMOVE_THEN_REMOVE = graphql(`mutation ($o: String!, $u: String!, $v: String!) {
    first: removeOrganizationMember(organization: $o, user: $u)
    second: removeOrganizationMember(organization: $o, user: $v)
  }`);

  /** A member of a new organization whose only role is a custom one that may remove members and delete roles. */
  async function holderOfRemovingRole() {
    const organization = await makeOrganization(gw.database);
    const role = await insertCustomRole(gw.database, {
      organizationId: organization.id,
      org: [
        ...(['read', 'delete'] as const).map((action) => ({ resource_type: 'organization_member', action })),
        ...(['read', 'delete'] as const).map((action) => ({ resource_type: 'assign_org_role', action })),
      ],
    });
    const holder = await makeUser(gw.database, { orgs: { [organization.id]: [role] } });
    // The session, read and cached before the write.
    expect(await gw.gql(ASSIGNABLE_ORGANIZATION_ROLES, { o: organization.id }, holder.token)).not.toHaveProperty(
      'errors',
    );
    return { organization, role, holder };
  }

  it('deleting the role that allowed removals: the removal after it is refused, and the member stays', async () => {
    const { organization, role, holder } = await holderOfRemovingRole();
    const target = await makeMember(gw.database, organization.id);
    const response = await gw.gql(DELETE_THEN_REMOVE, { o: organization.id, n: role, u: target.id }, holder.token);
    // The deletion stands; the removal (a non-null field, so `data` is null) is refused at its own path.
    expect(response.data).toBeNull();
    expect(response.errors?.map((error) => [error.path, error.extensions?.code])).toEqual([[['removed'], 'NOT_FOUND']]);
    expect(await storedCustomRole(gw.database, organization.id, role)).toBeNull();
    expect(await storedRoles(gw.database, organization.id, target.id)).toEqual([]);
  });

  it('two writes the role still allows both succeed', async () => {
    const { organization, holder } = await holderOfRemovingRole();
    const [u, v] = [await makeMember(gw.database, organization.id), await makeMember(gw.database, organization.id)];
    const response = await gw.gql(REMOVE_THEN_REMOVE, { o: organization.id, u: u.id, v: v.id }, holder.token);
    expect(response).toEqual({ data: { first: true, second: true } });
  });
});
