import { builder } from '../../builder.js';
import type { RequestContext } from '../../context.js';
import { parsePermissions } from '../../access/gate.js';
import type { StoredCustomRole } from '../../db/reads/custom-roles.js';
import { Organization } from '../organization/organization.js';
import { builtInDisplayName, type Permission, type RoleDefinition } from '../../rbac/index.js';
import { PermissionType, presentable } from '../permission/permission.js';
import { roleId } from '../shared/identity.js';

/** A role as the API shows it: built-in or custom, site-wide or of one organization. */
export interface RoleView {
  name: string;
  displayName: string;
  organizationId: string | null;
  sitePermissions: Permission[];
  organizationPermissions: Permission[];
  userPermissions: Permission[];
  builtIn: boolean;
}

export interface AssignableRoleView extends RoleView {
  assignable: boolean;
}

export interface SlimRoleView {
  name: string;
  displayName: string;
  organizationId: string | null;
}

export const fromDefinition = (role: RoleDefinition): RoleView => ({
  name: role.name,
  displayName: role.displayName,
  organizationId: role.organizationId,
  sitePermissions: role.site,
  organizationPermissions: role.org,
  userPermissions: role.user,
  builtIn: true,
});

export const fromCustomRole = (role: StoredCustomRole): RoleView => ({
  name: role.name,
  displayName: role.displayName,
  organizationId: role.organizationId,
  sitePermissions: parsePermissions(role.sitePermissions),
  organizationPermissions: parsePermissions(role.orgPermissions),
  userPermissions: parsePermissions(role.userPermissions),
  builtIn: false,
});

/** Shared by every member and user without roles (most of them): one allocation fewer per row of a long list. */
const NO_ROLES: readonly SlimRoleView[] = Object.freeze([]);

export const slimSiteRoles = (names: string[]): readonly SlimRoleView[] =>
  names.length === 0
    ? NO_ROLES
    : names.map((name) => ({ name, displayName: builtInDisplayName(name, 'site') ?? '', organizationId: null }));

/**
 * Organization roles by name, with custom roles' display names. Answers
 * synchronously when every name is built in or already read in this request,
 * and loads the organization's custom roles otherwise: most members hold
 * built-in roles, and a long list of members should not cost a promise each.
 */
export function slimOrganizationRoles(
  ctx: RequestContext,
  organizationId: string,
  names: string[],
): readonly SlimRoleView[] | Promise<readonly SlimRoleView[]> {
  if (names.length === 0) return NO_ROLES;
  const reads = ctx.reads();
  const displayNames = names.map(
    (name) => builtInDisplayName(name, 'org') ?? reads.knownDisplayName(organizationId, name),
  );
  const present = (custom: readonly StoredCustomRole[] = []) =>
    names.map((name, i) => ({
      name,
      displayName: displayNames[i] ?? custom.find((role) => role.name === name)?.displayName ?? '',
      organizationId,
    }));
  if (displayNames.every((displayName) => displayName !== undefined)) return present();
  return Promise.resolve(reads.customRolesOf(organizationId)).then(present);
}

export const SlimRole = builder.objectRef<SlimRoleView>('SlimRole').implement({
  description: 'A role by name, as members and users carry them.',
  fields: (t) => ({
    id: t.id({
      description:
        'The id of the role this names (`Role.id`): `<organizationId>:<name>`, or `site:<name>` for a site role.',
      resolve: (role) => roleId(role.organizationId, role.name),
    }),
    name: t.exposeString('name', { description: 'The role name, e.g. `organization-admin`.' }),
    displayName: t.exposeString('displayName', { description: 'Human-readable name; empty for unknown roles.' }),
    organizationId: t.exposeID('organizationId', {
      nullable: true,
      description: 'The organization of an organization role; null for a site role.',
    }),
  }),
});

type Types = typeof builder extends PothosSchemaTypes.SchemaBuilder<infer T> ? T : never;

/** The fields Role and AssignableRole share. */
function roleFields<T extends RoleView>(t: PothosSchemaTypes.ObjectFieldBuilder<Types, T>) {
  return {
    id: t.id({
      description:
        'Identifies the role for client caches: `<organizationId>:<name>` for an organization role, `site:<name>` ' +
        'for a site role, built-in roles included. Stable: a custom role deleted and created again under its name ' +
        'has the same id. `Role`, `AssignableRole` and `SlimRole` of one role share it.',
      resolve: (role) => roleId(role.organizationId, role.name),
    }),
    organization: t.field({
      type: Organization,
      nullable: true,
      description: 'The organization of an organization role; null for a site role.',
      resolve: async (role, _args, ctx) =>
        role.organizationId ? ((await ctx.reads().organization(role.organizationId)) ?? null) : null,
    }),
    name: t.string({
      description: 'Unique name within its organization (or among site roles).',
      resolve: (role) => role.name,
    }),
    displayName: t.string({ description: 'Human-readable name.', resolve: (role) => role.displayName }),
    organizationId: t.id({
      nullable: true,
      description: 'The organization of an organization role; null for a site role.',
      resolve: (role) => role.organizationId,
    }),
    sitePermissions: t.field({
      type: [PermissionType],
      description: 'Permissions granted everywhere.',
      resolve: (role) => presentable(role.sitePermissions),
    }),
    organizationPermissions: t.field({
      type: [PermissionType],
      description: 'Permissions granted inside `organization` only.',
      resolve: (role) => presentable(role.organizationPermissions),
    }),
    userPermissions: t.field({
      type: [PermissionType],
      description: 'Permissions granted on what the role holder owns.',
      resolve: (role) => presentable(role.userPermissions),
    }),
    builtIn: t.boolean({
      description: 'Built-in roles are immutable; custom roles can be changed and deleted.',
      resolve: (role) => role.builtIn,
    }),
  };
}

export const Role = builder.objectRef<RoleView>('Role').implement({
  description: 'A role: named sets of site, organization and user permissions.',
  fields: (t) => roleFields(t),
});

export const AssignableRole = builder.objectRef<AssignableRoleView>('AssignableRole').implement({
  description: 'A role, and whether the caller may assign it.',
  fields: (t) => ({
    ...roleFields(t),
    assignable: t.exposeBoolean('assignable', {
      description: 'Whether the caller may assign (and unassign) this role.',
    }),
  }),
});
