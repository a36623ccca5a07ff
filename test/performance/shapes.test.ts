// A read costs the same whatever natural shape a frontend composes for it:
// member fields flattened or under `user { … }` with every scalar, global
// roles, the organization back-reference, fragments and aliases, the Relay and
// the offset forms, one member by either entry point, a user with its
// memberships, and federation's `_entities`. Each shape runs on a small and a
// large data set and must cost the same number of statements on both, within
// its read's budget; no statement reads a secret column; and what one
// statement of the request read is not read again by another.
import type { TadaDocumentNode } from 'gql.tada';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DATABASE_KINDS } from '../support/databases.js';
import { makeUser, startTestGateway, type GraphQLResponse, type TestGateway } from '../support/gateway.js';
import { graphql } from '../support/graphql.js';
import { seedMembers, type SeededData } from '../support/seed.js';

const SIZES = { small: 5, large: 120 };

// Every scalar of a user, in the shapes below: `id username name email avatarUrl status createdAt updatedAt
// lastSeenAt globalRoles { name displayName }`; of a member: `organizationId userId username name email avatarUrl
// createdAt updatedAt`. Each document is written out whole, so that graphql() types it.

type Data = SeededData & { userIds: string[] };

interface Shape {
  read: string;
  name: string;
  /** Statements, the session's included. */
  budget: number;
  /** Sends the shape's document, with its variables for the data set `d`, as `token`. */
  send: (gw: TestGateway, d: Data, token: string) => Promise<GraphQLResponse>;
}

/** A shape's typed document and the variables it takes from the data set. */
const ask =
  <TData, TVariables>(document: TadaDocumentNode<TData, TVariables>, variables: (d: Data) => TVariables) =>
  (gw: TestGateway, d: Data, token: string) =>
    gw.gql(document, variables(d), token);
/** The same for `_entities`, which schema.graphql (and so graphql()) leaves out: a string document. */
const askEntities =
  (query: string, representations: (d: Data) => object[]) => (gw: TestGateway, d: Data, token: string) =>
    gw.gql(query, { r: representations(d) }, token);

const firstOrganization = (d: Data) => ({ org: d.organizationIds[0]! });
const secondMember = (d: Data) => ({ user: d.memberUsernames[1]! });
const none = () => ({});

/** A router's batch of every entity type, members and users of two organizations, some asked twice. */
const ENTITIES_MIXED = `query ($r: [_Any!]!) { _entities(representations: $r) {
  ... on User { id organizationMemberships { organizationId } } ... on OrganizationMember { userId roles { name } }
  ... on Organization { id members(first: 5) { edges { node { username } } } } } }`;
const mixedRepresentations = (d: Data) => {
  const [o0, o1] = d.organizationIds;
  const [, u1, u2] = d.userIds;
  return [
    { __typename: 'User', id: u1 },
    { __typename: 'OrganizationMember', organizationId: o0, userId: u1 },
    { __typename: 'Organization', id: o0 },
    { __typename: 'User', id: u1 },
    { __typename: 'Organization', id: o1 },
    { __typename: 'OrganizationMember', organizationId: o1, userId: u2 },
    { __typename: 'OrganizationMember', organizationId: o0, userId: u1 },
    { __typename: 'User', id: u2 },
  ];
};

const SHAPES: Shape[] = [
  // (a) one organization's page
  {
    read: 'a',
    name: 'flattened member fields',
    budget: 2,
    send: ask(
      graphql(`query ($org: String!) { paginatedOrganizationMembers(organization: $org, limit: 100) { count members {
        organizationId userId username name email avatarUrl createdAt updatedAt roles { name displayName } globalRoles { name displayName } } } }`),
      firstOrganization,
    ),
  },
  {
    read: 'a',
    name: 'the whole user nested, every scalar',
    budget: 2,
    send: ask(
      graphql(`query ($org: String!) { paginatedOrganizationMembers(organization: $org, limit: 100) { count members {
        createdAt roles { name displayName }
        user { id username name email avatarUrl status createdAt updatedAt lastSeenAt globalRoles { name displayName } } } } }`),
      firstOrganization,
    ),
  },
  {
    read: 'a',
    name: 'the organization back-reference',
    budget: 2,
    send: ask(
      graphql(`query ($org: String!) { paginatedOrganizationMembers(organization: $org, limit: 100) { count members {
        username organization { id name displayName createdAt } user { id } } } }`),
      firstOrganization,
    ),
  },
  {
    read: 'a',
    name: 'fragments and aliases',
    budget: 2,
    send: ask(
      graphql(`query ($org: String!) { p: paginatedOrganizationMembers(organization: $org, limit: 100) { total: count
          members { ...Member who: user { ...Person } also: user { handle: username } } } }
       fragment Member on OrganizationMember { key: userId roles { ...Role } since: createdAt }
       fragment Role on SlimRole { name displayName }
       fragment Person on User { id email status lastSeenAt globalRoles { ...Global } }
       fragment Global on SlimRole { name }`),
      firstOrganization,
    ),
  },
  {
    read: 'a',
    name: 'the Relay form under organization(organization:)',
    budget: 2,
    send: ask(
      graphql(`query ($org: String!) { organization(organization: $org) { name members(first: 100) { totalCount
          pageInfo { hasNextPage endCursor } edges { cursor node { roles { name }
          user { id username name email avatarUrl status createdAt updatedAt lastSeenAt globalRoles { name displayName } } } } } } }`),
      firstOrganization,
    ),
  },
  {
    read: 'a',
    name: 'the whole list (organizationMembers) with nested users',
    budget: 2,
    send: ask(
      graphql(`query ($org: String!) { organizationMembers(organization: $org) { roles { name }
        user { id username name email avatarUrl status createdAt updatedAt lastSeenAt globalRoles { name displayName } } } }`),
      firstOrganization,
    ),
  },
  // (b) every organization's first page
  {
    read: 'b',
    name: 'flattened member fields',
    budget: 3,
    send: ask(
      graphql(`{ organizations { id name members(first: 50) { totalCount edges { node {
        organizationId userId username name email avatarUrl createdAt updatedAt roles { name displayName } globalRoles { name } } } } } }`),
      none,
    ),
  },
  {
    read: 'b',
    name: 'the whole user nested, every scalar',
    budget: 3,
    send: ask(
      graphql(`{ organizations { id name members(first: 50) { totalCount edges { node { roles { name displayName }
        user { id username name email avatarUrl status createdAt updatedAt lastSeenAt globalRoles { name displayName } } } } } } }`),
      none,
    ),
  },
  {
    read: 'b',
    name: 'the organization back-reference',
    budget: 3,
    send: ask(
      graphql(`{ organizations { id name members(first: 50) { totalCount edges { node {
        userId organization { id name } user { username } } } } } }`),
      none,
    ),
  },
  {
    read: 'b',
    name: 'two aliased pages of each organization',
    budget: 3,
    send: ask(
      graphql(`query ($after: String!) { organizations { id first: members(first: 20) { edges { node { user { id email } } } }
          next: members(first: 20, after: $after) {
            edges { node { username roles { name } } } } } }`),
      () => ({ after: Buffer.from('OffsetConnection:19').toString('base64') }),
    ),
  },
  // (c) one member
  {
    read: 'c',
    name: 'flattened member fields',
    budget: 2,
    send: ask(
      graphql(`query ($org: String!, $user: String!) { organizationMember(organization: $org, user: $user) {
        organizationId userId username name email avatarUrl createdAt updatedAt roles { name displayName } globalRoles { name } } }`),
      (d) => ({ ...firstOrganization(d), ...secondMember(d) }),
    ),
  },
  {
    read: 'c',
    name: 'the whole user and the organization nested',
    budget: 2,
    send: ask(
      graphql(`query ($org: String!, $user: String!) { organizationMember(organization: $org, user: $user) {
        roles { name displayName }
        user { id username name email avatarUrl status createdAt updatedAt lastSeenAt globalRoles { name displayName } }
        organization { id name } } }`),
      (d) => ({ ...firstOrganization(d), ...secondMember(d) }),
    ),
  },
  {
    read: 'c',
    name: 'Organization.member(user:)',
    budget: 2,
    send: ask(
      graphql(`query ($org: String!, $user: String!) { organization(organization: $org) { name
          member(user: $user) { roles { name }
          user { id username name email avatarUrl status createdAt updatedAt lastSeenAt globalRoles { name displayName } } } } }`),
      (d) => ({ ...firstOrganization(d), ...secondMember(d) }),
    ),
  },
  {
    read: 'c',
    name: 'user(user:) with its memberships and their organizations',
    budget: 2,
    send: ask(
      graphql(`query ($user: String!) { user(user: $user) {
          id username name email avatarUrl status createdAt updatedAt lastSeenAt globalRoles { name displayName }
          organizationMemberships { organizationId roles { name displayName } organization { id name } user { id } } } }`),
      secondMember,
    ),
  },
  {
    read: 'c',
    name: '_entities for OrganizationMember',
    budget: 2,
    send: askEntities(
      `query ($r: [_Any!]!) { _entities(representations: $r) { ... on OrganizationMember { roles { name }
        user { id username name email avatarUrl status createdAt updatedAt lastSeenAt globalRoles { name displayName } }
        organization { name } } } }`,
      (d) =>
        d.organizationIds
          .slice(0, 3)
          .map((organizationId) => ({ __typename: 'OrganizationMember', organizationId, userId: d.userIds[1] })),
    ),
  },
  {
    read: 'c',
    name: '_entities for User, with memberships',
    budget: 2,
    send: askEntities(
      `query ($r: [_Any!]!) { _entities(representations: $r) { ... on User {
        id username name email avatarUrl status createdAt updatedAt lastSeenAt globalRoles { name displayName }
        organizationMemberships { organizationId roles { name } } } } }`,
      (d) => d.userIds.slice(0, 3).map((id) => ({ __typename: 'User', id })),
    ),
  },
  {
    read: 'c',
    name: 'me with its memberships',
    budget: 2,
    send: ask(
      graphql(`{ me { id username name email organizationMemberships { organizationId roles { name displayName }
          organization { id name } } } }`),
      none,
    ),
  },
  // One user named by several entry points in one document: read once.
  {
    read: 'c',
    name: 'me and user(user: "me") together',
    budget: 2,
    send: ask(
      graphql(
        `{ me { id username name email } user(user: "me") { id avatarUrl status createdAt globalRoles { name } } }`,
      ),
      none,
    ),
  },
  {
    read: 'c',
    name: 'one user by username, by id and as an entity',
    budget: 2,
    send: (gw, d, token) =>
      gw.gql(
        `query ($r: [_Any!]!, $name: String!, $id: String!) { byName: user(user: $name) { id username }
          byId: user(user: $id) { email lastSeenAt } _entities(representations: $r) { ... on User { name } } }`,
        { r: [{ __typename: 'User', id: d.userIds[1] }], name: d.memberUsernames[1]!, id: d.userIds[1]! },
        token,
      ),
  },
  // Rows two root fields ask for at once are read by one of their statements.
  {
    read: 'c',
    name: 'me beside user(user: "me") with its memberships',
    budget: 2,
    send: ask(
      graphql(`{ me { id username name email } user(user: "me") { id organizationMemberships { organizationId
          roles { name } } } }`),
      none,
    ),
  },
  {
    read: 'b',
    name: 'organizations beside organization(organization:) by name and by id, and _entities',
    budget: 2,
    send: (gw, d, token) =>
      gw.gql(
        `query ($org: String!, $id: String!, $r: [_Any!]!) { organizations { id name } byName: organization(organization: $org) {
          id displayName } byId: organization(organization: $id) { id }
          _entities(representations: $r) { ... on Organization { name isDefault } } }`,
        {
          org: 'ORG1',
          id: d.organizationIds[2]!,
          r: d.organizationIds.slice(0, 3).map((id) => ({ __typename: 'Organization', id })),
        },
        token,
      ),
  },
  // An organization a router names is read as organization(organization:) is: with the reads below it.
  {
    read: 'c',
    name: '_entities: an organization with one member',
    budget: 2,
    send: (gw, d, token) =>
      gw.gql(
        `query ($r: [_Any!]!, $u: String!) { _entities(representations: $r) { ... on Organization {
          member(user: $u) { roles { displayName } } } } }`,
        { r: [{ __typename: 'Organization', id: d.organizationIds[0] }], u: d.userIds[1]! },
        token,
      ),
  },
  {
    read: 'a',
    name: '_entities: an organization with a page of its members',
    budget: 2,
    send: askEntities(
      `query ($r: [_Any!]!) { _entities(representations: $r) { ... on Organization { name
        members(first: 50) { totalCount edges { node { username roles { name } } } } } } }`,
      (d) => [{ __typename: 'Organization', id: d.organizationIds[0] }],
    ),
  },
  {
    read: 'c',
    name: 'organizationMember beside _entities of its organization',
    budget: 2,
    send: (gw, d, token) =>
      gw.gql(
        `query ($r: [_Any!]!, $org: String!, $user: String!) { organizationMember(organization: $org, user: $user) {
          roles { name } } _entities(representations: $r) { ... on Organization { name } } }`,
        {
          r: [{ __typename: 'Organization', id: d.organizationIds[0] }],
          org: d.organizationIds[0]!,
          user: d.memberUsernames[1]!,
        },
        token,
      ),
  },
  // A member looked up beside a page or list of its organization is found in what the page read.
  {
    read: 'c',
    name: 'organizationMember beside the whole list of its organization',
    budget: 2,
    send: ask(
      graphql(`query ($org: String!, $user: String!) { organizationMember(organization: $org, user: $user) {
          roles { name displayName } } organizationMembers(organization: $org) { username } }`),
      (d) => ({ ...firstOrganization(d), ...secondMember(d) }),
    ),
  },
  {
    read: 'c',
    name: 'organization { member(user:) } beside an offset page of it',
    budget: 2,
    send: ask(
      graphql(`query ($org: String!, $user: String!) { organization(organization: $org) { member(user: $user) {
          username } } paginatedOrganizationMembers(organization: $org, limit: 50) { members { username } } }`),
      (d) => ({ ...firstOrganization(d), ...secondMember(d) }),
    ),
  },
  {
    read: 'c',
    name: 'organizationMember beside user(user:) of the same person',
    budget: 2,
    send: ask(
      graphql(`query ($org: String!, $user: String!) { user(user: $user) { id email lastSeenAt }
          organizationMember(organization: $org, user: $user) { roles { name } user { id username } } }`),
      (d) => ({ ...firstOrganization(d), ...secondMember(d) }),
    ),
  },
  {
    read: 'a',
    name: 'a page beside user(user:) of one of its members, asked first',
    budget: 2,
    send: ask(
      graphql(`query ($org: String!, $user: String!) { user(user: $user) { id name status }
          paginatedOrganizationMembers(organization: $org) { count members { username user { id } } } }`),
      (d) => ({ ...firstOrganization(d), ...secondMember(d) }),
    ),
  },
  {
    read: 'a',
    name: 'a page beside organization(organization:) of its organization, by name',
    budget: 2,
    send: ask(
      graphql(`query ($name: String!) { organization(organization: $name) { id name displayName }
          paginatedOrganizationMembers(organization: $name, limit: 3) { count members { username } } }`),
      () => ({ name: 'org0' }),
    ),
  },
  {
    read: 'c',
    name: 'organizationMember beside organization(organization:) of its organization, by id',
    budget: 2,
    send: ask(
      graphql(`query ($org: String!, $user: String!) { organization(organization: $org) { name isDefault }
          organizationMember(organization: $org, user: $user) { username roles { name } } }`),
      (d) => ({ ...firstOrganization(d), ...secondMember(d) }),
    ),
  },
  // An organization's custom roles come with its page of members, whichever field asks first.
  {
    read: 'b',
    name: 'members with their roles, beside assignableRoles and customRoles',
    budget: 3,
    send: ask(
      graphql(`{ organizations { id members(first: 5) { edges { node { username roles { name displayName } } } }
          assignableRoles { name displayName assignable } customRoles { name organizationPermissions { action } } } }`),
      none,
    ),
  },
  {
    read: 'b',
    name: 'customRoles and assignableRoles asked before the members',
    budget: 3,
    send: ask(
      graphql(`{ organizations { customRoles { name displayName } assignableRoles { name }
          members(first: 5) { totalCount edges { node { username roles { name displayName } } } } } }`),
      none,
    ),
  },
  // A membership a statement of the request read is not read again by a lookup of it.
  {
    read: 'c',
    name: 'user(user:) → memberships → organization → member(user:) of the same user',
    budget: 2,
    send: ask(
      graphql(`query ($user: String!) { user(user: $user) { organizationMemberships { organization { name
          member(user: $user) { roles { name displayName } createdAt user { email } } } } } }`),
      secondMember,
    ),
  },
  {
    read: 'c',
    name: 'me → memberships → organization → member(user: "me")',
    budget: 2,
    send: ask(
      graphql(`{ me { organizationMemberships { organization { name member(user: "me") { roles { name } } } } } }`),
      none,
    ),
  },
  {
    read: 'c',
    name: 'organizationMember → user → memberships → organization → member(user:) by id',
    budget: 3,
    send: (gw, d, token) =>
      gw.gql(
        `query ($org: String!, $user: String!, $id: String!) { organizationMember(organization: $org, user: $user) {
          user { organizationMemberships { organization { member(user: $id) { roles { name } updatedAt } } } } } }`,
        { ...firstOrganization(d), ...secondMember(d), id: d.userIds[1]! },
        token,
      ),
  },
  {
    read: 'a',
    name: 'the whole list, then one of its members again by organization { member(user:) }',
    budget: 2,
    send: ask(
      graphql(`query ($org: String!, $user: String!) { paginatedOrganizationMembers(organization: $org) { members {
          username organization { member(user: $user) { userId roles { name displayName } } } } } }`),
      (d) => ({ ...firstOrganization(d), ...secondMember(d) }),
    ),
  },
  {
    read: 'c',
    name: 'organizationMember beside user(user:) { organizationMemberships } of the same person',
    budget: 2,
    send: ask(
      graphql(`query ($org: String!, $user: String!) { organizationMember(organization: $org, user: $user) {
          roles { name displayName } } user(user: $user) { id organizationMemberships { roles { name } } } }`),
      (d) => ({ ...firstOrganization(d), ...secondMember(d) }),
    ),
  },
  {
    read: 'c',
    name: 'user(user:) { organizationMemberships } beside organization { member(user:) } of the same person',
    budget: 2,
    send: ask(
      graphql(`query ($org: String!, $user: String!) { user(user: $user) { organizationMemberships { organizationId } }
          organization(organization: $org) { member(user: $user) { roles { name } } } }`),
      (d) => ({ ...firstOrganization(d), ...secondMember(d) }),
    ),
  },
  {
    read: 'c',
    name: '_entities: a member, and its user with memberships',
    budget: 2,
    send: askEntities(
      `query ($r: [_Any!]!) { _entities(representations: $r) {
        ... on OrganizationMember { roles { name displayName } } ... on User { organizationMemberships { organizationId } } } }`,
      (d) => [
        { __typename: 'OrganizationMember', organizationId: d.organizationIds[0], userId: d.userIds[1] },
        { __typename: 'User', id: d.userIds[1] },
      ],
    ),
  },
  {
    read: 'c',
    name: '_entities: users, members (some twice) and organizations mixed',
    budget: 3,
    send: askEntities(ENTITIES_MIXED, mixedRepresentations),
  },
  // Cycles: each level of nesting is one batch, whatever the size.
  {
    read: 'cycle',
    name: 'user → memberships → organization → members → user → memberships',
    budget: 5,
    send: ask(
      graphql(`query ($user: String!) { user(user: $user) { organizationMemberships { organization { members(first: 5) {
          edges { node { user { organizationMemberships { organization { name } roles { name } } } } } } } } } }`),
      secondMember,
    ),
  },
];

const MEMBER_IDS = graphql('query ($org: String!) { organizationMembers(organization: $org) { userId username } }');

const SECRET_COLUMNS = /hashed_password|hashed_one_time_passcode|one_time_passcode_expires_at/;
/** A materialized CTE stores every column its select list names: a user's whole row (`u.*`) holds its secrets. */
const MATERIALIZED_WHOLE_USERS = /MATERIALIZED \(\s*SELECT[^()]*\bu\.\*/;

describe.each(DATABASE_KINDS)('statements per shape on %s', (kind) => {
  const gateways: Partial<Record<keyof typeof SIZES, { gw: TestGateway; data: Data }>> = {};

  beforeAll(async () => {
    for (const [size, rows] of Object.entries(SIZES) as [keyof typeof SIZES, number][]) {
      const gw = await startTestGateway(kind);
      const seeded = await seedMembers(gw.database, rows);
      const { data } = await gw.gql(MEMBER_IDS, { org: seeded.organizationIds[0]! }, seeded.ownerToken);
      const ids = new Map(data!.organizationMembers.map((m) => [m.username, m.userId]));
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
      const response = await shape.send(gw, data, data.ownerToken);
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
      for (const sql of [...small.statements, ...large.statements]) {
        expect(sql).not.toMatch(SECRET_COLUMNS);
        expect(sql).not.toMatch(MATERIALIZED_WHOLE_USERS);
      }
    },
  );

  it('reads a mixed _entities batch in the same statements every time (PostgreSQL finishes them in any order)', async () => {
    const { gw, data } = gateways.large!;
    const counts = new Set<number>();
    for (let run = 0; run < 20; run++) {
      let statements = 0;
      const stop = gw.database.onStatement(() => {
        statements++;
      });
      try {
        const response = await gw.gql(ENTITIES_MIXED, { r: mixedRepresentations(data) }, data.ownerToken);
        expect(response.errors, JSON.stringify(response.errors)).toBeUndefined();
      } finally {
        stop();
      }
      counts.add(statements);
    }
    expect([...counts]).toEqual([3]);
  });

  // The executor leaves out what @skip and @include leave out: the reads must too, or a page asked for its count
  // with its members skipped reads every member (60 against 2 ms on 5,000) while the cost counted none.
  it.each([
    [
      'members skipped on an offset page',
      'query ($o: String!, $x: Boolean!) { paginatedOrganizationMembers(organization: $o) { count members @skip(if: $x) { username } } }',
      'query ($o: String!) { paginatedOrganizationMembers(organization: $o) { count } }',
    ],
    [
      'edges left out of a Relay page, in a fragment',
      'query ($o: String!) { organization(organization: $o) { members { totalCount ...E @include(if: false) } } } fragment E on OrganizationMemberConnection { edges { node { username } } }',
      'query ($o: String!) { organization(organization: $o) { members { totalCount } } }',
    ],
    [
      'a total skipped beside the members',
      'query ($o: String!, $x: Boolean!) { organization(organization: $o) { members(first: 3) { totalCount @skip(if: $x) edges { node { username } } } } }',
      'query ($o: String!) { organization(organization: $o) { members(first: 3) { edges { node { username } } } } }',
    ],
    [
      'memberships left out of a user',
      '{ me { id organizationMemberships @include(if: false) { organizationId } } }',
      '{ me { id } }',
    ],
  ])('reads for %s what it reads without them', async (_name, skipping, without) => {
    const { gw, data } = gateways.large!;
    const read = async (query: string) => {
      const statements: string[] = [];
      const stop = gw.database.onStatement((sql, values) => {
        statements.push(`${sql} ${JSON.stringify(values)}`);
      });
      try {
        const response = await gw.gql(query, { o: data.organizationIds[0]!, x: true }, data.ownerToken);
        expect(response.errors, JSON.stringify(response.errors)).toBeUndefined();
        return statements;
      } finally {
        stop();
      }
    };
    expect(await read(skipping)).toEqual(await read(without));
  });

  it('selects no secret column when a session is due its hourly write-back (key last used, user last seen)', async () => {
    const { gw } = gateways.small!;
    const caller = await makeUser(gw.database);
    const twoHoursAgo = new Date(Date.now() - 2 * 3_600_000);
    await gw.database.prisma.user.updateMany({ where: { id: caller.id }, data: { lastSeenAt: twoHoursAgo } });
    await gw.database.prisma.apiKey.updateMany({ where: { userId: caller.id }, data: { lastUsed: twoHoursAgo } });
    const statements: string[] = [];
    const stop = gw.database.onStatement((sql) => {
      statements.push(sql);
    });
    try {
      const response = await gw.gql('{ me { id organizationMemberships { organizationId } } }', {}, caller.token);
      expect(response.errors).toBeUndefined();
    } finally {
      stop();
    }
    const writes = statements.filter((sql) => /^\s*UPDATE/i.test(sql));
    expect(writes.map((sql) => /UPDATE\s+(?:"public"\.)?"?(\w+)"?/i.exec(sql)?.[1]).sort()).toEqual([
      'api_keys',
      'users',
    ]);
    // The session's own read compares the key's hashed secret; nothing else reads it, or any password column.
    for (const sql of statements) expect(sql).not.toMatch(SECRET_COLUMNS);
    for (const sql of writes) expect(sql).not.toMatch(/hashed_secret/);
  });

  it('reads neither the users nor the organizations of a page again when the selection nests them', async () => {
    const { statements } = await run('large', SHAPES[1]!);
    const flattened = await run('large', SHAPES[0]!);
    expect(statements.length).toBe(flattened.statements.length);
    const backReference = await run('large', SHAPES[2]!);
    expect(backReference.statements.length).toBe(flattened.statements.length);
  });
});
