import type { GraphQLResolveInfo } from 'graphql';
import { builder } from '../../builder.js';
import type { Context } from '../../context.js';
import type { OrganizationRow } from '../../db/reads/rows.js';
import { isUuid, type OrganizationRef } from '../../db/references.js';
import { requireAuthenticated } from '../shared/entity.js';
import { organizationArgument, readableOrganizationOf, userArgument } from '../shared/references.js';
import { mayReadEveryMemberSomewhere } from '../member/member.policy.js';
import { type Selected, selectionsOf, selectsIn } from '../shared/selection.js';
import { Organization } from './organization.js';
import { memberWindowOf } from './organization.fields.js';
import { canReadOrganization } from './organization.policy.js';

/**
 * Reads the organization a reference names in the statements of the reads
 * the selection asks for just below it: `member(user:)` lookups, and a
 * `members` page, take the organization's reference and find it themselves,
 * so that `organization(organization:) { member(user:) }` costs one statement
 * where reading the organization first costs two. Those reads are remembered
 * (src/db/reads/request-reads.ts), and the fields below find them there.
 * Whether the caller may see what was read is still each field's to decide.
 */
async function readWithReadsBelow(
  ctx: Context,
  ref: OrganizationRef,
  info: GraphQLResolveInfo,
  type = info.schema.getType('Organization') ?? undefined,
) {
  const reads = ctx.reads();
  const found: Promise<OrganizationRow | undefined>[] = [];
  // Each read's failure is its field's to report when it reads again; the first read's also the organization's.
  const start = (read: Promise<OrganizationRow | undefined>) => {
    read.catch(() => {});
    found.push(read);
  };
  for (const { args } of selectionsOf(info, 'member', type)) {
    try {
      const user = userArgument(ctx, String(args.user));
      start(reads.member({ organization: ref, user }).then((lookup) => lookup.organization));
    } catch {
      // A user argument that names no one is the field's own error.
    }
  }
  // Its pages, as the field will ask for them (memberWindowOf), in the statement that finds it. Not for a caller
  // who may page no organization's members: the field refuses them without reading.
  const pages = new Map<string, Selected[]>();
  for (const selected of selectionsOf(info, 'members', type)) {
    pages.set(selected.responseKey, [...(pages.get(selected.responseKey) ?? []), selected]);
  }
  if (pages.size > 0 && mayReadEveryMemberSomewhere(await ctx.gate())) {
    // Selections of one response key are one field, which reads what all of them select.
    for (const selections of pages.values()) {
      const selects = (field: string) => selections.some(({ selectionSet }) => selectsIn(selectionSet, field, info));
      try {
        const window = memberWindowOf(selections[0]!.args, selects);
        start(reads.pageOf(ref, { window, withTotal: selects('totalCount') }).then((page) => page?.organization));
      } catch {
        // Bad paging arguments are the field's own error.
      }
    }
  }
  if (found.length === 0) return reads.organizationByRef(ref);
  // Every read started here primes what it read before the fields below ask for it, which they would otherwise
  // read again when one read finishes before another.
  await Promise.allSettled(found);
  return found[0]!;
}

// A router's representations are read as `organization(organization:)` is, with what is selected below them.
builder.asEntity(Organization, {
  key: builder.selection<{ id: string }>('id'),
  resolveReference: async ({ id }, ctx, info) => {
    await requireAuthenticated(ctx);
    if (!isUuid(id) || !canReadOrganization(await ctx.gate(), id.toLowerCase())) return null;
    return (await readWithReadsBelow(ctx, { id: id.toLowerCase() }, info)) ?? null;
  },
});

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
    resolve: (_root, args, ctx, info) =>
      readableOrganizationOf(ctx, readWithReadsBelow(ctx, organizationArgument(args.organization), info)),
  }),
}));
