// Apollo Client 4 (InMemoryCache with its defaults) and urql with graphcache
// (no `keys`), the real packages over real HTTP: each mutation's answer
// brings the cached members' roles and roles' permissions up to date, with no
// refetch and no cache warning (SPEC C, identity for clients' caches).
//
// PGlite only: what is tried here is the schema's identity, which the
// database does not change; the operation tests cover both databases.
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { TadaDocumentNode } from 'gql.tada';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it, vi } from 'vitest';
import { freshDatabase, type TestDatabase } from './support/databases.js';
import { makeOrganization, makeUser, type TestUser } from './support/gateway.js';
import { graphql, type ResultOf, type VariablesOf } from './support/graphql.js';
import { createGateway } from '../src/yoga.js';

type Variables = Record<string, unknown>;

/** What a test needs of a client: network reads and writes, and reads from its cache alone. */
interface CacheClient {
  query<TData, TVariables extends Variables>(
    document: TadaDocumentNode<TData, TVariables>,
    variables: TVariables,
  ): Promise<TData>;
  mutate<TData, TVariables extends Variables>(
    document: TadaDocumentNode<TData, TVariables>,
    variables: TVariables,
  ): Promise<TData>;
  /** The answer the cache alone gives, or null if it cannot answer. */
  cached<TData, TVariables extends Variables>(
    document: TadaDocumentNode<TData, TVariables>,
    variables: TVariables,
  ): TData | null;
}

type ClientFactory = (url: string, token: string, fetch: typeof globalThis.fetch) => Promise<CacheClient>;

/** `value`, which must be there (not null nor undefined): fails the test otherwise. */
function present<T>(value: T | null | undefined): T {
  expect(value).toBeDefined();
  expect(value).not.toBeNull();
  return value as T;
}

/** The data of a client's result, which must have no error. */
function unwrap<TData>(result: { data?: TData; error?: Error }): TData {
  if (result.error) throw result.error;
  return result.data as TData;
}

async function apolloClient(url: string, token: string, fetch: typeof globalThis.fetch): Promise<CacheClient> {
  const { ApolloClient, HttpLink, InMemoryCache } = await import('@apollo/client');
  const client = new ApolloClient({
    link: new HttpLink({ uri: url, fetch, headers: { 'coder-session-token': token } }),
    cache: new InMemoryCache(),
  });
  return {
    query: async (query, variables) => unwrap(await client.query({ query, variables, fetchPolicy: 'network-only' })),
    mutate: async (mutation, variables) => unwrap(await client.mutate({ mutation, variables })),
    cached: (query, variables) => client.readQuery({ query, variables }),
  };
}

async function urqlClient(url: string, token: string, fetch: typeof globalThis.fetch): Promise<CacheClient> {
  const { Client, fetchExchange } = await import('@urql/core');
  const { cacheExchange } = await import('@urql/exchange-graphcache');
  const client = new Client({
    url,
    fetch,
    exchanges: [cacheExchange({}), fetchExchange],
    fetchOptions: { headers: { 'coder-session-token': token } },
  });
  return {
    query: async (query, variables) =>
      unwrap(await client.query(query, variables, { requestPolicy: 'network-only' }).toPromise()),
    mutate: async (mutation, variables) => unwrap(await client.mutation(mutation, variables).toPromise()),
    cached: (query, variables) => client.readQuery(query, variables)?.data ?? null,
  };
}

/**
 * Apollo Client, in development mode, advises a merge function whenever a list
 * field of an entity is replaced by a shorter one, normalised items or not
 * ("Arrays ... always need a custom merge function", writeToStore.ts), once
 * per type and field. The data written is right (the tests check it); see
 * docs/clients.md.
 */
const isApolloListAdvice = (args: unknown[]) =>
  String(args[0]).startsWith('Cache data may be lost when replacing the %s field') && Array.isArray(args[5]);

const CLIENTS: [string, ClientFactory][] = [
  ['Apollo Client', apolloClient],
  ['urql graphcache', urqlClient],
];

// What a members screen reads: the members (connection, list, page and one
// member) with their roles, and the organization's roles with their permissions.
const SCREEN = graphql(`
  query Screen($org: String!, $user: String!) {
    organization(organization: $org) {
      id
      displayName
      members(first: 50) {
        totalCount
        pageInfo { hasNextPage endCursor }
        edges { cursor node { id username roles { id name displayName } } }
      }
      customRoles { id name displayName organizationPermissions { id action resourceType } }
      assignableRoles { id name assignable builtIn organizationPermissions { id action resourceType } }
    }
    organizationMembers(organization: $org) { id username createdAt roles { id name } }
    paginatedOrganizationMembers(organization: $org, limit: 10) { id count members { id username roles { id name } } }
    organizationMember(organization: $org, user: $user) { id username globalRoles { id name } roles { id name } }
    me { id username globalRoles { id name } }
  }
`);

// Each mutation answers with the fields the screen reads: of a member
// (id username roles { id name displayName }) or of a role
// (id name displayName organizationPermissions { id action resourceType }).
const UPDATE_MEMBER_ROLES = graphql(`
  mutation ($org: String!, $user: String!, $roles: [String!]!) {
    updateOrganizationMemberRoles(organization: $org, user: $user, roles: $roles) { id username roles { id name displayName } }
  }
`);
const UPDATE_ROLE = graphql(`
  mutation ($org: String!, $role: CustomRoleInput!) {
    updateOrganizationRole(organization: $org, role: $role) { id name displayName organizationPermissions { id action resourceType } }
  }
`);
// A new role or member joins the organization's lists: the answer carries the
// organization's lists too, through the fields that lead to it.
const CREATE_ROLE = graphql(`
  mutation ($org: String!, $role: CustomRoleInput!) {
    createOrganizationRole(organization: $org, role: $role) {
      id name displayName organizationPermissions { id action resourceType }
      organization { id customRoles { id name displayName organizationPermissions { id action resourceType } } }
    }
  }
`);
const ADD_MEMBER = graphql(`
  mutation ($org: String!, $user: String!) {
    addOrganizationMember(organization: $org, user: $user) {
      id username roles { id name displayName }
      organization { id members(first: 50) { totalCount pageInfo { hasNextPage endCursor } edges { cursor node { id username roles { id name displayName } } } } }
    }
  }
`);
const REMOVE_MEMBER = graphql(
  'mutation ($org: String!, $user: String!) { removeOrganizationMember(organization: $org, user: $user) }',
);
const DELETE_ROLE = graphql(
  'mutation ($org: String!, $name: String!) { deleteOrganizationRole(organization: $org, name: $name) }',
);

type Screen = ResultOf<typeof SCREEN>;
type Permissions = NonNullable<VariablesOf<typeof CREATE_ROLE>['role']['organizationPermissions']>;

const READ_TEMPLATES: Permissions = [{ resourceType: 'TEMPLATE', action: 'READ' }];
const READ_AND_UPDATE_TEMPLATES: Permissions = [...READ_TEMPLATES, { resourceType: 'TEMPLATE', action: 'UPDATE' }];

describe.each(CLIENTS)('%s with its default cache', (_name, makeClient) => {
  let database: TestDatabase;
  let server: ReturnType<typeof createServer>;
  let url: string;
  let owner: TestUser;
  let organizationId: string;
  let requests: string[];
  let warnings: unknown[][];
  let client: CacheClient;
  const orgName = 'cache-org';

  /** fetch, recording each operation sent: how a test shows that nothing was fetched again. */
  const countingFetch: typeof globalThis.fetch = (input, init) => {
    requests.push(String(init?.body ?? ''));
    return globalThis.fetch(input, init);
  };

  beforeAll(async () => {
    // Apollo Client warns (about cache data it would lose) only in development mode.
    (globalThis as { __DEV__?: boolean }).__DEV__ = true;
    database = await freshDatabase('pglite');
    await database.migrate();
    server = createServer(createGateway({ database }));
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/graphql`;
    const organization = await makeOrganization(database, orgName);
    organizationId = organization.id;
    owner = await makeUser(database, { siteRoles: ['owner'] });
  });
  afterAll(async () => {
    if (server) {
      server.closeAllConnections();
      await new Promise((resolve) => server.close(resolve));
    }
    await database?.close();
  });

  beforeEach(async () => {
    requests = [];
    warnings = [];
    for (const level of ['warn', 'error'] as const) {
      vi.spyOn(console, level).mockImplementation((...args: unknown[]) => void warnings.push(args));
    }
    client = await makeClient(url, owner.token, countingFetch);
  });
  afterEach(() => {
    vi.restoreAllMocks();
    // Every test: not one warning from the cache, but for Apollo's advice when
    // a list gets shorter (a member losing a role), which no id can avoid.
    expect(warnings.filter((args) => !isApolloListAdvice(args))).toEqual([]);
  });

  /** Loads the screen from the network, then runs `change`; returns the screen as the cache then answers it. */
  async function afterChange(user: string, change: () => Promise<unknown>) {
    const variables = { org: orgName, user };
    const before = await client.query(SCREEN, variables);
    const sent = requests.length;
    await change();
    expect(requests.length - sent).toBe(1); // the mutation, and nothing fetched again
    return { before, after: present(client.cached(SCREEN, variables)) };
  }

  const edgeOf = (screen: Screen, username: string) =>
    present(present(screen.organization).members).edges.find((e) => e.node.username === username)?.node;
  const listedMember = (screen: Screen, username: string) =>
    screen.organizationMembers.find((m) => m.username === username);
  const pagedMember = (screen: Screen, username: string) =>
    screen.paginatedOrganizationMembers.members.find((m) => m.username === username);
  const roleNames = (member: { roles: { name: string }[] } | null | undefined) =>
    present(member).roles.map((r) => r.name);
  const customRole = (screen: Screen, name: string) =>
    present(screen.organization).customRoles.find((r) => r.name === name);
  const permissionsOf = (role: { organizationPermissions: { action: string; resourceType: string }[] } | undefined) =>
    present(role)
      .organizationPermissions.map((p) => `${p.resourceType}:${p.action}`)
      .sort();

  it('updateOrganizationMemberRoles: the member shows its new roles everywhere it is listed', async () => {
    const member = await makeUser(database, { orgs: { [organizationId]: ['organization-auditor'] } });
    const { before, after } = await afterChange(member.username, () =>
      client.mutate(UPDATE_MEMBER_ROLES, {
        org: orgName,
        user: member.username,
        roles: ['organization-admin', 'organization-user-admin'],
      }),
    );
    expect(roleNames(edgeOf(before, member.username))).toEqual(['organization-auditor']);
    const expected = ['organization-admin', 'organization-user-admin'];
    expect(roleNames(edgeOf(after, member.username))).toEqual(expected);
    expect(roleNames(listedMember(after, member.username))).toEqual(expected);
    expect(roleNames(pagedMember(after, member.username))).toEqual(expected);
    expect(roleNames(after.organizationMember)).toEqual(expected);
  });

  it('updateOrganizationRole: the role shows its new permissions', async () => {
    const name = `rev${Math.random().toString(36).slice(2, 8)}`;
    await client.mutate(CREATE_ROLE, { org: orgName, role: { name, organizationPermissions: READ_TEMPLATES } });
    const { before, after } = await afterChange(owner.username, () =>
      client.mutate(UPDATE_ROLE, {
        org: orgName,
        role: { name, displayName: 'Reviewer', organizationPermissions: READ_AND_UPDATE_TEMPLATES },
      }),
    );
    expect(permissionsOf(customRole(before, name))).toEqual(['TEMPLATE:READ']);
    expect(customRole(after, name)?.displayName).toBe('Reviewer');
    expect(permissionsOf(customRole(after, name))).toEqual(['TEMPLATE:READ', 'TEMPLATE:UPDATE']);
  });

  it('createOrganizationRole: the new role joins the organization roles, with its permissions', async () => {
    const name = `new${Math.random().toString(36).slice(2, 8)}`;
    const { before, after } = await afterChange(owner.username, () =>
      client.mutate(CREATE_ROLE, { org: orgName, role: { name, organizationPermissions: READ_TEMPLATES } }),
    );
    expect(customRole(before, name)).toBeUndefined();
    expect(permissionsOf(customRole(after, name))).toEqual(['TEMPLATE:READ']);
  });

  it('addOrganizationMember: the new member joins the members connection, with no roles', async () => {
    const user = await makeUser(database);
    const { before, after } = await afterChange(owner.username, () =>
      client.mutate(ADD_MEMBER, { org: orgName, user: user.username }),
    );
    expect(edgeOf(before, user.username)).toBeUndefined();
    expect(roleNames(edgeOf(after, user.username))).toEqual([]);
    const totalCount = (screen: Screen) => present(present(screen.organization).members).totalCount;
    expect(totalCount(after)).toBe(totalCount(before) + 1);
  });

  // A Boolean answer carries nothing for a cache to apply; what the ids
  // promise is that the member, removed and added again, is one cache entry,
  // which the add brings up to date (its old roles are not shown again).
  it('removeOrganizationMember: a member removed and added again shows no old roles', async () => {
    const member = await makeUser(database, { orgs: { [organizationId]: ['organization-admin'] } });
    const variables = { org: orgName, user: member.username };
    const before = await client.query(SCREEN, variables);
    expect(roleNames(before.organizationMember)).toEqual(['organization-admin']);
    const sent = requests.length;
    expect(await client.mutate(REMOVE_MEMBER, variables)).toEqual({ removeOrganizationMember: true });
    await client.mutate(ADD_MEMBER, variables);
    expect(requests.length - sent).toBe(2);
    const after = present(client.cached(SCREEN, variables));
    expect(roleNames(after.organizationMember)).toEqual([]);
    expect(roleNames(listedMember(after, member.username))).toEqual([]);
  });

  // Likewise for a role deleted and created again under its name.
  it('deleteOrganizationRole: a role deleted and created again shows only its new permissions', async () => {
    const name = `del${Math.random().toString(36).slice(2, 8)}`;
    await client.mutate(CREATE_ROLE, {
      org: orgName,
      role: { name, organizationPermissions: READ_AND_UPDATE_TEMPLATES },
    });
    const variables = { org: orgName, user: owner.username };
    const before = await client.query(SCREEN, variables);
    expect(permissionsOf(customRole(before, name))).toEqual(['TEMPLATE:READ', 'TEMPLATE:UPDATE']);
    const sent = requests.length;
    expect(await client.mutate(DELETE_ROLE, { org: orgName, name })).toEqual({ deleteOrganizationRole: true });
    await client.mutate(CREATE_ROLE, { org: orgName, role: { name, organizationPermissions: READ_TEMPLATES } });
    expect(requests.length - sent).toBe(2);
    expect(permissionsOf(customRole(present(client.cached(SCREEN, variables)), name))).toEqual(['TEMPLATE:READ']);
  });
});
