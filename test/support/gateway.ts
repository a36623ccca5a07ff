// A gateway over a fresh, migrated database, called in process through
// `yoga.fetch` (real HTTP handling, no socket), plus factories for its data.
import type { TadaDocumentNode } from 'gql.tada';
import type { Database, DatabaseKind } from '../../src/db/database.js';
import {
  addMember,
  createOrganization,
  createUser,
  issueToken,
  type CreateUserInput,
} from '../../src/operator/operator.js';
import { createGateway, type Gateway, type GatewayOptions } from '../../src/yoga.js';
import { freshDatabase } from './databases.js';
import { sourceOf } from './graphql.js';

/** An error of a GraphQL answer; the gateway puts a code on every error it returns. */
export interface GraphQLError {
  message: string;
  path?: (string | number)[];
  locations?: { line: number; column: number }[];
  extensions?: { code?: string; [key: string]: unknown };
}

export interface GraphQLResponse<TData = unknown> {
  data?: TData | null;
  errors?: GraphQLError[];
}

export interface TestGateway {
  kind: DatabaseKind;
  database: Database;
  yoga: Gateway;
  /**
   * Runs an operation; `auth` is a session token (sent as Coder-Session-Token) or explicit headers.
   * `remoteAddress` is the socket's peer the gateway sees (none by default, as through `yoga.fetch`).
   */
  gql<TData, TVariables>(
    document: TadaDocumentNode<TData, TVariables>,
    variables?: TVariables,
    auth?: string | Record<string, string>,
    remoteAddress?: string,
  ): Promise<GraphQLResponse<TData>>;
  /** A document built at run time (hostile inputs, generated aliases): its data is `unknown`. */
  gql(
    query: string,
    variables?: Record<string, unknown>,
    auth?: string | Record<string, string>,
    remoteAddress?: string,
  ): Promise<GraphQLResponse<unknown>>;
  close(): Promise<void>;
}

/** A gateway on a fresh database; by default with no session cache, so that each request reads what the test just wrote. */
export async function startTestGateway(
  kind: DatabaseKind,
  options: Omit<GatewayOptions, 'database'> = {},
): Promise<TestGateway> {
  const database = await freshDatabase(kind);
  await database.migrate();
  return testGatewayOn(kind, database, options);
}

/** A gateway on an open database (another gateway's, say, with other settings); closing it closes the database. */
export function testGatewayOn(
  kind: DatabaseKind,
  database: Database,
  options: Omit<GatewayOptions, 'database'> = {},
): TestGateway {
  const yoga = createGateway({ database, ...options });
  return {
    kind,
    database,
    yoga,
    async gql(
      document: string | TadaDocumentNode,
      variables?: unknown,
      auth?: string | Record<string, string>,
      remoteAddress?: string,
    ) {
      const query = typeof document === 'string' ? document : sourceOf(document);
      const headers: Record<string, string> = { 'content-type': 'application/json', accept: 'application/json' };
      if (typeof auth === 'string') headers['coder-session-token'] = auth;
      else Object.assign(headers, auth);
      const response = await yoga.fetch(
        'http://gateway.test/graphql',
        { method: 'POST', headers, body: JSON.stringify({ query, variables }) },
        // What Node's HTTP server gives Yoga as its server context.
        remoteAddress === undefined ? {} : { req: { socket: { remoteAddress } } },
      );
      return (await response.json()) as GraphQLResponse<unknown>;
    },
    close: () => database.close(),
  };
}

let counter = 0;
const unique = (prefix: string) => `${prefix}${++counter}${Math.random().toString(36).slice(2, 6)}`;

export interface TestUser {
  id: string;
  username: string;
  token: string;
}

/** A user with a session token; `orgs` maps organization ids to the member's org roles. */
export async function makeUser(
  db: Database,
  options: Partial<CreateUserInput> & { orgs?: Record<string, string[]> } = {},
): Promise<TestUser> {
  const { orgs = {}, ...input } = options;
  const username = input.username ?? unique('user');
  const user = await createUser(db.prisma, { email: `${username}@example.com`, ...input, username });
  for (const [organizationId, roles] of Object.entries(orgs))
    await addMember(db.prisma, organizationId, user.id, roles);
  const { token } = await issueToken(db.prisma, user.id);
  return { id: user.id, username: user.username, token };
}

export async function makeOrganization(db: Database, name = unique('org')) {
  return createOrganization(db.prisma, { name, displayName: name.toUpperCase() });
}

/** `errors[0].extensions.code` of a response, or undefined when it succeeded. */
export const errorCode = (response: GraphQLResponse) => response.errors?.[0]?.extensions?.code as string | undefined;
