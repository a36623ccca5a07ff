import { builder } from '../../builder.js';
import type { MemberRow } from '../../db/reads/rows.js';
import { isUuid } from '../../db/references.js';
import { notFound } from '../../errors.js';
import { Organization } from '../organization/organization.js';
import { SlimRole, slimOrganizationRoles, slimSiteRoles } from '../role/role.js';
import { requireAuthenticated } from '../shared/entity.js';
import { User } from '../user/user.js';
import { canReadUser } from '../user/user.policy.js';
import { canReadMember } from './member.policy.js';
import { memberId } from '../shared/identity.js';

export const OrganizationMember = builder.objectRef<MemberRow>('OrganizationMember').implement({
  description: "A user's membership of an organization, with the member's roles and user data.",
  fields: (t) => ({
    id: t.id({
      description:
        'Identifies the membership for client caches: `<organizationId>:<userId>`, the same for as long as the ' +
        'organization and the user exist (a member removed and added again has the same id). Federation keys ' +
        'the type by `organizationId userId`.',
      resolve: (m) => memberId(m.organizationId, m.userId),
    }),
    organizationId: t.exposeID('organizationId', { description: 'The organization id.' }),
    userId: t.exposeID('userId', { description: 'The user id.' }),
    organization: t.field({
      type: Organization,
      description: 'The organization.',
      // Usually known already (the page's or the lookup's organization): no statement then.
      resolve: async (member, _args, ctx) => {
        const organization = await ctx.reads().organization(member.organizationId);
        if (!organization) throw notFound(); // deleted since the membership was read
        return organization;
      },
    }),
    user: t.field({
      type: User,
      nullable: true,
      description:
        "The member's user account, for a caller who may read users; for one who may read members only (an " +
        'organization auditor, say), null with NOT_FOUND at its path, as `user(user:)` answers. The fields above ' +
        'that Coder shows with a member (username, name, email, avatarUrl, globalRoles) need no more.',
      // Read with the membership, every column the API shows.
      resolve: async (member, _args, ctx) => {
        if (!canReadUser(await ctx.gate(), member.userId)) throw notFound();
        return member.user;
      },
    }),
    roles: t.field({
      type: [SlimRole],
      description: 'The organization roles stored for the member (the implicit `organization-member` is not listed).',
      resolve: (member, _args, ctx) => slimOrganizationRoles(ctx, member.organizationId, member.roles),
    }),
    globalRoles: t.field({
      type: [SlimRole],
      description: "The member's site roles.",
      resolve: (member) => slimSiteRoles(member.user.rbacRoles),
    }),
    createdAt: t.expose('createdAt', { type: 'DateTime', description: 'When the user joined the organization.' }),
    updatedAt: t.expose('updatedAt', { type: 'DateTime', description: 'When the membership last changed.' }),
    username: t.string({ description: "The member's username.", resolve: (m) => m.user.username }),
    name: t.string({ description: "The member's full name; may be empty.", resolve: (m) => m.user.name }),
    email: t.string({ description: "The member's email address.", resolve: (m) => m.user.email }),
    avatarUrl: t.string({ description: "The member's avatar URL; may be empty.", resolve: (m) => m.user.avatarUrl }),
  }),
});

builder.asEntity(OrganizationMember, {
  key: builder.selection<{ organizationId: string; userId: string }>('organizationId userId'),
  resolveReference: async ({ organizationId, userId }, ctx) => {
    await requireAuthenticated(ctx);
    if (!isUuid(organizationId) || !isUuid(userId)) return null;
    const key = { organizationId: organizationId.toLowerCase(), userId: userId.toLowerCase() };
    if (!canReadMember(await ctx.gate(), key.organizationId, key.userId)) return null;
    const found = await ctx.reads().member({ organization: { id: key.organizationId }, user: { id: key.userId } });
    return (!found.systemUser && found.member) || null;
  },
});
