import { describe, it, expect } from 'vitest';
import {
  ASSIGNABLE_ORG_ROLE_NAMES,
  PermissionLevel,
  RBAC_ACTIONS,
  RBAC_RESOURCES,
  RESOURCE_ACTIONS,
  SITE_ROLE_NAMES,
  authorize,
  buildSubject,
  builtInOrgRole,
  builtInSiteRole,
  canAssignRole,
  createAuthorizer,
  isBuiltInRoleName,
  isOrgRoleName,
  isSiteRoleName,
  isValidPermissionPair,
  rbacObjects,
  type CustomRoleRecord,
  type Permission,
  type RBACObject,
  type Subject,
} from '../../src/rbac/index.js';

const ME = '00000000-0000-4000-8000-000000000001';
const OTHER = '00000000-0000-4000-8000-000000000002';
const ORG_A = '00000000-0000-4000-8000-00000000000a';
const ORG_B = '00000000-0000-4000-8000-00000000000b';

const BUILT_IN_NAMES = [
  'owner',
  'member',
  'auditor',
  'template-admin',
  'user-admin',
  'organization-admin',
  'organization-member',
  'organization-auditor',
  'organization-user-admin',
  'organization-template-admin',
  'organization-workspace-creation-ban',
];

/** A user with these site roles, a member of ORG_A with these org roles (and of nothing else unless given). */
function subject(
  siteRoles: string[] = [],
  orgARoles: string[] = [],
  extra: { memberships?: { organizationId: string; roles: string[] }[]; customRoles?: CustomRoleRecord[] } = {},
): Subject {
  return buildSubject({
    userId: ME,
    siteRoles,
    memberships: [{ organizationId: ORG_A, roles: orgARoles }, ...(extra.memberships ?? [])],
    customRoles: extra.customRoles ?? [],
  });
}

const inOrg = (type: string, org: string, owner?: string): RBACObject => ({ type, orgOwner: org, owner });
const perm = (resourceType: string, action: string, negate = false): Permission => ({ resourceType, action, negate });
const custom = (name: string, organizationId: string | null, levels: Partial<CustomRoleRecord>): CustomRoleRecord => ({
  name,
  displayName: name,
  organizationId,
  sitePermissions: [],
  orgPermissions: [],
  userPermissions: [],
  ...levels,
});

const validPairs = RBAC_RESOURCES.flatMap((resource) =>
  RESOURCE_ACTIONS[resource].map((action) => [resource, action] as const),
);

describe('policy', () => {
  it('has an action list for every resource, drawn from the 16 actions', () => {
    expect(RBAC_ACTIONS).toHaveLength(16);
    expect(Object.keys(RESOURCE_ACTIONS).sort()).toEqual([...RBAC_RESOURCES].sort());
    for (const [, action] of validPairs) expect(RBAC_ACTIONS).toContain(action);
  });

  it('knows the valid pairs', () => {
    expect(isValidPermissionPair('connection_log', 'read')).toBe(true);
    expect(isValidPermissionPair('connection_log', 'create')).toBe(false);
    expect(isValidPermissionPair('template', 'view_insights')).toBe(true);
    expect(isValidPermissionPair('workspace', 'ssh')).toBe(true);
    expect(isValidPermissionPair('organization', 'ssh')).toBe(false);
    expect(isValidPermissionPair('*', 'read')).toBe(false);
    expect(isValidPermissionPair('user', '*')).toBe(false);
    expect(isValidPermissionPair('constructor', 'read')).toBe(false);
  });
});

describe('built-in roles', () => {
  it('are all defined with their display names', () => {
    const names = Object.fromEntries(
      BUILT_IN_NAMES.map((name) => [name, (builtInSiteRole(name) ?? builtInOrgRole(name, ORG_A))?.displayName]),
    );
    expect(names).toEqual({
      owner: 'Owner',
      member: 'Member',
      auditor: 'Auditor',
      'template-admin': 'Template Admin',
      'user-admin': 'User Admin',
      'organization-admin': 'Organization Admin',
      'organization-member': '',
      'organization-auditor': 'Organization Auditor',
      'organization-user-admin': 'Organization User Admin',
      'organization-template-admin': 'Organization Template Admin',
      'organization-workspace-creation-ban': 'Organization Workspace Creation Ban',
    });
  });

  it('hold only valid pairs, so every permission is printable', () => {
    for (const name of BUILT_IN_NAMES) {
      const role = builtInSiteRole(name) ?? builtInOrgRole(name, ORG_A);
      for (const p of [...role!.site, ...role!.org, ...role!.user]) {
        expect(isValidPermissionPair(p.resourceType, p.action), `${name}: ${p.resourceType} ${p.action}`).toBe(true);
      }
    }
  });

  it('list in the SPEC order', () => {
    expect(SITE_ROLE_NAMES).toEqual(['owner', 'auditor', 'template-admin', 'user-admin']);
    expect(ASSIGNABLE_ORG_ROLE_NAMES).toEqual([
      'organization-admin',
      'organization-auditor',
      'organization-user-admin',
      'organization-template-admin',
      'organization-workspace-creation-ban',
    ]);
  });

  it('are scoped: site roles have no organization, org roles the one asked for', () => {
    expect(builtInSiteRole('owner')).toMatchObject({ name: 'owner', organizationId: null, builtIn: true });
    expect(builtInOrgRole('organization-admin', ORG_B)).toMatchObject({ organizationId: ORG_B, builtIn: true });
    expect(builtInSiteRole('organization-admin')).toBeUndefined();
    expect(builtInOrgRole('owner', ORG_A)).toBeUndefined();
    expect(builtInSiteRole('Owner')).toBeUndefined();
  });

  it('hand out copies, so a caller cannot change the built-ins', () => {
    builtInSiteRole('owner')!.site.length = 0;
    expect(builtInSiteRole('owner')!.site.length).toBeGreaterThan(0);
  });

  it('classify names', () => {
    expect(isBuiltInRoleName('OWNER')).toBe(true);
    expect(isBuiltInRoleName('Organization-Admin')).toBe(true);
    expect(isBuiltInRoleName('custom')).toBe(false);
    expect(isSiteRoleName('member')).toBe(true);
    expect(isSiteRoleName('organization-admin')).toBe(false);
    expect(isOrgRoleName('organization-member')).toBe(true);
    expect(isOrgRoleName('owner')).toBe(false);
  });
});

describe('authorize', () => {
  describe('owner', () => {
    const owner = subject(['owner'], [], { memberships: [] });
    const dormantExceptions = ['application_connect', 'ssh', 'start'];

    it('may do every valid action everywhere except start or exec into dormant workspaces', () => {
      for (const [resource, action] of validPairs) {
        const expected = !(resource === 'workspace_dormant' && dormantExceptions.includes(action));
        for (const object of [{ type: resource }, inOrg(resource, ORG_B, OTHER)]) {
          expect(authorize(owner, action, object), `${resource} ${action}`).toBe(expected);
        }
      }
    });
  });

  describe('member (implicit)', () => {
    const member = subject();

    it('reads and updates its own personal details but not someone else’s', () => {
      for (const action of ['read', 'read_personal', 'update_personal']) {
        expect(authorize(member, action, rbacObjects.user(ME))).toBe(true);
        expect(authorize(member, action, rbacObjects.user(OTHER))).toBe(false);
      }
      expect(authorize(member, 'update', rbacObjects.user(ME))).toBe(false);
      expect(authorize(member, 'delete', rbacObjects.user(ME))).toBe(false);
    });

    it('reads its own membership only, and only in an organization it belongs to', () => {
      expect(authorize(member, 'read', rbacObjects.organizationMember(ORG_A, ME))).toBe(true);
      expect(authorize(member, 'update', rbacObjects.organizationMember(ORG_A, ME))).toBe(false);
      expect(authorize(member, 'read', rbacObjects.organizationMember(ORG_A, OTHER))).toBe(false);
      expect(authorize(member, 'read', rbacObjects.organizationMember(ORG_B, ME))).toBe(false);
      // "All members" (no owner) is beyond a plain member.
      expect(authorize(member, 'read', inOrg('organization_member', ORG_A))).toBe(false);
    });

    it('uses user-level grants on its own objects only with membership of their organization', () => {
      expect(authorize(member, 'create', inOrg('workspace', ORG_A, ME))).toBe(true);
      expect(authorize(member, 'ssh', inOrg('workspace', ORG_A, ME))).toBe(true);
      expect(authorize(member, 'create', inOrg('workspace', ORG_B, ME))).toBe(false);
      expect(authorize(member, 'create', inOrg('workspace', ORG_A, OTHER))).toBe(false);
      expect(authorize(member, 'read', { type: 'api_key', owner: ME })).toBe(true);
      expect(authorize(member, 'read', { type: 'api_key', owner: OTHER })).toBe(false);
      expect(authorize(member, 'update', inOrg('prebuilt_workspace', ORG_A, ME))).toBe(false);
      expect(authorize(member, 'ssh', inOrg('workspace_dormant', ORG_A, ME))).toBe(false);
      expect(authorize(member, 'read', inOrg('workspace_dormant', ORG_A, ME))).toBe(true);
    });

    it('reads its organization, its roles and site roles, nothing in other organizations', () => {
      expect(authorize(member, 'read', rbacObjects.organization(ORG_A))).toBe(true);
      expect(authorize(member, 'update', rbacObjects.organization(ORG_A))).toBe(false);
      expect(authorize(member, 'read', rbacObjects.assignOrgRole(ORG_A))).toBe(true);
      expect(authorize(member, 'assign', rbacObjects.assignOrgRole(ORG_A))).toBe(false);
      expect(authorize(member, 'read', rbacObjects.assignRole())).toBe(true);
      expect(authorize(member, 'assign', rbacObjects.assignRole())).toBe(false);
      expect(authorize(member, 'read', rbacObjects.organization(ORG_B))).toBe(false);
      expect(authorize(member, 'read', rbacObjects.assignOrgRole(ORG_B))).toBe(false);
    });
  });

  it('auditor reads what audits reflect, everywhere, and changes nothing', () => {
    const auditor = subject(['auditor'], [], { memberships: [] });
    for (const type of ['audit_log', 'connection_log', 'user', 'group', 'organization', 'organization_member']) {
      expect(authorize(auditor, 'read', inOrg(type, ORG_B, OTHER)), type).toBe(true);
      expect(authorize(auditor, 'update', inOrg(type, ORG_B, OTHER)), type).toBe(false);
    }
    expect(authorize(auditor, 'view_insights', inOrg('template', ORG_B))).toBe(true);
    expect(authorize(auditor, 'read', rbacObjects.assignOrgRole(ORG_B))).toBe(true);
    expect(authorize(auditor, 'read', { type: 'deployment_config' })).toBe(true);
    expect(authorize(auditor, 'read', inOrg('workspace', ORG_B, OTHER))).toBe(false);
  });

  it('template-admin manages templates everywhere and only reads workspaces and members', () => {
    const templateAdmin = subject(['template-admin'], [], { memberships: [] });
    for (const action of RESOURCE_ACTIONS.template) {
      expect(authorize(templateAdmin, action, inOrg('template', ORG_B))).toBe(true);
    }
    expect(authorize(templateAdmin, 'read', inOrg('workspace', ORG_B, OTHER))).toBe(true);
    expect(authorize(templateAdmin, 'update', inOrg('workspace', ORG_B, OTHER))).toBe(false);
    expect(authorize(templateAdmin, 'read', inOrg('organization_member', ORG_B))).toBe(true);
    expect(authorize(templateAdmin, 'create', inOrg('organization_member', ORG_B))).toBe(false);
    expect(authorize(templateAdmin, 'delete', inOrg('provisioner_daemon', ORG_B))).toBe(true);
    expect(authorize(templateAdmin, 'read', inOrg('audit_log', ORG_B))).toBe(false);
  });

  it('user-admin manages users and memberships everywhere but not organizations', () => {
    const userAdmin = subject(['user-admin'], [], { memberships: [] });
    for (const action of RESOURCE_ACTIONS.user) {
      expect(authorize(userAdmin, action, rbacObjects.user(OTHER))).toBe(true);
    }
    for (const action of ['create', 'read', 'update', 'delete']) {
      expect(authorize(userAdmin, action, rbacObjects.organizationMember(ORG_B, OTHER))).toBe(true);
    }
    for (const action of ['assign', 'unassign', 'read']) {
      expect(authorize(userAdmin, action, rbacObjects.assignRole())).toBe(true);
      expect(authorize(userAdmin, action, rbacObjects.assignOrgRole(ORG_B))).toBe(true);
    }
    expect(authorize(userAdmin, 'create', rbacObjects.assignOrgRole(ORG_B))).toBe(false);
    expect(authorize(userAdmin, 'read', rbacObjects.organization(ORG_B))).toBe(true);
    expect(authorize(userAdmin, 'update', rbacObjects.organization(ORG_B))).toBe(false);
  });

  describe('organization roles act in their own organization only', () => {
    it('organization-admin', () => {
      const admin = subject([], ['organization-admin'], { memberships: [{ organizationId: ORG_B, roles: [] }] });
      for (const action of ['create', 'read', 'update', 'delete']) {
        expect(authorize(admin, action, rbacObjects.organizationMember(ORG_A, OTHER))).toBe(true);
        expect(authorize(admin, action, rbacObjects.organizationMember(ORG_B, OTHER))).toBe(false);
      }
      for (const action of RESOURCE_ACTIONS.assign_org_role) {
        expect(authorize(admin, action, rbacObjects.assignOrgRole(ORG_A))).toBe(true);
        expect(authorize(admin, action, rbacObjects.assignOrgRole(ORG_B))).toBe(action === 'read');
      }
      expect(authorize(admin, 'update', rbacObjects.organization(ORG_A))).toBe(true);
      expect(authorize(admin, 'update', rbacObjects.organization(ORG_B))).toBe(false);
      expect(authorize(admin, 'read', inOrg('workspace', ORG_A, OTHER))).toBe(true);
      expect(authorize(admin, 'ssh', inOrg('workspace', ORG_A, OTHER))).toBe(false);
      expect(authorize(admin, 'application_connect', inOrg('workspace', ORG_A, OTHER))).toBe(false);
      expect(authorize(admin, 'assign', rbacObjects.assignRole())).toBe(false);
      // Site-level user read, to find users to add.
      expect(authorize(admin, 'read', rbacObjects.user(OTHER))).toBe(true);
      expect(authorize(admin, 'update', rbacObjects.user(OTHER))).toBe(false);
    });

    it('organization-auditor', () => {
      const auditor = subject([], ['organization-auditor']);
      expect(authorize(auditor, 'read', inOrg('organization_member', ORG_A))).toBe(true);
      expect(authorize(auditor, 'read', inOrg('organization_member', ORG_B))).toBe(false);
      expect(authorize(auditor, 'view_insights', inOrg('template', ORG_A))).toBe(true);
      expect(authorize(auditor, 'update', inOrg('template', ORG_A))).toBe(false);
      expect(authorize(auditor, 'read', rbacObjects.user(OTHER))).toBe(false);
    });

    it('organization-user-admin', () => {
      const userAdmin = subject([], ['organization-user-admin']);
      expect(authorize(userAdmin, 'create', rbacObjects.organizationMember(ORG_A, OTHER))).toBe(true);
      expect(authorize(userAdmin, 'create', rbacObjects.organizationMember(ORG_B, OTHER))).toBe(false);
      expect(authorize(userAdmin, 'assign', rbacObjects.assignOrgRole(ORG_A))).toBe(true);
      expect(authorize(userAdmin, 'create', rbacObjects.assignOrgRole(ORG_A))).toBe(false);
      expect(authorize(userAdmin, 'assign', rbacObjects.assignOrgRole(ORG_B))).toBe(false);
      expect(authorize(userAdmin, 'update', rbacObjects.organization(ORG_A))).toBe(false);
      expect(authorize(userAdmin, 'read', rbacObjects.user(OTHER))).toBe(true);
    });

    it('organization-template-admin', () => {
      const templateAdmin = subject([], ['organization-template-admin']);
      expect(authorize(templateAdmin, 'use', inOrg('template', ORG_A))).toBe(true);
      expect(authorize(templateAdmin, 'use', inOrg('template', ORG_B))).toBe(false);
      expect(authorize(templateAdmin, 'read', inOrg('organization_member', ORG_A))).toBe(true);
      expect(authorize(templateAdmin, 'update', inOrg('organization_member', ORG_A))).toBe(false);
      expect(authorize(templateAdmin, 'create', inOrg('provisioner_jobs', ORG_A))).toBe(true);
      expect(authorize(templateAdmin, 'update', inOrg('workspace', ORG_A, OTHER))).toBe(false);
    });
  });

  describe('negation', () => {
    it('bans a member from creating or deleting workspaces in that organization only', () => {
      const banned = subject([], ['organization-workspace-creation-ban'], {
        memberships: [{ organizationId: ORG_B, roles: [] }],
      });
      for (const action of ['create', 'delete', 'create_agent', 'delete_agent']) {
        expect(authorize(banned, action, inOrg('workspace', ORG_A, ME))).toBe(false);
        expect(authorize(banned, action, inOrg('workspace', ORG_B, ME))).toBe(true);
      }
      expect(authorize(banned, 'start', inOrg('workspace', ORG_A, ME))).toBe(true);
    });

    it('beats an org grant at the same level', () => {
      const bannedAdmin = subject([], ['organization-admin', 'organization-workspace-creation-ban']);
      expect(authorize(bannedAdmin, 'create', inOrg('workspace', ORG_A, OTHER))).toBe(false);
      expect(authorize(bannedAdmin, 'update', inOrg('workspace', ORG_A, OTHER))).toBe(true);
    });

    it('does not beat a site grant: a banned owner still creates workspaces', () => {
      const bannedOwner = subject(['owner'], ['organization-workspace-creation-ban']);
      expect(authorize(bannedOwner, 'create', inOrg('workspace', ORG_A, ME))).toBe(true);
    });

    it('at site level blocks org and user grants', () => {
      const denied = subject(['no-members'], ['organization-admin'], {
        customRoles: [custom('no-members', null, { sitePermissions: [perm('organization_member', '*', true)] })],
      });
      expect(authorize(denied, 'read', rbacObjects.organizationMember(ORG_A, OTHER))).toBe(false);
      expect(authorize(denied, 'read', rbacObjects.organizationMember(ORG_A, ME))).toBe(false);
      expect(authorize(denied, 'read', rbacObjects.organization(ORG_A))).toBe(true);
    });

    it('wins within a level whatever the order', () => {
      for (const perms of [
        [perm('user', 'read'), perm('user', 'read', true)],
        [perm('user', 'read', true), perm('user', 'read')],
        [perm('*', '*'), perm('user', 'read', true)],
      ]) {
        expect(new PermissionLevel(perms).score('user', 'read')).toBe('deny');
      }
      expect(new PermissionLevel([perm('user', 'read')]).score('user', 'update')).toBe('none');
    });
  });

  describe('wildcards', () => {
    it('`*` resource and `*` action match anything at their level', () => {
      const level = new PermissionLevel([perm('*', 'read'), perm('template', '*')]);
      expect(level.score('workspace', 'read')).toBe('allow');
      expect(level.score('template', 'use')).toBe('allow');
      expect(level.score('workspace', 'update')).toBe('none');
    });

    it('apply through custom roles, scoped to their organization', () => {
      const reader = subject([], ['reads-all'], {
        memberships: [{ organizationId: ORG_B, roles: ['reads-all'] }],
        customRoles: [custom('reads-all', ORG_A, { orgPermissions: [perm('*', 'read')] })],
      });
      expect(authorize(reader, 'read', inOrg('audit_log', ORG_A))).toBe(true);
      expect(authorize(reader, 'read', inOrg('organization_member', ORG_A))).toBe(true);
      expect(authorize(reader, 'update', inOrg('organization_member', ORG_A))).toBe(false);
      expect(authorize(reader, 'read', inOrg('audit_log', ORG_B))).toBe(false);
    });

    it('a site-wide `*`/`*` custom role allows everything', () => {
      const superuser = subject(['everything'], [], {
        customRoles: [custom('everything', null, { sitePermissions: [perm('*', '*')] })],
      });
      expect(authorize(superuser, 'ssh', inOrg('workspace_dormant', ORG_B, OTHER))).toBe(true);
    });
  });

  describe('custom roles', () => {
    const records = [
      custom('member-manager', ORG_A, { orgPermissions: [perm('organization_member', 'update')] }),
      custom('member-manager', ORG_B, { orgPermissions: [perm('organization_member', 'delete')] }),
      custom('site-reader', null, { sitePermissions: [perm('audit_log', 'read')] }),
    ];

    it('resolve by name within the membership’s organization', () => {
      const s = subject([], ['member-manager'], { customRoles: records });
      expect(s.orgRoleNames(ORG_A)).toEqual(['organization-member', 'member-manager']);
      expect(authorize(s, 'update', inOrg('organization_member', ORG_A, OTHER))).toBe(true);
      expect(authorize(s, 'delete', inOrg('organization_member', ORG_A, OTHER))).toBe(false);
    });

    it('resolve site role names to site-wide custom roles only', () => {
      const site = subject(['site-reader'], [], { customRoles: records });
      expect(site.siteRoleNames).toEqual(['member', 'site-reader']);
      expect(authorize(site, 'read', inOrg('audit_log', ORG_B))).toBe(true);

      const misplaced = subject(['member-manager'], ['site-reader'], { customRoles: records });
      expect(misplaced.siteRoleNames).toEqual(['member']);
      expect(misplaced.orgRoleNames(ORG_A)).toEqual(['organization-member']);
      expect(authorize(misplaced, 'read', inOrg('audit_log', ORG_A))).toBe(false);
    });

    it('are ignored when nothing matches, as are built-in names at the wrong scope', () => {
      const s = subject(['no-such-role', 'organization-admin'], ['no-such-role', 'owner'], { customRoles: records });
      expect(s.siteRoleNames).toEqual(['member']);
      expect(s.orgRoleNames(ORG_A)).toEqual(['organization-member']);
      expect(authorize(s, 'update', rbacObjects.organization(ORG_A))).toBe(false);
      expect(authorize(s, 'read', rbacObjects.user(OTHER))).toBe(false);
    });

    it('are told apart from a non-member organization', () => {
      const s = subject([], [], { customRoles: records });
      expect(s.memberOrganizationIds).toEqual(new Set([ORG_A]));
      expect(s.orgRoleNames(ORG_B)).toEqual([]);
    });
  });

  describe('connection_log read follows audit_log read exactly', () => {
    const cases: [string, Subject, { [org: string]: boolean }][] = [
      ['owner', subject(['owner'], [], { memberships: [] }), { [ORG_A]: true, [ORG_B]: true }],
      ['auditor', subject(['auditor'], [], { memberships: [] }), { [ORG_A]: true, [ORG_B]: true }],
      ['organization-admin', subject([], ['organization-admin']), { [ORG_A]: true, [ORG_B]: false }],
      ['organization-auditor', subject([], ['organization-auditor']), { [ORG_A]: true, [ORG_B]: false }],
      ['member', subject(), { [ORG_A]: false, [ORG_B]: false }],
      ['organization-user-admin', subject([], ['organization-user-admin']), { [ORG_A]: false, [ORG_B]: false }],
      ['user-admin', subject(['user-admin']), { [ORG_A]: false, [ORG_B]: false }],
      ['template-admin', subject(['template-admin']), { [ORG_A]: false, [ORG_B]: false }],
    ];

    it.each(cases)('%s', (_name, s, expected) => {
      for (const [org, allowed] of Object.entries(expected)) {
        expect(authorize(s, 'read', inOrg('connection_log', org))).toBe(allowed);
        expect(authorize(s, 'read', inOrg('audit_log', org))).toBe(allowed);
      }
      expect(authorize(s, 'read', { type: 'connection_log' })).toBe(authorize(s, 'read', { type: 'audit_log' }));
    });
  });

  describe("a key's scope", () => {
    it('application_connect leaves even an owner only connecting to workspace applications', () => {
      const scoped = buildSubject({
        userId: ME,
        siteRoles: ['owner'],
        memberships: [],
        customRoles: [],
        scope: 'application_connect',
      });
      for (const [resource, action] of validPairs) {
        const expected = resource === 'workspace' && action === 'application_connect';
        for (const object of [{ type: resource }, inOrg(resource, ORG_B, ME)]) {
          expect(authorize(scoped, action, object), `${resource} ${action}`).toBe(expected);
        }
      }
    });

    it('all (the default) leaves the roles as they are', () => {
      const all = buildSubject({ userId: ME, siteRoles: [], memberships: [], customRoles: [], scope: 'all' });
      expect(all.scope).toBe('all');
      expect(authorize(all, 'read', rbacObjects.user(ME))).toBe(true);
      expect(authorize(subject(), 'read', rbacObjects.user(ME))).toBe(true);
    });
  });
});

describe('canAssignRole', () => {
  const siteCustom = 'site-custom';
  const orgCustom = 'org-custom';

  it('owner assigns every built-in and custom role', () => {
    const owner = subject(['owner'], [], { memberships: [] });
    for (const name of SITE_ROLE_NAMES) expect(canAssignRole(owner, name, null)).toBe(true);
    for (const name of [...ASSIGNABLE_ORG_ROLE_NAMES, 'organization-member']) {
      expect(canAssignRole(owner, name, ORG_B)).toBe(true);
    }
    expect(canAssignRole(owner, siteCustom, null)).toBe(true);
    expect(canAssignRole(owner, orgCustom, ORG_B)).toBe(true);
  });

  it('user-admin assigns member and organization-member only', () => {
    const userAdmin = subject(['user-admin']);
    expect(canAssignRole(userAdmin, 'member', null)).toBe(true);
    expect(canAssignRole(userAdmin, 'organization-member', ORG_B)).toBe(true);
    for (const name of ['owner', 'auditor', 'user-admin', siteCustom]) {
      expect(canAssignRole(userAdmin, name, null)).toBe(false);
    }
    for (const name of [...ASSIGNABLE_ORG_ROLE_NAMES, orgCustom]) {
      expect(canAssignRole(userAdmin, name, ORG_A)).toBe(false);
    }
  });

  it('organization-admin assigns every org role of its own organization, and nothing else', () => {
    const admin = subject([], ['organization-admin'], { memberships: [{ organizationId: ORG_B, roles: [] }] });
    for (const name of [...ASSIGNABLE_ORG_ROLE_NAMES, 'organization-member', orgCustom]) {
      expect(canAssignRole(admin, name, ORG_A)).toBe(true);
      expect(canAssignRole(admin, name, ORG_B)).toBe(false);
    }
    for (const name of ['owner', 'member', 'auditor', 'user-admin']) {
      expect(canAssignRole(admin, name, null)).toBe(false);
      expect(canAssignRole(admin, name, ORG_A)).toBe(false);
    }
    expect(canAssignRole(admin, siteCustom, null)).toBe(false);
    expect(canAssignRole(admin, 'Owner', ORG_A)).toBe(false);
  });

  it('organization-user-admin assigns organization-member in its own organization only', () => {
    const userAdmin = subject([], ['organization-user-admin']);
    expect(canAssignRole(userAdmin, 'organization-member', ORG_A)).toBe(true);
    expect(canAssignRole(userAdmin, 'organization-member', ORG_B)).toBe(false);
    for (const name of [...ASSIGNABLE_ORG_ROLE_NAMES, orgCustom]) {
      expect(canAssignRole(userAdmin, name, ORG_A)).toBe(false);
    }
    expect(canAssignRole(userAdmin, 'member', null)).toBe(false);
  });

  it('gives everyone else nothing', () => {
    const readers = subject(['auditor', 'template-admin'], ['organization-auditor', 'organization-template-admin']);
    for (const s of [subject(), readers]) {
      expect(canAssignRole(s, 'member', null)).toBe(false);
      expect(canAssignRole(s, 'organization-member', ORG_A)).toBe(false);
      expect(canAssignRole(s, orgCustom, ORG_A)).toBe(false);
    }
  });

  it('is not widened by a custom role that grants assign', () => {
    const assigner = subject(['site-assigner'], ['org-assigner'], {
      customRoles: [
        custom('site-assigner', null, {
          sitePermissions: [perm('assign_role', 'assign'), perm('assign_org_role', 'assign')],
        }),
        custom('org-assigner', ORG_A, { orgPermissions: [perm('assign_org_role', '*')] }),
      ],
    });
    expect(authorize(assigner, 'assign', rbacObjects.assignOrgRole(ORG_A))).toBe(true);
    for (const name of [...ASSIGNABLE_ORG_ROLE_NAMES, 'organization-member', orgCustom]) {
      expect(canAssignRole(assigner, name, ORG_A)).toBe(false);
    }
    expect(canAssignRole(assigner, 'owner', null)).toBe(false);
  });

  it('never treats a stored site role name in an org role list as that site role', () => {
    const sneaky = subject([], ['owner', 'user-admin']);
    expect(canAssignRole(sneaky, 'organization-admin', ORG_A)).toBe(false);
    expect(canAssignRole(sneaky, 'organization-member', ORG_A)).toBe(false);
  });

  it('refuses a built-in role at the wrong scope', () => {
    const owner = subject(['owner']);
    expect(canAssignRole(owner, 'owner', ORG_A)).toBe(false);
    expect(canAssignRole(owner, 'organization-admin', null)).toBe(false);
  });
});

describe('createAuthorizer', () => {
  it('memoises each decision for the request', () => {
    const authz = createAuthorizer(subject([], ['organization-admin']));
    expect(authz.can('read', rbacObjects.organizationMember(ORG_A, OTHER))).toBe(true);
    expect(authz.can('read', rbacObjects.organizationMember(ORG_A, OTHER))).toBe(true);
    expect(authz.evaluations).toBe(1);

    expect(authz.can('read', rbacObjects.organizationMember(ORG_B, OTHER))).toBe(false);
    expect(authz.can('update', rbacObjects.organizationMember(ORG_A, OTHER))).toBe(true);
    expect(authz.evaluations).toBe(3);
  });

  it('shares one decision across rows that differ only in what authorize ignores', () => {
    const member = subject();
    const authz = createAuthorizer(member);
    const others = Array.from({ length: 50 }, (_, i) => `00000000-0000-4000-8000-1${String(i).padStart(11, '0')}`);
    for (const id of others) expect(authz.can('read', rbacObjects.organizationMember(ORG_A, id))).toBe(false);
    expect(authz.evaluations).toBe(1);
    // The subject's own row is a different question.
    expect(authz.can('read', rbacObjects.organizationMember(ORG_A, ME))).toBe(true);
    expect(authz.evaluations).toBe(2);
  });

  it('agrees with authorize', () => {
    const s = subject(['auditor'], ['organization-workspace-creation-ban']);
    const authz = createAuthorizer(s);
    for (const [resource, action] of validPairs) {
      for (const object of [{ type: resource }, inOrg(resource, ORG_A, ME), inOrg(resource, ORG_B, OTHER)]) {
        expect(authz.can(action, object)).toBe(authorize(s, action, object));
      }
    }
  });
});
