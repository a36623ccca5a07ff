// What using a session writes: the key's last use and sliding expiry, and
// its user's activity (Coder's httpmw.ExtractAPIKey).
import { NIL_UUID } from '../../audit/entry.js';
import type { PrismaClient } from '../../generated/prisma/client.js';
import { WRITE_TRANSACTION, writeAuditRow } from './audit.js';

export interface KeyUse {
  lastUsed: Date;
  expiresAt: Date;
  /** Set when `lastUsed` is refreshed: the address it was used from. */
  ipAddress?: string;
}

// updateMany, not update: update returns the whole row, and with it the key's hashed secret (or the user's password
// hash) that nothing here reads.
export async function recordKeyUse(prisma: PrismaClient, keyId: string, use: KeyUse): Promise<void> {
  await prisma.apiKey.updateMany({
    where: { id: keyId },
    data: {
      lastUsed: use.lastUsed,
      expiresAt: use.expiresAt,
      ...(use.ipAddress === undefined ? {} : { ipAddress: use.ipAddress }),
    },
  });
}

/**
 * The user was seen now (Coder's UpdateUserLastSeenAt), which Coder's dormancy job reads. Never its status: the
 * row read for the session may be older than a suspension committed since, which this write would undo; waking a
 * dormant user is activateDormantUser's, which checks the status it changes.
 */
export async function recordUserSeen(prisma: PrismaClient, userId: string, now: Date): Promise<void> {
  await prisma.user.updateMany({ where: { id: userId }, data: { lastSeenAt: now, updatedAt: now } });
}

/**
 * A dormant user's session wakes it: active, and seen now. Audited as
 * Coder's ActivateDormantUser records it, as a background event of its
 * dormancy subsystem: the user is both actor and resource, no organization
 * and no request; the user Coder diffs carries only id, username and status,
 * so the diff is the status alone. Only the request that wakes the user
 * records it.
 */
export async function activateDormantUser(
  prisma: PrismaClient,
  user: { id: string; username: string },
  now: Date,
  audited: boolean,
): Promise<void> {
  await prisma.$transaction(async (tx) => {
    const woken = await tx.$executeRaw`
      UPDATE users SET status = 'active', last_seen_at = ${now}::timestamptz AT TIME ZONE 'UTC', updated_at = ${now}
      WHERE id = ${user.id}::uuid AND status = 'dormant'`;
    if (!woken) return;
    await writeAuditRow(tx, audited ? { actorId: user.id, request: null } : null, {
      organizationId: NIL_UUID,
      resourceType: 'user',
      resourceId: user.id,
      resourceTarget: user.username,
      action: 'write',
      statusCode: 200,
      diff: { status: { Old: 'dormant', New: 'active', Secret: false } },
      additionalFields: { automatic_actor: 'coder', automatic_subsystem: 'dormancy' },
    });
  }, WRITE_TRANSACTION);
}
