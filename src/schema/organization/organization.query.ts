import { builder } from '../../builder.js';
import { readableOrganization } from '../shared/references.js';
import { Organization } from './organization.js';
import { canReadOrganization } from './organization.policy.js';

builder.queryFields((t) => ({
  organizations: t.field({
    type: [Organization],
    description: 'The organizations the caller may see, by name.',
    resolve: async (_root, _args, ctx) => {
      const [organizations, gate] = await Promise.all([ctx.reads().liveOrganizations(), ctx.gate()]);
      return organizations.filter((organization) => canReadOrganization(gate, organization.id));
    },
  }),

  organization: t.field({
    type: Organization,
    nullable: true,
    description:
      'One organization, by id, name (case-insensitive) or `default`; NOT_FOUND if it does not exist or the caller ' +
      'may not see it.',
    args: {
      organization: t.arg.string({ description: 'An organization id, name, or `default`.' }),
    },
    resolve: (_root, args, ctx) => readableOrganization(ctx, args.organization),
  }),
}));
