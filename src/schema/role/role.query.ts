import { builder } from '../../builder.js';
import type { Context } from '../../context.js';
import { enforce } from '../../access/decision.js';
import type { OrganizationRow } from '../../db/reads/rows.js';
import { ASSIGNABLE_ORG_ROLE_NAMES, builtInOrgRole, builtInSiteRole, SITE_ROLE_NAMES } from '../../rbac/index.js';
import { readableOrganization } from '../shared/references.js';
import { AssignableRole, fromCustomRole, fromDefinition, type AssignableRoleView, type RoleView } from './role.js';
import { organizationRolesReading, siteRolesReading, withAssignability } from './role.policy.js';

/** The organization's custom roles, by name; needs read on its roles, else NOT_FOUND. */
export async function organizationCustomRoles(ctx: Context, organization: OrganizationRow): Promise<RoleView[]> {
  enforce(organizationRolesReading(await ctx.gate(), organization.id));
  const roles = await ctx.reads().customRolesOf(organization.id);
  return roles.map(fromCustomRole);
}

/** The five visible built-in organization roles in Coder's order, then the custom ones, each with `assignable`. */
export async function assignableOrganizationRoles(
  ctx: Context,
  organization: OrganizationRow,
): Promise<AssignableRoleView[]> {
  const gate = await ctx.gate();
  const builtIn = ASSIGNABLE_ORG_ROLE_NAMES.map((name) => fromDefinition(builtInOrgRole(name, organization.id)!));
  const roles = [...builtIn, ...(await organizationCustomRoles(ctx, organization))];
  return withAssignability(gate, roles, organization.id);
}

builder.queryFields((t) => ({
  assignableOrganizationRoles: t.field({
    type: [AssignableRole],
    description:
      'The roles of an organization that can be assigned to its members: the built-in ones, then custom ones by name, each saying ' +
      'whether the caller may assign it. Mirrors `GET /organizations/{organization}/members/roles`.',
    args: { organization: t.arg.string({ description: 'An organization id, name, or `default`.' }) },
    resolve: async (_root, args, ctx) =>
      assignableOrganizationRoles(ctx, await readableOrganization(ctx, args.organization)),
  }),

  assignableSiteRoles: t.field({
    type: [AssignableRole],
    description:
      'The site roles (owner, auditor, template-admin, user-admin, then site-wide custom roles), each saying whether the caller ' +
      'may assign it. Mirrors `GET /users/roles`.',
    resolve: async (_root, _args, ctx) => {
      const gate = await ctx.gate();
      enforce(siteRolesReading(gate));
      const builtIn = SITE_ROLE_NAMES.map((name) => fromDefinition(builtInSiteRole(name)!));
      const custom = (await ctx.reads().siteCustomRoles()).map(fromCustomRole);
      return withAssignability(gate, [...builtIn, ...custom], null);
    },
  }),
}));
