import { builder } from '../../builder.js';
import { notFound } from '../../errors.js';
import { organizationWhere } from './lookup.js';

builder.queryField('organization', (t) =>
  t.prismaField({
    type: 'Organization',
    nullable: true,
    description: 'One organization, by id, name (case-insensitive) or `default`.',
    args: {
      organization: t.arg.string({ description: 'An organization id, name, or `default`.' }),
    },
    resolve: async (query, _root, args, ctx) => {
      const where = organizationWhere(args.organization);
      const organization = where && (await ctx.prisma.organization.findFirst({ ...query, where }));
      if (!organization) throw notFound();
      return organization;
    },
  }),
);
