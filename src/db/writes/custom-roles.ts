// Custom organization role writes (create, update, delete), each in one
// transaction with its audit row (SPEC F). Whether the caller may make the
// change is the policy's to say (src/schema/role/role.policy.ts).
import type { Decision } from '../../access/decision.js';
import { roleDiff, type AuditableRole, type StoredPermission } from '../../audit/diff.js';
import { refusalStatus, SUCCESS_STATUS, type AuditAction } from '../../audit/entry.js';
import { badUserInput, conflict, notFound } from '../../errors.js';
import type { CustomRole, PrismaClient } from '../../generated/prisma/client.js';
import { isUniqueViolation } from '../prisma-errors.js';
import { committed, Refusal, WRITE_TRANSACTION, writeAuditRow, type AuditTrail, type Tx } from './audit.js';

/** What a create or update sets; an organization role's site and user lists are empty. */
export interface RoleFields {
  displayName: string;
  orgPermissions: StoredPermission[];
}

export interface RoleKey {
  organizationId: string;
  /** As stored: lower-case. */
  name: string;
}

interface LockedRole extends AuditableRole {
  id: string;
}

const asPermissions = (json: unknown) => (Array.isArray(json) ? (json as StoredPermission[]) : []);

const auditable = (role: CustomRole): LockedRole => ({
  id: role.id,
  name: role.name,
  displayName: role.displayName,
  sitePermissions: asPermissions(role.sitePermissions),
  orgPermissions: asPermissions(role.orgPermissions),
  userPermissions: asPermissions(role.userPermissions),
});

/** The role, locked until the transaction ends. */
async function lockRole(tx: Tx, { organizationId, name }: RoleKey): Promise<LockedRole | undefined> {
  const [row] = await tx.$queryRaw<
    { id: string; name: string; display_name: string; site: unknown; org: unknown; user: unknown }[]
  >`
    SELECT id, name, display_name, site_permissions AS site, org_permissions AS org, user_permissions AS user
    FROM custom_roles WHERE organization_id = ${organizationId}::uuid AND name = ${name}
    FOR UPDATE`;
  return (
    row && {
      id: row.id,
      name: row.name,
      displayName: row.display_name,
      sitePermissions: asPermissions(row.site),
      orgPermissions: asPermissions(row.org),
      userPermissions: asPermissions(row.user),
    }
  );
}

const roleEntry = (organizationId: string, role: LockedRole, action: AuditAction) => ({
  organizationId,
  resourceType: 'custom_role' as const,
  resourceId: role.id,
  resourceTarget: role.name,
  action,
});

async function recordRefusal(
  tx: Tx,
  trail: AuditTrail | null,
  organizationId: string,
  role: LockedRole,
  action: AuditAction,
  decision: Extract<Decision<unknown>, { allowed: false }>,
) {
  if (decision.recorded) {
    await writeAuditRow(tx, trail, {
      ...roleEntry(organizationId, role, action),
      statusCode: refusalStatus(decision.error),
      diff: {},
    });
  }
}

/**
 * The custom roles an organization may hold. Coder sets none; every member page reads its organization's roles
 * (names, display names, permissions) in one value, which must stay far below the longest string the process can
 * hold (docs/decisions.md 16).
 */
export const MAX_CUSTOM_ROLES = 1_000;

/** Creates the role; CONFLICT if the organization has one of that name, BAD_USER_INPUT if it holds MAX_CUSTOM_ROLES. */
export async function createCustomRole(
  prisma: PrismaClient,
  trail: AuditTrail | null,
  { organizationId, name }: RoleKey,
  fields: RoleFields,
): Promise<CustomRole> {
  try {
    return await prisma.$transaction(async (tx) => {
      // Creates in one organization take turns from here (FOR NO KEY UPDATE leaves its members' writes alone), so that
      // the count holds: eight at once on 999 roles left 1,001 to 1,007.
      await tx.$executeRaw`SELECT FROM organizations WHERE id = ${organizationId}::uuid FOR NO KEY UPDATE`;
      if ((await tx.customRole.count({ where: { organizationId } })) >= MAX_CUSTOM_ROLES) {
        throw badUserInput(`An organization holds at most ${MAX_CUSTOM_ROLES} custom roles: delete one first.`);
      }
      const now = new Date();
      const role = await tx.customRole.create({
        data: {
          name,
          organizationId,
          displayName: fields.displayName,
          orgPermissions: fields.orgPermissions as object[],
          sitePermissions: [],
          userPermissions: [],
          createdAt: now,
          updatedAt: now,
        },
      });
      const created = auditable(role);
      await writeAuditRow(tx, trail, {
        ...roleEntry(organizationId, created, 'create'),
        statusCode: SUCCESS_STATUS.create,
        diff: roleDiff(null, created),
      });
      return role;
    }, WRITE_TRANSACTION);
  } catch (error) {
    // On a Coder database the name is unique across organizations (its index is on lower(name) alone), so the
    // role found may be another organization's.
    if (isUniqueViolation(error)) throw conflict(`A role named "${name}" already exists.`);
    throw error;
  }
}

/**
 * Replaces the role's display name and permissions if `decide` allows;
 * NOT_FOUND if there is no such role. A refusal is recorded only for a role
 * that exists, as Coder records it once its lookup has found the role.
 */
export function updateCustomRole(
  prisma: PrismaClient,
  trail: AuditTrail | null,
  key: RoleKey,
  fields: RoleFields,
  decide: () => Decision,
): Promise<CustomRole> {
  return committed(prisma, async (tx) => {
    const role = await lockRole(tx, key);
    const decision = decide();
    if (!decision.allowed) {
      if (role) await recordRefusal(tx, trail, key.organizationId, role, 'write', decision);
      return new Refusal(decision.error);
    }
    if (!role) return new Refusal(notFound(`No custom role "${key.name}" in this organization.`));
    const updated = await tx.customRole.update({
      where: { id: role.id },
      data: {
        displayName: fields.displayName,
        orgPermissions: fields.orgPermissions as object[],
        sitePermissions: [],
        userPermissions: [],
        updatedAt: new Date(),
      },
    });
    await writeAuditRow(tx, trail, {
      ...roleEntry(key.organizationId, role, 'write'),
      statusCode: SUCCESS_STATUS.write,
      diff: roleDiff(role, auditable(updated)),
    });
    return updated;
  });
}

/**
 * Deletes the role if `decide` allows; NOT_FOUND if there is no such role.
 * The database trigger takes the name from the members' roles in the same
 * transaction.
 */
export function deleteCustomRole(
  prisma: PrismaClient,
  trail: AuditTrail | null,
  key: RoleKey,
  decide: () => Decision,
): Promise<true> {
  return committed(prisma, async (tx) => {
    const role = await lockRole(tx, key);
    if (!role) return new Refusal(notFound(`No custom role "${key.name}" in this organization.`));
    const decision = decide();
    if (!decision.allowed) {
      await recordRefusal(tx, trail, key.organizationId, role, 'delete', decision);
      return new Refusal(decision.error);
    }
    await tx.customRole.delete({ where: { id: role.id } });
    await writeAuditRow(tx, trail, {
      ...roleEntry(key.organizationId, role, 'delete'),
      statusCode: SUCCESS_STATUS.delete,
      diff: roleDiff(role, null),
    });
    return true as const;
  });
}
