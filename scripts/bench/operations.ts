// The reads the benchmarks drive, each in several shapes a frontend might
// compose for it: as GraphQL for the gateway, as the nearest document in
// PostGraphile's schema (for `npm run bench:postgraphile`), and as plain SQL
// for the read's floor.
import type { Dataset } from './dataset.js';

/** Ids for the reads PostGraphile can only address by primary key. */
export interface Ids {
  organizationId: string;
  userId: string;
}

export interface Shape {
  key: string;
  title: string;
  query: (d: Dataset) => string;
  /** The same data in PostGraphile's schema, in its default (primary-key) order. */
  postgraphile: (ids: Ids) => string;
}

export interface Read {
  key: string;
  title: string;
  shapes: Shape[];
  /** The read as plain SQL, for the floor. */
  sql: (d: Dataset) => { text: string; values: unknown[] };
}

const EVERY_USER_SCALAR = 'id username name email avatarUrl status createdAt updatedAt lastSeenAt';
const POSTGRAPHILE_USER = 'rowId username name email avatarUrl status createdAt updatedAt lastSeenAt rbacRoles';

const MEMBER_COLUMNS = `om.organization_id, om.user_id, om.roles, om.created_at, om.updated_at,
  u.username, u.name, u.email, u.avatar_url, u.rbac_roles`;
const LIVE = 'NOT u.deleted AND NOT u.is_system';

const page = (d: Dataset, selection: string) =>
  `{ paginatedOrganizationMembers(organization: "${d.largestOrganization}", limit: 100) { count members { ${selection} } } }`;
const pgPage = ({ organizationId }: Ids, selection: string) =>
  `{ organizationByRowId(rowId: "${organizationId}") {
    organizationMembersByOrganizationId(first: 100) { totalCount nodes { ${selection} } } } }`;

const everyOrganization = (selection: string) =>
  `{ organizations { id name displayName members(first: 50) { pageInfo { hasNextPage } edges { node { ${selection} } } } } }`;
const pgEveryOrganization = (selection: string) =>
  `{ allOrganizations { nodes { rowId name displayName organizationMembersByOrganizationId(first: 50) {
    pageInfo { hasNextPage } nodes { ${selection} } } } } }`;

const oneMember = (d: Dataset, selection: string) =>
  `{ organizationMember(organization: "${d.largestOrganization}", user: "${d.someMember}") { ${selection} } }`;
const pgOneMember = ({ organizationId, userId }: Ids, selection: string) =>
  `{ organizationMemberByOrganizationIdAndUserId(organizationId: "${organizationId}", userId: "${userId}") { ${selection} } }`;

/**
 * The memberships in an answer, wherever its shape put them: every shape of
 * both servers selects a membership's roles, and nothing else has `roles`.
 */
export const countMembers = (value: unknown): number => {
  if (Array.isArray(value)) return value.reduce((sum: number, item) => sum + countMembers(item), 0);
  if (value === null || typeof value !== 'object') return 0;
  const record = value as Record<string, unknown>;
  return Object.values(record).reduce((sum: number, item) => sum + countMembers(item), 'roles' in record ? 1 : 0);
};

export const READS: Read[] = [
  {
    key: 'a',
    title: 'one organization, page of 100 members',
    shapes: [
      {
        key: 'a1',
        title: 'member fields flattened',
        query: (d) =>
          page(
            d,
            'userId username name email avatarUrl createdAt updatedAt roles { name displayName } globalRoles { name displayName }',
          ),
        postgraphile: (ids) =>
          pgPage(ids, 'userId roles createdAt updatedAt userByUserId { username name email avatarUrl rbacRoles }'),
      },
      {
        key: 'a2',
        title: 'user { every scalar, globalRoles }',
        query: (d) =>
          page(d, `createdAt updatedAt roles { name displayName } user { ${EVERY_USER_SCALAR} globalRoles { name } }`),
        postgraphile: (ids) => pgPage(ids, `userId roles createdAt updatedAt userByUserId { ${POSTGRAPHILE_USER} }`),
      },
      {
        key: 'a3',
        title: 'Relay form under organization(organization:), cursors',
        query: (d) =>
          `{ organization(organization: "${d.largestOrganization}") { members(first: 100) { totalCount
            pageInfo { hasNextPage endCursor } edges { cursor node { username roles { name } user { id email status } } } } } }`,
        postgraphile: ({ organizationId }) =>
          `{ organizationByRowId(rowId: "${organizationId}") { organizationMembersByOrganizationId(first: 100) { totalCount
            pageInfo { hasNextPage endCursor } edges { cursor node { roles userByUserId { rowId username email status } } } } } }`,
      },
      {
        key: 'a4',
        title: 'fragments, aliases, organization back-reference',
        query: (d) =>
          `{ o: paginatedOrganizationMembers(organization: "${d.largestOrganization}", limit: 100) { total: count
            members { ...M } } }
           fragment M on OrganizationMember { key: userId roles { name } org: organization { id name } person: user { ...U } }
           fragment U on User { username email lastSeenAt }`,
        postgraphile: ({ organizationId }) =>
          `{ o: organizationByRowId(rowId: "${organizationId}") { m: organizationMembersByOrganizationId(first: 100) {
            total: totalCount nodes { ...M } } } }
           fragment M on OrganizationMember { key: userId roles org: organizationByOrganizationId { rowId name }
             person: userByUserId { ...U } }
           fragment U on User { username email lastSeenAt }`,
      },
    ],
    // The best plain SQL we know for it: the count, once, and the same index walk the gateway uses.
    sql: (d) => ({
      text: `SELECT o.id, t.total, m.*
        FROM organizations o
        CROSS JOIN LATERAL (SELECT count(*) AS total FROM organization_members c WHERE c.organization_id = o.id) t
        CROSS JOIN LATERAL (
          SELECT ${MEMBER_COLUMNS} FROM users u
          JOIN organization_members om ON om.user_id = u.id AND om.organization_id = o.id
          WHERE ${LIVE} ORDER BY lower(u.username) LIMIT 100) m
        WHERE o.name = $1 AND NOT o.deleted`,
      values: [d.largestOrganization],
    }),
  },
  {
    key: 'b',
    title: 'every organization, first 50 members each',
    shapes: [
      {
        key: 'b1',
        title: 'member fields flattened',
        query: () => everyOrganization('userId username name email roles { name displayName } globalRoles { name }'),
        postgraphile: () => pgEveryOrganization('userId roles userByUserId { username name email rbacRoles }'),
      },
      {
        key: 'b2',
        title: 'user { every scalar, globalRoles }',
        query: () =>
          everyOrganization(`userId roles { name displayName } user { ${EVERY_USER_SCALAR} globalRoles { name } }`),
        postgraphile: () => pgEveryOrganization(`userId roles userByUserId { ${POSTGRAPHILE_USER} }`),
      },
      {
        key: 'b3',
        title: 'organization back-reference and membership times',
        query: () =>
          everyOrganization('userId createdAt updatedAt roles { name } organization { id name } user { username }'),
        postgraphile: () =>
          pgEveryOrganization(
            'userId createdAt updatedAt roles organizationByOrganizationId { rowId name } userByUserId { username }',
          ),
      },
      {
        key: 'b4',
        title: 'fragments and aliases',
        query: () =>
          `{ orgs: organizations { ...O } }
           fragment O on Organization { key: id label: displayName people: members(first: 50) { edges { node { ...M } } } }
           fragment M on OrganizationMember { userId who: user { handle: username mail: email state: status } roles { name } }`,
        postgraphile: () =>
          `{ orgs: allOrganizations { nodes { ...O } } }
           fragment O on Organization { key: rowId label: displayName people: organizationMembersByOrganizationId(first: 50) {
             nodes { ...M } } }
           fragment M on OrganizationMember { userId roles who: userByUserId { handle: username mail: email state: status } }`,
      },
    ],
    sql: () => ({
      text: `SELECT o.id, o.name, o.display_name, m.* FROM organizations o
        CROSS JOIN LATERAL (SELECT ${MEMBER_COLUMNS} FROM users u
          JOIN organization_members om ON om.user_id = u.id AND om.organization_id = o.id
          WHERE ${LIVE} ORDER BY lower(u.username) LIMIT 50) m
        WHERE NOT o.deleted ORDER BY o.name`,
      values: [],
    }),
  },
  {
    key: 'c',
    title: 'one member',
    shapes: [
      {
        key: 'c1',
        title: 'member fields flattened',
        query: (d) => oneMember(d, 'userId username name email roles { name displayName } globalRoles { name }'),
        postgraphile: (ids) => pgOneMember(ids, 'userId roles userByUserId { username name email rbacRoles }'),
      },
      {
        key: 'c2',
        title: 'user { every scalar } and organization { id name }',
        query: (d) =>
          oneMember(
            d,
            `roles { name displayName } user { ${EVERY_USER_SCALAR} globalRoles { name } } organization { id name }`,
          ),
        postgraphile: (ids) =>
          pgOneMember(
            ids,
            `userId roles userByUserId { ${POSTGRAPHILE_USER} } organizationByOrganizationId { rowId name }`,
          ),
      },
      {
        key: 'c3',
        title: 'organization(organization:) { member(user:) }',
        query: (d) =>
          `{ organization(organization: "${d.largestOrganization}") { id name
            member(user: "${d.someMember}") { userId roles { name } user { username email status } } } }`,
        postgraphile: ({ organizationId, userId }) =>
          `{ organizationByRowId(rowId: "${organizationId}") { rowId name
            organizationMembersByOrganizationId(condition: { userId: "${userId}" }) { nodes {
              userId roles userByUserId { username email status } } } } }`,
      },
      {
        key: 'c4',
        title: 'user(user:) with its memberships',
        query: (d) =>
          `{ user(user: "${d.someMember}") { ${EVERY_USER_SCALAR}
            organizationMemberships { organizationId roles { name } organization { name } } } }`,
        postgraphile: ({ userId }) =>
          `{ userByRowId(rowId: "${userId}") { ${POSTGRAPHILE_USER}
            organizationMembersByUserId { nodes { organizationId roles organizationByOrganizationId { name } } } } }`,
      },
    ],
    sql: (d) => ({
      text: `SELECT ${MEMBER_COLUMNS} FROM organization_members om JOIN users u ON u.id = om.user_id
        JOIN organizations o ON o.id = om.organization_id
        WHERE o.name = $1 AND lower(u.username) = lower($2) AND ${LIVE}`,
      values: [d.largestOrganization, d.someMember],
    }),
  },
];

export const SHAPES: Shape[] = READS.flatMap((read) => read.shapes);
