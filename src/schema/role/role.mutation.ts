import { enforce } from '../../access/decision.js';
import { builder } from '../../builder.js';
import { serializePermissions } from '../../access/gate.js';
import { createCustomRole, deleteCustomRole, updateCustomRole } from '../../db/writes/custom-roles.js';
import { notFound } from '../../errors.js';
import type { Permission } from '../../rbac/index.js';
import { readableOrganization } from '../shared/references.js';
import { PermissionInput } from '../permission/permission.js';
import { fromCustomRole, Role } from './role.js';
import { roleCreation, roleDeletion, roleUpdate } from './role.policy.js';
import { couldBeRoleName, validateRoleRequest, type CustomRoleRequest } from './role.validation.js';
import type { Context } from '../../context.js';

const CustomRoleInput = builder.inputType('CustomRoleInput', {
  description:
    'A custom organization role. Lists left out are empty; organization roles carry organization permissions only.',
  fields: (t) => ({
    name: t.string({
      description: '1–32 letters, digits and single hyphens; stored lower-cased. Not a built-in role name.',
    }),
    displayName: t.string({ required: false, description: 'Human-readable name, at most 10,000 characters.' }),
    organizationPermissions: t.field({
      type: [PermissionInput],
      required: false,
      description: 'Permissions inside the organization.',
    }),
    sitePermissions: t.field({
      type: [PermissionInput],
      required: false,
      description: 'Must be empty for an organization role.',
    }),
    userPermissions: t.field({
      type: [PermissionInput],
      required: false,
      description: 'Must be empty for an organization role.',
    }),
  }),
});

type PermissionArgs = { action: string; resourceType: string; negate?: boolean | null }[] | null | undefined;
type RoleArgs = CustomRoleRequest & { organizationPermissions?: PermissionArgs };

const toPermissions = (list: PermissionArgs): Permission[] =>
  (list ?? []).map((p) => ({ action: p.action, resourceType: p.resourceType, negate: p.negate ?? false }));

/** A role request, checked for what needs neither the database nor the caller's permissions. */
async function parseRoleRequest(ctx: Context, organizationRef: string, role: RoleArgs) {
  const organization = await readableOrganization(ctx, organizationRef);
  const name = validateRoleRequest(role);
  const permissions = toPermissions(role.organizationPermissions);
  return {
    key: { organizationId: organization.id, name },
    permissions,
    fields: { displayName: role.displayName ?? '', orgPermissions: serializePermissions(permissions) },
  };
}

builder.mutationFields((t) => ({
  createOrganizationRole: t.field({
    type: Role,
    description:
      'Creates a custom organization role. Audited. Mirrors `POST /organizations/{organization}/members/roles`.',
    args: {
      organization: t.arg.string({ description: 'An organization id, name, or `default`.' }),
      role: t.arg({ type: CustomRoleInput, description: 'The role.' }),
    },
    resolve: async (_root, args, ctx) => {
      const { key, permissions, fields } = await parseRoleRequest(ctx, args.organization, args.role);
      enforce(roleCreation(await ctx.gate(), key.organizationId, permissions));
      return fromCustomRole(await createCustomRole(ctx.prisma, ctx.auditTrail(), key, fields));
    },
  }),

  updateOrganizationRole: t.field({
    type: Role,
    description:
      "Replaces a custom organization role's display name and permissions (lists left out become empty). Audited. " +
      'Mirrors `PUT /organizations/{organization}/members/roles`.',
    args: {
      organization: t.arg.string({ description: 'An organization id, name, or `default`.' }),
      role: t.arg({ type: CustomRoleInput, description: 'The role, found by name.' }),
    },
    resolve: async (_root, args, ctx) => {
      const { key, permissions, fields } = await parseRoleRequest(ctx, args.organization, args.role);
      const gate = await ctx.gate();
      const updated = await updateCustomRole(ctx.prisma, ctx.auditTrail(), key, fields, () =>
        roleUpdate(gate, key.organizationId, permissions),
      );
      return fromCustomRole(updated);
    },
  }),

  deleteOrganizationRole: t.boolean({
    description:
      'Deletes a custom organization role and takes it from every member who holds it, in one transaction. ' +
      'NOT_FOUND for a name that is not a custom role of the organization (a built-in one included), whoever asks. ' +
      'Audited. Mirrors `DELETE /organizations/{organization}/members/roles/{roleName}`.',
    args: {
      organization: t.arg.string({ description: 'An organization id, name, or `default`.' }),
      name: t.arg.string({
        description: 'The custom role name as stored, lower-case: as in Coder, another case names no role.',
      }),
    },
    resolve: async (_root, args, ctx) => {
      const organization = await readableOrganization(ctx, args.organization);
      if (!couldBeRoleName(args.name)) throw notFound('No custom role of that name in this organization.');
      const gate = await ctx.gate();
      // Coder looks the role up by its exact name (`CustomRoles`' lookup pairs), and stores names lower-cased.
      const key = { organizationId: organization.id, name: args.name };
      return deleteCustomRole(ctx.prisma, ctx.auditTrail(), key, () => roleDeletion(gate, organization.id));
    },
  }),
}));
