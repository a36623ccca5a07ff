// Reads of memberships that several fields share: one member by references,
// and a page of an organization's members with the caller's visibility.
import { enforce } from '../../access/decision.js';
import type { Context } from '../../context.js';
import type { MemberRow, UserRow } from '../../db/reads/rows.js';
import type { WrittenMember } from '../../db/writes/members.js';
import type { OrganizationRef } from '../../db/references.js';
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
 * A membership as a write left it, for the mutation's answer: the transaction's own values, with the user the
 * request found before it. Read again after the commit, the membership could already be gone (removed by someone
 * else) or out of reach (the database lost), and the client would be told that a write that stands had failed.
 * What the request had read before is forgotten: the write may have changed it.
 */
export function memberAsWritten(ctx: Context, written: WrittenMember, user: UserRow): MemberRow {
  ctx.forgetReads();
  return { ...written, user };
}
