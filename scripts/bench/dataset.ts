// The benchmark's data set, deterministic: organizations with between 1,000
// and 5,000 members each (a square-root spread), users with mixed-case names
// and a few site roles, five custom roles per organization, and members
// holding a mix of built-in and custom roles. Inserted by SQL with
// generate_series, so 70,000 memberships take seconds, not minutes.
import type { Database } from '../../src/db/database.js';
import { issueToken } from '../../src/operator/operator.js';

export interface DatasetSize {
  organizations: number;
  users: number;
  minMembers: number;
  maxMembers: number;
}

export const POSTGRES_DATASET: DatasetSize = { organizations: 20, users: 20_000, minMembers: 1_000, maxMembers: 5_000 };
export const PGLITE_DATASET: DatasetSize = { organizations: 10, users: 4_000, minMembers: 200, maxMembers: 1_000 };

/** A prime that shares no factor with the user count: organization i's members are spread over all usernames. */
const SPREAD = 7919;

export const OWNER_ID = '0b0b0b0b-0000-4000-8000-000000000001';
export const orgName = (i: number) => `org-${i}`;
export const username = (j: number) => `${j % 3 === 0 ? 'User' : 'user'}-${String(j).padStart(5, '0')}`;

export interface Dataset {
  memberships: number;
  ownerToken: string;
  /** The largest organization, and one of its members. */
  largestOrganization: string;
  someMember: string;
}

export async function seedDataset(db: Database, size: DatasetSize): Promise<Dataset> {
  const run = (sql: string) => db.prisma.$executeRawUnsafe(sql);
  const { organizations: orgs, users, minMembers, maxMembers } = size;
  const membersOf = `(${minMembers} + round(${maxMembers - minMembers} * sqrt((i - 1)::float / ${Math.max(orgs - 1, 1)})))::int`;
  await run(`
    INSERT INTO organizations (id, name, display_name, description, created_at, updated_at, is_default)
    SELECT md5('org' || i)::uuid, 'org-' || i, 'Organization ' || i, '', now(), now(), i = 1 FROM generate_series(1, ${orgs}) i`);
  await run(`
    INSERT INTO users (id, email, username, name, hashed_password, created_at, updated_at, status, rbac_roles, login_type)
    SELECT md5('user' || j)::uuid, 'user' || j || '@example.com',
           CASE WHEN j % 3 = 0 THEN 'User-' ELSE 'user-' END || lpad(j::text, 5, '0'), 'User ' || j, '', now(), now(), 'active',
           CASE WHEN j % 50 = 0 THEN '{auditor}' WHEN j % 97 = 0 THEN '{template-admin}' ELSE '{}' END::text[], 'none'
    FROM generate_series(1, ${users}) j`);
  await run(`
    INSERT INTO users (id, email, username, name, hashed_password, created_at, updated_at, status, rbac_roles, login_type)
    VALUES ('${OWNER_ID}', 'owner@example.com', 'bench-owner', 'Bench Owner', '', now(), now(), 'active', '{owner}', 'none')`);
  await run(`
    INSERT INTO custom_roles (name, display_name, organization_id, org_permissions, site_permissions, user_permissions, created_at, updated_at)
    SELECT 'role-' || r, 'Custom Role ' || r, md5('org' || i)::uuid,
           jsonb_build_array(jsonb_build_object('negate', false, 'resource_type', 'template', 'action', 'read'),
                             jsonb_build_object('negate', false, 'resource_type', 'workspace', 'action', 'read')),
           '[]', '[]', now(), now()
    FROM generate_series(1, ${orgs}) i, generate_series(1, 5) r`);
  const memberships = await run(`
    INSERT INTO organization_members (organization_id, user_id, roles, created_at, updated_at)
    SELECT md5('org' || i)::uuid, md5('user' || (((i * 997 + k * ${SPREAD}) % ${users}) + 1))::uuid,
           CASE k % 10 WHEN 0 THEN '{organization-admin}' WHEN 1 THEN '{organization-auditor}' WHEN 2 THEN '{role-1}'
                       WHEN 3 THEN '{organization-template-admin,role-2}' WHEN 4 THEN '{role-3}'
                       WHEN 5 THEN '{organization-user-admin}' ELSE '{}' END::text[],
           now(), now()
    FROM generate_series(1, ${orgs}) i, generate_series(0, ${membersOf} - 1) k`);
  await run('VACUUM ANALYZE');
  const { token } = await issueToken(db.prisma, OWNER_ID, { name: 'bench' });
  return {
    memberships,
    ownerToken: token,
    largestOrganization: orgName(orgs),
    someMember: username(((orgs * 997 + 42 * SPREAD) % users) + 1),
  };
}
