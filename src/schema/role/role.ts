import DataLoader from 'dataloader';
import { builder } from '../../builder.js';
import type { RequestContext } from '../../context.js';
import { parsePermissions } from '../../access/gate.js';
import { customRoleJson, type StoredCustomRole } from '../../db/custom-roles.js';
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

/**
 * Each organization's custom roles, by name, for one request. Statements that
 * load members bring their organization's roles along (`remember`), so that
 * role display names are then answered synchronously: a page of 1,000
 * members must not cost a promise per member. Others are loaded in one
 * statement for every organization asked for in the same tick.
 */
export class CustomRoles {
  readonly #known = new Map<string, StoredCustomRole[]>();
  readonly #displayNames = new Map<string, Map<string, string>>();
  readonly #loader: DataLoader<string, StoredCustomRole[]>;

  constructor(ctx: RequestContext) {
    this.#loader = new DataLoader(async (organizationIds) => {
      const rows = await ctx.sql.query<{ role: StoredCustomRole }>(
        `SELECT ${customRoleJson('c')} AS role FROM custom_roles c WHERE c.organization_id = ANY($1::uuid[]) ORDER BY c.name`,
        [organizationIds],
      );
      const roles = rows.map((row) => row.role);
      return organizationIds.map((id) =>
        this.remember(
          id,
          roles.filter((role) => role.organizationId === id),
        ),
      );
    });
  }

  /** Records an organization's roles read by another statement; returns them. */
  remember(organizationId: string, roles: StoredCustomRole[]): StoredCustomRole[] {
    this.#known.set(organizationId, roles);
    return roles;
  }

  /**
   * Records the display names of some of an organization's roles, read with
   * one member (member-lookup.ts): `names`, of which those that are custom
   * roles are in `customDisplayNames`.
   */
  rememberDisplayNames(
    organizationId: string,
    names: readonly string[],
    customDisplayNames: Record<string, string>,
  ): void {
    let known = this.#displayNames.get(organizationId);
    if (!known) this.#displayNames.set(organizationId, (known = new Map()));
    // hasOwn: a role may be named `constructor`.
    for (const name of names) known.set(name, Object.hasOwn(customDisplayNames, name) ? customDisplayNames[name]! : '');
  }

  /** A custom role's display name if this request has read it ('' for a name that is no custom role), else undefined. */
  knownDisplayName(organizationId: string, name: string): string | undefined {
    const all = this.#known.get(organizationId);
    if (all) return all.find((role) => role.name === name)?.displayName ?? '';
    return this.#displayNames.get(organizationId)?.get(name);
  }

  /** The organization's roles: at once if already read in this request. */
  of(organizationId: string): StoredCustomRole[] | Promise<StoredCustomRole[]> {
    return this.#known.get(organizationId) ?? this.#loader.load(organizationId);
  }
}

export const customRoles = (ctx: RequestContext) => new CustomRoles(ctx);

/** Site-wide custom roles (organization_id null), by name. */
export const siteCustomRoles = (ctx: RequestContext) =>
  ctx.prisma.customRole.findMany({ where: { organizationId: null }, orderBy: [{ name: 'asc' }] });

/** Site roles by name; Coder shows an unknown name with an empty display name. */
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
  let roles: CustomRoles | undefined;
  const displayNames = names.map(
    (name) =>
      builtInDisplayName(name, 'org') ?? (roles ??= ctx.perRequest(customRoles)).knownDisplayName(organizationId, name),
  );
  const present = (custom: readonly StoredCustomRole[] = []) =>
    names.map((name, i) => ({
      name,
      displayName: displayNames[i] ?? custom.find((role) => role.name === name)?.displayName ?? '',
      organizationId,
    }));
  if (!roles || displayNames.every((displayName) => displayName !== undefined)) return present();
  return Promise.resolve(roles.of(organizationId)).then(present);
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
    organization: t.prismaField({
      type: 'Organization',
      nullable: true,
      description: 'The organization of an organization role; null for a site role.',
      // findUnique calls in one tick are batched by Prisma into one query.
      resolve: (query, role, _args, ctx) =>
        role.organizationId
          ? ctx.prisma.organization.findUnique({ ...query, where: { id: role.organizationId } })
          : null,
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
