// The cast of the authorization suites: two organizations, one caller per kind
// of role, a bystander to look at, and factories for the fresh targets that
// each mutation case starts from. Everything is made through the operator
// functions (what the CLI uses), never through the API under test, except the
// custom role, which the owner creates through GraphQL as a real owner would.
import { expect } from 'vitest';
import type { Database } from '../../src/db/database.js';
import { issueToken } from '../../src/operator/operator.js';
import {
  makeOrganization,
  makeUser,
  type GraphQLResponse,
  type TestGateway,
  type TestUser,
} from '../support/gateway.js';

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

/**
 * A custom role of A, created by the owner, that grants every RBAC action the
 * members API checks in A, assigning roles included, but no built-in role
 * name: the assignment table of SPEC B.3 gives its holder nothing.
 */
export const STEWARD_ROLE = {
  name: 'steward',
  displayName: 'Member Steward',
  organizationPermissions: [
    ...['CREATE', 'READ', 'UPDATE', 'DELETE'].map((action) => ({ resourceType: 'ORGANIZATION_MEMBER', action })),
    ...['ASSIGN', 'UNASSIGN', 'READ', 'CREATE', 'UPDATE', 'DELETE'].map((action) => ({
      resourceType: 'ASSIGN_ORG_ROLE',
      action,
    })),
  ],
};

export interface Organization {
  id: string;
  name: string;
}

export interface World {
  gw: TestGateway;
  db: Database;
  /** The organization the callers' org roles are in. */
  A: Organization;
  /** Another organization; `outsider` and `peer` are members. */
  B: Organization;
  /** A plain member of both A and B: whom the read operations look at. */
  peer: TestUser;
  users: Record<AuthenticatedCaller | 'expired token' | 'suspended user', TestUser>;
  /** The session for a caller: a token, or no header at all. */
  auth(caller: Caller): string | Record<string, string>;
}

export async function buildWorld(gw: TestGateway): Promise<World> {
  const db = gw.database;
  const A = await makeOrganization(db);
  const B = await makeOrganization(db);
  const inA = (...roles: string[]) => ({ orgs: { [A.id]: roles } });

  const owner = await makeUser(db, { siteRoles: ['owner'] });
  const created = await gw.gql(
    `mutation ($org: String!, $role: CustomRoleInput!) { createOrganizationRole(organization: $org, role: $role) { name } }`,
    { org: A.id, role: STEWARD_ROLE },
    owner.token,
  );
  expect(created).toEqual({ data: { createOrganizationRole: { name: STEWARD_ROLE.name } } });

  // An owner whose only token expired yesterday; a suspended organization admin of A.
  const expiredOwner = await makeUser(db, { siteRoles: ['owner'] });
  const expired = await issueToken(db.prisma, expiredOwner.id, {
    now: new Date(Date.now() - 2 * 86_400_000),
    lifetimeSeconds: 3600,
  });

  const users: World['users'] = {
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

let counter = 0;
/** A name no other case uses (valid as a username and as a role name). */
export const fresh = (prefix: string) => `${prefix}-${++counter}-${Math.random().toString(36).slice(2, 7)}`;

/** A new user, member of nothing. */
export const freshUser = (db: Database) => makeUser(db, { username: fresh('target') });

/** A new user who is a member of `organizationId` with `roles`. */
export async function freshMember(db: Database, organizationId: string, roles: string[] = []) {
  return makeUser(db, { username: fresh('target'), orgs: { [organizationId]: roles } });
}

/** A custom role written straight to the database, with organization permissions in Coder's stored form. */
export async function freshCustomRole(
  db: Database,
  organizationId: string,
  permissions: { resource_type: string; action: string }[] = [{ resource_type: 'organization_member', action: 'read' }],
) {
  const name = fresh('role');
  const now = new Date();
  await db.prisma.customRole.create({
    data: {
      name,
      displayName: `Role ${name}`,
      organizationId,
      orgPermissions: permissions.map((p) => ({ negate: false, ...p })),
      sitePermissions: [],
      userPermissions: [],
      createdAt: now,
      updatedAt: now,
    },
  });
  return name;
}

/** The stored roles of a membership, or null when there is none. */
export async function membershipRoles(db: Database, organizationId: string, userId: string): Promise<string[] | null> {
  const row = await db.prisma.organizationMember.findUnique({
    where: { organizationId_userId: { organizationId, userId } },
    select: { roles: true },
  });
  return row?.roles ?? null;
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

/** Every membership row of an organization, for "nothing changed" checks. */
export async function allMemberships(db: Database, organizationId: string) {
  return db.prisma.organizationMember.findMany({
    where: { organizationId },
    select: { userId: true, roles: true, updatedAt: true },
    orderBy: { userId: 'asc' },
  });
}

/** The data of a response that must have succeeded; fails the test with the errors otherwise. */
export function dataOf<T = any>(response: GraphQLResponse<T>): T {
  expect(response.errors, JSON.stringify(response.errors)).toBeUndefined();
  return response.data as T;
}

/** The first error of a response that must have failed. */
export function errorOf(response: GraphQLResponse) {
  expect(response.errors, `expected an error, got ${JSON.stringify(response.data)}`).toBeDefined();
  return response.errors![0]!;
}
