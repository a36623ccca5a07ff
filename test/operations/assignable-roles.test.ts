// assignableOrganizationRoles (GET /organizations/{organization}/members/roles),
// Organization.assignableRoles and Organization.customRoles, and
// assignableSiteRoles (GET /users/roles): which roles are listed, in which
// order, and whether the caller may assign each.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { RESOURCE_ACTIONS } from '../../src/rbac/index.js';
import { DATABASE_KINDS } from '../support/databases.js';
import {
  dataOf,
  expectRefusal,
  insertCustomRole,
  makeCast,
  type Cast,
  type StoredPermission,
} from '../support/fixtures.js';
import { makeUser, startTestGateway, type TestGateway, type TestUser } from '../support/gateway.js';
import { graphql, type ResultOf } from '../support/graphql.js';

// `@_unmask`: the queries that spread it read its fields directly, with no `readFragment`.
const ROLE_FIELDS = graphql(`fragment RoleFields on AssignableRole @_unmask {
  name displayName organizationId builtIn assignable
  sitePermissions { resourceType action negate }
  organizationPermissions { resourceType action negate }
  userPermissions { resourceType action negate }
}`);
const ORG_ROLES = graphql(
  `query ($org: String!) { assignableOrganizationRoles(organization: $org) { ...RoleFields } }`,
  [ROLE_FIELDS],
);
const SITE_ROLES = graphql('{ assignableSiteRoles { ...RoleFields } }', [ROLE_FIELDS]);

const BUILT_IN_ORG_ROLES = [
  { name: 'organization-admin', displayName: 'Organization Admin' },
  { name: 'organization-auditor', displayName: 'Organization Auditor' },
  { name: 'organization-user-admin', displayName: 'Organization User Admin' },
  { name: 'organization-template-admin', displayName: 'Organization Template Admin' },
  { name: 'organization-workspace-creation-ban', displayName: 'Organization Workspace Creation Ban' },
];
const BUILT_IN_SITE_ROLES = [
  { name: 'owner', displayName: 'Owner' },
  { name: 'auditor', displayName: 'Auditor' },
  { name: 'template-admin', displayName: 'Template Admin' },
  { name: 'user-admin', displayName: 'User Admin' },
];

type AssignableRole = ResultOf<typeof ROLE_FIELDS>;

describe.each(DATABASE_KINDS)('assignable roles on %s', (kind) => {
  let gw: TestGateway;
  let cast: Cast;

  const orgRoles = async (caller: TestUser, org = cast.org.name) => {
    const response = await gw.gql(ORG_ROLES, { org }, caller.token);
    return dataOf(response).assignableOrganizationRoles;
  };
  const siteRoles = async (caller: TestUser) => {
    const response = await gw.gql(SITE_ROLES, {}, caller.token);
    return dataOf(response).assignableSiteRoles;
  };
  const assignable = (roles: AssignableRole[]) => Object.fromEntries(roles.map((r) => [r.name, r.assignable]));

  beforeAll(async () => {
    gw = await startTestGateway(kind);
    cast = await makeCast(gw.database);
    // Custom roles created out of name order; one in another organization and two site-wide ones, which are not listed here.
    await insertCustomRole(gw.database, {
      name: 'zeta-deployers',
      displayName: 'Zeta',
      organizationId: cast.org.id,
      org: [{ resource_type: 'template', action: 'read' }],
    });
    await insertCustomRole(gw.database, { name: 'alpha-viewers', displayName: 'Alpha', organizationId: cast.org.id });
    await insertCustomRole(gw.database, { name: 'elsewhere', organizationId: cast.otherOrg.id });
    await insertCustomRole(gw.database, {
      name: 'site-viewer',
      displayName: 'Site viewer',
      organizationId: null,
      site: [{ resource_type: 'template', action: 'read' }],
    });
    await insertCustomRole(gw.database, {
      name: 'org-reader',
      displayName: 'Organization reader',
      organizationId: null,
      site: [{ resource_type: 'organization', action: 'read' }],
    });
  });
  afterAll(() => gw?.close());

  describe('assignableOrganizationRoles', () => {
    it('lists the five built-in organization roles in order, then the custom ones by name', async () => {
      const roles = await orgRoles(cast.owner);
      expect(
        roles.map(({ name, displayName, builtIn, organizationId }) => ({ name, displayName, builtIn, organizationId })),
      ).toEqual([
        ...BUILT_IN_ORG_ROLES.map((role) => ({ ...role, builtIn: true, organizationId: cast.org.id })),
        { name: 'alpha-viewers', displayName: 'Alpha', builtIn: false, organizationId: cast.org.id },
        { name: 'zeta-deployers', displayName: 'Zeta', builtIn: false, organizationId: cast.org.id },
      ]);
    });

    it("shows each role's permissions, denials included", async () => {
      const roles = Object.fromEntries((await orgRoles(cast.owner)).map((r) => [r.name, r]));
      expect(roles['organization-admin']!.sitePermissions).toEqual([
        { resourceType: 'USER', action: 'READ', negate: false },
      ]);
      expect(roles['organization-admin']!.organizationPermissions).toContainEqual({
        resourceType: 'ORGANIZATION_MEMBER',
        action: 'DELETE',
        negate: false,
      });
      expect(roles['organization-admin']!.organizationPermissions).not.toContainEqual(
        expect.objectContaining({ resourceType: 'WORKSPACE', action: 'SSH' }),
      );
      expect(roles['organization-workspace-creation-ban']!.organizationPermissions).toEqual(
        expect.arrayContaining(
          ['CREATE', 'DELETE', 'CREATE_AGENT', 'DELETE_AGENT'].map((action) => ({
            resourceType: 'WORKSPACE',
            action,
            negate: true,
          })),
        ),
      );
      expect(roles['zeta-deployers']).toMatchObject({
        sitePermissions: [],
        organizationPermissions: [{ resourceType: 'TEMPLATE', action: 'READ', negate: false }],
        userPermissions: [],
      });
    });

    it('marks every role assignable for an owner and for the organization admin', async () => {
      for (const caller of [cast.owner, cast.admin]) {
        const roles = await orgRoles(caller);
        expect(
          roles.every((r) => r.assignable),
          caller.username,
        ).toBe(true);
        expect(roles).toHaveLength(7);
      }
    });

    it('marks no role assignable for user admins, auditors, plain members and site auditors, who still see the list', async () => {
      // An organization user admin may assign only the implicit organization-member, which is not listed.
      for (const caller of [cast.userAdmin, cast.auditor, cast.member, cast.siteAuditor]) {
        const roles = await orgRoles(caller);
        expect(
          roles.map((r) => r.name),
          caller.username,
        ).toEqual([...BUILT_IN_ORG_ROLES.map((r) => r.name), 'alpha-viewers', 'zeta-deployers']);
        expect(
          roles.some((r) => r.assignable),
          caller.username,
        ).toBe(false);
      }
    });

    it('gives an admin of another organization no say here, even if it is a member', async () => {
      const adminElsewhere = await makeUser(gw.database, {
        orgs: { [cast.org.id]: [], [cast.otherOrg.id]: ['organization-admin'] },
      });
      expect(Object.values(assignable(await orgRoles(adminElsewhere)))).not.toContain(true);
      expect(Object.values(assignable(await orgRoles(adminElsewhere, cast.otherOrg.name)))).not.toContain(false);
    });

    it('is NOT_FOUND for someone outside the organization and for an unknown organization', async () => {
      expectRefusal(await gw.gql(ORG_ROLES, { org: cast.org.name }, cast.outsider.token), 'NOT_FOUND');
      expectRefusal(await gw.gql(ORG_ROLES, { org: 'no-such-org' }, cast.owner.token), 'NOT_FOUND');
    });

    it('is NOT_FOUND for a caller who may read the organization but not its roles', async () => {
      const reader = await makeUser(gw.database, { siteRoles: ['org-reader'] });
      const organization = await gw.gql(
        graphql(`query ($org: String!) { organization(organization: $org) { id } }`),
        { org: cast.org.name },
        reader.token,
      );
      expect(organization.data?.organization?.id).toBe(cast.org.id);
      expectRefusal(await gw.gql(ORG_ROLES, { org: cast.org.name }, reader.token), 'NOT_FOUND');
    });

    it('needs a session token', async () => {
      expectRefusal(await gw.gql(ORG_ROLES, { org: cast.org.name }), 'UNAUTHENTICATED');
    });
  });

  describe('Organization.assignableRoles and Organization.customRoles', () => {
    it('give the same roles as assignableOrganizationRoles, and the custom ones alone', async () => {
      const response = await gw.gql(
        graphql(
          `query ($org: String!) { organization(organization: $org) {
            assignableRoles { ...RoleFields }
            customRoles { name displayName builtIn organizationId organization { id } }
          } }`,
          [ROLE_FIELDS],
        ),
        { org: cast.org.name },
        cast.admin.token,
      );
      const { organization } = dataOf(response);
      expect(organization?.assignableRoles).toEqual(await orgRoles(cast.admin));
      expect(organization?.customRoles).toEqual([
        {
          name: 'alpha-viewers',
          displayName: 'Alpha',
          builtIn: false,
          organizationId: cast.org.id,
          organization: { id: cast.org.id },
        },
        {
          name: 'zeta-deployers',
          displayName: 'Zeta',
          builtIn: false,
          organizationId: cast.org.id,
          organization: { id: cast.org.id },
        },
      ]);
    });

    it("list each organization's own roles when several organizations are asked for at once", async () => {
      const response = await gw.gql(graphql('{ organizations { id customRoles { name } } }'), {}, cast.owner.token);
      const byOrg = Object.fromEntries(
        dataOf(response).organizations.map((o) => [o.id, o.customRoles.map((r) => r.name)]),
      );
      expect(byOrg).toEqual({ [cast.org.id]: ['alpha-viewers', 'zeta-deployers'], [cast.otherOrg.id]: ['elsewhere'] });
    });
  });

  /** The organization permissions listed for a custom role of `otherOrg` stored with `stored`, then removed. */
  async function listedPermissions(name: string, stored: StoredPermission[]) {
    await insertCustomRole(gw.database, { name, organizationId: cast.otherOrg.id, org: stored });
    try {
      const response = await gw.gql(
        graphql(`query ($org: String!) { organization(organization: $org) {
          customRoles { name organizationPermissions { resourceType action negate } } } }`),
        { org: cast.otherOrg.name },
        cast.owner.token,
      );
      return dataOf(response).organization?.customRoles.find((r) => r.name === name)?.organizationPermissions;
    } finally {
      await gw.database.prisma.customRole.deleteMany({ where: { name, organizationId: cast.otherOrg.id } });
    }
  }

  it('list a stored `*` action as every action of its resource, and leave out what the enums cannot name', async () => {
    // Coder stores `*` for every action; a newer Coder's resource or action has no name in our enums.
    const listed = await listedPermissions('stored-wildcards', [
      { resource_type: 'template', action: '*' },
      { resource_type: 'template', action: 'read' },
      { resource_type: 'future_thing', action: 'read' },
      { resource_type: 'template', action: 'future_action' },
      { resource_type: 'group', action: 'read', negate: true },
    ]);
    expect(listed).toEqual([
      ...RESOURCE_ACTIONS.template.map((action) => ({
        resourceType: 'TEMPLATE',
        action: action.toUpperCase(),
        negate: false,
      })),
      { resourceType: 'GROUP', action: 'READ', negate: true },
    ]);
  });

  it('lists a permission stored twice twice, as Coder does', async () => {
    const read = { resource_type: 'template', action: 'read' };
    expect(await listedPermissions('stored-twice', [read, read])).toEqual([
      { resourceType: 'TEMPLATE', action: 'READ', negate: false },
      { resourceType: 'TEMPLATE', action: 'READ', negate: false },
    ]);
  });

  describe('assignableSiteRoles', () => {
    it('lists owner, auditor, template-admin and user-admin in that order, then site-wide custom roles by name', async () => {
      const roles = await siteRoles(cast.owner);
      expect(
        roles.map(({ name, displayName, builtIn, organizationId }) => ({ name, displayName, builtIn, organizationId })),
      ).toEqual([
        ...BUILT_IN_SITE_ROLES.map((role) => ({ ...role, builtIn: true, organizationId: null })),
        { name: 'org-reader', displayName: 'Organization reader', builtIn: false, organizationId: null },
        { name: 'site-viewer', displayName: 'Site viewer', builtIn: false, organizationId: null },
      ]);
      const byName = Object.fromEntries(roles.map((r) => [r.name, r]));
      expect(byName.auditor!.sitePermissions).toContainEqual({
        resourceType: 'AUDIT_LOG',
        action: 'READ',
        negate: false,
      });
      expect(byName['site-viewer']!.sitePermissions).toEqual([
        { resourceType: 'TEMPLATE', action: 'READ', negate: false },
      ]);
    });

    it('marks every role assignable for an owner only', async () => {
      expect(Object.values(assignable(await siteRoles(cast.owner)))).toEqual([true, true, true, true, true, true]);
      const userAdmin = await makeUser(gw.database, { siteRoles: ['user-admin'] });
      // A site user admin may assign only the implicit member role, which is not listed.
      for (const caller of [userAdmin, cast.siteAuditor, cast.admin, cast.member, cast.outsider]) {
        const roles = await siteRoles(caller);
        expect(roles).toHaveLength(6);
        expect(
          roles.some((r) => r.assignable),
          caller.username,
        ).toBe(false);
      }
    });

    it('needs a session token', async () => {
      expectRefusal(await gw.gql(SITE_ROLES), 'UNAUTHENTICATED');
    });
  });
});
