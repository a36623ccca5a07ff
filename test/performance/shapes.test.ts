// A read costs the same whatever natural shape a frontend composes for it:
// member fields flattened or under `user { … }` with every scalar, global
// roles, the organization back-reference, fragments and aliases, the Relay and
// the offset forms, one member by either entry point, a user with its
// memberships, and federation's `_entities`. Each shape runs on a small and a
// large data set and must cost the same number of statements on both, within
// its read's budget; no statement reads a secret column; and what one
// statement of the request read is not read again by another.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DATABASE_KINDS } from '../support/databases.js';
import { startTestGateway, type TestGateway } from '../support/gateway.js';
import { seedMembers, type SeededData } from '../support/seed.js';

const SIZES = { small: 5, large: 120 };

const EVERY_USER_SCALAR =
  'id username name email avatarUrl status createdAt updatedAt lastSeenAt globalRoles { name displayName }';
const EVERY_MEMBER_SCALAR = 'organizationId userId username name email avatarUrl createdAt updatedAt';

interface Shape {
  read: string;
  name: string;
  /** Statements, the session's included. */
  budget: number;
  query: (d: SeededData & { userIds: string[] }) => string;
}

const page = (d: SeededData, selection: string) =>
  `{ paginatedOrganizationMembers(organization: "${d.organizationIds[0]}", limit: 100) { count members { ${selection} } } }`;
const everyOrganization = (selection: string) =>
  `{ organizations { id name members(first: 50) { totalCount edges { node { ${selection} } } } } }`;
const oneMember = (d: SeededData, selection: string) =>
  `{ organizationMember(organization: "${d.organizationIds[0]}", user: "${d.memberUsernames[1]}") { ${selection} } }`;

const SHAPES: Shape[] = [
  // (a) one organization's page
  {
    read: 'a',
    name: 'flattened member fields',
    budget: 2,
    query: (d) => page(d, `${EVERY_MEMBER_SCALAR} roles { name displayName } globalRoles { name displayName }`),
  },
  {
    read: 'a',
    name: 'the whole user nested, every scalar',
    budget: 2,
    query: (d) => page(d, `createdAt roles { name displayName } user { ${EVERY_USER_SCALAR} }`),
  },
  {
    read: 'a',
    name: 'the organization back-reference',
    budget: 2,
    query: (d) => page(d, 'username organization { id name displayName createdAt } user { id }'),
  },
  {
    read: 'a',
    name: 'fragments and aliases',
    budget: 2,
    query: (d) =>
      `{ p: paginatedOrganizationMembers(organization: "${d.organizationIds[0]}", limit: 100) { total: count
          members { ...Member who: user { ...Person } also: user { handle: username } } } }
       fragment Member on OrganizationMember { key: userId roles { ...Role } since: createdAt }
       fragment Role on SlimRole { name displayName }
       fragment Person on User { id email status lastSeenAt globalRoles { ...Global } }
       fragment Global on SlimRole { name }`,
  },
  {
    read: 'a',
    name: 'the Relay form under organization(organization:)',
    budget: 3,
    query: (d) =>
      `{ organization(organization: "${d.organizationIds[0]}") { name members(first: 100) { totalCount
          pageInfo { hasNextPage endCursor } edges { cursor node { roles { name } user { ${EVERY_USER_SCALAR} } } } } } }`,
  },
  {
    read: 'a',
    name: 'the whole list (organizationMembers) with nested users',
    budget: 3,
    query: (d) =>
      `{ organizationMembers(organization: "${d.organizationIds[0]}") { roles { name } user { ${EVERY_USER_SCALAR} } } }`,
  },
  // (b) every organization's first page
  {
    read: 'b',
    name: 'flattened member fields',
    budget: 3,
    query: () => everyOrganization(`${EVERY_MEMBER_SCALAR} roles { name displayName } globalRoles { name }`),
  },
  {
    read: 'b',
    name: 'the whole user nested, every scalar',
    budget: 3,
    query: () => everyOrganization(`roles { name displayName } user { ${EVERY_USER_SCALAR} }`),
  },
  {
    read: 'b',
    name: 'the organization back-reference',
    budget: 3,
    query: () => everyOrganization('userId organization { id name } user { username }'),
  },
  {
    read: 'b',
    name: 'two aliased pages of each organization',
    budget: 3,
    query: () =>
      `{ organizations { id first: members(first: 20) { edges { node { user { id email } } } }
          next: members(first: 20, after: "${Buffer.from('OffsetConnection:19').toString('base64')}") {
            edges { node { username roles { name } } } } } }`,
  },
  // (c) one member
  {
    read: 'c',
    name: 'flattened member fields',
    budget: 2,
    query: (d) => oneMember(d, `${EVERY_MEMBER_SCALAR} roles { name displayName } globalRoles { name }`),
  },
  {
    read: 'c',
    name: 'the whole user and the organization nested',
    budget: 2,
    query: (d) => oneMember(d, `roles { name displayName } user { ${EVERY_USER_SCALAR} } organization { id name }`),
  },
  {
    read: 'c',
    name: 'Organization.member(user:)',
    budget: 3,
    query: (d) =>
      `{ organization(organization: "${d.organizationIds[0]}") { name
          member(user: "${d.memberUsernames[1]}") { roles { name } user { ${EVERY_USER_SCALAR} } } } }`,
  },
  {
    read: 'c',
    name: 'user(user:) with its memberships and their organizations',
    budget: 3,
    query: (d) =>
      `{ user(user: "${d.memberUsernames[1]}") { ${EVERY_USER_SCALAR}
          organizationMemberships { organizationId roles { name displayName } organization { id name } user { id } } } }`,
  },
  {
    read: 'c',
    name: '_entities for OrganizationMember',
    budget: 2,
    query: (d) =>
      `{ _entities(representations: [${d.organizationIds
        .slice(0, 3)
        .map((o) => `{ __typename: "OrganizationMember", organizationId: "${o}", userId: "${d.userIds[1]}" }`)
        .join(
          ', ',
        )}]) { ... on OrganizationMember { roles { name } user { ${EVERY_USER_SCALAR} } organization { name } } } }`,
  },
  {
    read: 'c',
    name: '_entities for User, with memberships',
    budget: 3,
    query: (d) =>
      `{ _entities(representations: [${d.userIds
        .slice(0, 3)
        .map((u) => `{ __typename: "User", id: "${u}" }`)
        .join(
          ', ',
        )}]) { ... on User { ${EVERY_USER_SCALAR} organizationMemberships { organizationId roles { name } } } } }`,
  },
  // Cycles: each level of nesting is one batch, whatever the size.
  {
    read: 'cycle',
    name: 'user → memberships → organization → members → user → memberships',
    budget: 6,
    query: (d) =>
      `{ user(user: "${d.memberUsernames[1]}") { organizationMemberships { organization { members(first: 5) {
          edges { node { user { organizationMemberships { organization { name } roles { name } } } } } } } } } }`,
  },
];

const SECRET_COLUMNS = /hashed_password|hashed_one_time_passcode|one_time_passcode_expires_at/;

describe.each(DATABASE_KINDS)('statements per shape on %s', (kind) => {
  const gateways: Partial<Record<keyof typeof SIZES, { gw: TestGateway; data: SeededData & { userIds: string[] } }>> =
    {};

  beforeAll(async () => {
    for (const [size, rows] of Object.entries(SIZES) as [keyof typeof SIZES, number][]) {
      const gw = await startTestGateway(kind);
      const seeded = await seedMembers(gw.database, rows);
      const { data } = await gw.gql(
        `{ organizationMembers(organization: "${seeded.organizationIds[0]}") { userId username } }`,
        {},
        seeded.ownerToken,
      );
      const ids = new Map<string, string>(
        (data.organizationMembers as { userId: string; username: string }[]).map((m) => [m.username, m.userId]),
      );
      gateways[size] = { gw, data: { ...seeded, userIds: seeded.memberUsernames.map((name) => ids.get(name)!) } };
    }
  });
  afterAll(async () => {
    for (const entry of Object.values(gateways)) await entry?.gw.close();
  });

  async function run(size: keyof typeof SIZES, shape: Shape) {
    const { gw, data } = gateways[size]!;
    const statements: string[] = [];
    const stop = gw.database.onStatement((sql) => {
      statements.push(sql);
    });
    try {
      const response = await gw.gql(shape.query(data), {}, data.ownerToken);
      expect(response.errors, JSON.stringify(response.errors)).toBeUndefined();
      return { statements, answer: JSON.stringify(response.data) };
    } finally {
      stop();
    }
  }

  it.each(SHAPES)(
    '($read) $name: the same statements at both sizes, within budget, no secret column',
    async (shape) => {
      const small = await run('small', shape);
      const large = await run('large', shape);
      const listing = large.statements.join('\n---\n');
      expect(large.statements.length, listing).toBe(small.statements.length);
      expect(large.statements.length, listing).toBeLessThanOrEqual(shape.budget);
      for (const sql of [...small.statements, ...large.statements]) expect(sql).not.toMatch(SECRET_COLUMNS);
    },
  );

  it('reads neither the users nor the organizations of a page again when the selection nests them', async () => {
    const { statements } = await run('large', SHAPES[1]!);
    const flattened = await run('large', SHAPES[0]!);
    expect(statements.length).toBe(flattened.statements.length);
    const backReference = await run('large', SHAPES[2]!);
    expect(backReference.statements.length).toBe(flattened.statements.length);
  });
});
