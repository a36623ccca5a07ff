// Writes a row of Coder's `audit_logs`, inside the transaction of the change
// it records (the callers in this folder), so that neither exists without the
// other. The row is the one Coder's audit.InitRequest writes.
import { randomUUID } from 'node:crypto';
import { NIL_UUID, type AuditEntry } from '../../audit/entry.js';
import type { ApiError } from '../../errors.js';
import type { Prisma, PrismaClient } from '../../generated/prisma/client.js';
import type { RequestInfo } from '../../http/request-info.js';

export type Tx = Prisma.TransactionClient;

/**
 * Who asked, and how: recorded on every row of a request. Null when nothing is
 * recorded (AUDIT=false, or a database without `audit_logs`). `request` is
 * null for what Coder records as a background event (a dormant user woken by
 * a session): no address, no user agent, the nil request id.
 */
export interface AuditTrail {
  actorId: string;
  request: RequestInfo | null;
}

/** Coder's column is varchar(256); a longer header would fail the write, and with it the change. */
const USER_AGENT_LENGTH = 256;

/**
 * Prisma and PostgreSQL's drivers wait for one transaction at a time per
 * connection; Prisma's defaults (2 s to get a connection, 5 s to finish)
 * would turn a busy pool into an INTERNAL_SERVER_ERROR for a write that is
 * merely queued. Each write is a handful of short statements.
 */
export const WRITE_TRANSACTION = { maxWait: 10_000, timeout: 15_000 };

export async function writeAuditRow(tx: Tx, trail: AuditTrail | null, entry: AuditEntry): Promise<void> {
  if (!trail) return;
  const { actorId, request } = trail;
  const userAgent = request ? request.userAgent.slice(0, USER_AGENT_LENGTH) : null;
  // resource_icon '' is what Coder writes for these resources.
  await tx.$executeRaw`
    INSERT INTO audit_logs (id, "time", user_id, organization_id, ip, user_agent, resource_type, resource_id,
      resource_target, action, diff, status_code, additional_fields, request_id, resource_icon)
    VALUES (${randomUUID()}::uuid, clock_timestamp(), ${actorId}::uuid, ${entry.organizationId}::uuid,
      ${request?.ip ?? null}::inet, ${userAgent}, ${entry.resourceType}::resource_type,
      ${entry.resourceId}::uuid, ${entry.resourceTarget}, ${entry.action}::audit_action, ${JSON.stringify(entry.diff)}::jsonb,
      ${entry.statusCode}, ${JSON.stringify(entry.additionalFields ?? {})}::jsonb, ${request?.requestId ?? NIL_UUID}::uuid, '')`;
}

/**
 * A write's refusal, returned from its transaction rather than thrown, so
 * that the transaction commits what it recorded of the refusal (Coder records
 * a refusal once the request has found its target).
 */
export class Refusal {
  constructor(readonly error: ApiError) {}
}

/** Runs `write` in a transaction; a Refusal it returns is thrown once the transaction has committed. */
export async function committed<T>(prisma: PrismaClient, write: (tx: Tx) => Promise<T | Refusal>): Promise<T> {
  const outcome = await prisma.$transaction(write, WRITE_TRANSACTION);
  if (outcome instanceof Refusal) throw outcome.error;
  return outcome;
}
