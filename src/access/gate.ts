// The one place resolvers ask permission. It loads the caller's roles once
// per request (two statements), builds the RBAC subject, and answers every
// question through the pure evaluator in src/rbac, which memoises decisions.
import { z } from 'zod';
import { ApiError } from '../errors.js';
import type { PrismaClient } from '../generated/prisma/client.js';
import {
  buildSubject,
  canAssignRole,
  createAuthorizer,
  type CustomRoleRecord,
  type Permission,
  type RBACAction,
  type RBACObject,
  type Subject,
} from '../rbac/index.js';

export interface Gate {
  readonly subject: Subject;
  readonly userId: string;
  can(action: RBACAction, object: RBACObject): boolean;
  /** Throws `refusal()` unless the caller may do `action` on `object`. */
  require(action: RBACAction, object: RBACObject, refusal: () => ApiError): void;
  /** Coder's role-assignment table (SPEC B.3); `organizationId` null for site roles. */
  canAssign(roleName: string, organizationId: string | null): boolean;
}

export async function loadGate(prisma: PrismaClient, user: { id: string; rbacRoles: string[] }): Promise<Gate> {
  const [memberships, customRoles] = await Promise.all([
    prisma.organizationMember.findMany({ where: { userId: user.id }, select: { organizationId: true, roles: true } }),
    // Only the custom roles the caller's role names can refer to: site-wide ones and its organizations'.
    prisma.$queryRaw<CustomRoleRow[]>`
      SELECT name, display_name, organization_id, site_permissions, org_permissions, user_permissions
      FROM custom_roles
      WHERE organization_id IS NULL
         OR organization_id IN (SELECT organization_id FROM organization_members WHERE user_id = ${user.id}::uuid)`,
  ]);
  const subject = buildSubject({
    userId: user.id,
    siteRoles: user.rbacRoles,
    memberships,
    customRoles: customRoles.map(customRoleRecord),
  });
  const authorizer = createAuthorizer(subject);
  return {
    subject,
    userId: user.id,
    can: (action, object) => authorizer.can(action, object),
    require(action, object, refusal) {
      if (!authorizer.can(action, object)) throw refusal();
    },
    canAssign: (roleName, organizationId) => canAssignRole(subject, roleName, organizationId),
  };
}

interface CustomRoleRow {
  name: string;
  display_name: string;
  organization_id: string | null;
  site_permissions: unknown;
  org_permissions: unknown;
  user_permissions: unknown;
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

function customRoleRecord(row: CustomRoleRow): CustomRoleRecord {
  return {
    name: row.name,
    displayName: row.display_name,
    organizationId: row.organization_id,
    sitePermissions: parsePermissions(row.site_permissions),
    orgPermissions: parsePermissions(row.org_permissions),
    userPermissions: parsePermissions(row.user_permissions),
  };
}
