// The gateway as one subgraph of a supergraph, behind a real router: composed
// by @apollo/composition with a second subgraph of the tests' own (projects,
// which extends User and Organization and has Relay connections of its own),
// and queried through @apollo/gateway in process, which reaches our subgraph
// over HTTP and forwards the caller's session token.
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { composeServices } from '@apollo/composition';
import { ApolloGateway, LocalGraphQLDataSource, RemoteGraphQLDataSource } from '@apollo/gateway';
import { ApolloServer } from '@apollo/server';
import { buildSubgraphSchema } from '@apollo/subgraph';
import { parse } from 'graphql';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DATABASE_KINDS, freshDatabase, type TestDatabase } from './support/databases.js';
import { makeOrganization, makeUser, type TestUser } from './support/gateway.js';
import { createGateway } from '../src/yoga.js';

const PROJECTS_SDL = `
  extend schema @link(url: "https://specs.apollo.dev/federation/v2.6", import: ["@key", "@shareable"])

  type Project @key(fields: "id") {
    id: ID!
    name: String!
    owner: User
    organization: Organization
  }
  type ProjectConnection { totalCount: Int! pageInfo: PageInfo! edges: [ProjectEdge!]! }
  type ProjectEdge { cursor: String! node: Project! }
  type PageInfo @shareable {
    hasNextPage: Boolean!
    hasPreviousPage: Boolean!
    startCursor: String
    endCursor: String
  }
  type User @key(fields: "id") {
    id: ID!
    projects(first: Int): ProjectConnection!
  }
  type Organization @key(fields: "id") {
    id: ID!
    projects(first: Int): ProjectConnection!
  }
  type Query {
    projects(first: Int): ProjectConnection!
  }
`;

interface Project {
  id: string;
  name: string;
  ownerId: string;
  organizationId: string;
}

/** The projects subgraph over `projects`; its connections page from the start only, which is all the tests need. */
function projectsSubgraph(projects: Project[]) {
  const connection = (list: Project[], first = 100) => {
    const page = list.slice(0, first);
    return {
      totalCount: list.length,
      pageInfo: {
        hasNextPage: list.length > page.length,
        hasPreviousPage: false,
        startCursor: page.length ? '0' : null,
        endCursor: page.length ? String(page.length - 1) : null,
      },
      edges: page.map((node, i) => ({ cursor: String(i), node })),
    };
  };
  return buildSubgraphSchema({
    typeDefs: parse(PROJECTS_SDL),
    resolvers: {
      Query: { projects: (_: unknown, { first }: { first?: number }) => connection(projects, first) },
      Project: {
        owner: (p: Project) => ({ __typename: 'User', id: p.ownerId }),
        organization: (p: Project) => ({ __typename: 'Organization', id: p.organizationId }),
      },
      User: {
        projects: ({ id }: { id: string }, { first }: { first?: number }) =>
          connection(
            projects.filter((p) => p.ownerId === id),
            first,
          ),
      },
      Organization: {
        projects: ({ id }: { id: string }, { first }: { first?: number }) =>
          connection(
            projects.filter((p) => p.organizationId === id),
            first,
          ),
      },
    },
  });
}

/** The router's answer; `TData` is the shape the test's document asks for (the supergraph has no typed documents here). */
interface RouterAnswer<TData> {
  data?: TData | null;
  errors?: { message: string; path?: (string | number)[]; extensions?: Record<string, unknown> }[];
}

/** A project as the documents below select it; the router answers null for an entity the caller may not read. */
interface ProjectNode {
  name: string;
  owner: { id?: string; username: string } | null;
  organization: { id?: string; name: string } | null;
}
interface ProjectsData {
  projects: {
    totalCount?: number;
    pageInfo?: { hasNextPage: boolean; endCursor?: string | null };
    edges: { node: ProjectNode }[];
  };
}
interface MyProjectsData {
  me: { username: string; projects: { totalCount: number; pageInfo: { hasNextPage: boolean } } };
}

describe.each(DATABASE_KINDS)('a router over the gateway and a second subgraph, on %s', (kind) => {
  let database: TestDatabase;
  let server: ReturnType<typeof createServer>;
  let router: ApolloServer<{ token?: string }>;
  let owner: TestUser;
  let outsider: TestUser;
  let members: TestUser[];
  let organizationId: string;
  /** The requests our subgraph received, in order. */
  let received: { query: string; variables?: { representations?: { __typename: string }[] } }[] = [];

  beforeAll(async () => {
    database = await freshDatabase(kind);
    await database.migrate();
    const yoga = createGateway({ database });
    server = createServer(yoga);
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/graphql`;

    const organization = await makeOrganization(database, 'router-org');
    organizationId = organization.id;
    owner = await makeUser(database, { siteRoles: ['owner'] });
    outsider = await makeUser(database);
    members = [];
    for (let i = 0; i < 30; i++) members.push(await makeUser(database, { orgs: { [organizationId]: [] } }));
    const projects: Project[] = members.map((member, i) => ({
      id: `p${i}`,
      name: `project ${i}`,
      ownerId: member.id,
      organizationId,
    }));
    projects.push({ id: 'mine', name: "the outsider's", ownerId: outsider.id, organizationId });

    const ourSdl = (
      (await await fetch(url, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ query: '{ _service { sdl } }' }),
      }).then((r) => r.json())) as { data: { _service: { sdl: string } } }
    ).data._service.sdl;
    const composed = composeServices([
      { name: 'members', typeDefs: parse(ourSdl), url },
      { name: 'projects', typeDefs: parse(PROJECTS_SDL), url: 'http://projects.invalid/graphql' },
    ]);
    if (composed.errors) throw new Error(composed.errors.map((e) => e.message).join('\n'));

    const projectsSchema = projectsSubgraph(projects);
    const gateway = new ApolloGateway({
      supergraphSdl: composed.supergraphSdl,
      buildService: ({ name, url: serviceUrl }) =>
        name === 'projects'
          ? new LocalGraphQLDataSource(projectsSchema)
          : new RemoteGraphQLDataSource<{ token?: string }>({
              url: serviceUrl,
              fetcher: (input, init) => {
                received.push(JSON.parse(String(init?.body ?? '{}')));
                return fetch(input, init as RequestInit);
              },
              // The router forwards the caller's session token to our subgraph.
              willSendRequest({ request, context }) {
                if (context.token) request.http?.headers.set('coder-session-token', context.token);
              },
            }),
    });
    router = new ApolloServer({ gateway });
    await router.start();
  });
  afterAll(async () => {
    await router?.stop();
    server.closeAllConnections();
    await new Promise((resolve) => server.close(resolve));
    await database.close();
  });

  async function ask<TData>(query: string, token?: string): Promise<RouterAnswer<TData>> {
    received = [];
    const response = await router.executeOperation({ query }, { contextValue: { token } });
    if (response.body.kind !== 'single') throw new Error('expected a single result');
    return response.body.singleResult as RouterAnswer<TData>;
  }

  const PROJECTS = (first: number) => `{
    projects(first: ${first}) {
      totalCount
      pageInfo { hasNextPage endCursor }
      edges { node { name owner { id username } organization { id name } } }
    }
  }`;

  it('composes with a second subgraph that has Relay connections (PageInfo is shareable)', async () => {
    const answer = await ask<MyProjectsData>(
      `{ me { username projects(first: 5) { totalCount pageInfo { hasNextPage } } } }`,
      outsider.token,
    );
    expect(answer.errors).toBeUndefined();
    expect(answer.data?.me).toEqual({
      username: outsider.username,
      projects: { totalCount: 1, pageInfo: { hasNextPage: false } },
    });
  });

  it('fetches every entity of a step in one _entities request, in a bounded number of statements', async () => {
    const statementsFor = async (first: number) => {
      const statements: string[] = [];
      const stop = database.onStatement((sql) => statements.push(sql));
      const answer = await ask<ProjectsData>(PROJECTS(first), owner.token);
      stop();
      expect(answer.errors).toBeUndefined();
      const edges = answer.data?.projects.edges ?? [];
      expect(edges).toHaveLength(first);
      for (const [i, edge] of edges.entries()) {
        expect(edge.node.owner).toEqual({ id: members[i]!.id, username: members[i]!.username });
        expect(edge.node.organization).toEqual({ id: organizationId, name: 'router-org' });
      }
      // One step of the plan, which fetches the owners and the organizations in
      // parallel: one _entities request for each, carrying every representation.
      expect(received.map((r) => r.query.includes('_entities'))).toEqual([true, true]);
      const representations = received.map((r) => r.variables?.representations?.map((x) => x.__typename));
      expect(representations).toContainEqual(Array(first).fill('User'));
      expect(representations).toContainEqual(Array(first).fill('Organization'));
      return statements.length;
    };
    await ask(PROJECTS(1), owner.token); // the session's first use writes its last-used time: not counted
    const few = await statementsFor(3);
    const many = await statementsFor(30);
    expect(many).toBe(few);
    expect(many).toBeLessThanOrEqual(8);
  });

  it('answers NOT_FOUND for each entity the caller may not read, and the others', async () => {
    // The outsider may read itself, but neither the other members nor the organization.
    const answer = await ask<ProjectsData>(
      `{ projects(first: 31) { edges { node { name owner { username } organization { name } } } } }`,
      outsider.token,
    );
    const edges = answer.data?.projects.edges ?? [];
    expect(edges.at(-1)?.node.owner).toEqual({ username: outsider.username });
    expect(edges.slice(0, -1).every((e) => e.node.owner === null && e.node.organization === null)).toBe(true);
    expect(answer.errors?.length).toBeGreaterThan(0);
    expect(new Set(answer.errors?.map((e) => e.extensions?.code))).toEqual(new Set(['NOT_FOUND']));
  });

  it('passes UNAUTHENTICATED through when the caller sends no valid token', async () => {
    for (const token of [undefined, 'not-a-token']) {
      const answer = await ask<ProjectsData>(PROJECTS(2), token);
      expect(answer.data?.projects?.edges?.[0]?.node.owner ?? null).toBeNull();
      expect(answer.errors?.map((e) => e.extensions?.code)).toContain('UNAUTHENTICATED');
    }
  });
});
