// SPEC G: every document is judged before it runs. The documents of issue 17
// and their cousins (other entry points, fragments, aliases, variables) are
// refused with QUERY_TOO_COMPLEX, with or without a token, and no SQL runs;
// legitimate heavy reads still pass with the default limits.
import { getIntrospectionQuery, type IntrospectionQuery } from 'graphql';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DEFAULT_LIMITS } from '../../src/config.js';
import { DATABASE_KINDS } from '../support/databases.js';
import { addMembers, dataOf, makeCast, type Cast } from '../support/fixtures.js';
import { makeOrganization, startTestGateway, type GraphQLResponse, type TestGateway } from '../support/gateway.js';
import { costOf } from '../support/cost.js';
import { graphql } from '../support/graphql.js';

/** `inner` wrapped `levels` times in organization → members(first: 100) → node. */
function membersCycle(levels: number, inner = 'username', first: number | string = 100) {
  let selection = inner;
  for (let i = 0; i < levels; i++)
    selection = `organization { members(first: ${first}) { edges { node { ${selection} } } } }`;
  return `{ organizationMember(organization: "default", user: "me") { ${selection} } }`;
}

/** user → organizationMemberships → organization → members … `levels` times. */
function membershipCycle(levels: number) {
  let selection = 'userId';
  for (let i = 0; i < levels; i++)
    selection = `user { organizationMemberships { organization { members { edges { node { ${selection} } } } } } }`;
  return `{ organizationMembers(organization: "default") { ${selection} } }`;
}

const aliased = (count: number, field: string) =>
  `{ ${Array.from({ length: count }, (_, i) => `a${i}: ${field}`).join(' ')} }`;

const MEMBER = 'username roles { name } globalRoles { name }';
const USER = 'id username email name avatarUrl status createdAt updatedAt lastSeenAt globalRoles { name }';

// The legitimate heavy reads, as typed documents: MEMBER and USER written out.
const EVERY_ORGANIZATION_PAGE = graphql(`{ organizations { id members(first: 50) { edges { node {
  username roles { name } globalRoles { name }
  user { id username email name avatarUrl status createdAt updatedAt lastSeenAt globalRoles { name } }
} } } } }`);
const WHOLE_LIST = graphql(`query ($org: String!) { list: organizationMembers(organization: $org) {
  username roles { name } globalRoles { name }
  user { id username email name avatarUrl status createdAt updatedAt lastSeenAt globalRoles { name } }
} }`);
const WHOLE_PAGINATED_LIST =
  graphql(`query ($org: String!) { list: paginatedOrganizationMembers(organization: $org, limit: 0) { count members {
  username roles { name } globalRoles { name }
  user { id username email name avatarUrl status createdAt updatedAt lastSeenAt globalRoles { name } }
} } }`);
const MEMBERSHIPS = graphql('{ me { organizationMemberships { userId } } }');

/** Each document with its variables: all must be refused as too complex. */
const HOSTILE: [string, string, Record<string, unknown>?][] = [
  ['an 800-level organization/members nesting', membersCycle(800)],
  ['a 20-level nesting, under the token limit', membersCycle(20)],
  ['members(first: 100) three levels deep', membersCycle(3)],
  [
    'members(first: $n) three levels deep, the size in a variable',
    membersCycle(3).replace('{', 'query ($n: Int) {').replaceAll('first: 100', 'first: $n'),
    { n: 100 },
  ],
  ['the user → memberships → members cycle at depth 20', membershipCycle(5)],
  ['the same cycle at depth 60', membershipCycle(15)],
  ['1,000 aliased __schema introspections', aliased(1000, '__schema { types { name fields { name } } }')],
  ['two aliased full introspections', `{ a: __schema { types { name } } b: __schema { types { name } } }`],
  [
    '1,000 aliases of paginatedOrganizationMembers(limit: 0)',
    aliased(1000, `paginatedOrganizationMembers(organization: "default", limit: 0) { members { ${MEMBER} } }`),
  ],
  ['3,000 aliases of one member', aliased(3000, 'organizationMember(organization: "default", user: "me") { userId }')],
  ['40 aliases of me', aliased(40, 'me { id }')],
  [
    '20 aliases of a whole member list (under the alias limit, over the cost)',
    aliased(20, `organizationMembers(organization: "default") { ${MEMBER} user { ${USER} } }`),
  ],
  [
    'the aliases hidden in a fragment spread twice',
    `{ ...F ...F } fragment F on Query { ${Array.from({ length: 20 }, (_, i) => `f${i}: me { id }`).join(' ')} }`,
  ],
  [
    'fragments that each select the next under two aliases (exponential once merged)',
    `{ me { ...U0 } } ${Array.from({ length: 6 }, (_, i) => `fragment U${i} on User { x: organizationMemberships { user { ...U${i + 1} } } y: organizationMemberships { user { ...U${i + 1} } } }`).join(' ')} fragment U6 on User { id }`,
  ],
  [
    'a deep nesting spread through fragments',
    `{ organizationMember(organization: "default", user: "me") { ...M } } fragment M on OrganizationMember { organization { members(first: 100) { edges { node { organization { members(first: 100) { edges { node { organization { members(first: 100) { edges { node { username } } } } } } } } } } } } }`,
  ],
  [
    'a whole-list member nesting through _entities',
    `query ($r: [_Any!]!) { _entities(representations: $r) { ... on Organization { members { edges { node { user { organizationMemberships { organization { members { edges { node { username } } } } } } } } } } } }`,
    { r: [{ __typename: 'Organization', id: '00000000-0000-0000-0000-000000000000' }] },
  ],
  // Introspection has a depth limit of its own (INTROSPECTION_MAX_DEPTH, 30): graphql-jit took seconds to compile
  // an `ofType` chain 950 deep, which QUERY_MAX_DEPTH leaves to it.
  [
    'an ofType chain 950 deep under __schema',
    `{ __schema { queryType { ${'ofType { '.repeat(950)}name${' }'.repeat(950)} } } }`,
  ],
  [
    'a fields → type → ofType chain 40 deep under __schema, in a fragment',
    `{ __schema { types { fields { type { ...T } } } } } fragment T on __Type { ${'ofType { '.repeat(40)}name${' }'.repeat(40)} }`,
  ],
  [
    'an ofType chain 40 deep under __type',
    `{ __type(name: "Query") { ${'ofType { '.repeat(40)}name${' }'.repeat(40)} } }`,
  ],
  ['60 @include directives', `{ me { ${Array.from({ length: 60 }, () => 'id @include(if: true)').join(' ')} } }`],
  ['a 5,000-token document', `{ me { ${Array.from({ length: 5000 }, () => 'id').join(' ')} } }`],
  [
    'a page size in a variable, far over the cost',
    'query ($n: Int) { organizations { members(first: $n) { edges { node { user { organizationMemberships { roles { name } } } } } } } }',
    { n: 100_000 },
  ],
];

describe.each(DATABASE_KINDS)('hostile documents on %s', (kind) => {
  let gw: TestGateway;
  let cast: Cast;
  let statements = 0;

  beforeAll(async () => {
    gw = await startTestGateway(kind);
    cast = await makeCast(gw.database);
    gw.database.onStatement(() => statements++);
  });
  afterAll(() => gw?.close());

  /** The response, and how many SQL statements it cost. */
  async function run(query: string, variables?: Record<string, unknown>, token?: string) {
    const before = statements;
    const response = await gw.gql(query, variables, token);
    return { response, statements: statements - before };
  }

  const expectTooComplex = (response: GraphQLResponse) => {
    expect(response.errors?.length, JSON.stringify(response).slice(0, 500)).toBeGreaterThan(0);
    for (const error of response.errors!) expect(error.extensions?.code).toBe('QUERY_TOO_COMPLEX');
    expect(response.data ?? null).toBeNull();
  };

  describe.each([
    ['without a token', () => undefined],
    ['as an owner', () => cast.owner.token],
    ['as a plain member', () => cast.member.token],
  ])('%s', (_who, token) => {
    it.each(HOSTILE)('refuses %s with QUERY_TOO_COMPLEX, running no SQL', async (_name, query, variables) => {
      const { response, statements: ran } = await run(query, variables, token());
      expectTooComplex(response);
      expect(ran).toBe(0);
    });
  });

  // The executor answers a fragment spread twice once: fragments that each spread the next twice answer `me { id }`,
  // priced as it is answered, not as their expansion (2^20 copies, which a walk of the document would price).
  it('answers fragments that each spread the next twice as the one field they select, priced so', async () => {
    const doubling = `{ ...F0 } ${Array.from({ length: 20 }, (_, i) => `fragment F${i} on Query { me { id } ...F${i + 1} ...F${i + 1} }`).join(' ')} fragment F20 on Query { me { id } }`;
    expect(costOf(doubling)).toBe(costOf('{ me { id } }'));
    const { response } = await run(doubling, undefined, cast.member.token);
    expect(response).toEqual({ data: { me: { id: cast.member.id } } });
  });

  it('says which limit a document passed', async () => {
    const depth = (await run(membersCycle(20))).response;
    expect(depth.errors?.[0]?.message).toMatch(/depth limit of 12/i);
    const wide = aliased(25, `organizationMembers(organization: "default") { ${MEMBER} }`);
    const cost = (await run(wide, undefined, cast.owner.token)).response;
    expect(cost.errors?.[0]?.message).toMatch(/QUERY_MAX_COST/);
  });

  // Errors quote what the client sent: repeated under aliases, a long value came back hundreds of times (a 1 MB
  // `__typename` in 300 representations: HTTP 500 and 1.7 GB).
  it('quotes at most 80 characters of a long value it refuses, however often the document repeats it', async () => {
    const long = 'U'.repeat(90_000); // ten of them in a body under 1 MiB
    const representations = Array.from({ length: 10 }, () => ({ __typename: long }));
    const entities = await run(
      aliased(30, '_entities(representations: $r) { __typename }').replace('{', 'query ($r: [_Any!]!) {'),
      { r: representations },
      cast.member.token,
    );
    expect(entities.response.errors, JSON.stringify(entities.response).slice(0, 300)).toHaveLength(300);
    for (const error of entities.response.errors!) {
      expect(error.extensions?.code).toBe('BAD_USER_INPUT');
      expect(JSON.stringify(error).length).toBeLessThan(500);
    }
    const roles = await run(
      `mutation ($user: String!, $r: [String!]!) { updateOrganizationMemberRoles(organization: "${cast.org.name}", user: $user, roles: $r) { userId } }`,
      { user: cast.member.username, r: [long, `${long}-2`] },
      cast.owner.token,
    );
    expect(roles.response.errors?.[0]?.extensions?.code).toBe('BAD_USER_INPUT');
    expect(JSON.stringify(roles.response).length).toBeLessThan(1_000);
  });

  it("cuts graphql-js's own quotes of a document's names and values, as it parses and validates", async () => {
    const name = `f${'x'.repeat(200_000)}`;
    const cases = [
      [`{ ${name} }`, 'GRAPHQL_VALIDATION_FAILED'],
      [`{ ${name}: __typename ${name}: me { id } }`, 'GRAPHQL_VALIDATION_FAILED'],
      [
        `{ paginatedOrganizationMembers(organization: "default", limit: 1${'0'.repeat(100_000)}) { count } }`,
        'GRAPHQL_VALIDATION_FAILED',
      ],
      [`{ me { id } ${name}`, 'GRAPHQL_PARSE_FAILED'],
      [`{ me(x: "${'y '.repeat(50_000)}) { id } }`, 'GRAPHQL_PARSE_FAILED'],
      // Many short quoted parts, each under the cut: the whole message is cut too.
      [
        `{ paginatedOrganizationMembers(organization: "default", limit: "${`${'y'.repeat(79)}\\"`.repeat(3_000)}") { count } }`,
        'GRAPHQL_VALIDATION_FAILED',
      ],
      [
        `{ paginatedOrganizationMembers(organization: "default", limit: "${'\\"'.repeat(50_000)}") { count } }`,
        'GRAPHQL_VALIDATION_FAILED',
      ],
    ] as const;
    for (const [query, code] of cases) {
      const { response, statements: ran } = await run(query, undefined, cast.owner.token);
      expect(response.errors?.[0]?.extensions?.code, JSON.stringify(response).slice(0, 300)).toBe(code);
      expect(response.errors?.[0]?.message.length, JSON.stringify(response).slice(0, 300)).toBeLessThanOrEqual(1_000);
      expect(JSON.stringify(response).length, JSON.stringify(response).slice(0, 300)).toBeLessThan(3_000);
      expect(ran).toBe(0);
    }
    // What it quotes still says what was wrong, and where.
    const { response } = await run(`{ ${name} }`, undefined, cast.owner.token);
    expect(response.errors?.[0]?.message).toMatch(/^Cannot query field "fxxx+…" on type "Query"\.$/);
    expect(response.errors?.[0]?.locations).toEqual([{ line: 1, column: 3 }]);
  });

  // graphql-js compares the fields of a selection pairwise (0.28 s for 400 `me { id }`), and stops past a budget
  // of its own: a selection may repeat a field with a selection 50 times and spread 100 fragments.
  const spreads = (n: number) =>
    `{ ${Array.from({ length: n }, (_, i) => `...F${i}`).join(' ')} } ` +
    Array.from({ length: n }, (_, i) => `fragment F${i} on Query { me { id } }`).join(' ');
  it.each([
    ['800 __typename', `{ ${Array(800).fill('__typename').join(' ')} }`],
    ['500 me { id }', `{ ${Array(500).fill('me { id }').join(' ')} }`],
    ['52 me { id } (51 repeats)', `{ ${Array(52).fill('me { id }').join(' ')} }`],
    ['52 fragments each selecting me { id }', spreads(52)],
    ['52 inline fragments each selecting me { id }', `{ ${Array(52).fill('... on Query { me { id } }').join(' ')} }`],
    [
      'a repeated field deep inside',
      `{ me { organizationMemberships { ${Array(60).fill('roles { name }').join(' ')} } } }`,
    ],
  ])('refuses %s, a selection too repetitive to check, with QUERY_TOO_COMPLEX', async (_name, document) => {
    const { response, statements: ran } = await run(document, undefined, cast.owner.token);
    expectTooComplex(response);
    expect(response.errors?.[0]?.message).toMatch(/repeats fields/);
    expect(ran).toBe(0);
  });

  it('refuses a selection spreading more than 100 fragments, which graphql-js compares pairwise', async () => {
    const many = `{ me { ${Array(101).fill('...U').join(' ')} } } fragment U on User { id }`;
    const { response, statements: ran } = await run(many, undefined, cast.owner.token);
    expectTooComplex(response);
    expect(response.errors?.[0]?.message).toMatch(/spreads more than 100 fragments/);
    expect(ran).toBe(0);
  });

  it('serves a selection that repeats fields and spreads fragments up to the limit, and many distinct ones', async () => {
    // Components' colocated fragments, each selecting the same leaves; generated @include blocks.
    const colocated =
      `{ me { ${Array.from({ length: 60 }, (_, i) => `...U${i}`).join(' ')} } } ` +
      Array.from({ length: 60 }, (_, i) => `fragment U${i} on User { id username }`).join(' ');
    const includes = `query ($a: Boolean!) { me { ${Array.from({ length: 25 }, () => '... @include(if: $a) { id email }').join(' ')} } }`;
    for (const document of [`{ ${Array(51).fill('me { id }').join(' ')} }`, spreads(51), colocated, includes]) {
      const { response } = await run(document, { a: true }, cast.owner.token);
      expect(response.errors, JSON.stringify(response.errors)).toBeUndefined();
    }
  });

  it('refuses a subscription, which the schema lacks, as a document that does not fit it, without running anything', async () => {
    const { response, statements: ran } = await run('subscription { me { id } }', undefined, cast.owner.token);
    // As graphql-js 17 validates it (KnownOperationTypesRule): placed at the operation.
    expect(response.errors).toEqual([
      {
        message: 'This API has no subscription operations.',
        locations: [{ line: 1, column: 1 }],
        extensions: { code: 'GRAPHQL_VALIDATION_FAILED' },
      },
    ]);
    expect(ran).toBe(0);
  });

  describe('legitimate heavy reads', () => {
    let organizations: string[];

    beforeAll(async () => {
      // 20 organizations of 50 members, and the default organization with 5,000.
      organizations = [];
      for (let i = 0; i < 20; i++) {
        const org = await makeOrganization(gw.database);
        organizations.push(org.id);
        await addMembers(
          gw.database,
          org.id,
          Array.from({ length: 50 }, (_, j) => `o${i}m${j}${kind}`),
          ['organization-auditor'],
        );
      }
      await addMembers(
        gw.database,
        cast.org.id,
        Array.from({ length: 5000 - 6 }, (_, j) => `whole${j}`),
      );
    }, 300_000);

    it('lets an owner read 20 organizations × 50 members with their users and roles', async () => {
      const response = await gw.gql(EVERY_ORGANIZATION_PAGE, {}, cast.owner.token);
      expect(response.errors).toBeUndefined();
      const pages = dataOf(response).organizations.filter((o) => organizations.includes(o.id));
      expect(pages).toHaveLength(20);
      for (const page of pages) expect(page.members?.edges).toHaveLength(50);
    });

    it.each([
      [
        'organizationMembers',
        async (org: string, token: string) => {
          const response = await gw.gql(WHOLE_LIST, { org }, token);
          expect(response.errors).toBeUndefined();
          return dataOf(response).list;
        },
      ],
      [
        'paginatedOrganizationMembers(limit: 0)',
        async (org: string, token: string) => {
          const response = await gw.gql(WHOLE_PAGINATED_LIST, { org }, token);
          expect(response.errors).toBeUndefined();
          return dataOf(response).list.members;
        },
      ],
    ])('lets an owner read a whole list of 5,000 members through %s', async (_name, read) => {
      const list = await read(cast.org.id, cast.owner.token);
      expect(list.length).toBeGreaterThan(4990);
    });

    it('lets a tool introspect with a type reference deeper than GraphiQL’s (20 levels in all)', async () => {
      const { response } = await run(
        `{ __schema { types { fields { type { ${'ofType { '.repeat(14)}name${' }'.repeat(14)} } } } } }`,
      );
      expect(response.errors).toBeUndefined();
    });

    it('lets GraphiQL introspect the schema once, without a token', async () => {
      const { response, statements: ran } = await run(getIntrospectionQuery());
      expect(response.errors).toBeUndefined();
      // A document built at run time: its data is the shape graphql-js gives introspection.
      expect((response.data as IntrospectionQuery).__schema.types.length).toBeGreaterThan(10);
      expect(ran).toBe(0);
    });
  });

  it('takes its limits from the settings', async () => {
    const strict = await startTestGateway(kind, { limits: { ...DEFAULT_LIMITS, maxDepth: 2 } });
    try {
      const deep = await strict.gql(MEMBERSHIPS, {}, cast.owner.token);
      expect(deep.errors?.[0]?.extensions?.code).toBe('QUERY_TOO_COMPLEX');
    } finally {
      await strict.close();
    }
  });
});
