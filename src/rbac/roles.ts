// The built-in roles of SPEC B.3. A role grants permissions at three levels:
// site (everywhere), org (inside one organization) and user (on objects the
// subject owns).

import { RBAC_RESOURCES, RESOURCE_ACTIONS, type RBACAction, type RBACResource } from './policy.js';

/** `resourceType` and `action` may be '*' (any). */
export interface Permission {
  resourceType: string;
  action: string;
  negate: boolean;
}

export interface RoleDefinition {
  name: string;
  /** Empty for roles that are never listed (organization-member). */
  displayName: string;
  /** null for site roles. */
  organizationId: string | null;
  site: Permission[];
  org: Permission[];
  user: Permission[];
  builtIn: boolean;
}

export const ROLE = {
  owner: 'owner',
  member: 'member',
  auditor: 'auditor',
  templateAdmin: 'template-admin',
  userAdmin: 'user-admin',
  orgAdmin: 'organization-admin',
  orgMember: 'organization-member',
  orgAuditor: 'organization-auditor',
  orgUserAdmin: 'organization-user-admin',
  orgTemplateAdmin: 'organization-template-admin',
  orgWorkspaceCreationBan: 'organization-workspace-creation-ban',
} as const;

/** Assignable site roles, in listing order (`member` is implicit and not listed). */
export const SITE_ROLE_NAMES: readonly string[] = [ROLE.owner, ROLE.auditor, ROLE.templateAdmin, ROLE.userAdmin];

/** Visible organization roles, in listing order (`organization-member` is implicit and not listed). */
export const ASSIGNABLE_ORG_ROLE_NAMES: readonly string[] = [
  ROLE.orgAdmin,
  ROLE.orgAuditor,
  ROLE.orgUserAdmin,
  ROLE.orgTemplateAdmin,
  ROLE.orgWorkspaceCreationBan,
];

// Where the SPEC says "every action" (or `*` on a resource), the grant is expanded
// to that resource's valid actions instead of storing action '*' as Coder does:
// the lists stay printable through the RBACAction enum (which has no '*'), and
// authorize is unaffected because nobody asks for an invalid pair.
type Grants = Partial<Record<RBACResource, readonly RBACAction[] | 'every'>>;

function permissions(grants: Grants, negate = false): Permission[] {
  return Object.entries(grants).flatMap(([resource, actions]) =>
    (actions === 'every' ? RESOURCE_ACTIONS[resource as RBACResource] : actions).map((action) =>
      Object.freeze({ resourceType: resource, action, negate }),
    ),
  );
}

/** Every action on every resource but the excluded ones. */
function allExcept(...excluded: RBACResource[]): Permission[] {
  const grants: Grants = {};
  for (const resource of RBAC_RESOURCES) if (!excluded.includes(resource)) grants[resource] = 'every';
  return permissions(grants);
}

const DORMANT_WORKSPACE_ACTIONS: readonly RBACAction[] = [
  'read',
  'delete',
  'create',
  'update',
  'stop',
  'create_agent',
  'delete_agent',
];

interface Levels {
  site?: Permission[];
  org?: Permission[];
  user?: Permission[];
}

interface BuiltIn {
  scope: 'site' | 'org';
  displayName: string;
  levels: Required<Levels>;
}

function builtIn(scope: 'site' | 'org', displayName: string, levels: Levels): BuiltIn {
  return { scope, displayName, levels: { site: [], org: [], user: [], ...levels } };
}

const BUILT_IN: ReadonlyMap<string, BuiltIn> = new Map([
  [
    ROLE.owner,
    builtIn('site', 'Owner', {
      site: [
        ...allExcept('workspace', 'workspace_dormant', 'prebuilt_workspace'),
        ...permissions({
          workspace: 'every',
          workspace_dormant: DORMANT_WORKSPACE_ACTIONS,
          prebuilt_workspace: ['update', 'delete'],
        }),
      ],
    }),
  ],
  [
    ROLE.member,
    builtIn('site', 'Member', {
      site: permissions({ assign_role: ['read'], oauth2_app: ['read'], workspace_proxy: ['read'] }),
      // SPEC also lists provisioner_daemon read/create/update; allExcept already grants it.
      user: [
        ...allExcept('workspace_dormant', 'prebuilt_workspace', 'user', 'organization_member'),
        ...permissions({
          user: ['read', 'read_personal', 'update_personal'],
          organization_member: ['read'],
          workspace_dormant: DORMANT_WORKSPACE_ACTIONS,
        }),
      ],
    }),
  ],
  [
    ROLE.auditor,
    builtIn('site', 'Auditor', {
      site: permissions({
        assign_org_role: ['read'],
        audit_log: ['read'],
        connection_log: ['read'],
        user: ['read'],
        group: ['read'],
        group_member: ['read'],
        organization: ['read'],
        organization_member: ['read'],
        deployment_stats: ['read'],
        deployment_config: ['read'],
        template: ['read', 'view_insights'],
      }),
    }),
  ],
  [
    ROLE.templateAdmin,
    builtIn('site', 'Template Admin', {
      site: permissions({
        assign_org_role: ['read'],
        user: ['read'],
        group: ['read'],
        group_member: ['read'],
        organization: ['read'],
        organization_member: ['read'],
        workspace: ['read'],
        template: 'every',
        file: ['create', 'read'],
        prebuilt_workspace: ['update', 'delete'],
        provisioner_daemon: ['create', 'read', 'update', 'delete'],
      }),
    }),
  ],
  [
    ROLE.userAdmin,
    builtIn('site', 'User Admin', {
      site: permissions({
        assign_role: ['assign', 'unassign', 'read'],
        assign_org_role: ['assign', 'unassign', 'read'],
        user: 'every',
        group: ['create', 'read', 'update', 'delete'],
        group_member: ['read'],
        organization: ['read'],
        organization_member: ['create', 'read', 'update', 'delete'],
        idpsync_settings: ['read', 'update'],
      }),
    }),
  ],
  [
    ROLE.orgAdmin,
    builtIn('org', 'Organization Admin', {
      site: permissions({ user: ['read'] }),
      org: [
        ...allExcept('workspace', 'workspace_dormant', 'prebuilt_workspace', 'assign_role'),
        ...permissions({
          // No exec access into members' workspaces.
          workspace: RESOURCE_ACTIONS.workspace.filter((a) => a !== 'application_connect' && a !== 'ssh'),
          workspace_dormant: DORMANT_WORKSPACE_ACTIONS,
          prebuilt_workspace: ['update', 'delete'],
        }),
      ],
    }),
  ],
  [
    ROLE.orgMember,
    builtIn('org', '', {
      org: permissions({ provisioner_daemon: ['read'], organization: ['read'], assign_org_role: ['read'] }),
    }),
  ],
  [
    ROLE.orgAuditor,
    builtIn('org', 'Organization Auditor', {
      org: permissions({
        audit_log: ['read'],
        connection_log: ['read'],
        group: ['read'],
        group_member: ['read'],
        organization: ['read'],
        organization_member: ['read'],
        template: ['read', 'view_insights'],
      }),
    }),
  ],
  [
    ROLE.orgUserAdmin,
    builtIn('org', 'Organization User Admin', {
      site: permissions({ user: ['read'] }),
      org: permissions({
        assign_org_role: ['assign', 'unassign', 'read'],
        organization: ['read'],
        organization_member: ['create', 'read', 'update', 'delete'],
        group: ['create', 'read', 'update', 'delete'],
        group_member: ['read'],
        idpsync_settings: ['read', 'update'],
      }),
    }),
  ],
  [
    ROLE.orgTemplateAdmin,
    builtIn('org', 'Organization Template Admin', {
      org: permissions({
        template: 'every',
        file: ['create', 'read'],
        workspace: ['read'],
        prebuilt_workspace: ['update', 'delete'],
        organization: ['read'],
        organization_member: ['read'],
        group: ['read'],
        group_member: ['read'],
        provisioner_daemon: ['create', 'read', 'update', 'delete'],
        provisioner_jobs: ['read', 'update', 'create'],
      }),
    }),
  ],
  [
    ROLE.orgWorkspaceCreationBan,
    builtIn('org', 'Organization Workspace Creation Ban', {
      // Negated, so it overrides org and user grants (but not a site grant).
      org: permissions({ workspace: ['create', 'delete', 'create_agent', 'delete_agent'] }, true),
    }),
  ],
]);

const LOWERCASE_BUILT_IN_NAMES = new Set([...BUILT_IN.keys()].map((name) => name.toLowerCase()));

function definition(name: string, role: BuiltIn, organizationId: string | null): RoleDefinition {
  // Fresh arrays per call, so a caller's edits never reach the shared tables
  // (the permission objects themselves are frozen).
  return {
    name,
    displayName: role.displayName,
    organizationId,
    site: [...role.levels.site],
    org: [...role.levels.org],
    user: [...role.levels.user],
    builtIn: true,
  };
}

/** The built-in site role of that exact name (owner, member, auditor, template-admin, user-admin). */
export function builtInSiteRole(name: string): RoleDefinition | undefined {
  const role = BUILT_IN.get(name);
  return role?.scope === 'site' ? definition(name, role, null) : undefined;
}

/** The built-in organization role of that exact name, scoped to the organization. */
export function builtInOrgRole(name: string, organizationId: string): RoleDefinition | undefined {
  const role = BUILT_IN.get(name);
  return role?.scope === 'org' ? definition(name, role, organizationId) : undefined;
}

/** The display name of a built-in role of that exact name and scope, without building the role. */
export function builtInDisplayName(name: string, scope: 'site' | 'org'): string | undefined {
  const role = BUILT_IN.get(name);
  return role?.scope === scope ? role.displayName : undefined;
}

/** Case-insensitive, for reserving names: custom roles may not take any variant of these. */
export function isBuiltInRoleName(name: string): boolean {
  return LOWERCASE_BUILT_IN_NAMES.has(name.toLowerCase());
}

/** Exactly a built-in site role name, the implicit `member` included. */
export function isSiteRoleName(name: string): boolean {
  return BUILT_IN.get(name)?.scope === 'site';
}

/** Exactly a built-in organization role name, the implicit `organization-member` included. */
export function isOrgRoleName(name: string): boolean {
  return BUILT_IN.get(name)?.scope === 'org';
}
