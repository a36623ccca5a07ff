import { builder } from '../../builder.js';

builder.queryField('me', (t) =>
  t.prismaField({
    type: 'User',
    description: 'The user whose session token made this request.',
    resolve: (query, _root, _args, ctx) => ctx.prisma.user.findUniqueOrThrow({ ...query, where: { id: ctx.session().user.id } }),
  }),
);
