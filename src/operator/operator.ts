// What an operator does outside GraphQL: create users, organizations and
// memberships, and issue, list and revoke session tokens. Used by the CLI,
// the first-start bootstrap and the tests. Each takes a client or a
// transaction; the CLI runs adding a member and issuing a token in one each,
// and a check-then-insert that loses a race to a unique index gives the same
// refusal as the check.
import { randomUUID } from 'node:crypto';
import { generateToken } from '../auth/tokens.js';
import { isUniqueViolation } from '../db/prisma-errors.js';
import { displayNameProblem, newNameProblem } from '../db/references.js';
import {
  customRoleNamesForShare,
  defaultOrganizationExists,
  deleteApiKey,
  insertApiKey,
  insertMember,
  insertOrganization,
  insertUser,
  isMember,
  listApiKeys,
  listOrganizations,
  listUsers,
  organizationByRef,
  organizationNameTaken,
  tokenNameTaken,
  userByRef,
  usernameOrEmailTaken,
  type Db,
} from '../db/writes/operator.js';
import type { ApiKey, Organization, User } from '../generated/prisma/client.js';
import { ASSIGNABLE_ORG_ROLE_NAMES } from '../rbac/index.js';

export class OperatorError extends Error {
  override name = 'OperatorError';
}

/** A value that can never be accepted (a name Coder refuses): the CLI's bad argument, not a refused operation. */
export class InvalidOperatorInput extends OperatorError {
  override name = 'InvalidOperatorInput';
}

/** Coder's default organization, as `coderd` creates it on an empty deployment. */
export const DEFAULT_ORGANIZATION = {
  name: 'coder',
  displayName: 'Coder',
  description: 'Builtin default organization.',
};

const DAY_SECONDS = 24 * 60 * 60;
export const DEFAULT_TOKEN_LIFETIME_SECONDS = 30 * DAY_SECONDS;

export interface CreateUserInput {
  username: string;
  email: string;
  name?: string;
  siteRoles?: string[];
  status?: 'active' | 'dormant' | 'suspended';
}

/** Throws InvalidOperatorInput naming `what` (its value cut short) if `problem` says what is wrong with it. */
function refuseIf(problem: string | undefined, what: string, value: string): void {
  const shown = value.length > 40 ? `${value.slice(0, 40)}…` : value;
  if (problem) throw new InvalidOperatorInput(`${what} "${shown}" is not valid: it ${problem}`);
}

export async function createUser(db: Db, input: CreateUserInput): Promise<User> {
  refuseIf(newNameProblem(input.username), 'username', input.username);
  if (input.name !== undefined) refuseIf(displayNameProblem(input.name, 128), 'name', input.name);
  if (!/^[^\s@]+@[^\s@]+$/.test(input.email)) throw new InvalidOperatorInput(`email "${input.email}" is not valid`);
  const alreadyExists = () =>
    new OperatorError(`a user with username "${input.username}" or email "${input.email}" already exists`);
  if (await usernameOrEmailTaken(db, input.username, input.email)) throw alreadyExists();
  const now = new Date();
  return uniquely(
    alreadyExists,
    insertUser(db, {
      id: randomUUID(),
      username: input.username,
      email: input.email,
      name: input.name ?? '',
      rbacRoles: [...new Set(input.siteRoles ?? [])],
      status: input.status ?? 'active',
      // No password sign-in here: Coder stores an empty hash with login type `none`.
      hashedPassword: new Uint8Array(),
      loginType: 'none',
      createdAt: now,
      updatedAt: now,
    }),
  );
}

/** A write whose unique index may still refuse it, if another one got there since the check: the same refusal. */
async function uniquely<T>(refusal: () => OperatorError, write: Promise<T>): Promise<T> {
  try {
    return await write;
  } catch (error) {
    throw isUniqueViolation(error) ? refusal() : error;
  }
}

export interface CreateOrganizationInput {
  name: string;
  displayName?: string;
  description?: string;
  icon?: string;
  isDefault?: boolean;
}

export async function createOrganization(db: Db, input: CreateOrganizationInput): Promise<Organization> {
  refuseIf(newNameProblem(input.name), 'organization name', input.name);
  if (input.displayName !== undefined)
    refuseIf(displayNameProblem(input.displayName, 64), 'display name', input.displayName);
  const alreadyExists = () => new OperatorError(`an organization named "${input.name}" already exists`);
  if (await organizationNameTaken(db, input.name)) throw alreadyExists();
  if (input.isDefault && (await defaultOrganizationExists(db))) {
    throw new OperatorError('there is already a default organization');
  }
  const now = new Date();
  return uniquely(
    alreadyExists,
    insertOrganization(db, {
      id: randomUUID(),
      name: input.name,
      displayName: input.displayName ?? input.name,
      description: input.description ?? '',
      icon: input.icon ?? '',
      isDefault: input.isDefault ?? false,
      createdAt: now,
      updatedAt: now,
    }),
  );
}

export { listOrganizations, listUsers };

export async function findUser(db: Db, ref: string): Promise<User> {
  const user = await userByRef(db, ref);
  if (!user) throw new OperatorError(`no user "${ref}"`);
  return user;
}

export async function findOrganization(db: Db, ref: string): Promise<Organization> {
  const organization = await organizationByRef(db, ref);
  if (!organization) throw new OperatorError(`no organization "${ref}"`);
  return organization;
}

export async function addMember(db: Db, organizationRef: string, userRef: string, roles: string[] = []) {
  // One after the other: inside a transaction both would share one connection.
  const organization = await findOrganization(db, organizationRef);
  const user = await findUser(db, userRef);
  const existing = await isMember(db, organization.id, user.id);
  const alreadyMember = () => new OperatorError(`"${user.username}" is already a member of "${organization.name}"`);
  if (existing) throw alreadyMember();
  // Only names that mean something here: a typo would be stored and grant nothing.
  const custom = await customRoleNamesForShare(db, organization.id);
  const unknown = roles.find((role) => !(ASSIGNABLE_ORG_ROLE_NAMES.includes(role) || custom.has(role)));
  if (unknown) throw new OperatorError(`"${unknown}" is not an organization role of "${organization.name}"`);
  const now = new Date();
  return uniquely(
    alreadyMember,
    insertMember(db, {
      organizationId: organization.id,
      userId: user.id,
      roles: [...new Set(roles)],
      createdAt: now,
      updatedAt: now,
    }),
  );
}

export interface IssuedToken {
  token: string;
  apiKey: ApiKey;
}

/** Issues a session token; the secret exists only in the returned `token`. */
export async function issueToken(
  db: Db,
  userRef: string,
  options: { name?: string; lifetimeSeconds?: number; now?: Date } = {},
): Promise<IssuedToken> {
  const user = await findUser(db, userRef);
  const lifetimeSeconds = options.lifetimeSeconds ?? DEFAULT_TOKEN_LIFETIME_SECONDS;
  if (!Number.isInteger(lifetimeSeconds) || lifetimeSeconds <= 0)
    throw new OperatorError('token lifetime must be a positive number of seconds');
  const now = options.now ?? new Date();
  const tokenName =
    options.name ??
    `gateway-${now
      .toISOString()
      .replace(/[^0-9]/g, '')
      .slice(0, 14)}-${randomUUID().slice(0, 8)}`;
  const nameTaken = () => new OperatorError(`"${user.username}" already has a token named "${tokenName}"`);
  if (await tokenNameTaken(db, user.id, tokenName)) throw nameTaken();
  const generated = generateToken();
  const apiKey = await uniquely(
    nameTaken,
    insertApiKey(db, {
      id: generated.id,
      hashedSecret: generated.hashedSecret,
      userId: user.id,
      lastUsed: now,
      expiresAt: new Date(now.getTime() + lifetimeSeconds * 1000),
      createdAt: now,
      updatedAt: now,
      loginType: 'token',
      lifetimeSeconds: BigInt(lifetimeSeconds),
      tokenName,
    }),
  );
  return { token: generated.token, apiKey };
}

export async function listTokens(db: Db, userRef?: string) {
  const user = userRef ? await findUser(db, userRef) : undefined;
  return listApiKeys(db, user?.id);
}

export async function revokeToken(db: Db, id: string): Promise<void> {
  if (!(await deleteApiKey(db, id))) throw new OperatorError(`no token with id "${id}"`);
}
