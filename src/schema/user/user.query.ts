import { enforce } from '../../access/decision.js';
import { builder } from '../../builder.js';
import { notFound } from '../../errors.js';
import { userArgument } from '../shared/references.js';
import { User } from './user.js';
import { canReadUser, userReading } from './user.policy.js';

builder.queryFields((t) => ({
  me: t.field({
    type: User,
    description:
      'The user whose session token made this request; NOT_FOUND for a key whose scope does not cover reading it.',
    resolve: async (_root, _args, ctx) => {
      const gate = await ctx.gate();
      // After authentication, which may have just recorded the caller as seen.
      const user = canReadUser(gate, gate.userId) ? await ctx.reads().user(gate.userId) : undefined;
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
    resolve: async (_root, args, ctx) => {
      const gate = await ctx.gate();
      return enforce(userReading(gate, await ctx.reads().userByRef(userArgument(ctx, args.user))));
    },
  }),
}));
