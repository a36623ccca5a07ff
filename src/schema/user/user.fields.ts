// User's fields that reach into other domains: roles and memberships.
import { builder } from '../../builder.js';
import { canReadMember, OrganizationMember } from '../member/member.js';
import type { MemberRow } from '../member/member-pages.js';
import { SlimRole, slimSiteRoles } from '../role/role.js';
import { User } from './user.js';

builder.prismaObjectFields(User, (t) => ({
  globalRoles: t.field({
    type: [SlimRole],
    description: "The user's site roles (the implicit `member` is not listed).",
    resolve: (user) => slimSiteRoles(user.rbacRoles),
  }),

  organizationMemberships: t.field({
    type: [OrganizationMember],
    description: "The user's memberships that the caller may see, by organization name.",
    select: (_args, _ctx, nestedSelection) => ({
      memberships: nestedSelection({
        where: { organization: { deleted: false } },
        orderBy: [{ organization: { name: 'asc' } }, { organizationId: 'asc' }],
      }),
    }),
    resolve: async (user, _args, ctx) => {
      const gate = await ctx.gate();
      // nestedSelection plans OrganizationMember's own include (its user's data) too.
      return (user.memberships as MemberRow[]).filter((member) =>
        canReadMember(gate, member.organizationId, member.userId),
      );
    },
  }),
}));
