import { builder } from '../../builder.js';
import { isUniqueViolation } from '../../db/prisma-errors.js';
import { badUserInput, conflict, forbidden, notFound } from '../../errors.js';
import { builtInOrgRole, isSiteRoleName, rbacObjects, ROLE } from '../../rbac/index.js';
import { findUser, readableOrganization } from '../organization/lookup.js';
import { OrganizationMember } from './member.js';
import { canReadMember } from './member.policy.js';
import { memberAfterWrite } from './member-reads.js';

/** More role names than any organization can have: refused before anything is read. */
const MAX_ROLES = 100;
const MAX_ROLE_NAME_LENGTH = 64;
/**
 * Prisma's defaults (2 s to get a connection, 5 s to finish) would turn a busy
 * pool into an INTERNAL_SERVER_ERROR for a write that is merely queued; the
 * transaction is four short statements, so waiting longer costs nothing.
 */
const ROLE_UPDATE_TRANSACTION = { maxWait: 10_000, timeout: 15_000 };

const orgAndUserArgs = (t: PothosSchemaTypes.MutationFieldBuilder<any, any>) => ({
  organization: t.arg.string({ description: 'An organization id, name, or `default`.' }),
  user: t.arg.string({ description: 'A user id, username, or `me`.' }),
});

builder.mutationFields((t) => ({
  addOrganizationMember: t.field({
    type: OrganizationMember,
    description:
      'Adds a user to an organization, with no explicit roles. Mirrors `POST /organizations/{organization}/members/{user}`.',
    args: orgAndUserArgs(t),
    resolve: async (_root, args, ctx) => {
      const organization = await readableOrganization(ctx, args.organization);
      const [gate, user] = await Promise.all([ctx.gate(), findUser(ctx, args.user)]);
      if (!user || !gate.can('read', rbacObjects.user(user.id))) {
        throw badUserInput('User must be an existing uuid or username.', {
          validations: [{ field: 'user', detail: `no user "${args.user}" that you can see` }],
        });
      }
      const mayAdd =
        gate.can('assign', rbacObjects.assignOrgRole(organization.id)) &&
        gate.canAssign(ROLE.orgMember, organization.id) &&
        gate.can('create', rbacObjects.organizationMember(organization.id, user.id));
      if (!mayAdd) throw notFound();
      const now = new Date();
      try {
        await ctx.prisma.organizationMember.create({
          data: { organizationId: organization.id, userId: user.id, roles: [], createdAt: now, updatedAt: now },
        });
      } catch (error) {
        // The primary key decides between concurrent adds: one succeeds, the others land here.
        if (isUniqueViolation(error)) throw conflict('User is already an organization member.');
        throw error;
      }
      return memberAfterWrite(ctx, organization.id, user.id);
    },
  }),

  removeOrganizationMember: t.boolean({
    description:
      'Removes a user from an organization (the default one included). You cannot remove yourself. ' +
      'Mirrors `DELETE /organizations/{organization}/members/{user}`.',
    args: orgAndUserArgs(t),
    resolve: async (_root, args, ctx) => {
      const organization = await readableOrganization(ctx, args.organization);
      const [gate, user] = await Promise.all([ctx.gate(), findUser(ctx, args.user)]);
      const key = user && { organizationId: organization.id, userId: user.id };
      const member = key && (await ctx.prisma.organizationMember.findUnique({ where: { organizationId_userId: key } }));
      if (!member || !canReadMember(gate, member.organizationId, member.userId)) throw notFound();
      if (member.userId === gate.userId) throw badUserInput('Cannot remove self from an organization.');
      if (!gate.can('delete', rbacObjects.organizationMember(member.organizationId, member.userId))) throw notFound();
      const { count } = await ctx.prisma.organizationMember.deleteMany({ where: key });
      if (count === 0) throw notFound(); // removed by someone else meanwhile
      return true;
    },
  }),

  updateOrganizationMemberRoles: t.field({
    type: OrganizationMember,
    description:
      "Replaces a member's explicit organization roles with `roles` (bare names, de-duplicated in order). You cannot change " +
      'your own roles. Mirrors `PUT /organizations/{organization}/members/{user}/roles`.',
    args: {
      ...orgAndUserArgs(t),
      roles: t.arg.stringList({ description: 'The complete set of explicit roles, e.g. ["organization-admin"].' }),
    },
    resolve: async (_root, args, ctx) => {
      if (args.roles.length > MAX_ROLES) {
        throw badUserInput(`At most ${MAX_ROLES} roles can be given.`, {
          validations: [{ field: 'roles', detail: `${args.roles.length} given` }],
        });
      }
      const organization = await readableOrganization(ctx, args.organization);
      const [gate, user] = await Promise.all([ctx.gate(), findUser(ctx, args.user)]);
      const found = user && { organizationId: organization.id, userId: user.id };

      const written = await ctx.prisma.$transaction(async (tx) => {
        // Lock the row, so that the roles compared below are the ones replaced.
        const key = found;
        const [member] = key
          ? await tx.$queryRaw<{ roles: string[] }[]>`
              SELECT roles FROM organization_members
              WHERE organization_id = ${key.organizationId}::uuid AND user_id = ${key.userId}::uuid FOR UPDATE`
          : [];
        if (!key || !member || !canReadMember(gate, key.organizationId, key.userId)) throw notFound();
        if (key.userId === gate.userId) throw badUserInput('You cannot change your own organization roles.');

        const requested = [...new Set(args.roles)];
        const customNames = new Set(
          (await tx.customRole.findMany({ where: { organizationId: organization.id }, select: { name: true } })).map(
            (r) => r.name,
          ),
        );
        const unsupported = requested.filter(
          (name) =>
            name === '' ||
            name.length > MAX_ROLE_NAME_LENGTH ||
            name.includes(':') ||
            isSiteRoleName(name) ||
            !(builtInOrgRole(name, organization.id) || customNames.has(name)),
        );
        if (unsupported.length) {
          throw badUserInput(`Not a supported role: ${unsupported.map((n) => JSON.stringify(n)).join(', ')}.`, {
            detail:
              'Give bare organization role names: built-in ones (organization-admin, …) or custom roles of this organization.',
            validations: unsupported.map((name) => ({ field: 'roles', detail: `"${name}" is not a supported role` })),
          });
        }

        // organization-member is implied: counted as added, never stored.
        const added = [...new Set([...requested, ROLE.orgMember])].filter((name) => !member.roles.includes(name));
        const removed = member.roles.filter((name) => !requested.includes(name));
        const roles = rbacObjects.assignOrgRole(organization.id);
        if (added.length && !gate.can('assign', roles))
          throw forbidden('You may not assign roles in this organization.');
        if (removed.length && !gate.can('unassign', roles))
          throw forbidden('You may not unassign roles in this organization.');
        const refused = [...added, ...removed].filter((name) => !gate.canAssign(name, organization.id));
        if (refused.length) {
          throw badUserInput(`Not authorized to assign role ${refused.map((n) => JSON.stringify(n)).join(', ')}.`, {
            validations: refused.map((name) => ({
              field: 'roles',
              detail: `you may not assign or unassign "${name}"`,
            })),
          });
        }

        await tx.organizationMember.update({
          where: { organizationId_userId: key },
          data: { roles: requested.filter((name) => name !== ROLE.orgMember), updatedAt: new Date() },
        });
        return key;
      }, ROLE_UPDATE_TRANSACTION);
      return memberAfterWrite(ctx, written.organizationId, written.userId);
    },
  }),
}));
