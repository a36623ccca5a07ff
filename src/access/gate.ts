// The caller's permissions, which the policies (src/schema/*/*.policy.ts)
// ask. It builds the RBAC subject from the roles loaded with the session
// (src/auth/session.ts), once per session, and answers through the pure
// evaluator in src/rbac, which memoises decisions.
import { z } from 'zod';
import type { Session } from '../auth/session.js';
import {
  buildSubject,
  canAssignRole,
  createAuthorizer,
  type Permission,
  type RBACAction,
  type RBACObject,
  type Subject,
} from '../rbac/index.js';

export interface Gate {
  readonly subject: Subject;
  readonly userId: string;
  can(action: RBACAction, object: RBACObject): boolean;
  /** Coder's role-assignment table (SPEC B.3); `organizationId` null for site roles. */
  canAssign(roleName: string, organizationId: string | null): boolean;
}

/**
 * Permissions per session. A session is shared by the requests that reuse its
 * cached row (SESSION_CACHE_MS), and a decision depends on nothing else, so
 * they share the subject and the memoised decisions too.
 */
const gates = new WeakMap<Session, Gate>();

/** The caller's gate, from the roles loaded with its session (no further query). */
export function createGate(session: Session): Gate {
  let gate = gates.get(session);
  if (!gate) {
    gate = buildGate(session);
    gates.set(session, gate);
  }
  return gate;
}

function buildGate(session: Session): Gate {
  const subject = buildSubject({
    userId: session.user.id,
    scope: session.scope,
    siteRoles: session.user.rbacRoles,
    memberships: session.roles.memberships,
    customRoles: session.roles.customRoles.map((role) => ({
      name: role.name,
      displayName: role.displayName,
      organizationId: role.organizationId,
      sitePermissions: parsePermissions(role.sitePermissions),
      orgPermissions: parsePermissions(role.orgPermissions),
      userPermissions: parsePermissions(role.userPermissions),
    })),
  });
  const authorizer = createAuthorizer(subject);
  return {
    subject,
    userId: subject.userId,
    can: (action, object) => authorizer.can(action, object),
    canAssign: (roleName, organizationId) => canAssignRole(subject, roleName, organizationId),
  };
}

/** Coder's stored form: `[{"negate": bool, "resource_type": string, "action": string}]`. */
const storedPermissions = z
  .array(z.object({ negate: z.boolean().default(false), resource_type: z.string(), action: z.string() }))
  .catch([]);

export function parsePermissions(json: unknown): Permission[] {
  return storedPermissions
    .parse(json)
    .map((p) => ({ resourceType: p.resource_type, action: p.action, negate: p.negate }));
}

export function serializePermissions(permissions: Permission[]) {
  return permissions.map((p) => ({ negate: p.negate, resource_type: p.resourceType, action: p.action }));
}
