import type { GraphQLNamedType, GraphQLResolveInfo } from 'graphql';
import type { Gate } from '../../access/gate.js';
import { builder } from '../../builder.js';
import type { UserRow } from '../../db/reads/rows.js';
import { isUuid } from '../../db/references.js';
import { valuesPerItemOf } from '../../limits/answer-meter.js';
import { seesEveryMembership } from '../member/member.policy.js';
import { requireAuthenticated } from '../shared/entity.js';
import { canReadUser } from './user.policy.js';

export const UserStatus = builder.enumType('UserStatus', {
  description: "A user's account status. Dormant users become active on their next authenticated request.",
  values: {
    ACTIVE: { value: 'active', description: 'May sign in and use the API.' },
    DORMANT: {
      value: 'dormant',
      description: 'Has not been seen for a while; becomes active on the next authenticated request.',
    },
    SUSPENDED: { value: 'suspended', description: 'May not sign in; every session token of the user is refused.' },
  } as const,
});

export const User = builder.objectRef<UserRow>('User').implement({
  description: 'A Coder user account.',
  fields: (t) => ({
    id: t.exposeID('id', { description: 'The user id, a lowercase UUID.' }),
    username: t.exposeString('username', { description: 'Unique (case-insensitively) login name.' }),
    name: t.exposeString('name', { description: 'Full name; may be empty.' }),
    email: t.exposeString('email', { description: 'Email address.' }),
    avatarUrl: t.exposeString('avatarUrl', { description: 'Avatar image URL; may be empty.' }),
    status: t.expose('status', { type: UserStatus, description: 'Account status.' }),
    createdAt: t.expose('createdAt', { type: 'DateTime', description: 'When the user was created.' }),
    updatedAt: t.expose('updatedAt', { type: 'DateTime', description: 'When the user was last changed.' }),
    lastSeenAt: t.expose('lastSeenAt', {
      type: 'DateTime',
      description: 'When the user was last seen (0001-01-01 if never).',
    }),
  }),
});

/**
 * The values of the answer each membership read takes (RequestReads' `valuesEach`): those its fields add
 * (`valuesEach`), for a caller who sees every membership; 1 for others, some of whose memberships read are never
 * answered. 0 (not asked for) stays 0.
 */
export const valuesPerMembershipRead = (gate: Gate, valuesEach: number): number =>
  valuesEach && !seesEveryMembership(gate) ? 1 : valuesEach;

/**
 * For a read of a user with its memberships (userByRef's `withMemberships`): 0 when `organizationMemberships` is
 * not selected below the field at `info`, else valuesPerMembershipRead.
 */
export const membershipsAsked = (gate: Gate, info: GraphQLResolveInfo, type?: GraphQLNamedType | null): number =>
  valuesPerMembershipRead(gate, valuesPerItemOf(info, 'organizationMemberships', type ?? undefined));

builder.asEntity(User, {
  key: builder.selection<{ id: string }>('id'),
  resolveReference: async ({ id }, ctx, info) => {
    await requireAuthenticated(ctx);
    if (!isUuid(id)) return null;
    const gate = await ctx.gate();
    if (!canReadUser(gate, id.toLowerCase())) return null;
    // As `user(user:)`: the memberships, if selected (`... on User { organizationMemberships }`), in the same statement.
    const withMemberships = membershipsAsked(gate, info, info.schema.getType('User'));
    return (await ctx.reads().userByRef({ id: id.toLowerCase() }, { withMemberships })) ?? null;
  },
});
