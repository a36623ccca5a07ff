// What the operator's commands read and write (src/operator/): users,
// organizations, memberships and session tokens, through a client or a
// transaction. The checks and messages are the operator's; this is the SQL.
import type {
  ApiKey,
  Organization,
  OrganizationMember,
  Prisma,
  PrismaClient,
  User,
} from '../../generated/prisma/client.js';
import { organizationWhere, userWhere } from '../references.js';

export type Db = PrismaClient | Prisma.TransactionClient;

/** Serialises concurrent first starts until the transaction ends. */
export async function lockBootstrap(tx: Prisma.TransactionClient, lock: number): Promise<void> {
  await tx.$executeRaw`SELECT pg_advisory_xact_lock(${lock}::bigint)`;
}

/**
 * Whether a non-deleted user has this username or email. lower() as Coder's
 * unique indexes have it: Prisma's case-insensitive match is ILIKE, where an
 * email's `_` or `%` would match other addresses.
 */
export async function usernameOrEmailTaken(db: Db, username: string, email: string): Promise<boolean> {
  const taken = await db.$queryRaw<unknown[]>`
    SELECT 1 FROM users WHERE NOT deleted AND (lower(username) = lower(${username}) OR lower(email) = lower(${email}))`;
  return taken.length > 0;
}

export const insertUser = (db: Db, data: Prisma.UserUncheckedCreateInput): Promise<User> => db.user.create({ data });

/** The non-deleted users, by username. */
export const listUsers = (db: Db): Promise<User[]> =>
  db.user.findMany({ where: { deleted: false }, orderBy: { username: 'asc' } });

/** The non-deleted organizations, by name. */
export const listOrganizations = (db: Db): Promise<Organization[]> =>
  db.organization.findMany({ where: { deleted: false }, orderBy: { name: 'asc' } });

export const countHumanUsers = (db: Db): Promise<number> => db.user.count({ where: { isSystem: false } });

/** The non-deleted user a reference names (`me` means nothing here). */
export async function userByRef(db: Db, ref: string): Promise<User | null> {
  const where = userWhere(ref);
  return where ? db.user.findFirst({ where }) : null;
}

export async function organizationNameTaken(db: Db, name: string): Promise<boolean> {
  const found = await db.organization.findFirst({
    where: { deleted: false, name: { equals: name, mode: 'insensitive' } },
  });
  return found !== null;
}

export async function defaultOrganizationExists(db: Db): Promise<boolean> {
  return (await db.organization.findFirst({ where: { isDefault: true } })) !== null;
}

export const insertOrganization = (db: Db, data: Prisma.OrganizationUncheckedCreateInput): Promise<Organization> =>
  db.organization.create({ data });

/** The non-deleted organization a reference names. */
export async function organizationByRef(db: Db, ref: string): Promise<Organization | null> {
  const where = organizationWhere(ref);
  return where ? db.organization.findFirst({ where }) : null;
}

export async function isMember(db: Db, organizationId: string, userId: string): Promise<boolean> {
  const found = await db.organizationMember.findUnique({
    where: { organizationId_userId: { organizationId, userId } },
  });
  return found !== null;
}

/**
 * The organization's custom role names. FOR SHARE: in a transaction (the
 * CLI's), a role deleted meanwhile waits for it, and the delete's trigger
 * then takes the name from a member added here too.
 */
export async function customRoleNamesForShare(db: Db, organizationId: string): Promise<Set<string>> {
  const rows = await db.$queryRaw<{ name: string }[]>`
    SELECT name FROM custom_roles WHERE organization_id = ${organizationId}::uuid FOR SHARE`;
  return new Set(rows.map((r) => r.name));
}

export const insertMember = (
  db: Db,
  data: Prisma.OrganizationMemberUncheckedCreateInput,
): Promise<OrganizationMember> => db.organizationMember.create({ data });

export async function tokenNameTaken(db: Db, userId: string, tokenName: string): Promise<boolean> {
  return (await db.apiKey.findFirst({ where: { userId, tokenName, loginType: 'token' } })) !== null;
}

export const insertApiKey = (db: Db, data: Prisma.ApiKeyUncheckedCreateInput): Promise<ApiKey> =>
  db.apiKey.create({ data });

/** Every key, or one user's, oldest first, with its user's name. */
export const listApiKeys = (db: Db, userId?: string) =>
  db.apiKey.findMany({
    where: userId === undefined ? {} : { userId },
    include: { user: { select: { username: true } } },
    orderBy: [{ createdAt: 'asc' }, { id: 'asc' }],
  });

/** Deletes the key; whether there was one. */
export async function deleteApiKey(db: Db, id: string): Promise<boolean> {
  const { count } = await db.apiKey.deleteMany({ where: { id } });
  return count > 0;
}
