// Reads of memberships that several fields share: one member by references,
// and a page of an organization's members with the caller's visibility.
import { enforce } from '../../access/decision.js';
import type { Context } from '../../context.js';
import type { MemberRow } from '../../db/reads/rows.js';
import type { OrganizationRef } from '../../db/references.js';
import { notFound } from '../../errors.js';
import { userArgument } from '../shared/references.js';
import { memberReading } from './member.policy.js';

/**
 * The membership of the user `userRef` names in the organization
 * `organization` names. The organization must be readable (NOT_FOUND
 * otherwise, as for every read by organization); an unknown user, a
 * non-member, a system user (as Coder's lists and lookups leave them out) or a
 * member the caller may not see is null.
 */
export async function readableMember(
  ctx: Context,
  organization: OrganizationRef,
  userRef: string,
): Promise<MemberRow | null> {
  const user = userArgument(ctx, userRef);
  const [found, gate] = await Promise.all([ctx.reads().member({ organization, user }), ctx.gate()]);
  return enforce(memberReading(gate, found.organization?.id, found.systemUser ? undefined : found.member));
}

/**
 * A membership as a write left it, for the mutation's answer: read afresh,
 * after the write's transaction, whatever this request had read before.
 */
export async function memberAfterWrite(ctx: Context, organizationId: string, userId: string): Promise<MemberRow> {
  ctx.forgetReads();
  const { member } = await ctx.reads().member({ organization: { id: organizationId }, user: { id: userId } });
  if (!member) throw notFound(); // removed by someone else meanwhile
  return member;
}
