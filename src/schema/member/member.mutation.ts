import { enforce } from '../../access/decision.js';
import { builder } from '../../builder.js';
import { addMember, removeMember, updateMemberRoles } from '../../db/writes/members.js';
import type { Context } from '../../context.js';
import { badUserInput, notFound } from '../../errors.js';
import type { UserRow } from '../../db/reads/rows.js';
import { findUser, readableOrganization, userArgument } from '../shared/references.js';
import { OrganizationMember } from './member.js';
import { memberAddition, memberRemoval, memberRoleChange } from './member.policy.js';
import { memberAsWritten } from './member-reads.js';

/** More role names than any organization can have: refused before anything is read. */
const MAX_ROLES = 100;

const orgAndUserArgs = builder.args((t) => ({
  organization: t.string({ description: 'An organization id, name, or `default`.' }),
  user: t.string({ description: 'A user id, username, or `me`.' }),
}));

builder.mutationFields((t) => ({
  addOrganizationMember: t.field({
    type: OrganizationMember,
    description:
      'Adds a user to an organization, with no explicit roles. Audited. ' +
      'Mirrors `POST /organizations/{organization}/members/{user}`.',
    args: orgAndUserArgs,
    resolve: async (_root, args, ctx) => {
      const organization = await readableOrganization(ctx, args.organization);
      const [gate, user] = await Promise.all([ctx.gate(), findUser(ctx, args.user)]);
      const added = enforce(memberAddition(gate, organization.id, user));
      const written = await addMember(ctx.prisma, ctx.auditTrail(), { organizationId: organization.id, user: added });
      return memberAsWritten(ctx, written, added);
    },
  }),

  removeOrganizationMember: t.boolean({
    description:
      'Removes a user from an organization (the default one included). You cannot remove yourself. Audited. ' +
      'Mirrors `DELETE /organizations/{organization}/members/{user}`.',
    args: orgAndUserArgs,
    resolve: async (_root, args, ctx) => {
      const organization = await readableOrganization(ctx, args.organization);
      const [gate, user] = await Promise.all([ctx.gate(), existingUser(ctx, args.user)]);
      return removeMember(
        ctx.prisma,
        ctx.auditTrail(),
        { organizationId: organization.id, userId: user.id },
        (member) => memberRemoval(gate, member),
      );
    },
  }),

  updateOrganizationMemberRoles: t.field({
    type: OrganizationMember,
    description:
      "Replaces a member's explicit organization roles with `roles` (bare names, de-duplicated in order). You cannot change " +
      'your own roles, nor those of a system user. Audited. ' +
      'Mirrors `PUT /organizations/{organization}/members/{user}/roles`.',
    args: {
      ...orgAndUserArgs,
      roles: t.arg.stringList({ description: 'The complete set of explicit roles, e.g. ["organization-admin"].' }),
    },
    resolve: async (_root, args, ctx) => {
      if (args.roles.length > MAX_ROLES) {
        throw badUserInput(`At most ${MAX_ROLES} roles can be given.`, {
          validations: [{ field: 'roles', detail: `${args.roles.length} given` }],
        });
      }
      const organization = await readableOrganization(ctx, args.organization);
      const [gate, user] = await Promise.all([ctx.gate(), existingUser(ctx, args.user)]);
      const written = await updateMemberRoles(
        ctx.prisma,
        ctx.auditTrail(),
        { organizationId: organization.id, userId: user.id },
        (member, customRoleNames) => memberRoleChange(gate, member, args.roles, customRoleNames),
      );
      return memberAsWritten(ctx, written, user);
    },
  }),
}));

/**
 * The user of a membership to change, as Coder resolves its `{user}` route parameter before it looks for the
 * membership: a user who does not exist is bad input (400). Coder finds an id among deleted users too, and then
 * no membership (404); a username only among live ones.
 */
async function existingUser(ctx: Context, ref: string): Promise<UserRow> {
  const user = await findUser(ctx, ref);
  if (user) return user;
  const parsed = userArgument(ctx, ref);
  if ('id' in parsed && (await ctx.prisma.user.count({ where: { id: parsed.id, deleted: true } }))) throw notFound();
  throw badUserInput('User must be an existing uuid or username.', {
    validations: [{ field: 'user', detail: 'no such user' }],
  });
}
