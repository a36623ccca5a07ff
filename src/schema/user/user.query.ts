import { builder } from '../../builder.js';
import { notFound } from '../../errors.js';
import { rbacObjects } from '../../rbac/index.js';
import { findUser } from '../organization/lookup.js';

builder.queryFields((t) => ({
  me: t.prismaField({
    type: 'User',
    description:
      'The user whose session token made this request; NOT_FOUND for a key whose scope does not cover reading it.',
    resolve: async (query, _root, _args, ctx) => {
      const gate = await ctx.gate();
      if (!gate.can('read', rbacObjects.user(gate.userId))) throw notFound();
      return ctx.prisma.user.findUniqueOrThrow({ ...query, where: { id: gate.userId } });
    },
  }),

  user: t.prismaField({
    type: 'User',
    nullable: true,
    description:
      'One user, by id, username (case-insensitive) or `me`; NOT_FOUND if it does not exist or the caller may not see it.',
    args: { user: t.arg.string({ description: 'A user id, username, or `me`.' }) },
    resolve: async (query, _root, args, ctx) => {
      const selection = { ...query };
      const [found, gate] = await Promise.all([findUser(ctx, args.user), ctx.gate()]);
      if (!found || !gate.can('read', rbacObjects.user(found.id))) throw notFound();
      const user = await ctx.prisma.user.findFirst({ ...selection, where: { id: found.id, deleted: false } });
      if (!user) throw notFound(); // deleted meanwhile
      return user;
    },
  }),
}));
