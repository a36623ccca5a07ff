// Statements prepared by name on a PostgreSQL connection are a fixed set:
// lists travel as array parameters, and Prisma's statements (which write
// IN ($1, …, $n) out in full) are not named, so no list length adds one. On a
// gateway with a single connection, pages, lookups and entity batches of
// every length from 1 to 25, and writes, leave the set of named statements as
// the first round left it.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openDatabase, type Database } from '../../src/db/database.js';
import { createGateway, type Gateway } from '../../src/yoga.js';
import { createServerDatabase, dropServerDatabase, SERVER_URL } from '../support/databases.js';
import { seedMembers, type SeededData } from '../support/seed.js';

describe.skipIf(!SERVER_URL)('prepared statements on one PostgreSQL connection', () => {
  let url: string;
  let database: Database;
  let yoga: Gateway;
  let data: SeededData;
  let userIds: string[];

  const gql = async (query: string) => {
    const response = await yoga.fetch('http://gateway.test/graphql', {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'coder-session-token': data.ownerToken },
      body: JSON.stringify({ query }),
    });
    const body = (await response.json()) as { data?: any; errors?: unknown[] };
    expect(body.errors, JSON.stringify(body.errors)).toBeUndefined();
    return body.data;
  };

  beforeAll(async () => {
    url = await createServerDatabase();
    database = await openDatabase({ databaseUrl: url, dataDir: 'unused', databasePoolSize: 1 });
    await database.migrate();
    data = await seedMembers(database, 30);
    yoga = createGateway({ database });
    const listed = await gql(`{ organizationMembers(organization: "${data.organizationIds[0]}") { userId } }`);
    userIds = listed.organizationMembers.map((m: { userId: string }) => m.userId);
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
    await gql(`{ paginatedOrganizationMembers(organization: "${data.organizationIds[0]}", limit: ${n}) {
      members { user { organizationMemberships { organization { name } roles { name displayName } } } } } }`);
    await gql(
      `{ _entities(representations: [${userIds
        .slice(0, n)
        .map((id) => `{ __typename: "User", id: "${id}" }`)
        .join(',')}]) { ... on User { username } } }`,
    );
    await gql(
      `{ _entities(representations: [${organizations
        .map((o) => `{ __typename: "OrganizationMember", organizationId: "${o}", userId: "${userIds[1]}" }`)
        .join(',')}]) { ... on OrganizationMember { roles { name } organization { id } } } }`,
    );
    await gql(`{ ${organizations.map((o, i) => `o${i}: organization(organization: "${o}") { name }`).join(' ')} }`);
    const roles = ['organization-auditor', 'reviewer', 'deployer', 'organization-admin'].slice(0, (n % 4) + 1);
    await gql(`mutation { updateOrganizationMemberRoles(organization: "${data.organizationIds[0]}",
      user: "${data.memberUsernames[2]}", roles: ${JSON.stringify(roles)}) { roles { name } } }`);
  }

  it('stay the set the first round prepared, whatever the list lengths that follow', async () => {
    await round(1);
    const first = (await prepared()).map((row) => row.name);
    for (let n = 2; n <= 25; n++) await round(n);
    const after = await prepared();
    expect(after.map((row) => row.name)).toEqual(first);
    // Our fixed statements only: none of Prisma's (which name every table "public"."…").
    expect(after.filter((row) => row.statement.includes('"public".')).map((row) => row.statement)).toEqual([]);
  });
});
