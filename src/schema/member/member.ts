import { builder } from '../../builder.js';
import { withUserData } from './member-pages.js';
import type { Gate } from '../../access/gate.js';
import { rbacObjects } from '../../rbac/index.js';
import { requireAuthenticated } from '../shared/entity.js';
import { isUuid } from '../../names.js';
import { SlimRole, slimOrganizationRoles, slimSiteRoles } from '../role/role.js';
import { memberId } from '../shared/identity.js';

export const OrganizationMember = builder.prismaObject('OrganizationMember', {
  description: "A user's membership of an organization, with the member's roles and user data.",
  // The user data every member carries, loaded with the member in the same
  // statement. Cheaper than a selection per field: with 1,000 members in an
  // answer, per-field selections cost more CPU than these five columns.
  include: withUserData,
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
    organization: t.relation('organization', { description: 'The organization.' }),
    user: t.relation('user', { description: 'The member.' }),
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
    const gate = await ctx.gate();
    if (!canReadMember(gate, organizationId.toLowerCase(), userId.toLowerCase())) return null;
    // Entities are loaded outside the planned query: bring the type-level include along.
    return ctx.prisma.organizationMember.findUnique({
      where: { organizationId_userId: { organizationId: organizationId.toLowerCase(), userId: userId.toLowerCase() } },
      include: withUserData,
    });
  },
});

export const canReadMember = (gate: Gate, organizationId: string, userId: string) =>
  gate.can('read', rbacObjects.organizationMember(organizationId, userId));

/** Whether the caller may read every member (read on organization_member with no owner): the pages need it (SPEC D). */
export const canReadEveryMember = (gate: Gate, organizationId: string) =>
  gate.can('read', { type: 'organization_member', orgOwner: organizationId });

/**
 * Which of an organization's members the caller may list: all of them (an
 * admin, an auditor), only itself (a plain member), or none. Decided once, so
 * that the rows can be fetched already filtered instead of one check per row.
 */
export function memberVisibility(gate: Gate, organizationId: string): { onlyUserId: string | null } | undefined {
  if (canReadEveryMember(gate, organizationId)) return { onlyUserId: null };
  if (canReadMember(gate, organizationId, gate.userId)) return { onlyUserId: gate.userId };
  return undefined;
}
