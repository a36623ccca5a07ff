// Statements prepared by name on a PostgreSQL connection are a fixed set:
// lists travel as array parameters, and Prisma's statements (which write
// IN ($1, …, $n) out in full) are not named, so no list length adds one. On a
// gateway with a single connection, pages, lookups and entity batches of
// every length from 3 to 25, and writes, leave the set of named statements as
// the first two rounds (one element, then two) left it.
import type { TadaDocumentNode } from 'gql.tada';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openDatabase, type Database } from '../../src/db/database.js';
import { createGateway, type Gateway } from '../../src/yoga.js';
import { createServerDatabase, dropServerDatabase, SERVER_URL } from '../support/databases.js';
import { dataOf } from '../support/fixtures.js';
import type { GraphQLResponse } from '../support/gateway.js';
import { graphql, sourceOf } from '../support/graphql.js';
import { seedMembers, type SeededData } from '../support/seed.js';

const MEMBER_IDS = graphql('query ($org: String!) { organizationMembers(organization: $org) { userId } }');
const PAGE =
  graphql(`query ($org: String!, $limit: Int!) { paginatedOrganizationMembers(organization: $org, limit: $limit) {
  members { user { organizationMemberships { organization { name } roles { name displayName } } } } } }`);
const SET_ROLES = graphql(`mutation ($org: String!, $user: String!, $roles: [String!]!) {
  updateOrganizationMemberRoles(organization: $org, user: $user, roles: $roles) { roles { name } } }`);
// Strings: schema.graphql, which graphql() types documents from, leaves `_entities` out.
const USER_ENTITIES = 'query ($r: [_Any!]!) { _entities(representations: $r) { ... on User { username } } }';
const MEMBER_ENTITIES = `query ($r: [_Any!]!) {
  _entities(representations: $r) { ... on OrganizationMember { roles { name } organization { id } } } }`;

describe.skipIf(!SERVER_URL)('prepared statements on one PostgreSQL connection', () => {
  let url: string;
  let database: Database;
  let yoga: Gateway;
  let data: SeededData;
  let userIds: string[];

  /** Runs a document as the owner; returns its data, failing on any error. */
  async function gql<TData, TVariables>(
    document: TadaDocumentNode<TData, TVariables>,
    variables: TVariables,
  ): Promise<TData>;
  async function gql(query: string, variables?: Record<string, unknown>): Promise<unknown>;
  async function gql(document: string | TadaDocumentNode, variables?: unknown) {
    const query = typeof document === 'string' ? document : sourceOf(document);
    const response = await yoga.fetch('http://gateway.test/graphql', {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'coder-session-token': data.ownerToken },
      body: JSON.stringify({ query, variables }),
    });
    return dataOf((await response.json()) as GraphQLResponse);
  }

  beforeAll(async () => {
    url = await createServerDatabase();
    database = await openDatabase({ databaseUrl: url, dataDir: 'unused', databasePoolSize: 1 });
    await database.migrate();
    data = await seedMembers(database, 30);
    yoga = createGateway({ database });
    const listed = await gql(MEMBER_IDS, { org: data.organizationIds[0]! });
    userIds = listed.organizationMembers.map((m) => m.userId);
  });
  afterAll(async () => {
    await database?.close();
    if (url) await dropServerDatabase(url);
  });

  const prepared = () =>
    database.sql.query<{ name: string; statement: string }>(
      'SELECT name, statement FROM pg_prepared_statements ORDER BY name',
      [],
    );

  /** Reads and writes whose lists have `n` elements. */
  async function round(n: number) {
    const organizations = data.organizationIds.slice(0, n);
    await gql(PAGE, { org: data.organizationIds[0]!, limit: n });
    await gql(USER_ENTITIES, { r: userIds.slice(0, n).map((id) => ({ __typename: 'User', id })) });
    await gql(MEMBER_ENTITIES, {
      r: organizations.map((organizationId) => ({
        __typename: 'OrganizationMember',
        organizationId,
        userId: userIds[1],
      })),
    });
    // Built at run time on purpose: n aliased lookups in one document.
    await gql(`{ ${organizations.map((o, i) => `o${i}: organization(organization: "${o}") { name }`).join(' ')} }`);
    const roles = ['organization-auditor', 'reviewer', 'deployer', 'organization-admin'].slice(0, (n % 4) + 1);
    await gql(SET_ROLES, { org: data.organizationIds[0]!, user: data.memberUsernames[2]!, roles });
  }

  // A read may have one statement for a single key and one for a batch: the first two rounds prepare both.
  it('stay the set the first two rounds prepared, whatever the list lengths that follow', async () => {
    await round(1);
    await round(2);
    const first = (await prepared()).map((row) => row.name);
    for (let n = 3; n <= 25; n++) await round(n);
    const after = await prepared();
    expect(after.map((row) => row.name)).toEqual(first);
    // Our fixed statements only: none of Prisma's (which name every table "public"."…").
    expect(after.filter((row) => row.statement.includes('"public".')).map((row) => row.statement)).toEqual([]);
  });
});
