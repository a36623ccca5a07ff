// Data factories and assertions every suite shares: the casts of callers an
// organization's rules are tried with, members and custom roles made straight
// in the database, the rows a refused write must leave as they were, and the
// shape of an answer, a refusal or a rejected document. Everything is made
// through the operator functions (what the CLI uses) or written to the
// database, never through the API under test, except the steward role, which
// the owner creates through GraphQL as a real owner would.
import { randomUUID } from 'node:crypto';
import { expect } from 'vitest';
import type { Database } from '../../src/db/database.js';
import { createOrganization, issueToken } from '../../src/operator/operator.js';
import { makeOrganization, makeUser, type GraphQLResponse, type TestGateway, type TestUser } from './gateway.js';
import { graphql, type VariablesOf } from './graphql.js';

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

let counter = 0;
/** A name no other case uses (valid as a username and as a role name). */
export const fresh = (prefix: string) => `${prefix}-${++counter}-${Math.random().toString(36).slice(2, 7)}`;

/** A new user with a session token, member of `organizationId` with `roles`. */
export const makeMember = (db: Database, organizationId: string, roles: string[] = []) =>
  makeUser(db, { username: fresh('target'), orgs: { [organizationId]: roles } });

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

/** Callers that present no valid session: every operation refuses them. */
export const UNAUTHENTICATED_CALLERS = ['no token', 'expired token', 'suspended user'] as const;

/** Authenticated callers, as the columns of the matrices. Site-role holders are members of no organization. */
export const CALLERS = [
  'outsider', //           plain member of B only
  'member', //             plain member of A
  'org auditor', //        organization-auditor of A
  'org user admin', //     organization-user-admin of A
  'org admin', //          organization-admin of A
  'org template admin', // organization-template-admin of A
  'site auditor', //       auditor
  'site user admin', //    user-admin
  'site template admin', // template-admin
  'owner', //              owner
  'custom role', //        member of A holding STEWARD_ROLE (below)
] as const;

export type AuthenticatedCaller = (typeof CALLERS)[number];
export type Caller = AuthenticatedCaller | (typeof UNAUTHENTICATED_CALLERS)[number];

/** How the owner creates STEWARD_ROLE in `makeFullCast`. */
const CREATE_STEWARD = graphql(
  `mutation ($org: String!, $role: CustomRoleInput!) { createOrganizationRole(organization: $org, role: $role) { name } }`,
);

/**
 * A custom role of A, created by the owner, that grants every RBAC action the
 * members API checks in A, assigning roles included, but no built-in role
 * name: the assignment table of SPEC B.3 gives its holder nothing.
 */
export const STEWARD_ROLE = {
  name: 'steward',
  displayName: 'Member Steward',
  organizationPermissions: [
    ...(['CREATE', 'READ', 'UPDATE', 'DELETE'] as const).map((action) => ({
      resourceType: 'ORGANIZATION_MEMBER' as const,
      action,
    })),
    ...(['ASSIGN', 'UNASSIGN', 'READ', 'CREATE', 'UPDATE', 'DELETE'] as const).map((action) => ({
      resourceType: 'ASSIGN_ORG_ROLE' as const,
      action,
    })),
  ],
} satisfies VariablesOf<typeof CREATE_STEWARD>['role'];

/**
 * One caller per column of the authorization matrices (SPEC D): two
 * organizations, a caller for every built-in role and for the steward role,
 * callers with no valid session, and a bystander to look at. Unlike `Cast`,
 * its `outsider` is a plain member of B.
 */
export interface FullCast {
  gw: TestGateway;
  db: Database;
  /** The organization the callers' org roles are in. */
  A: { id: string; name: string };
  /** Another organization; `outsider` and `peer` are members. */
  B: { id: string; name: string };
  /** A plain member of both A and B: whom the read operations look at. */
  peer: TestUser;
  users: Record<AuthenticatedCaller | 'expired token' | 'suspended user', TestUser>;
  /** The session for a caller: a token, or no header at all. */
  auth(caller: Caller): string | Record<string, string>;
}

export async function makeFullCast(gw: TestGateway): Promise<FullCast> {
  const db = gw.database;
  const A = await makeOrganization(db);
  const B = await makeOrganization(db);
  const inA = (...roles: string[]) => ({ orgs: { [A.id]: roles } });

  const owner = await makeUser(db, { siteRoles: ['owner'] });
  const created = await gw.gql(CREATE_STEWARD, { org: A.id, role: STEWARD_ROLE }, owner.token);
  expect(created).toEqual({ data: { createOrganizationRole: { name: STEWARD_ROLE.name } } });

  // An owner whose only token expired yesterday; a suspended organization admin of A.
  const expiredOwner = await makeUser(db, { siteRoles: ['owner'] });
  const expired = await issueToken(db.prisma, expiredOwner.id, {
    now: new Date(Date.now() - 2 * 86_400_000),
    lifetimeSeconds: 3600,
  });

  const users: FullCast['users'] = {
    'expired token': { ...expiredOwner, token: expired.token },
    'suspended user': await makeUser(db, { status: 'suspended', ...inA('organization-admin') }),
    outsider: await makeUser(db, { orgs: { [B.id]: [] } }),
    member: await makeUser(db, inA()),
    'org auditor': await makeUser(db, inA('organization-auditor')),
    'org user admin': await makeUser(db, inA('organization-user-admin')),
    'org admin': await makeUser(db, inA('organization-admin')),
    'org template admin': await makeUser(db, inA('organization-template-admin')),
    'site auditor': await makeUser(db, { siteRoles: ['auditor'] }),
    'site user admin': await makeUser(db, { siteRoles: ['user-admin'] }),
    'site template admin': await makeUser(db, { siteRoles: ['template-admin'] }),
    owner,
    'custom role': await makeUser(db, inA(STEWARD_ROLE.name)),
  };
  const peer = await makeUser(db, { orgs: { [A.id]: [], [B.id]: [] } });

  return {
    gw,
    db,
    A: { id: A.id, name: A.name },
    B: { id: B.id, name: B.name },
    peer,
    users,
    auth: (caller) => (caller === 'no token' ? {} : users[caller].token),
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

export interface StoredPermission {
  resource_type: string;
  action: string;
  negate?: boolean;
}

/** Stored organization permissions that let a custom role's holders read the members. */
export const READ_MEMBERS: StoredPermission[] = [{ resource_type: 'organization_member', action: 'read' }];

/**
 * A custom role written straight into `custom_roles` in Coder's stored form
 * (site-wide ones have no GraphQL mutation); returns its name, fresh unless given.
 */
export async function insertCustomRole(
  db: Database,
  role: {
    name?: string;
    displayName?: string;
    organizationId: string | null;
    site?: StoredPermission[];
    org?: StoredPermission[];
  },
) {
  const name = role.name ?? fresh('role');
  const stored = (list: StoredPermission[] = []) => list.map((p) => ({ negate: false, ...p }));
  await db.prisma.customRole.create({
    data: {
      name,
      displayName: role.displayName ?? name,
      organizationId: role.organizationId,
      sitePermissions: stored(role.site),
      orgPermissions: stored(role.org),
      userPermissions: [],
    },
  });
  return name;
}

/** A custom role as stored (without timestamps' noise), or null. */
export async function storedCustomRole(db: Database, organizationId: string, name: string) {
  return db.prisma.customRole.findFirst({
    where: { organizationId, name },
    select: {
      name: true,
      displayName: true,
      orgPermissions: true,
      sitePermissions: true,
      userPermissions: true,
      updatedAt: true,
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

/**
 * A top-level field of an answer's data, for documents `graphql()` cannot type:
 * built at run time, or reading federation's `_entities` and `_service`, which
 * schema.graphql leaves out. Undefined when there is no data.
 */
export function fieldOf(response: GraphQLResponse, name: string): unknown {
  const { data } = response;
  return typeof data === 'object' && data !== null ? (data as Record<string, unknown>)[name] : undefined;
}

/** The data of a response that must have succeeded; fails the test with the errors otherwise. */
export function dataOf<T>(response: GraphQLResponse<T>): T {
  expect(response.errors, JSON.stringify(response.errors)).toBeUndefined();
  return response.data as T;
}

/** The first error of a response that must have failed. */
export function errorOf(response: GraphQLResponse) {
  expect(response.errors, `expected an error, got ${JSON.stringify(response.data)}`).toBeDefined();
  return response.errors![0]!;
}
