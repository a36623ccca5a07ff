// createOrganizationRole, updateOrganizationRole and deleteOrganizationRole
// (POST, PUT and DELETE /organizations/{organization}/members/roles): custom
// organization roles, their validation in SPEC D's order, escalation, and
// what happens to the members who hold them.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DATABASE_KINDS } from '../support/databases.js';
import {
  dataOf,
  expectRefusal,
  expectRefusedUnchanged,
  makeCast,
  storedRoles,
  validationsOf,
  type Cast,
} from '../support/fixtures.js';
import { makeOrganization, makeUser, startTestGateway, type TestGateway, type TestUser } from '../support/gateway.js';
import { graphql, type VariablesOf } from '../support/graphql.js';

// `@_unmask`: the mutations that spread it read its fields directly, with no `readFragment`.
const ROLE_FIELDS = graphql(`fragment RoleFields on Role @_unmask {
  name displayName organizationId organization { id } builtIn
  sitePermissions { resourceType action negate }
  organizationPermissions { resourceType action negate }
  userPermissions { resourceType action negate }
}`);
const CREATE = graphql(
  `mutation ($org: String!, $role: CustomRoleInput!) { createOrganizationRole(organization: $org, role: $role) { ...RoleFields } }`,
  [ROLE_FIELDS],
);
const UPDATE = graphql(
  `mutation ($org: String!, $role: CustomRoleInput!) { updateOrganizationRole(organization: $org, role: $role) { ...RoleFields } }`,
  [ROLE_FIELDS],
);
const DELETE = graphql(
  `mutation ($org: String!, $name: String!) { deleteOrganizationRole(organization: $org, name: $name) }`,
);
const CUSTOM_ROLES = graphql(
  `query ($org: String!) { organization(organization: $org) { customRoles { name displayName } } }`,
);
const PAGE = graphql(`query ($org: String!) { paginatedOrganizationMembers(organization: $org) { count } }`);

type RoleInput = VariablesOf<typeof CREATE>['role'];
type PermissionInput = NonNullable<RoleInput['organizationPermissions']>[number];

const READ_TEMPLATES: PermissionInput = { resourceType: 'TEMPLATE', action: 'READ' };
const READ_MEMBERS: PermissionInput = { resourceType: 'ORGANIZATION_MEMBER', action: 'READ' };

let roleCounter = 0;
const roleName = (prefix = 'role') => `${prefix}-${++roleCounter}`;

describe.each(DATABASE_KINDS)('custom organization roles on %s', (kind) => {
  let gw: TestGateway;
  let cast: Cast;

  const create = (role: RoleInput, caller: TestUser, org = cast.org.name) =>
    gw.gql(CREATE, { org, role }, caller.token);
  const update = (role: RoleInput, caller: TestUser, org = cast.org.name) =>
    gw.gql(UPDATE, { org, role }, caller.token);
  const remove = (name: string, caller: TestUser, org = cast.org.name) => gw.gql(DELETE, { org, name }, caller.token);
  const refusedUnchanged = (run: () => ReturnType<TestGateway['gql']>, code: string, message?: RegExp) =>
    expectRefusedUnchanged(gw.database, run, code, message);
  /** A role created by the owner, for tests that start from one. */
  const existingRole = async (role: Partial<RoleInput> = {}, org = cast.org.name) => {
    const name = roleName();
    const response = await create(
      { name, displayName: 'Existing', organizationPermissions: [READ_TEMPLATES], ...role },
      cast.owner,
      org,
    );
    expect(response.errors).toBeUndefined();
    return name;
  };
  const storedRole = (name: string, organizationId = cast.org.id) =>
    gw.database.prisma.customRole.findFirst({ where: { name, organizationId } });

  beforeAll(async () => {
    gw = await startTestGateway(kind);
    cast = await makeCast(gw.database);
  });
  afterAll(() => gw?.close());

  describe('createOrganizationRole', () => {
    it("creates the role with a lower-cased name, lists it, and stores its permissions in Coder's form", async () => {
      const response = await create(
        {
          name: 'Release-Managers',
          displayName: 'Release managers',
          organizationPermissions: [READ_TEMPLATES, { resourceType: 'WORKSPACE', action: 'SSH' }],
        },
        cast.owner,
      );
      expect(response).toEqual({
        data: {
          createOrganizationRole: {
            name: 'release-managers',
            displayName: 'Release managers',
            organizationId: cast.org.id,
            organization: { id: cast.org.id },
            builtIn: false,
            sitePermissions: [],
            organizationPermissions: [
              { resourceType: 'TEMPLATE', action: 'READ', negate: false },
              { resourceType: 'WORKSPACE', action: 'SSH', negate: false },
            ],
            userPermissions: [],
          },
        },
      });
      const stored = await storedRole('release-managers');
      expect(stored).toMatchObject({
        displayName: 'Release managers',
        orgPermissions: [
          { negate: false, resource_type: 'template', action: 'read' },
          { negate: false, resource_type: 'workspace', action: 'ssh' },
        ],
        sitePermissions: [],
        userPermissions: [],
      });
      const listed = await gw.gql(CUSTOM_ROLES, { org: cast.org.name }, cast.member.token);
      expect(listed.data?.organization?.customRoles).toContainEqual({
        name: 'release-managers',
        displayName: 'Release managers',
      });
    });

    it('lets an organization admin create a role from permissions it holds', async () => {
      const name = roleName('by-admin');
      const response = await create(
        {
          name,
          organizationPermissions: [
            { resourceType: 'WORKSPACE', action: 'START' },
            { resourceType: 'TEMPLATE', action: 'UPDATE' },
          ],
        },
        cast.admin,
      );
      expect(response.data?.createOrganizationRole).toMatchObject({
        name,
        displayName: '',
        organizationId: cast.org.id,
      });
    });

    it('accepts a name of 32 characters', async () => {
      const name = 'r'.repeat(32);
      expect((await create({ name }, cast.owner)).data?.createOrganizationRole.name).toBe(name);
    });

    it.each([
      '',
      'under_score',
      '-leading',
      'trailing-',
      'double--hyphen',
      'with space',
      'x'.repeat(33),
      'new',
      'create',
      'NEW',
    ])('refuses the invalid name %j', async (name) => {
      const response = await refusedUnchanged(
        () => create({ name }, cast.owner),
        'BAD_USER_INPUT',
        /invalid role name/i,
      );
      expect(validationsOf(response).map((v) => v.field)).toEqual(['name']);
    });

    it.each([
      'owner',
      'Owner',
      'member',
      'auditor',
      'user-admin',
      'organization-admin',
      'ORGANIZATION-ADMIN',
      'organization-member',
      'organization-workspace-creation-ban',
    ])('refuses the built-in name %j as reserved', async (name) => {
      await refusedUnchanged(() => create({ name }, cast.owner), 'BAD_USER_INPUT', /reserved role name/i);
    });

    it('refuses site and user permissions, which an organization role cannot carry', async () => {
      const site = await refusedUnchanged(
        () => create({ name: roleName(), sitePermissions: [READ_TEMPLATES] }, cast.owner),
        'BAD_USER_INPUT',
      );
      expect(validationsOf(site).map((v) => v.field)).toEqual(['sitePermissions']);
      const user = await refusedUnchanged(
        () => create({ name: roleName(), userPermissions: [READ_TEMPLATES] }, cast.owner),
        'BAD_USER_INPUT',
      );
      expect(validationsOf(user).map((v) => v.field)).toEqual(['userPermissions']);
      const both = await refusedUnchanged(
        () =>
          create(
            { name: roleName(), sitePermissions: [READ_TEMPLATES], userPermissions: [READ_TEMPLATES] },
            cast.owner,
          ),
        'BAD_USER_INPUT',
      );
      expect(validationsOf(both).map((v) => v.field)).toEqual(['sitePermissions', 'userPermissions']);
    });

    it('checks the request before the right to create: a plain member with a reserved name or site permissions gets BAD_USER_INPUT', async () => {
      await refusedUnchanged(() => create({ name: 'owner' }, cast.member), 'BAD_USER_INPUT', /reserved/i);
      await refusedUnchanged(
        () => create({ name: roleName(), sitePermissions: [READ_TEMPLATES] }, cast.member),
        'BAD_USER_INPUT',
      );
    });

    it('is NOT_FOUND for callers who may not create roles in the organization', async () => {
      for (const caller of [cast.member, cast.auditor, cast.userAdmin, cast.siteAuditor, cast.outsider]) {
        await refusedUnchanged(
          () => create({ name: roleName(), organizationPermissions: [READ_TEMPLATES] }, caller),
          'NOT_FOUND',
        );
      }
      // Admin elsewhere is nothing here: the outsider may create roles only in its own organization.
      expect((await create({ name: roleName() }, cast.outsider, cast.otherOrg.name)).errors).toBeUndefined();
    });

    it('checks permissions after the right to create: a plain member asking for a negated one gets NOT_FOUND', async () => {
      await refusedUnchanged(
        () => create({ name: roleName(), organizationPermissions: [{ ...READ_TEMPLATES, negate: true }] }, cast.member),
        'NOT_FOUND',
      );
    });

    it.each<[string, PermissionInput, RegExp]>([
      ['an action the resource does not have', { resourceType: 'USER', action: 'SSH' }, /invalid permission/i],
      ['a negated permission', { resourceType: 'TEMPLATE', action: 'READ', negate: true }, /no negative permissions/i],
      ['the wildcard resource', { resourceType: 'ALL', action: 'READ' }, /no wildcard symbols/i],
    ])('refuses %s, naming the permission', async (_what, permission, message) => {
      const response = await refusedUnchanged(
        () => create({ name: roleName(), organizationPermissions: [READ_TEMPLATES, permission] }, cast.owner),
        'BAD_USER_INPUT',
        message,
      );
      expect(validationsOf(response).map((v) => v.field)).toEqual(['organizationPermissions[1]']);
    });

    it('refuses a permission the caller does not hold: an organization admin cannot grant workspace ssh or application_connect', async () => {
      for (const action of ['SSH', 'APPLICATION_CONNECT'] as const) {
        await refusedUnchanged(
          () =>
            create({ name: roleName(), organizationPermissions: [{ resourceType: 'WORKSPACE', action }] }, cast.admin),
          'BAD_USER_INPUT',
          /not allowed to grant this permission/i,
        );
      }
    });

    it('refuses even an owner a permission it does not hold (ssh into a dormant workspace)', async () => {
      await refusedUnchanged(
        () =>
          create(
            { name: roleName(), organizationPermissions: [{ resourceType: 'WORKSPACE_DORMANT', action: 'SSH' }] },
            cast.owner,
          ),
        'BAD_USER_INPUT',
        /not allowed to grant this permission/i,
      );
    });

    it('is CONFLICT for a name the organization already has, in any case; another organization may reuse it', async () => {
      const name = await existingRole();
      const response = await refusedUnchanged(
        () => create({ name: name.toUpperCase(), displayName: 'Again' }, cast.owner),
        'CONFLICT',
        /already exists/i,
      );
      expect(response.errors![0]!.message).toContain(name);
      expect((await storedRole(name))?.displayName).toBe('Existing');
      expect((await create({ name }, cast.owner, cast.otherOrg.name)).data?.createOrganizationRole.organizationId).toBe(
        cast.otherOrg.id,
      );
    });

    it('gives one success and one CONFLICT when two creates of the same name race', async () => {
      for (let round = 0; round < 3; round++) {
        const name = roleName('race');
        const responses = await Promise.all([create({ name }, cast.owner), create({ name }, cast.admin)]);
        expect(responses.map((r) => r.errors?.[0]?.extensions?.code ?? 'OK').sort(), JSON.stringify(responses)).toEqual(
          ['CONFLICT', 'OK'],
        );
        expect(await gw.database.prisma.customRole.count({ where: { name, organizationId: cast.org.id } })).toBe(1);
      }
    });

    // Coder's codersdk.CustomRoleRequest puts no limit on display_name (issue 18, point 5); the gateway takes
    // 10,000 characters, far longer than any name, and refuses a megabyte (docs/decisions.md 16).
    it('accepts a display name of up to 10,000 characters, and refuses a longer one on create and on update', async () => {
      const name = roleName();
      const displayName = `Release ${'d'.repeat(9_990)} ✓`;
      expect(displayName).toHaveLength(10_000);
      const response = await create({ name, displayName }, cast.owner);
      expect(dataOf(response).createOrganizationRole.displayName).toBe(displayName);
      expect((await storedRole(name))?.displayName).toBe(displayName);

      const tooLong = `${displayName}!`;
      await refusedUnchanged(
        () => create({ name: roleName(), displayName: tooLong }, cast.owner),
        'BAD_USER_INPUT',
        /display name is at most 10000 characters/i,
      );
      await refusedUnchanged(() => update({ name, displayName: tooLong }, cast.owner), 'BAD_USER_INPUT');
      expect((await storedRole(name))?.displayName).toBe(displayName);
    });

    it('refuses a custom role past the 1,000 an organization may hold, and stores nothing', async () => {
      const organization = await makeOrganization(gw.database);
      await gw.database.prisma.$executeRawUnsafe(
        `INSERT INTO custom_roles (name, display_name, organization_id, org_permissions, site_permissions, user_permissions, created_at, updated_at)
         SELECT 'bulk-' || i, '', $1::uuid, '[]', '[]', '[]', now(), now() FROM generate_series(1, 999) i`,
        organization.id,
      );
      // Eight creates at once for the last place: one gets it.
      const racing = await Promise.all(
        Array.from({ length: 8 }, () =>
          create({ name: roleName(), displayName: 'The thousandth' }, cast.owner, organization.id),
        ),
      );
      expect(racing.filter((response) => !response.errors)).toHaveLength(1);
      expect(racing.flatMap((response) => response.errors?.map((error) => error.extensions?.code) ?? [])).toEqual(
        Array(7).fill('BAD_USER_INPUT'),
      );
      await refusedUnchanged(
        () => create({ name: roleName(), displayName: 'One too many' }, cast.owner, organization.id),
        'BAD_USER_INPUT',
        /at most 1000 custom roles/i,
      );
      expect(await gw.database.prisma.customRole.count({ where: { organizationId: organization.id } })).toBe(1_000);
    });

    it('needs a session token', async () => {
      const name = roleName();
      expectRefusal(await gw.gql(CREATE, { org: cast.org.name, role: { name } }), 'UNAUTHENTICATED');
      expect(await storedRole(name)).toBeNull();
    });
  });

  describe('updateOrganizationRole', () => {
    it('replaces the display name and permissions; lists left out become empty', async () => {
      const name = await existingRole();
      const response = await update(
        { name, displayName: 'Renamed', organizationPermissions: [{ resourceType: 'WORKSPACE', action: 'READ' }] },
        cast.owner,
      );
      expect(dataOf(response).updateOrganizationRole).toMatchObject({
        name,
        displayName: 'Renamed',
        builtIn: false,
        organizationPermissions: [{ resourceType: 'WORKSPACE', action: 'READ', negate: false }],
      });
      const emptied = await update({ name }, cast.owner);
      expect(dataOf(emptied).updateOrganizationRole).toMatchObject({
        name,
        displayName: '',
        organizationPermissions: [],
        sitePermissions: [],
        userPermissions: [],
      });
      expect(await storedRole(name)).toMatchObject({ displayName: '', orgPermissions: [] });
    });

    it('finds the role by name in any case, and lets an organization admin update it', async () => {
      const name = await existingRole();
      const response = await update(
        { name: name.toUpperCase(), displayName: 'By admin', organizationPermissions: [READ_MEMBERS] },
        cast.admin,
      );
      expect(response.data?.updateOrganizationRole).toMatchObject({ name, displayName: 'By admin' });
    });

    it('gives the members who hold the role its new permissions', async () => {
      const name = await existingRole({ organizationPermissions: [] });
      const holder = await makeUser(gw.database, { orgs: { [cast.org.id]: [name] } });
      expectRefusal(await gw.gql(PAGE, { org: cast.org.name }, holder.token), 'NOT_FOUND');
      await update({ name, organizationPermissions: [READ_MEMBERS] }, cast.owner);
      expect(
        (await gw.gql(PAGE, { org: cast.org.name }, holder.token)).data?.paginatedOrganizationMembers.count,
      ).toBeGreaterThan(1);
    });

    it('is NOT_FOUND for a role that does not exist, and creates none', async () => {
      const name = roleName('missing');
      await refusedUnchanged(() => update({ name, displayName: 'Ghost' }, cast.owner), 'NOT_FOUND', /no custom role/i);
      // A role of another organization is not this organization's.
      const elsewhere = await existingRole({}, cast.otherOrg.name);
      await refusedUnchanged(() => update({ name: elsewhere }, cast.owner), 'NOT_FOUND');
    });

    it('validates like create: reserved and invalid names, site permissions, invalid pairs, escalation', async () => {
      const name = await existingRole();
      await refusedUnchanged(
        () => update({ name: 'organization-admin' }, cast.owner),
        'BAD_USER_INPUT',
        /reserved role name/i,
      );
      await refusedUnchanged(() => update({ name: 'bad_name' }, cast.owner), 'BAD_USER_INPUT', /invalid role name/i);
      await refusedUnchanged(() => update({ name, sitePermissions: [READ_TEMPLATES] }, cast.owner), 'BAD_USER_INPUT');
      await refusedUnchanged(() => update({ name, userPermissions: [READ_TEMPLATES] }, cast.owner), 'BAD_USER_INPUT');
      await refusedUnchanged(
        () => update({ name, organizationPermissions: [{ resourceType: 'FILE', action: 'DELETE' }] }, cast.owner),
        'BAD_USER_INPUT',
        /invalid permission/i,
      );
      await refusedUnchanged(
        () => update({ name, organizationPermissions: [{ ...READ_TEMPLATES, negate: true }] }, cast.owner),
        'BAD_USER_INPUT',
        /no negative/i,
      );
      await refusedUnchanged(
        () => update({ name, organizationPermissions: [{ resourceType: 'WORKSPACE', action: 'SSH' }] }, cast.admin),
        'BAD_USER_INPUT',
        /not allowed to grant this permission/i,
      );
    });

    it('is NOT_FOUND for callers who may not update roles in the organization', async () => {
      const name = await existingRole();
      for (const caller of [cast.member, cast.auditor, cast.userAdmin, cast.siteAuditor, cast.outsider]) {
        await refusedUnchanged(() => update({ name, displayName: 'Hijacked' }, caller), 'NOT_FOUND');
      }
    });

    it('needs a session token', async () => {
      const name = await existingRole();
      expectRefusal(await gw.gql(UPDATE, { org: cast.org.name, role: { name } }), 'UNAUTHENTICATED');
      expect((await storedRole(name))?.displayName).toBe('Existing');
    });
  });

  describe('deleteOrganizationRole', () => {
    it('deletes the role and takes it from every member of the organization who holds it, keeping their other roles', async () => {
      const name = await existingRole();
      const sameNameElsewhere = await makeUser(gw.database, { orgs: { [cast.otherOrg.id]: [] } });
      await gw.database.prisma.customRole.create({
        data: { name, displayName: 'Other', organizationId: cast.otherOrg.id, orgPermissions: [] },
      });
      await gw.database.prisma.organizationMember.update({
        where: { organizationId_userId: { organizationId: cast.otherOrg.id, userId: sameNameElsewhere.id } },
        data: { roles: [name] },
      });
      const holders = [
        await makeUser(gw.database, { orgs: { [cast.org.id]: [name] } }),
        await makeUser(gw.database, {
          orgs: { [cast.org.id]: ['organization-auditor', name, 'organization-template-admin'] },
        }),
      ];

      expect(await remove(name, cast.owner)).toEqual({ data: { deleteOrganizationRole: true } });

      expect(await storedRole(name)).toBeNull();
      expect(await storedRoles(gw.database, cast.org.id, holders[0]!.id)).toEqual([]);
      expect(await storedRoles(gw.database, cast.org.id, holders[1]!.id)).toEqual([
        'organization-auditor',
        'organization-template-admin',
      ]);
      // Another organization's role of the same name, and its holders, are untouched.
      expect(await storedRole(name, cast.otherOrg.id)).not.toBeNull();
      expect(await storedRoles(gw.database, cast.otherOrg.id, sameNameElsewhere.id)).toEqual([name]);
      const listed = await gw.gql(CUSTOM_ROLES, { org: cast.org.name }, cast.owner.token);
      expect(listed.data?.organization?.customRoles.map((r) => r.name)).not.toContain(name);
    });

    it('takes away what the role allowed, and a role re-created under the name is not given back', async () => {
      const name = await existingRole({ organizationPermissions: [READ_MEMBERS] });
      const holder = await makeUser(gw.database, { orgs: { [cast.org.id]: [name] } });
      expect((await gw.gql(PAGE, { org: cast.org.name }, holder.token)).errors).toBeUndefined();
      await remove(name, cast.admin);
      expectRefusal(await gw.gql(PAGE, { org: cast.org.name }, holder.token), 'NOT_FOUND');
      await create({ name, organizationPermissions: [READ_MEMBERS] }, cast.owner);
      expect(await storedRoles(gw.database, cast.org.id, holder.id)).toEqual([]);
    });

    it('deletes nothing when taking the role from its holders fails: the role and every holding stay', async () => {
      const name = await existingRole();
      const holders = [
        await makeUser(gw.database, { orgs: { [cast.org.id]: [name] } }),
        await makeUser(gw.database, { orgs: { [cast.org.id]: [name] } }),
      ];
      // A fault in this test's own database: updating the second holder's membership fails.
      await gw.database.prisma.$executeRawUnsafe(`
        CREATE FUNCTION test_refuse_update() RETURNS trigger LANGUAGE plpgsql AS $$
        BEGIN RAISE EXCEPTION 'injected failure'; END; $$`);
      await gw.database.prisma.$executeRawUnsafe(`
        CREATE TRIGGER test_refuse_update BEFORE UPDATE ON organization_members
        FOR EACH ROW WHEN (OLD.user_id = '${holders[1]!.id}'::uuid) EXECUTE FUNCTION test_refuse_update()`);
      try {
        const response = await remove(name, cast.owner);
        expect(response.errors?.[0]?.extensions?.code).toBe('INTERNAL_SERVER_ERROR');
        expect(response.errors?.[0]?.message).not.toMatch(/injected/);
      } finally {
        await gw.database.prisma.$executeRawUnsafe('DROP TRIGGER test_refuse_update ON organization_members');
        await gw.database.prisma.$executeRawUnsafe('DROP FUNCTION test_refuse_update()');
      }
      expect(await storedRole(name)).not.toBeNull();
      for (const holder of holders) expect(await storedRoles(gw.database, cast.org.id, holder.id)).toEqual([name]);
    });

    // Coder's deleteOrgRole looks the role up by its exact name, and names are stored lower-cased.
    it('is NOT_FOUND for the name in another case, and keeps the role with its holders', async () => {
      const name = await existingRole();
      const holder = await makeUser(gw.database, { orgs: { [cast.org.id]: [name] } });
      const capitalized = name[0]!.toUpperCase() + name.slice(1);
      for (const other of [name.toUpperCase(), capitalized]) {
        await refusedUnchanged(() => remove(other, cast.owner), 'NOT_FOUND', /no custom role/i);
      }
      expect(await storedRole(name)).not.toBeNull();
      expect(await storedRoles(gw.database, cast.org.id, holder.id)).toEqual([name]);
      expect(await remove(name, cast.admin)).toEqual({ data: { deleteOrganizationRole: true } });
    });

    it('is NOT_FOUND for a role that does not exist, or exists only in another organization', async () => {
      await refusedUnchanged(() => remove(roleName('missing'), cast.owner), 'NOT_FOUND', /no custom role/i);
      const elsewhere = await existingRole({}, cast.otherOrg.name);
      await refusedUnchanged(() => remove(elsewhere, cast.owner), 'NOT_FOUND');
    });

    it('is FORBIDDEN for members of the organization who may not delete roles, and leaves the role with its holders', async () => {
      const name = await existingRole();
      const holder = await makeUser(gw.database, { orgs: { [cast.org.id]: [name] } });
      for (const caller of [cast.member, cast.auditor, cast.userAdmin, cast.siteAuditor]) {
        await refusedUnchanged(() => remove(name, caller), 'FORBIDDEN');
      }
      expect(await storedRoles(gw.database, cast.org.id, holder.id)).toEqual([name]);
    });

    it('is NOT_FOUND for someone outside the organization', async () => {
      const name = await existingRole();
      await refusedUnchanged(() => remove(name, cast.outsider), 'NOT_FOUND');
    });

    // enterprise/coderd/roles.go deleteOrgRole looks the role up before anything else (issue 18, point 4).
    it('is NOT_FOUND for a built-in or malformed name, whoever asks: there is no such custom role', async () => {
      for (const caller of [cast.owner, cast.member]) {
        for (const name of ['organization-admin', 'Owner', '', 'bad_name', 'x'.repeat(33)]) {
          await refusedUnchanged(() => remove(name, caller), 'NOT_FOUND', /no custom role/i);
        }
      }
    });

    it('is NOT_FOUND, not FORBIDDEN, for a missing role asked by a caller who may not delete roles', async () => {
      for (const caller of [cast.member, cast.auditor, cast.siteAuditor]) {
        await refusedUnchanged(() => remove(roleName('missing'), caller), 'NOT_FOUND', /no custom role/i);
      }
    });

    it('needs a session token', async () => {
      const name = await existingRole();
      expectRefusal(await gw.gql(DELETE, { org: cast.org.name, name }), 'UNAUTHENTICATED');
      expect(await storedRole(name)).not.toBeNull();
    });
  });
});
