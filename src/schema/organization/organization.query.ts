import { builder } from '../../builder.js';
import { canReadOrganization, readableOrganization } from './lookup.js';

builder.queryFields((t) => ({
  organizations: t.prismaField({
    type: ['Organization'],
    description: 'The organizations the caller may see, by name.',
    resolve: async (query, _root, _args, ctx) => {
      const [organizations, gate] = await Promise.all([
        ctx.prisma.organization.findMany({ ...query, where: { deleted: false }, orderBy: [{ name: 'asc' }, { id: 'asc' }] }),
        ctx.gate(),
      ]);
      return organizations.filter((organization) => canReadOrganization(gate, organization.id));
    },
  }),

  organization: t.prismaField({
    type: 'Organization',
    nullable: true,
    description: 'One organization, by id, name (case-insensitive) or `default`; NOT_FOUND if it does not exist or the caller may not see it.',
    args: {
      organization: t.arg.string({ description: 'An organization id, name, or `default`.' }),
    },
    resolve: (query, _root, args, ctx) => readableOrganization(ctx, args.organization, query),
  }),
}));
