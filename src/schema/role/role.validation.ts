// The checks of a custom organization role request that need neither the
// database nor the caller's permissions (SPEC D), in Coder's order; what the
// caller may grant is role.policy.ts's to say.
import { fitsNewName, MAX_NEW_NAME_LENGTH, newNameProblem } from '../../db/references.js';
import { badUserInput, quoted } from '../../errors.js';
import { isBuiltInRoleName } from '../../rbac/index.js';

/** More than every valid (resource, action) pair: refused before anything is read. */
const MAX_PERMISSIONS = 500;
/**
 * Coder takes a display name of any length; the gateway takes one far longer than any name, but not a megabyte: a
 * page of members reads its organization's roles with their display names in one value, and a few hundred roles
 * named with a megabyte each took the process past the longest string it can hold (docs/decisions.md 16).
 */
export const MAX_DISPLAY_NAME_LENGTH = 10_000;

export interface CustomRoleRequest {
  name: string;
  displayName?: string | null;
  organizationPermissions?: readonly unknown[] | null;
  sitePermissions?: readonly unknown[] | null;
  userPermissions?: readonly unknown[] | null;
}

/** Whether some custom role could have this name (in any case): one that cannot is looked up in vain. */
export const couldBeRoleName = fitsNewName;

/** A custom role name as stored (lower-cased), or BAD_USER_INPUT if it is not valid or is a built-in role's. */
export function validateRoleName(name: string): string {
  // Reserved first, as Coder checks: organization-workspace-creation-ban is longer than a custom role name may be.
  if (isBuiltInRoleName(name)) {
    throw badUserInput('Reserved role name.', {
      validations: [{ field: 'name', detail: `${quoted(name)} is the name of a built-in role` }],
    });
  }
  // Lower-cased: a role is stored so, and `NEW` is as reserved as `new`.
  if (newNameProblem(name.toLowerCase())) {
    throw badUserInput('Invalid role name.', {
      detail: `A role name is 1 to ${MAX_NEW_NAME_LENGTH} letters, digits and single hyphens, and not "new" or "create".`,
      validations: [{ field: 'name', detail: `${quoted(name)} is not a valid role name` }],
    });
  }
  return name.toLowerCase();
}

/** In a `u` pattern a surrogate pair is one code point, so this matches only a half one. */
const LONE_SURROGATE = /\p{Surrogate}/u;

/**
 * Checks that need no database: name, display name, list sizes, levels.
 * Returns the name as stored.
 */
export function validateRoleRequest(role: CustomRoleRequest): string {
  const name = validateRoleName(role.name);
  const displayName = role.displayName ?? '';
  // PostgreSQL text cannot hold NUL, nor UTF-8 half a surrogate pair (the
  // driver would store U+FFFD instead): refuse them rather than fail or
  // store something else.
  if (displayName.includes('\u0000') || LONE_SURROGATE.test(displayName)) {
    throw badUserInput('Invalid display name.', {
      validations: [{ field: 'displayName', detail: 'well-formed Unicode, with no NUL character' }],
    });
  }
  if (displayName.length > MAX_DISPLAY_NAME_LENGTH) {
    throw badUserInput(`A display name is at most ${MAX_DISPLAY_NAME_LENGTH} characters.`, {
      validations: [{ field: 'displayName', detail: `${displayName.length} characters given` }],
    });
  }
  const tooMany = (['organizationPermissions', 'sitePermissions', 'userPermissions'] as const).filter(
    (field) => (role[field]?.length ?? 0) > MAX_PERMISSIONS,
  );
  if (tooMany.length) {
    throw badUserInput(`At most ${MAX_PERMISSIONS} permissions per list.`, {
      validations: tooMany.map((field) => ({ field, detail: `${role[field]!.length} given` })),
    });
  }
  const otherLevels = (['sitePermissions', 'userPermissions'] as const).filter((field) => role[field]?.length);
  if (otherLevels.length) {
    throw badUserInput('Organization roles may carry organization permissions only.', {
      validations: otherLevels.map((field) => ({ field, detail: 'must be empty for an organization role' })),
    });
  }
  return name;
}
