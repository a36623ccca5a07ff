// Who may create, update and delete an organization's custom roles, and grant
// which permissions in them (SPEC D; enterprise/coderd/roles.go and dbauthz's
// InsertCustomRole, UpdateCustomRole, DeleteCustomRole and
// customRoleEscalationCheck), and which refusals Coder would record in its
// audit trail: for create none (no target until the role exists); for update
// and delete those after its lookup found the role, which needs `read` on
// the organization's roles.
import type { Gate } from '../../access/gate.js';
import { allow, refuse, refuseUnrecorded, type Decision } from '../../access/decision.js';
import { badUserInput, forbidden, notFound, type ApiError, type FieldValidation } from '../../errors.js';
import { isValidPermissionPair, rbacObjects, WILDCARD, type Permission, type RBACAction } from '../../rbac/index.js';

/** Whether Coder's role lookup (dbauthz CustomRoles) would find the organization's roles for the caller. */
const canReadRoles = (gate: Gate, organizationId: string) =>
  gate.can('read', rbacObjects.assignOrgRole(organizationId));

/** Listing the organization's custom roles: NOT_FOUND without read on them. */
export function organizationRolesReading(gate: Gate, organizationId: string): Decision {
  return canReadRoles(gate, organizationId) ? allow() : refuseUnrecorded(notFound());
}

/**
 * Listing the site roles: FORBIDDEN without read on role assignment, as Coder's AssignableSiteRoles answers (403).
 * Every user has it; a key scoped to application_connect does not.
 */
export function siteRolesReading(gate: Gate): Decision {
  return gate.can('read', rbacObjects.assignRole()) ? allow() : refuseUnrecorded(forbidden());
}

/** Each role with whether the caller may assign it (Coder's role-assignment table, SPEC B.3). */
export function withAssignability<T extends { name: string }>(
  gate: Gate,
  roles: readonly T[],
  organizationId: string | null,
): (T & { assignable: boolean })[] {
  return roles.map((role) => ({ ...role, assignable: gate.canAssign(role.name, organizationId) }));
}

/** Creating a custom role with these organization permissions. */
export function roleCreation(gate: Gate, organizationId: string, permissions: Permission[]): Decision {
  if (!gate.can('create', rbacObjects.assignOrgRole(organizationId))) return refuseUnrecorded(notFound());
  const problem = grantProblem(gate, organizationId, permissions);
  return problem ? refuseUnrecorded(problem) : allow();
}

/** Replacing an existing custom role's permissions with these. */
export function roleUpdate(gate: Gate, organizationId: string, permissions: Permission[]): Decision {
  const refusal = canReadRoles(gate, organizationId) ? refuse : refuseUnrecorded;
  if (!gate.can('update', rbacObjects.assignOrgRole(organizationId))) return refusal(notFound());
  const problem = grantProblem(gate, organizationId, permissions);
  return problem ? refusal(problem) : allow();
}

/**
 * Deleting an existing custom role. The role is looked up first, as Coder
 * does: a caller who cannot read the organization's roles does not find it
 * (NOT_FOUND); one who finds it but may not delete it is FORBIDDEN.
 */
export function roleDeletion(gate: Gate, organizationId: string): Decision {
  if (!canReadRoles(gate, organizationId)) return refuseUnrecorded(notFound());
  if (!gate.can('delete', rbacObjects.assignOrgRole(organizationId))) {
    return refuse(forbidden('You may not delete roles in this organization.'));
  }
  return allow();
}

/**
 * Why the caller may not grant these permissions, if it may not: each must be
 * a valid pair, positive, not a wildcard, and one the caller itself holds in
 * the organization (an organization admin cannot grant workspace ssh).
 */
export function grantProblem(gate: Gate, organizationId: string, permissions: Permission[]): ApiError | undefined {
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
    } else if (!gate.can(p.action as RBACAction, { type: p.resourceType, orgOwner: organizationId })) {
      problems.push({
        message: 'Not allowed to grant this permission.',
        validation: { field, detail: `${pair}: you do not hold this permission in the organization` },
      });
    }
  });
  if (!problems.length) return undefined;
  return badUserInput(problems[0]!.message, { validations: problems.map((p) => p.validation) });
}
