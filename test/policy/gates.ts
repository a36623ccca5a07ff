// Callers for the policy tests: gates built from session data alone, with no
// database and no GraphQL.
import { randomUUID } from 'node:crypto';
import { createGate, type Gate } from '../../src/access/gate.js';
import type { StoredCustomRole } from '../../src/db/reads/custom-roles.js';

export const ORG = randomUUID();
export const OTHER_ORG = randomUUID();

/** A caller with these site roles and, per organization, these stored roles. */
export function gateOf(
  siteRoles: string[] = [],
  memberships: Record<string, string[]> = {},
  customRoles: StoredCustomRole[] = [],
): Gate {
  return createGate({
    apiKeyId: 'policytest',
    scope: 'all',
    user: { id: randomUUID(), rbacRoles: siteRoles },
    roles: {
      memberships: Object.entries(memberships).map(([organizationId, roles]) => ({ organizationId, roles })),
      customRoles,
    },
  });
}

/** The usual cast, as gates. */
export const callers = () => ({
  owner: gateOf(['owner']),
  siteAuditor: gateOf(['auditor']),
  siteUserAdmin: gateOf(['user-admin']),
  admin: gateOf([], { [ORG]: ['organization-admin'] }),
  userAdmin: gateOf([], { [ORG]: ['organization-user-admin'] }),
  auditor: gateOf([], { [ORG]: ['organization-auditor'] }),
  member: gateOf([], { [ORG]: [] }),
  outsider: gateOf([], { [OTHER_ORG]: ['organization-admin'] }),
});

/** A decision as `[allowed, code, recorded]`, for compact expectations. */
export function summary(
  decision: { allowed: true } | { allowed: false; error: { extensions: Record<string, unknown> }; recorded: boolean },
) {
  return decision.allowed
    ? ['allowed']
    : [decision.error.extensions.code, decision.recorded ? 'recorded' : 'unrecorded'];
}
