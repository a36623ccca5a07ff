// The gateway as an Apollo Federation subgraph: its SDL for the router, and
// entity references resolved in batches and only for callers who may read them.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MAX_REPRESENTATIONS } from '../src/limits/document-limits.js';
import { DATABASE_KINDS } from './support/databases.js';
import { fieldOf } from './support/fixtures.js';
import {
  errorCode,
  makeOrganization,
  makeUser,
  startTestGateway,
  type GraphQLResponse,
  type TestGateway,
  type TestUser,
} from './support/gateway.js';

// Strings, not graphql() documents: `_service` and `_entities` are added to the
// subgraph's schema for the router, and schema.graphql (which graphql() types
// documents from) leaves them out. Their answers are read through fieldOf.
const SERVICE = '{ _service { sdl } }';
const ENTITIES = `query ($representations: [_Any!]!) {
  _entities(representations: $representations) {
    __typename
    ... on User { id username }
    ... on Organization { id name }
    ... on OrganizationMember { organizationId userId username }
  }
}`;

/** `_service.sdl` of an answer to SERVICE. */
function sdlOf(response: GraphQLResponse): string {
  const service = fieldOf(response, '_service');
  const sdl = typeof service === 'object' && service !== null && 'sdl' in service ? service.sdl : undefined;
  if (typeof sdl !== 'string') throw new Error(`no SDL in ${JSON.stringify(response)}`);
  return sdl;
}

describe.each(DATABASE_KINDS)('federation on %s', (kind) => {
  let gw: TestGateway;
  let owner: TestUser;
  let outsider: TestUser;
  let organizationId: string;
  let members: TestUser[];

  beforeAll(async () => {
    gw = await startTestGateway(kind);
    const organization = await makeOrganization(gw.database, 'fed-org');
    organizationId = organization.id;
    owner = await makeUser(gw.database, { siteRoles: ['owner'] });
    outsider = await makeUser(gw.database);
    members = [];
    for (let i = 0; i < 12; i++) members.push(await makeUser(gw.database, { orgs: { [organizationId]: [] } }));
  });
  afterAll(() => gw?.close());

  it('serves its SDL with entity keys to a router without a token', async () => {
    const sdl = sdlOf(await gw.gql(SERVICE));
    expect(sdl).toMatch(/type Organization\s+@key\(fields: "id"\)/);
    expect(sdl).toMatch(/type User\s+@key\(fields: "id"\)/);
    expect(sdl).toMatch(/type OrganizationMember\s+@key\(fields: "organizationId userId"\)/);
  });

  it('refuses entity references without a token', async () => {
    const response = await gw.gql(ENTITIES, { representations: [{ __typename: 'User', id: owner.id }] });
    expect(errorCode(response)).toBe('UNAUTHENTICATED');
    expect(fieldOf(response, '_entities') ?? null).toBeNull();
  });

  it('prints DateTime with @specifiedBy, and PageInfo as @shareable', async () => {
    const sdl = sdlOf(await gw.gql(SERVICE));
    expect(sdl).toMatch(/scalar DateTime @specifiedBy\(url: "https:\/\/scalars\.graphql\.org\/[^"]+"\)/);
    expect(sdl).toMatch(/type PageInfo\s+@shareable/);
  });

  it('resolves users, organizations and memberships for a caller who may read them', async () => {
    const member = members[0]!;
    const response = await gw.gql(
      ENTITIES,
      {
        representations: [
          { __typename: 'User', id: member.id },
          { __typename: 'Organization', id: organizationId },
          { __typename: 'OrganizationMember', organizationId, userId: member.id },
        ],
      },
      owner.token,
    );
    expect(response.errors).toBeUndefined();
    expect(fieldOf(response, '_entities')).toEqual([
      { __typename: 'User', id: member.id, username: member.username },
      { __typename: 'Organization', id: organizationId, name: 'fed-org' },
      { __typename: 'OrganizationMember', organizationId, userId: member.id, username: member.username },
    ]);
  });

  it('answers NOT_FOUND at its own index for what the caller may not read, and for malformed keys', async () => {
    const response = await gw.gql(
      ENTITIES,
      {
        representations: [
          { __typename: 'Organization', id: organizationId },
          { __typename: 'User', id: members[1]!.id },
          { __typename: 'OrganizationMember', organizationId, userId: members[1]!.id },
          { __typename: 'User', id: 'not-a-uuid' },
        ],
      },
      outsider.token,
    );
    expect(fieldOf(response, '_entities')).toEqual([null, null, null, null]);
    const errors = response.errors?.map((e) => [e.path, e.extensions?.code]);
    expect(errors?.sort((a, b) => String(a[0]).localeCompare(String(b[0])))).toEqual([
      [['_entities', 0], 'NOT_FOUND'],
      [['_entities', 1], 'NOT_FOUND'],
      [['_entities', 2], 'NOT_FOUND'],
      [['_entities', 3], 'NOT_FOUND'],
    ]);
  });

  it('answers BAD_USER_INPUT for an unknown __typename, for that representation only', async () => {
    const member = members[2]!;
    const response = await gw.gql(
      ENTITIES,
      {
        representations: [
          { __typename: 'User', id: member.id },
          { __typename: 'Workspace', id: member.id },
          { __typename: 'Organization', id: organizationId },
        ],
      },
      owner.token,
    );
    expect(fieldOf(response, '_entities')).toEqual([
      { __typename: 'User', id: member.id, username: member.username },
      null,
      { __typename: 'Organization', id: organizationId, name: 'fed-org' },
    ]);
    expect(response.errors?.map((e) => [e.path, e.extensions?.code])).toEqual([[['_entities', 1], 'BAD_USER_INPUT']]);
  });

  it('resolves many references of one type in a fixed number of statements', async () => {
    const count = async (ids: string[]) => {
      const statements: string[] = [];
      const stop = gw.database.onStatement((sql) => statements.push(sql));
      const response = await gw.gql(
        ENTITIES,
        { representations: ids.map((id) => ({ __typename: 'User', id })) },
        owner.token,
      );
      stop();
      expect(fieldOf(response, '_entities')).toHaveLength(ids.length);
      return statements.length;
    };
    const ids = members.map((m) => m.id);
    expect(await count(ids)).toBe(await count(ids.slice(0, 2)));
  });

  it('answers thousands of references that name nothing, each error at its index, compiled or not', async () => {
    const representations = Array.from({ length: 3000 }, (_, i) => ({
      __typename: i % 2 ? 'User' : 'Workspace',
      id: `missing-${i}`,
    }));
    // The second run of a document is compiled (src/execution/jit.ts): the same errors, in the same places.
    const [first, second] = [
      await gw.gql(ENTITIES, { representations }, owner.token),
      await gw.gql(ENTITIES, { representations }, owner.token),
    ].map((response) => {
      expect(fieldOf(response, '_entities')).toEqual(representations.map(() => null));
      return response.errors?.map((e) => [JSON.stringify(e.path), e.extensions?.code]).sort();
    });
    expect(first).toHaveLength(3000);
    expect(first![0]).toEqual(['["_entities",0]', 'BAD_USER_INPUT']);
    expect(first).toContainEqual(['["_entities",2999]', 'NOT_FOUND']);
    expect(second).toEqual(first);
  });

  it('answers keys of the wrong JSON type NOT_FOUND at their index, in a short batch and in one built in turns', async () => {
    const wrong = [
      { __typename: 'User', id: [owner.id] },
      { __typename: 'Organization', id: { id: organizationId } },
      { __typename: 'OrganizationMember', organizationId: [organizationId], userId: members[0]!.id },
      { __typename: 'User', id: 7 },
    ];
    // Past LONG_LIST (src/execution/turns.ts) the answers are built in turns.
    for (const size of [wrong.length, 250]) {
      const fill = Array.from({ length: size - wrong.length }, () => ({ __typename: 'User', id: owner.id }));
      const response = await gw.gql(ENTITIES, { representations: [...wrong, ...fill] }, owner.token);
      const entities = fieldOf(response, '_entities') as unknown[];
      expect(entities.slice(0, wrong.length)).toEqual([null, null, null, null]);
      expect(entities.slice(wrong.length).every((e) => (e as { id: string }).id === owner.id)).toBe(true);
      expect(response.errors?.map((e) => [e.path?.[1], e.extensions?.code])).toEqual([
        [0, 'NOT_FOUND'],
        [1, 'NOT_FOUND'],
        [2, 'NOT_FOUND'],
        [3, 'NOT_FOUND'],
      ]);
    }
  });

  it(`refuses more than ${MAX_REPRESENTATIONS} references with QUERY_TOO_COMPLEX, before any statement`, async () => {
    const representations = (n: number) => Array.from({ length: n }, () => ({ __typename: 'User', id: owner.id }));
    const statements: string[] = [];
    const stop = gw.database.onStatement((sql) => statements.push(sql));
    const refused = await gw.gql(ENTITIES, { representations: representations(MAX_REPRESENTATIONS + 1) }, owner.token);
    stop();
    expect(errorCode(refused)).toBe('QUERY_TOO_COMPLEX');
    expect(statements).toEqual([]);
    const served = await gw.gql(ENTITIES, { representations: representations(MAX_REPRESENTATIONS) }, owner.token);
    expect(served.errors).toBeUndefined();
    expect(fieldOf(served, '_entities')).toHaveLength(MAX_REPRESENTATIONS);
  });

  it(`serves ${MAX_REPRESENTATIONS} members' representations, the largest input a router sends, within MAX_INPUT_VALUES`, async () => {
    const representations = Array.from({ length: MAX_REPRESENTATIONS }, () => ({
      __typename: 'OrganizationMember',
      organizationId,
      userId: members[0]!.id,
    }));
    const served = await gw.gql(ENTITIES, { representations }, owner.token);
    expect(served.errors).toBeUndefined();
    expect(fieldOf(served, '_entities')).toHaveLength(MAX_REPRESENTATIONS);
    expect((fieldOf(served, '_entities') as { username: string }[])[0]!.username).toBe(members[0]!.username);
  });

  it(`counts the ${MAX_REPRESENTATIONS} across the aliased _entities fields of a request`, async () => {
    const half = Array.from({ length: MAX_REPRESENTATIONS / 2 }, () => ({ __typename: 'Nothing' }));
    const aliased = (count: number) =>
      `query ($r: [_Any!]!) { ${Array.from({ length: count }, (_, i) => `a${i}: _entities(representations: $r) { __typename }`).join(' ')} }`;
    const refused = await gw.gql(aliased(3), { r: half }, owner.token);
    expect(refused.errors?.map((error) => error.extensions?.code)).toContain('QUERY_TOO_COMPLEX');
    expect(refused.errors?.length).toBeLessThanOrEqual(MAX_REPRESENTATIONS + 1);
    const served = await gw.gql(aliased(2), { r: half }, owner.token);
    expect(served.errors).toHaveLength(MAX_REPRESENTATIONS);
    expect(new Set(served.errors?.map((error) => error.extensions?.code))).toEqual(new Set(['BAD_USER_INPUT']));
  });
});
