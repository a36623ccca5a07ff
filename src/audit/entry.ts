// One row of Coder's audit trail, as the gateway writes it for member and
// custom role changes (SPEC F; coderd/audit/request.go at the reference commit).
import type { ApiError, ErrorCode } from '../errors.js';
import type { AuditDiff } from './diff.js';

/**
 * The `resource_type` values the gateway writes (Coder's enum has 25): a
 * user's only when a session wakes a dormant user, as Coder records it.
 */
export type AuditResourceType = 'organization_member' | 'custom_role' | 'user';
/** The `audit_action` values the gateway writes (Coder's enum has 13). */
export type AuditAction = 'create' | 'write' | 'delete';

export interface AuditEntry {
  organizationId: string;
  resourceType: AuditResourceType;
  /** The member's user id, or the custom role's id. */
  resourceId: string;
  /** The member's username, or the role's name. */
  resourceTarget: string;
  action: AuditAction;
  /** The HTTP status Coder would have answered. */
  statusCode: number;
  /** Old and new values of the tracked fields; `{}` for a refusal, which changed nothing (Coder diffs below 400 only). */
  diff: AuditDiff;
  /** `{}` unless given: Coder's request handlers for these resources set none. */
  additionalFields?: Record<string, string>;
}

/** Coder's nil UUID, which its background entries carry for the organization and the request. */
export const NIL_UUID = '00000000-0000-0000-0000-000000000000';

/**
 * What Coder answers on success: 204 No Content for removing a member and
 * deleting a role, 200 with the resource for everything else.
 */
export const SUCCESS_STATUS: Record<AuditAction, number> = { create: 200, write: 200, delete: 204 };

/** Coder's status for each refusal (SPEC C's table); CONFLICT is Coder's 400. */
const REFUSAL_STATUS: Partial<Record<ErrorCode, number>> = {
  BAD_USER_INPUT: 400,
  CONFLICT: 400,
  UNAUTHENTICATED: 401,
  FORBIDDEN: 403,
  NOT_FOUND: 404,
};

export function refusalStatus(error: ApiError): number {
  return REFUSAL_STATUS[error.extensions.code as ErrorCode] ?? 500;
}
