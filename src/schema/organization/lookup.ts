// Finding what an argument names, for resolvers: the organization (if the
// caller may read it) and the user.
import type { Context } from '../../context.js';
import type { OrganizationRow } from '../../db/reads/rows.js';
import { notFound } from '../../errors.js';
import { organizationArgument, userArgument } from '../shared/references.js';
import { canReadOrganization } from './organization.policy.js';

/**
 * The organization an argument names, if the caller may read it. An empty
 * argument is BAD_USER_INPUT; anything else is NOT_FOUND: a caller cannot
 * tell a hidden organization from none.
 */
export async function readableOrganization(ctx: Context, ref: string): Promise<OrganizationRow> {
  const [organization, gate] = await Promise.all([
    ctx.reads().organizationByRef(organizationArgument(ref)),
    ctx.gate(),
  ]);
  if (!organization || !canReadOrganization(gate, organization.id)) throw notFound();
  return organization;
}

/** The (non-deleted) user an argument names, or null; BAD_USER_INPUT if it can name no user. */
export async function findUser(ctx: Context, ref: string): Promise<{ id: string; username: string } | null> {
  return (await ctx.reads().userByRef(userArgument(ctx, ref))) ?? null;
}
