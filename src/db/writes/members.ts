// Organization membership writes (add, remove, change roles), each in one
// transaction with its audit row (SPEC F). Whether the caller may make the
// change is the policy's to say (src/schema/member/member.policy.ts): the
// write asks it about the membership as the transaction has locked it.
import type { Decision } from '../../access/decision.js';
import { goTime, memberDiff, type AuditableMember } from '../../audit/diff.js';
import { refusalStatus, SUCCESS_STATUS, type AuditAction } from '../../audit/entry.js';
import { conflict, notFound, type ApiError } from '../../errors.js';
import { Prisma, type PrismaClient } from '../../generated/prisma/client.js';
import { isUniqueViolation } from '../prisma-errors.js';
import { epochMs, type MemberRow } from '../reads/rows.js';
import { committed, Refusal, WRITE_TRANSACTION, writeAuditRow, type AuditTrail, type Tx } from './audit.js';

export interface MemberKey {
  organizationId: string;
  userId: string;
}

/** A membership's own columns as a write left them, at the millisecond precision of the reads. */
export type WrittenMember = Omit<MemberRow, 'user'>;

/** A membership as a write finds it: what the policy asks about, and what the audit row records. */
export interface LockedMember extends AuditableMember {
  organizationId: string;
  isSystem: boolean;
  createdMs: number;
  updatedMs: number;
}

/** A timestamptz as Go's encoding/json writes it in UTC: microseconds, trailing zeros dropped. */
const goTimeSql = (column: Prisma.Sql) =>
  Prisma.sql`rtrim(rtrim(to_char(${column} AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US'), '0'), '.') || 'Z'`;

/** The membership with its user, locked until the transaction ends, so that what is checked is what changes. */
async function lockMember(tx: Tx, { organizationId, userId }: MemberKey): Promise<LockedMember | undefined> {
  const [row] = await tx.$queryRaw<
    {
      roles: string[];
      username: string;
      is_system: boolean;
      created_at: string;
      updated_at: string;
      created_ms: number;
      updated_ms: number;
    }[]
  >`
    SELECT om.roles, u.username, u.is_system,
      ${goTimeSql(Prisma.sql`om.created_at`)} AS created_at, ${goTimeSql(Prisma.sql`om.updated_at`)} AS updated_at,
      ${Prisma.raw(epochMs('om.created_at'))} AS created_ms, ${Prisma.raw(epochMs('om.updated_at'))} AS updated_ms
    FROM organization_members om JOIN users u ON u.id = om.user_id
    WHERE om.organization_id = ${organizationId}::uuid AND om.user_id = ${userId}::uuid
    FOR UPDATE OF om`;
  return (
    row && {
      organizationId,
      userId,
      username: row.username,
      isSystem: row.is_system,
      roles: row.roles,
      createdAt: row.created_at,
      updatedAt: row.updated_at,
      createdMs: Number(row.created_ms),
      updatedMs: Number(row.updated_ms),
    }
  );
}

/** The audit row of a change to `member` (or of its refusal), keyed as Coder keys it. */
function memberEntry(member: AuditableMember & { organizationId: string }, action: AuditAction) {
  return {
    organizationId: member.organizationId,
    resourceType: 'organization_member' as const,
    resourceId: member.userId,
    resourceTarget: member.username,
    action,
  };
}

/** A refusal the policy says Coder would record: a row with its status and no diff. */
async function recordRefusal(
  tx: Tx,
  trail: AuditTrail | null,
  member: LockedMember,
  action: AuditAction,
  decision: { error: ApiError; recorded: boolean },
) {
  if (decision.recorded) {
    await writeAuditRow(tx, trail, {
      ...memberEntry(member, action),
      statusCode: refusalStatus(decision.error),
      diff: {},
    });
  }
}

/** Adds the user, with no explicit roles; CONFLICT if already a member. Returns the membership as written. */
export async function addMember(
  prisma: PrismaClient,
  trail: AuditTrail | null,
  { organizationId, user }: { organizationId: string; user: { id: string; username: string } },
): Promise<WrittenMember> {
  try {
    return await prisma.$transaction(async (tx) => {
      const now = new Date();
      await tx.organizationMember.create({
        data: { organizationId, userId: user.id, roles: [], createdAt: now, updatedAt: now },
      });
      const added = {
        organizationId,
        userId: user.id,
        username: user.username,
        roles: [],
        createdAt: goTime(now),
        updatedAt: goTime(now),
      };
      await writeAuditRow(tx, trail, {
        ...memberEntry(added, 'create'),
        statusCode: SUCCESS_STATUS.create,
        diff: memberDiff(null, added),
      });
      return { organizationId, userId: user.id, roles: [], createdAt: now, updatedAt: now };
    }, WRITE_TRANSACTION);
  } catch (error) {
    // The primary key decides between concurrent adds: one succeeds, the others land here (and record nothing, as in Coder).
    if (isUniqueViolation(error)) throw conflict('User is already an organization member.');
    throw error;
  }
}

/** Removes the membership if `decide` allows; NOT_FOUND if there is none. */
export function removeMember(
  prisma: PrismaClient,
  trail: AuditTrail | null,
  key: MemberKey,
  decide: (member: LockedMember) => Decision,
): Promise<true> {
  return committed(prisma, async (tx) => {
    const member = await lockMember(tx, key);
    if (!member) return new Refusal(notFound());
    const decision = decide(member);
    if (!decision.allowed) {
      await recordRefusal(tx, trail, member, 'delete', decision);
      return new Refusal(decision.error);
    }
    await tx.organizationMember.delete({ where: { organizationId_userId: key } });
    await writeAuditRow(tx, trail, {
      ...memberEntry(member, 'delete'),
      statusCode: SUCCESS_STATUS.delete,
      diff: memberDiff(member, null),
    });
    return true as const;
  });
}

/**
 * Replaces the member's stored roles with those `decide` returns, given the
 * organization's custom role names. `updated_at` is left as it is, as Coder's
 * UpdateMemberRoles leaves it. Returns the membership as written.
 */
export function updateMemberRoles(
  prisma: PrismaClient,
  trail: AuditTrail | null,
  key: MemberKey,
  decide: (member: LockedMember, customRoleNames: ReadonlySet<string>) => Decision<string[]>,
): Promise<WrittenMember> {
  return committed(prisma, async (tx) => {
    const member = await lockMember(tx, key);
    if (!member) return new Refusal(notFound());
    const customRoles = await tx.customRole.findMany({
      where: { organizationId: key.organizationId },
      select: { name: true },
    });
    const decision = decide(member, new Set(customRoles.map((role) => role.name)));
    if (!decision.allowed) {
      await recordRefusal(tx, trail, member, 'write', decision);
      return new Refusal(decision.error);
    }
    await tx.organizationMember.update({
      where: { organizationId_userId: key },
      data: { roles: decision.value },
    });
    await writeAuditRow(tx, trail, {
      ...memberEntry(member, 'write'),
      statusCode: SUCCESS_STATUS.write,
      diff: memberDiff(member, { ...member, roles: decision.value }),
    });
    return {
      ...key,
      roles: decision.value,
      createdAt: new Date(member.createdMs),
      updatedAt: new Date(member.updatedMs),
    };
  });
}
