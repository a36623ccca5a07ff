// The `organization` and `user` arguments of the API, parsed once, or refused
// before any statement runs when they can name nothing.
import type { RequestContext } from '../../context.js';
import { parseOrganizationRef, parseUserRef, type OrganizationRef, type UserRef } from '../../db/references.js';
import { badUserInput, notFound } from '../../errors.js';

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
