// Data factories and assertions the operation tests share: many members at
// once, the cast of callers an organization's rules are tried with, the rows
// a refused write must leave as they were, and the shape of a refusal.
import { randomUUID } from 'node:crypto';
import { expect } from 'vitest';
import type { Database } from '../../src/db/database.js';
import { createOrganization } from '../../src/operator/operator.js';
import { makeOrganization, makeUser, type GraphQLResponse, type TestUser } from './gateway.js';

type Organization = Awaited<ReturnType<typeof makeOrganization>>;

/**
 * Users with these exact usernames, members of `organizationId` with `roles`,
 * written in two statements (no session tokens: they only need to be listed).
 */
export async function addMembers(db: Database, organizationId: string, usernames: string[], roles: string[] = []) {
  const now = new Date();
  const users = usernames.map((username) => ({ id: randomUUID(), username }));
  await db.prisma.user.createMany({
    data: users.map(({ id, username }) => ({
      id,
      username,
      email: `${username.toLowerCase()}@example.com`,
      hashedPassword: new Uint8Array(),
      status: 'active' as const,
      loginType: 'none' as const,
      createdAt: now,
      updatedAt: now,
    })),
  });
  await db.prisma.organizationMember.createMany({
    data: users.map(({ id }) => ({ organizationId, userId: id, roles, createdAt: now, updatedAt: now })),
  });
  return users;
}

/** The default organization (`default`); a database has at most one. */
export async function makeDefaultOrganization(db: Database, name = 'coder') {
  return createOrganization(db.prisma, { name, displayName: 'Coder', isDefault: true });
}

/**
 * An organization and a caller of each kind that its rules tell apart: a site
 * owner and a site auditor (members of nothing), an organization admin,
 * user admin and auditor, a plain member, and an outsider who administers
 * another organization only (so holds powers, but none here).
 */
export interface Cast {
  org: Organization;
  otherOrg: Organization;
  owner: TestUser;
  siteAuditor: TestUser;
  admin: TestUser;
  userAdmin: TestUser;
  auditor: TestUser;
  member: TestUser;
  outsider: TestUser;
}

export async function makeCast(db: Database): Promise<Cast> {
  const [org, otherOrg] = [await makeOrganization(db), await makeOrganization(db)];
  const inOrg = (roles: string[]) => ({ orgs: { [org.id]: roles } });
  return {
    org,
    otherOrg,
    owner: await makeUser(db, { siteRoles: ['owner'] }),
    siteAuditor: await makeUser(db, { siteRoles: ['auditor'] }),
    admin: await makeUser(db, inOrg(['organization-admin'])),
    userAdmin: await makeUser(db, inOrg(['organization-user-admin'])),
    auditor: await makeUser(db, inOrg(['organization-auditor'])),
    member: await makeUser(db, inOrg([])),
    outsider: await makeUser(db, { orgs: { [otherOrg.id]: ['organization-admin'] } }),
  };
}

/** The stored roles of a membership, or undefined when there is none. */
export async function storedRoles(db: Database, organizationId: string, userId: string): Promise<string[] | undefined> {
  const member = await db.prisma.organizationMember.findUnique({
    where: { organizationId_userId: { organizationId, userId } },
    select: { roles: true },
  });
  return member?.roles;
}

/**
 * Every row a members operation can write (memberships, custom roles, users,
 * organizations), in a fixed order: compare before and after a refused write.
 */
export async function writableRows(db: Database) {
  const [members, customRoles, users, organizations] = await Promise.all([
    db.prisma.organizationMember.findMany({ orderBy: [{ organizationId: 'asc' }, { userId: 'asc' }] }),
    db.prisma.customRole.findMany({ orderBy: [{ id: 'asc' }] }),
    db.prisma.user.findMany({
      orderBy: [{ id: 'asc' }],
      select: { id: true, username: true, rbacRoles: true, deleted: true },
    }),
    db.prisma.organization.findMany({ orderBy: [{ id: 'asc' }] }),
  ]);
  return { members, customRoles, users, organizations };
}

/** Marks a user deleted or a system user, as Coder does for accounts it keeps out of member lists. */
export async function markUser(db: Database, userId: string, flags: { deleted?: boolean; isSystem?: boolean }) {
  await db.prisma.user.update({ where: { id: userId }, data: flags });
}

interface StoredPermission {
  resource_type: string;
  action: string;
  negate?: boolean;
}

/** A custom role written straight into `custom_roles` (site-wide ones have no GraphQL mutation). */
export async function insertCustomRole(
  db: Database,
  role: {
    name: string;
    displayName?: string;
    organizationId: string | null;
    site?: StoredPermission[];
    org?: StoredPermission[];
  },
) {
  const stored = (list: StoredPermission[] = []) => list.map((p) => ({ negate: false, ...p }));
  await db.prisma.customRole.create({
    data: {
      name: role.name,
      displayName: role.displayName ?? role.name,
      organizationId: role.organizationId,
      sitePermissions: stored(role.site),
      orgPermissions: stored(role.org),
      userPermissions: [],
    },
  });
}

/**
 * Asserts a refusal: one error with `code` (and a message matching `message`),
 * no partial answer for the refused field, and never an internal error.
 */
export function expectRefusal(response: GraphQLResponse, code: string, message?: RegExp) {
  expect(response.errors, JSON.stringify(response)).toHaveLength(1);
  const [error] = response.errors!;
  expect(error!.extensions?.code).toBe(code);
  if (message) expect(error!.message).toMatch(message);
  // The field that failed is null in the answer (or, when it may not be null, the nearest one above that may).
  const path = error!.path ?? [];
  let value: unknown = response.data;
  for (const key of path) {
    if (value === null || value === undefined) break;
    value = (value as Record<string | number, unknown>)[key];
  }
  if (response.data && path.length) expect(value ?? null).toBeNull();
}

/**
 * Asserts that GraphQL itself rejected the document or its variables: no
 * `data` at all, no resolver ran, and a code on every error (the document's
 * own, or BAD_USER_INPUT for variables).
 */
export function expectInvalidDocument(response: GraphQLResponse, message?: RegExp) {
  expect(response.data, JSON.stringify(response)).toBeUndefined();
  expect(response.errors?.length).toBeGreaterThan(0);
  if (message) expect(response.errors![0]!.message).toMatch(message);
  for (const error of response.errors!) {
    expect(['GRAPHQL_PARSE_FAILED', 'GRAPHQL_VALIDATION_FAILED', 'BAD_USER_INPUT'], JSON.stringify(error)).toContain(
      error.extensions?.code,
    );
  }
}

/** The `validations` of a refusal, as `field` → details. */
export const validationsOf = (response: GraphQLResponse) =>
  (response.errors?.[0]?.extensions?.validations ?? []) as { field: string; detail: string }[];

/**
 * Runs a write that must be refused: asserts the refusal and that every row
 * it could have written is as it was before.
 */
export async function expectRefusedUnchanged(
  db: Database,
  run: () => Promise<GraphQLResponse>,
  code: string,
  message?: RegExp,
) {
  const before = await writableRows(db);
  const response = await run();
  expectRefusal(response, code, message);
  expect(await writableRows(db)).toEqual(before);
  return response;
}
