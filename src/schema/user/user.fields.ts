// User's fields that reach into other domains: roles and memberships.
import { builder } from '../../builder.js';
import { answerMeterOf } from '../../limits/answer-meter.js';
import { canReadMember } from '../member/member.policy.js';
import { OrganizationMember } from '../member/member.js';
import { SlimRole, slimSiteRoles } from '../role/role.js';
import { User, valuesPerMembershipRead } from './user.js';

builder.objectFields(User, (t) => ({
  globalRoles: t.field({
    type: [SlimRole],
    description: "The user's site roles (the implicit `member` is not listed).",
    resolve: (user) => slimSiteRoles(user.rbacRoles),
  }),

  organizationMemberships: t.field({
    type: [OrganizationMember],
    description: "The user's memberships that the caller may see, by organization name.",
    resolve: async (user, _args, ctx, info) => {
      const gate = await ctx.gate();
      const valuesEach = valuesPerMembershipRead(gate, answerMeterOf(ctx)?.valuesPerItem(info) ?? 1);
      const memberships = await ctx.reads().membershipsOf(user.id, valuesEach);
      return memberships
        .filter(({ organization }) => canReadMember(gate, organization.id, user.id))
        .map(({ organization, roles, createdAt, updatedAt }) => ({
          organizationId: organization.id,
          userId: user.id,
          roles,
          createdAt,
          updatedAt,
          user,
        }));
    },
  }),
}));
