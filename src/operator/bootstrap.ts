import { countHumanUsers, defaultOrganizationExists, lockBootstrap } from '../db/writes/operator.js';
import type { PrismaClient } from '../generated/prisma/client.js';
import { addMember, createOrganization, createUser, DEFAULT_ORGANIZATION, issueToken } from './operator.js';

/** Any constant shared by all replicas: it serialises concurrent first starts. */
const BOOTSTRAP_LOCK = 0x636f646572; // "coder"

export interface BootstrapResult {
  createdOrganization: boolean;
  /** Set only when this start created the first owner. */
  owner?: { username: string; token: string };
}

/**
 * On an empty database, creates Coder's default organization and a first
 * owner with a session token, so that the playground is usable at once. Does
 * nothing on a database that has them, so restarts print no new token.
 */
export async function bootstrap(prisma: PrismaClient): Promise<BootstrapResult> {
  return prisma.$transaction(async (tx) => {
    await lockBootstrap(tx, BOOTSTRAP_LOCK);
    const result: BootstrapResult = { createdOrganization: false };
    if (!(await defaultOrganizationExists(tx))) {
      await createOrganization(tx, { ...DEFAULT_ORGANIZATION, isDefault: true });
      result.createdOrganization = true;
    }
    if ((await countHumanUsers(tx)) === 0) {
      const owner = await createUser(tx, {
        username: 'admin',
        email: 'admin@coder.local',
        name: 'Admin',
        siteRoles: ['owner'],
      });
      await addMember(tx, 'default', owner.id);
      const { token } = await issueToken(tx, owner.id, { name: 'bootstrap' });
      result.owner = { username: owner.username, token };
    }
    return result;
  });
}
