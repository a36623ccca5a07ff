// Who may read an organization's audit trail (SPEC F): those who may `read`
// `audit_log` in it: owners and auditors everywhere, organization admins and
// organization auditors in their organization.
import { allow, refuseUnrecorded, type Decision } from '../../access/decision.js';
import type { Gate } from '../../access/gate.js';

export function auditLogReading(gate: Gate, organizationId: string): Decision {
  return gate.can('read', { type: 'audit_log', orgOwner: organizationId }) ? allow() : refuseUnrecorded();
}
