// Organization's fields that reach into other domains: its members (a Relay
// connection), one member, its roles.
import { cursorToOffset, offsetToCursor } from '@pothos/plugin-relay';
import { enforce } from '../../access/decision.js';
import { builder } from '../../builder.js';
import { badUserInput, type FieldValidation } from '../../errors.js';
import { type MemberWindow, NO_ROWS } from '../../db/reads/member-pages.js';
import type { MemberRow } from '../../db/reads/rows.js';
import { OrganizationMember } from '../member/member.js';
import { everyMemberReading } from '../member/member.policy.js';
import { readableMember } from '../member/member-reads.js';
import { AssignableRole, Role } from '../role/role.js';
import { assignableOrganizationRoles, organizationCustomRoles } from '../role/role.query.js';
import { selectsField } from '../shared/selection.js';
import { Organization } from './organization.js';

interface ConnectionArgs {
  first?: number | null;
  after?: string | null;
  last?: number | null;
  before?: string | null;
}

/** Relay's arguments as a window over the ordered member list. */
function connectionWindow(args: ConnectionArgs): MemberWindow {
  const validations: FieldValidation[] = [];
  const index = (field: 'after' | 'before') => {
    const cursor = args[field];
    if (cursor == null) return null;
    try {
      const offset = cursorToOffset(cursor);
      // A cursor is an offset, bounded as paginatedOrganizationMembers bounds its offset (GraphQL's Int), and
      // only as this connection writes it: cursorToOffset reads `0x10`, `1e3` or ` 1` as numbers too.
      if (Number.isSafeInteger(offset) && offset >= 0 && offset <= 2_147_483_647 && offsetToCursor(offset) === cursor)
        return offset;
    } catch {}
    validations.push({ field, detail: 'is not a cursor of this connection' });
    return null;
  };
  for (const field of ['first', 'last'] as const) {
    if (args[field] != null && args[field] < 0) validations.push({ field, detail: 'must be 0 or more' });
  }
  const after = index('after');
  const before = index('before');
  if (validations.length) throw badUserInput('Invalid connection arguments.', { validations });
  return { skip: after === null ? 0 : after + 1, before, first: args.first ?? null, last: args.last ?? null };
}

/**
 * The window `Organization.members` reads for a selection: its arguments' window, or, asked only for its
 * totalCount, no member at all (the cost prices it so). `selects` tells whether the selection asks for a field.
 */
export function memberWindowOf(args: ConnectionArgs, selects: (field: string) => boolean): MemberWindow {
  const window = connectionWindow(args);
  return selects('edges') || selects('pageInfo') ? window : NO_ROWS;
}

/** An edge whose cursor is encoded only if asked for: most pages of members are read without cursors. */
class MemberEdge {
  constructor(
    readonly node: MemberRow,
    readonly index: number,
  ) {}

  get cursor(): string {
    return offsetToCursor(this.index);
  }
}

builder.objectFields(Organization, (t) => ({
  members: t.connection(
    {
      type: OrganizationMember,
      // Null, with NOT_FOUND, for a caller who may not read every member: the
      // other organizations of a list keep their pages.
      nullable: true,
      description:
        'The members, ordered by lower-cased username, as `paginatedOrganizationMembers` pages them; ' +
        'like it, NOT_FOUND (and null) unless the caller may read every member (an admin, an auditor), ' +
        'so a plain member is refused. `organizationMembers` lists what a plain member may see.',
      resolve: async (organization, args, ctx, info) => {
        const window = memberWindowOf(args, (field) => selectsField(info, field));
        const gate = await ctx.gate();
        enforce(everyMemberReading(gate, organization.id));
        const page = await ctx.reads().page({
          organizationId: organization.id,
          onlyUserId: null,
          window,
          withTotal: selectsField(info, 'totalCount'),
        });
        const edges = page.rows.map((node, i) => new MemberEdge(node, page.start + i));
        return {
          edges,
          totalCount: page.total,
          pageInfo: {
            hasPreviousPage: page.start > 0,
            hasNextPage: page.hasMore,
            get startCursor() {
              return edges[0]?.cursor ?? null;
            },
            get endCursor() {
              return edges.at(-1)?.cursor ?? null;
            },
          },
        };
      },
    },
    {
      name: 'OrganizationMemberConnection',
      description: "A page of an organization's members.",
      fields: (connection) => ({
        totalCount: connection.int({
          description: 'The number of members, ignoring paging.',
          // Computed by the resolver above whenever this field is selected.
          resolve: (result) => (result as unknown as { totalCount: number }).totalCount ?? 0,
        }),
      }),
    },
    { name: 'OrganizationMemberEdge', description: 'A member, and its cursor.' },
  ),

  member: t.field({
    type: OrganizationMember,
    nullable: true,
    description: "One user's membership; null if the user is not a member or the caller may not see it.",
    args: { user: t.arg.string({ description: 'A user id, username, or `me`.' }) },
    resolve: (organization, args, ctx) => readableMember(ctx, { id: organization.id }, args.user),
  }),

  assignableRoles: t.field({
    type: [AssignableRole],
    description: 'The roles that can be assigned in this organization, as `assignableOrganizationRoles` lists them.',
    resolve: (organization, _args, ctx) => assignableOrganizationRoles(ctx, organization),
  }),

  customRoles: t.field({
    type: [Role],
    description: "The organization's custom roles, by name.",
    resolve: (organization, _args, ctx) => organizationCustomRoles(ctx, organization),
  }),
}));
