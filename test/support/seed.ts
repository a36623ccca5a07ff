// Bulk data for the statement-count tests: `rows` organizations, each with
// `rows` members (the same `rows` users), members holding built-in and custom
// roles, two custom roles per organization, and an audit entry for each
// membership. Inserted with one statement per table, so that even the large
// set is quick on PGlite.
import type { Database } from '../../src/db/database.js';
import { issueToken } from '../../src/operator/operator.js';

export interface SeededData {
  organizationIds: string[];
  memberUsernames: string[];
  /** An owner who is a member of no organization. */
  ownerToken: string;
  /** A plain member of the first organization. */
  memberToken: string;
}

const uuid = (kind: number, n: number) =>
  `00000000-0000-4000-8${kind.toString().padStart(3, '0')}-${n.toString(16).padStart(12, '0')}`;

export async function seedMembers(db: Database, rows: number): Promise<SeededData> {
  const now = new Date();
  const organizationIds = Array.from({ length: rows }, (_, i) => uuid(1, i + 1));
  const userIds = Array.from({ length: rows }, (_, i) => uuid(2, i + 1));
  // Mixed case, so that ordering by lower(username) matters.
  const usernames = userIds.map((_, i) => (i % 2 ? `User${i}` : `user${i}`));
  await db.prisma.organization.createMany({
    data: organizationIds.map((id, i) => ({
      id,
      name: `org${i}`,
      displayName: `Org ${i}`,
      description: '',
      createdAt: now,
      updatedAt: now,
    })),
  });
  await db.prisma.user.createMany({
    data: [
      ...userIds.map((id, i) => ({
        id,
        username: usernames[i]!,
        email: `${usernames[i]}@example.com`,
        hashedPassword: new Uint8Array(),
        status: 'active' as const,
        // Seen just now: the first request does not also record a sighting.
        lastSeenAt: now,
        // Some site auditors; never the first user, the plain member whose token the tests use.
        rbacRoles: i > 0 && i % 7 === 0 ? ['auditor'] : [],
        createdAt: now,
        updatedAt: now,
      })),
      {
        id: uuid(3, 1),
        username: 'the-owner',
        email: 'owner@example.com',
        hashedPassword: new Uint8Array(),
        status: 'active' as const,
        lastSeenAt: now,
        rbacRoles: ['owner'],
        createdAt: now,
        updatedAt: now,
      },
    ],
  });
  await db.prisma.customRole.createMany({
    data: organizationIds.flatMap((organizationId) =>
      ['reviewer', 'deployer'].map((name) => ({
        name,
        displayName: name.toUpperCase(),
        organizationId,
        orgPermissions: [{ negate: false, resource_type: 'template', action: 'read' }],
        createdAt: now,
        updatedAt: now,
      })),
    ),
  });
  const roleSets = [[], ['organization-admin'], ['reviewer'], ['organization-auditor', 'deployer'], []];
  await db.prisma.organizationMember.createMany({
    data: organizationIds.flatMap((organizationId) =>
      // The first user is a plain member everywhere, for the member's view.
      userIds.map((userId, i) => ({
        organizationId,
        userId,
        roles: i === 0 ? [] : roleSets[i % roleSets.length]!,
        createdAt: now,
        updatedAt: now,
      })),
    ),
  });
  // Each member's addition, as the gateway records it, a second apart.
  await db.prisma.$executeRawUnsafe(
    `INSERT INTO audit_logs (id, "time", user_id, organization_id, ip, user_agent, resource_type, resource_id,
       resource_target, action, diff, status_code, additional_fields, request_id, resource_icon)
     SELECT gen_random_uuid(), now() - row_number() OVER () * interval '1 second', $1::uuid, om.organization_id,
       '192.0.2.1', 'seed', 'organization_member', om.user_id, u.username, 'create',
       jsonb_build_object('username', jsonb_build_object('Old', '', 'New', u.username, 'Secret', false)),
       200, '{}'::jsonb, gen_random_uuid(), ''
     FROM organization_members om JOIN users u ON u.id = om.user_id`,
    uuid(3, 1),
  );
  const [owner, member] = await Promise.all([issueToken(db.prisma, uuid(3, 1)), issueToken(db.prisma, userIds[0]!)]);
  return { organizationIds, memberUsernames: usernames, ownerToken: owner.token, memberToken: member.token };
}
