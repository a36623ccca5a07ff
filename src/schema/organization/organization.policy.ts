// Who may read an organization (SPEC B.3): pure decisions over the caller's gate.
import { allow, refuseUnrecorded, type Decision } from '../../access/decision.js';
import type { Gate } from '../../access/gate.js';
import { notFound } from '../../errors.js';
import { rbacObjects } from '../../rbac/index.js';

export const canReadOrganization = (gate: Gate, organizationId: string) =>
  gate.can('read', rbacObjects.organization(organizationId));

/** The organization a lookup found, if the caller may read it; NOT_FOUND alike for none and a hidden one. */
export function organizationReading<O extends { id: string }>(gate: Gate, organization: O | undefined): Decision<O> {
  return organization && canReadOrganization(gate, organization.id)
    ? allow(organization)
    : refuseUnrecorded(notFound());
}
