// The three reads the benchmarks drive, as GraphQL for the gateway and as
// plain SQL for the floor they are compared with.
import type { Dataset } from './dataset.js';

export interface Operation {
  key: string;
  title: string;
  query: (d: Dataset) => string;
  /** The same read as plain SQL, for the floor. */
  sql: (d: Dataset) => { text: string; values: unknown[] };
}

const MEMBER_COLUMNS = `om.organization_id, om.user_id, om.roles, om.created_at, om.updated_at,
  u.username, u.name, u.email, u.avatar_url, u.rbac_roles`;
const LIVE = 'NOT u.deleted AND NOT u.is_system';

export const OPERATIONS: Operation[] = [
  {
    key: 'a',
    title: 'one organization, page of 100 members',
    query: (
      d,
    ) => `{ paginatedOrganizationMembers(organization: "${d.largestOrganization}", limit: 100) { count members {
      userId username name email avatarUrl createdAt updatedAt roles { name displayName } globalRoles { name displayName } } } }`,
    // The best plain SQL we know for it: the count, once (in the select list it
    // would be counted again for every row), and the same index walk the gateway uses.
    sql: (d) => ({
      text: `SELECT o.id, t.total, m.*
        FROM organizations o
        CROSS JOIN LATERAL (SELECT count(*) AS total FROM organization_members c WHERE c.organization_id = o.id) t
        CROSS JOIN LATERAL (
          SELECT ${MEMBER_COLUMNS} FROM users u JOIN organization_members om ON om.user_id = u.id AND om.organization_id = o.id
          WHERE ${LIVE} ORDER BY lower(u.username) LIMIT 100) m
        WHERE o.name = $1 AND NOT o.deleted`,
      values: [d.largestOrganization],
    }),
  },
  {
    key: 'b',
    title: 'every organization, first 50 members each',
    query: () => `{ organizations { id name displayName members(first: 50) { pageInfo { hasNextPage } edges { node {
      userId username name email roles { name displayName } globalRoles { name } } } } } }`,
    sql: () => ({
      text: `SELECT o.id, o.name, o.display_name, m.* FROM organizations o
        CROSS JOIN LATERAL (SELECT ${MEMBER_COLUMNS} FROM users u JOIN organization_members om ON om.user_id = u.id AND om.organization_id = o.id
          WHERE ${LIVE} ORDER BY lower(u.username) LIMIT 50) m
        WHERE NOT o.deleted ORDER BY o.name`,
      values: [],
    }),
  },
  {
    key: 'c',
    title: 'one member by organization and user',
    query: (d) => `{ organizationMember(organization: "${d.largestOrganization}", user: "${d.someMember}") {
      userId username name email roles { name displayName } globalRoles { name } } }`,
    sql: (d) => ({
      text: `SELECT ${MEMBER_COLUMNS} FROM organization_members om JOIN users u ON u.id = om.user_id
        JOIN organizations o ON o.id = om.organization_id WHERE o.name = $1 AND lower(u.username) = lower($2) AND ${LIVE}`,
      values: [d.largestOrganization, d.someMember],
    }),
  },
];
