// The `organization` and `user` arguments of the API: parsed once by the one
// parser (src/db/references.ts), refused before any statement runs when they
// can name nothing, and looked up through the request's reads.
import { enforce } from '../../access/decision.js';
import type { Context, RequestContext } from '../../context.js';
import { parseOrganizationRef, parseUserRef, type OrganizationRef, type UserRef } from '../../db/references.js';
import type { OrganizationRow, UserRow } from '../../db/reads/rows.js';
import { badUserInput, notFound } from '../../errors.js';
import { organizationReading } from '../organization/organization.policy.js';

/**
 * An organization argument: an id, a name or `default`. One that cannot name
 * an organization is simply not found, as Coder's lookup answers 404 for any
 * name; only an empty one is bad input.
 */
export function organizationArgument(ref: string): OrganizationRef {
  const parsed = parseOrganizationRef(ref);
  if (parsed) return parsed;
  if (ref !== '') throw notFound();
  throw badUserInput('Organization must be an existing uuid or name, or "default".', {
    validations: [{ field: 'organization', detail: 'is not an organization id, an organization name or "default"' }],
  });
}

/** A user argument: an id, a username or `me` (the caller). Anything else is bad input, as in Coder (400). */
export function userArgument(ctx: Pick<RequestContext, 'session'>, ref: string): UserRef {
  const parsed = parseUserRef(ref, ref === 'me' ? ctx.session().user.id : undefined);
  if (parsed) return parsed;
  throw badUserInput('User must be an existing uuid or username, or "me".', {
    validations: [{ field: 'user', detail: 'is not a user id, a username or "me"' }],
  });
}

/**
 * The organization an argument names, if the caller may read it. An empty
 * argument is BAD_USER_INPUT; anything else is NOT_FOUND: a caller cannot
 * tell a hidden organization from none.
 */
export function readableOrganization(ctx: Context, ref: string): Promise<OrganizationRow> {
  return readableOrganizationOf(ctx, ctx.reads().organizationByRef(organizationArgument(ref)));
}

/** The organization a read found, if the caller may read it (as readableOrganization). */
export async function readableOrganizationOf(
  ctx: Context,
  read: Promise<OrganizationRow | undefined>,
): Promise<OrganizationRow> {
  const [organization, gate] = await Promise.all([read, ctx.gate()]);
  return enforce(organizationReading(gate, organization));
}

/** The (non-deleted) user an argument names, or null; BAD_USER_INPUT if it can name no user. */
export async function findUser(ctx: Context, ref: string): Promise<UserRow | null> {
  return (await ctx.reads().userByRef(userArgument(ctx, ref))) ?? null;
}
