import { enforce } from '../../access/decision.js';
import { builder } from '../../builder.js';
import { NO_ROWS, WHOLE_LIST } from '../../db/reads/member-pages.js';
import type { MemberRow } from '../../db/reads/rows.js';
import { badUserInput } from '../../errors.js';
import { organizationArgument, readableOrganization } from '../shared/references.js';
import { selectsField } from '../shared/selection.js';
import { OrganizationMember } from './member.js';
import {
  canReadMember,
  mayReadEveryMemberOf,
  mayReadEveryMemberSomewhere,
  memberPageReading,
  memberVisibility,
} from './member.policy.js';
import { readableMember } from './member-reads.js';
import { organizationReading } from '../organization/organization.policy.js';
import { memberPageId } from '../shared/identity.js';

interface PaginatedMembersView {
  id: string;
  count: number;
  members: MemberRow[];
}

const PaginatedMembers = builder.objectRef<PaginatedMembersView>('PaginatedMembers').implement({
  description: "One page of an organization's members, and how many there are in all.",
  fields: (t) => ({
    id: t.exposeID('id', {
      description: 'Identifies the page for client caches: `<organizationId>:<limit>:<offset>`.',
    }),
    count: t.exposeInt('count', { description: 'The number of members, ignoring paging.' }),
    members: t.field({
      type: [OrganizationMember],
      description: 'The page, ordered by lower-cased username.',
      resolve: (p) => p.members,
    }),
  }),
});

builder.queryFields((t) => ({
  organizationMembers: t.field({
    type: [OrganizationMember],
    description:
      "An organization's members that the caller may see, ordered by lower-cased username: all of them for admins " +
      'and auditors, only its own membership for a plain member. Mirrors `GET /organizations/{organization}/members`.',
    args: { organization: t.arg.string({ description: 'An organization id, name, or `default`.' }) },
    resolve: async (_root, args, ctx) => {
      const gate = await ctx.gate();
      const reference = organizationArgument(args.organization);
      if (mayReadEveryMemberOf(gate, reference)) {
        // The organization and its list in one statement, as paginatedOrganizationMembers reads them.
        const page = await ctx.reads().pageOf(reference, { window: WHOLE_LIST, withTotal: false });
        enforce(organizationReading(gate, page?.organization));
        return page!.rows;
      }
      const organization = await readableOrganization(ctx, args.organization);
      const visibility = memberVisibility(gate, organization.id);
      if (!visibility) return [];
      const page = await ctx.reads().page({
        organizationId: organization.id,
        ...visibility,
        window: WHOLE_LIST,
        withTotal: false,
      });
      // The rows were fetched already filtered; check each one anyway, which costs no query.
      return page.rows.filter((member) => canReadMember(gate, member.organizationId, member.userId));
    },
  }),

  paginatedOrganizationMembers: t.field({
    type: PaginatedMembers,
    description:
      "A page of an organization's members, ordered by lower-cased username, with the total count. Needs permission " +
      'to read every member (a plain member gets NOT_FOUND). Mirrors ' +
      '`GET /organizations/{organization}/paginated-members`.',
    args: {
      organization: t.arg.string({ description: 'An organization id, name, or `default`.' }),
      limit: t.arg.int({
        required: false,
        defaultValue: 0,
        description: 'Page size; 0 (the default) means every member.',
      }),
      offset: t.arg.int({
        required: false,
        defaultValue: 0,
        description: 'Members to skip; past the end gives an empty page.',
      }),
    },
    resolve: async (_root, args, ctx, info) => {
      const limit = args.limit ?? 0;
      const offset = args.offset ?? 0;
      const validations = [
        ...(limit < 0 ? [{ field: 'limit', detail: 'must be 0 (all) or more' }] : []),
        ...(offset < 0 ? [{ field: 'offset', detail: 'must be 0 or more' }] : []),
      ];
      if (validations.length) throw badUserInput('Invalid paging arguments.', { validations });

      // A caller who may read every member of no organization (a plain member) is refused before anything is
      // read; otherwise the organization and its page come in one statement, and are refused if it is not one of
      // those. Asked only for its count, the page reads no member.
      const gate = await ctx.gate();
      if (!mayReadEveryMemberSomewhere(gate)) enforce(memberPageReading(gate, undefined));
      const page = await ctx.reads().pageOf(organizationArgument(args.organization), {
        window: selectsField(info, 'members')
          ? { skip: offset, before: null, first: limit === 0 ? null : limit, last: null }
          : NO_ROWS,
        withTotal: selectsField(info, 'count'),
      });
      const { organization, rows, total } = enforce(memberPageReading(gate, page));
      // Without `count` selected, the total is not computed and not read.
      return { id: memberPageId(organization.id, limit, offset), count: total ?? 0, members: rows };
    },
  }),

  organizationMember: t.field({
    type: OrganizationMember,
    nullable: true,
    description:
      "One user's membership of an organization; null if the user is not a member, or the caller may not see it.",
    args: {
      organization: t.arg.string({ description: 'An organization id, name, or `default`.' }),
      user: t.arg.string({ description: 'A user id, username, or `me`.' }),
    },
    resolve: (_root, args, ctx) => readableMember(ctx, organizationArgument(args.organization), args.user),
  }),
}));
