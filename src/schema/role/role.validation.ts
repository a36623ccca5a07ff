// The checks of a custom organization role request (SPEC D), in Coder's
// order: the request itself first, then each permission against what the
// caller may grant.
import type { Gate } from '../../access/gate.js';
import { badUserInput, type FieldValidation } from '../../errors.js';
import { isBuiltInRoleName, isValidPermissionPair, WILDCARD, type Permission } from '../../rbac/index.js';

const ROLE_NAME = /^[a-zA-Z0-9]+(-[a-zA-Z0-9]+)*$/;
const RESERVED_NAMES = new Set(['new', 'create']);
const MAX_NAME_LENGTH = 32;
const MAX_DISPLAY_NAME_LENGTH = 64;
/** More than every valid (resource, action) pair: refused before anything is read. */
const MAX_PERMISSIONS = 500;

export interface CustomRoleRequest {
  name: string;
  displayName?: string | null;
  organizationPermissions?: readonly unknown[] | null;
  sitePermissions?: readonly unknown[] | null;
  userPermissions?: readonly unknown[] | null;
}

/** A custom role name as stored (lower-cased), or BAD_USER_INPUT if it is not valid or is a built-in role's. */
export function validateRoleName(name: string): string {
  // Reserved first, as Coder checks: organization-workspace-creation-ban is longer than a custom role name may be.
  if (isBuiltInRoleName(name)) {
    throw badUserInput('Reserved role name.', {
      validations: [{ field: 'name', detail: `"${name}" is the name of a built-in role` }],
    });
  }
  if (
    name.length < 1 ||
    name.length > MAX_NAME_LENGTH ||
    !ROLE_NAME.test(name) ||
    RESERVED_NAMES.has(name.toLowerCase())
  ) {
    throw badUserInput('Invalid role name.', {
      detail: `A role name is 1 to ${MAX_NAME_LENGTH} letters, digits and single hyphens, and not "new" or "create".`,
      validations: [{ field: 'name', detail: `"${name}" is not a valid role name` }],
    });
  }
  return name.toLowerCase();
}

/** In a `u` pattern a surrogate pair is one code point, so this matches only a half one. */
const LONE_SURROGATE = /\p{Surrogate}/u;

/** Checks that need no database: name, display name, list sizes, levels. Returns the name as stored. */
export function validateRoleRequest(role: CustomRoleRequest): string {
  const name = validateRoleName(role.name);
  const displayName = role.displayName ?? '';
  // PostgreSQL text cannot hold NUL, nor UTF-8 half a surrogate pair (the
  // driver would store U+FFFD instead): refuse them rather than fail or
  // store something else.
  if (
    displayName.length > MAX_DISPLAY_NAME_LENGTH ||
    displayName.includes('\u0000') ||
    LONE_SURROGATE.test(displayName)
  ) {
    throw badUserInput('Invalid display name.', {
      validations: [
        {
          field: 'displayName',
          detail: `at most ${MAX_DISPLAY_NAME_LENGTH} characters of well-formed Unicode, none of them NUL`,
        },
      ],
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

/** Each permission must be a valid pair, positive, not a wildcard, and one the caller holds in the organization. */
export function validateGrantedPermissions(gate: Gate, organizationId: string, permissions: Permission[]): void {
  const problems: { message: string; validation: FieldValidation }[] = [];
  permissions.forEach((p, i) => {
    const field = `organizationPermissions[${i}]`;
    const pair = `${p.resourceType}:${p.action}`;
    if (p.resourceType === WILDCARD || p.action === WILDCARD) {
      problems.push({
        message: 'No wildcard symbols.',
        validation: { field, detail: `${pair}: wildcards cannot be granted` },
      });
    } else if (!isValidPermissionPair(p.resourceType, p.action)) {
      problems.push({
        message: 'Invalid permission.',
        validation: { field, detail: `${pair}: ${p.action} is not an action of ${p.resourceType}` },
      });
    } else if (p.negate) {
      problems.push({
        message: 'No negative permissions.',
        validation: { field, detail: `${pair}: custom roles cannot deny` },
      });
    } else if (!gate.can(p.action as Parameters<Gate['can']>[0], { type: p.resourceType, orgOwner: organizationId })) {
      problems.push({
        message: 'Not allowed to grant this permission.',
        validation: { field, detail: `${pair}: you do not hold this permission in the organization` },
      });
    }
  });
  if (problems.length) {
    throw badUserInput(problems[0]!.message, { validations: problems.map((p) => p.validation) });
  }
}
