import { enforce } from '../../access/decision.js';
import { builder } from '../../builder.js';
import { notFound } from '../../errors.js';
import { userArgument } from '../shared/references.js';
import { membershipsAsked, User } from './user.js';
import { canReadUser, userReading } from './user.policy.js';

builder.queryFields((t) => ({
  me: t.field({
    type: User,
    description:
      'The user whose session token made this request; NOT_FOUND for a key whose scope does not cover reading it.',
    resolve: async (_root, _args, ctx, info) => {
      const gate = await ctx.gate();
      // After authentication, which may have just recorded the caller as seen. The memberships as for `user`.
      const user = canReadUser(gate, gate.userId)
        ? await ctx.reads().userByRef({ id: gate.userId }, { withMemberships: membershipsAsked(gate, info) })
        : undefined;
      if (!user) throw notFound();
      return user;
    },
  }),

  user: t.field({
    type: User,
    nullable: true,
    description:
      'One user, by id, username (case-insensitive) or `me`; NOT_FOUND if it does not exist or the caller may not ' +
      'see it.',
    args: { user: t.arg.string({ description: 'A user id, username, or `me`.' }) },
    resolve: async (_root, args, ctx, info) => {
      // Authenticated already (the field's scope): the gate costs no statement. The memberships, if selected, in
      // the user's own statement: one where reading the user first costs two.
      const gate = await ctx.gate();
      const user = await ctx
        .reads()
        .userByRef(userArgument(ctx, args.user), { withMemberships: membershipsAsked(gate, info) });
      return enforce(userReading(gate, user));
    },
  }),
}));
