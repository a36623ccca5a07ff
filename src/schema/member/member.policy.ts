// Who may see which memberships (SPEC B.3, D): pure decisions over the caller's gate.
import type { Gate } from '../../access/gate.js';
import { rbacObjects } from '../../rbac/index.js';

export const canReadMember = (gate: Gate, organizationId: string, userId: string) =>
  gate.can('read', rbacObjects.organizationMember(organizationId, userId));

/** Whether the caller may read every member (read on organization_member with no owner): the pages need it. */
export const canReadEveryMember = (gate: Gate, organizationId: string) =>
  gate.can('read', { type: 'organization_member', orgOwner: organizationId });

/**
 * Which of an organization's members the caller may list: all of them (an
 * admin, an auditor), only itself (a plain member), or none. Decided once, so
 * that the rows can be fetched already filtered instead of one check per row.
 */
export function memberVisibility(gate: Gate, organizationId: string): { onlyUserId: string | null } | undefined {
  if (canReadEveryMember(gate, organizationId)) return { onlyUserId: null };
  if (canReadMember(gate, organizationId, gate.userId)) return { onlyUserId: gate.userId };
  return undefined;
}
