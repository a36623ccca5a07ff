// What using a session writes: the key's last use and sliding expiry, and
// its user's activity (Coder's httpmw.ExtractAPIKey).
import type { PrismaClient } from '../../generated/prisma/client.js';

export interface KeyUse {
  lastUsed: Date;
  expiresAt: Date;
  /** Set when `lastUsed` is refreshed: the address it was used from. */
  ipAddress?: string;
}

export async function recordKeyUse(prisma: PrismaClient, keyId: string, use: KeyUse): Promise<void> {
  await prisma.apiKey.update({
    where: { id: keyId },
    data: {
      lastUsed: use.lastUsed,
      expiresAt: use.expiresAt,
      ...(use.ipAddress === undefined ? {} : { ipAddress: use.ipAddress }),
    },
  });
}

/** The user was seen now: a dormant one becomes active, and Coder's dormancy job reads last_seen_at. */
export async function recordUserSeen(prisma: PrismaClient, userId: string, now: Date): Promise<void> {
  await prisma.user.update({ where: { id: userId }, data: { status: 'active', lastSeenAt: now, updatedAt: now } });
}
