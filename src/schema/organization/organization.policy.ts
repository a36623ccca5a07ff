// Who may read an organization (SPEC B.3): pure decisions over the caller's gate.
import type { Gate } from '../../access/gate.js';
import { rbacObjects } from '../../rbac/index.js';

export const canReadOrganization = (gate: Gate, organizationId: string) =>
  gate.can('read', rbacObjects.organization(organizationId));
