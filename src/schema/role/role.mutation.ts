import { builder } from '../../builder.js';
import { isRecordNotFound, isUniqueViolation } from '../../db/prisma-errors.js';
import { conflict, forbidden, notFound } from '../../errors.js';
import { serializePermissions } from '../../access/gate.js';
import { rbacObjects, type Permission } from '../../rbac/index.js';
import { readableOrganization } from '../organization/lookup.js';
import { PermissionInput } from '../permission/permission.js';
import { fromCustomRole, Role } from './role.js';
import {
  validateGrantedPermissions,
  validateRoleName,
  validateRoleRequest,
  type CustomRoleRequest,
} from './role.validation.js';
import type { Context } from '../../context.js';

const CustomRoleInput = builder.inputType('CustomRoleInput', {
  description:
    'A custom organization role. Lists left out are empty; organization roles carry organization permissions only.',
  fields: (t) => ({
    name: t.string({
      description: '1–32 letters, digits and single hyphens; stored lower-cased. Not a built-in role name.',
    }),
    displayName: t.string({ required: false, description: 'Human-readable name (at most 64 characters).' }),
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

/**
 * What creating and updating a custom role check, in SPEC D's order: the
 * organization, the request, the caller's right to `action` roles there
 * (else NOT_FOUND), then each permission against what the caller holds.
 */
async function checkRoleRequest(ctx: Context, organizationRef: string, role: RoleArgs, action: 'create' | 'update') {
  const organization = await readableOrganization(ctx, organizationRef);
  const name = validateRoleRequest(role);
  const gate = await ctx.gate();
  gate.require(action, rbacObjects.assignOrgRole(organization.id), notFound);
  const permissions = toPermissions(role.organizationPermissions);
  validateGrantedPermissions(gate, organization.id, permissions);
  return {
    organizationId: organization.id,
    name,
    fields: {
      displayName: role.displayName ?? '',
      orgPermissions: serializePermissions(permissions),
      sitePermissions: [],
      userPermissions: [],
    },
  };
}

builder.mutationFields((t) => ({
  createOrganizationRole: t.field({
    type: Role,
    description: 'Creates a custom organization role. Mirrors `POST /organizations/{organization}/members/roles`.',
    args: {
      organization: t.arg.string({ description: 'An organization id, name, or `default`.' }),
      role: t.arg({ type: CustomRoleInput, description: 'The role.' }),
    },
    resolve: async (_root, args, ctx) => {
      const { organizationId, name, fields } = await checkRoleRequest(ctx, args.organization, args.role, 'create');
      const now = new Date();
      try {
        const role = await ctx.prisma.customRole.create({
          data: { name, organizationId, ...fields, createdAt: now, updatedAt: now },
        });
        return fromCustomRole(role);
      } catch (error) {
        if (isUniqueViolation(error)) throw conflict(`A role named "${name}" already exists in this organization.`);
        throw error;
      }
    },
  }),

  updateOrganizationRole: t.field({
    type: Role,
    description:
      "Replaces a custom organization role's display name and permissions (lists left out become empty). " +
      'Mirrors `PUT /organizations/{organization}/members/roles`.',
    args: {
      organization: t.arg.string({ description: 'An organization id, name, or `default`.' }),
      role: t.arg({ type: CustomRoleInput, description: 'The role, found by name.' }),
    },
    resolve: async (_root, args, ctx) => {
      const { organizationId, name, fields } = await checkRoleRequest(ctx, args.organization, args.role, 'update');
      try {
        // One statement: the role is changed and returned as it now is, or not found.
        const role = await ctx.prisma.customRole.update({
          where: { name_organizationId: { name, organizationId } },
          data: { ...fields, updatedAt: new Date() },
        });
        return fromCustomRole(role);
      } catch (error) {
        if (isRecordNotFound(error)) throw notFound(`No custom role "${name}" in this organization.`);
        throw error;
      }
    },
  }),

  deleteOrganizationRole: t.boolean({
    description:
      'Deletes a custom organization role and takes it from every member who holds it, in one transaction. ' +
      'Mirrors `DELETE /organizations/{organization}/members/roles/{roleName}`.',
    args: {
      organization: t.arg.string({ description: 'An organization id, name, or `default`.' }),
      name: t.arg.string({ description: 'The custom role name.' }),
    },
    resolve: async (_root, args, ctx) => {
      const organization = await readableOrganization(ctx, args.organization);
      // As Coder does: a built-in role's name, or one no role can have, is refused first.
      const name = validateRoleName(args.name);
      const gate = await ctx.gate();
      gate.require('delete', rbacObjects.assignOrgRole(organization.id), () =>
        forbidden('You may not delete roles in this organization.'),
      );
      // The database trigger removes the name from the members' roles in the same transaction.
      const { count } = await ctx.prisma.customRole.deleteMany({ where: { name, organizationId: organization.id } });
      if (count === 0) throw notFound(`No custom role "${args.name}" in this organization.`);
      return true;
    },
  }),
}));
