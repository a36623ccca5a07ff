// `paginatedOrganizationMembers` (GET /organizations/{organization}/paginated-members):
// pages of every member by lower-cased username, with the total count; only
// for callers who may read every member.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DATABASE_KINDS } from '../support/databases.js';
import {
  dataOf,
  addMembers,
  expectInvalidDocument,
  expectRefusal,
  makeCast,
  makeDefaultOrganization,
  markUser,
  validationsOf,
  type Cast,
} from '../support/fixtures.js';
import { makeOrganization, startTestGateway, type TestGateway } from '../support/gateway.js';
import { graphql } from '../support/graphql.js';

const PAGE = graphql(`query ($org: String!, $limit: Int, $offset: Int) {
  paginatedOrganizationMembers(organization: $org, limit: $limit, offset: $offset) { count members { username } }
}`);

// Created shuffled; listed in this order (lower-cased username).
const ORDERED = ['alice', 'Bob', 'bobby', 'Carol', 'carol-2', 'Dave', 'erin'];

describe.each(DATABASE_KINDS)('paginatedOrganizationMembers on %s', (kind) => {
  let gw: TestGateway;
  let cast: Cast;
  let org: Awaited<ReturnType<typeof makeOrganization>>;

  const page = async (args: { limit?: number; offset?: number }, token = cast.owner.token) => {
    const response = await gw.gql(PAGE, { org: org.name, ...args }, token);
    const { count, members } = dataOf(response).paginatedOrganizationMembers;
    return { count, usernames: members.map((m) => m.username) };
  };

  beforeAll(async () => {
    gw = await startTestGateway(kind);
    cast = await makeCast(gw.database);
    org = await makeOrganization(gw.database);
    await addMembers(gw.database, org.id, ['Dave', 'carol-2', 'alice', 'erin', 'Carol', 'bobby', 'Bob']);
  });
  afterAll(() => gw?.close());

  it('gives every member and the count when called without paging arguments, and for limit 0', async () => {
    expect(await page({})).toEqual({ count: 7, usernames: ORDERED });
    expect(await page({ limit: 0, offset: 0 })).toEqual({ count: 7, usernames: ORDERED });
  });

  it('pages by limit and offset in lower-cased username order, with the total count on every page', async () => {
    expect(await page({ limit: 3 })).toEqual({ count: 7, usernames: ['alice', 'Bob', 'bobby'] });
    expect(await page({ limit: 3, offset: 3 })).toEqual({ count: 7, usernames: ['Carol', 'carol-2', 'Dave'] });
    expect(await page({ limit: 3, offset: 6 })).toEqual({ count: 7, usernames: ['erin'] });
    expect(await page({ offset: 5 })).toEqual({ count: 7, usernames: ['Dave', 'erin'] });
  });

  it('lists members in the same order as organizationMembers', async () => {
    const list = await gw.gql(
      graphql(`query ($org: String!) { organizationMembers(organization: $org) { username } }`),
      { org: org.name },
      cast.owner.token,
    );
    expect(list.data?.organizationMembers.map((m: { username: string }) => m.username)).toEqual(
      (await page({})).usernames,
    );
  });

  it('gives an empty page with the true count for an offset at or past the end', async () => {
    expect(await page({ limit: 3, offset: 7 })).toEqual({ count: 7, usernames: [] });
    expect(await page({ offset: 1000 })).toEqual({ count: 7, usernames: [] });
    expect(await page({ limit: 2_147_483_647, offset: 2_147_483_647 })).toEqual({ count: 7, usernames: [] });
  });

  it('takes the largest Int as a limit', async () => {
    expect(await page({ limit: 2_147_483_647, offset: 1 })).toEqual({ count: 7, usernames: ORDERED.slice(1) });
  });

  it('leaves deleted and system users out of the page and the count', async () => {
    const other = await makeOrganization(gw.database);
    const [, deleted, , system] = await addMembers(gw.database, other.id, ['pa', 'pb', 'pc', 'pd']);
    await markUser(gw.database, deleted!.id, { deleted: true });
    await markUser(gw.database, system!.id, { isSystem: true });
    const all = await gw.gql(PAGE, { org: other.id }, cast.owner.token);
    expect(all.data?.paginatedOrganizationMembers).toEqual({
      count: 2,
      members: [{ username: 'pa' }, { username: 'pc' }],
    });
    const second = await gw.gql(PAGE, { org: other.id, limit: 1, offset: 1 }, cast.owner.token);
    expect(second.data?.paginatedOrganizationMembers).toEqual({ count: 2, members: [{ username: 'pc' }] });
    // Looked up one by one, a system user is no member either, as in Coder; a deleted one is no user at all.
    for (const hidden of [deleted!, system!]) {
      const one = await gw.gql(
        `query ($org: String!, $user: String!, $representations: [_Any!]!) {
          organizationMember(organization: $org, user: $user) { username }
          organization(organization: $org) { member(user: $user) { username } }
          _entities(representations: $representations) { ... on OrganizationMember { username } }
        }`,
        {
          org: other.id,
          user: hidden.id,
          representations: [{ __typename: 'OrganizationMember', organizationId: other.id, userId: hidden.id }],
        },
        cast.owner.token,
      );
      expect(one.data, hidden.username).toEqual({
        organizationMember: null,
        organization: { member: null },
        _entities: [null],
      });
    }
  });

  it('serves site owners and auditors, and organization admins, user admins and auditors', async () => {
    for (const caller of [cast.owner, cast.siteAuditor, cast.admin, cast.userAdmin, cast.auditor]) {
      const response = await gw.gql(PAGE, { org: cast.org.name }, caller.token);
      expect(response.data?.paginatedOrganizationMembers.count, caller.username).toBe(4);
    }
  });

  it('is NOT_FOUND for a plain member, who may read only their own membership', async () => {
    expectRefusal(await gw.gql(PAGE, { org: cast.org.name }, cast.member.token), 'NOT_FOUND');
  });

  it('refuses a plain member before reading any member: the session is the only statement', async () => {
    const statements: string[] = [];
    const stop = gw.database.onStatement((sql) => statements.push(sql));
    try {
      const aliases = Array.from(
        { length: 10 },
        (_, i) =>
          `p${i}: paginatedOrganizationMembers(organization: $org, offset: ${i}) { count members { username } }`,
      );
      const refused = await gw.gql(
        `query ($org: String!) { ${aliases.join(' ')} }`,
        { org: cast.org.name },
        cast.member.token,
      );
      expect(refused.data).toBeNull();
      expect(new Set(refused.errors?.map((error) => error.extensions?.code))).toEqual(new Set(['NOT_FOUND']));
    } finally {
      stop();
    }
    expect(statements, statements.join('\n---\n')).toHaveLength(1);
  });

  it('answers a count alone, and a page past the end, with the true count', async () => {
    const count = graphql(
      'query ($org: String!) { paginatedOrganizationMembers(organization: $org, limit: 3, offset: 2) { id count } }',
    );
    expect(dataOf(await gw.gql(count, { org: org.name }, cast.owner.token)).paginatedOrganizationMembers.count).toBe(7);
    expect(await page({ limit: 1, offset: 2_147_483_000 })).toEqual({ count: 7, usernames: [] });
    expect(await page({ limit: 2, offset: 5 })).toEqual({ count: 7, usernames: ['Dave', 'erin'] });
  });

  it('is NOT_FOUND for someone outside the organization and for an unknown organization', async () => {
    expectRefusal(await gw.gql(PAGE, { org: cast.org.name }, cast.outsider.token), 'NOT_FOUND');
    expectRefusal(await gw.gql(PAGE, { org: 'no-such-org' }, cast.owner.token), 'NOT_FOUND');
  });

  it('finds the organization by id in either case, by name in any case, and as `default` or the nil UUID', async () => {
    const home = await makeDefaultOrganization(gw.database, 'home-org');
    await addMembers(gw.database, home.id, ['Zed', 'yan']);
    // Coder takes the nil UUID for `default` too (coderd/httpmw/organizationparam.go).
    const nil = '00000000-0000-0000-0000-000000000000';
    for (const ref of [home.id, home.id.toUpperCase(), 'home-org', 'HOME-ORG', 'default', nil]) {
      const response = await gw.gql(PAGE, { org: ref, limit: 1 }, cast.owner.token);
      expect(response.data?.paginatedOrganizationMembers, ref).toEqual({ count: 2, members: [{ username: 'yan' }] });
    }
  });

  it('is NOT_FOUND for a deleted organization, by id and by name', async () => {
    const gone = await makeOrganization(gw.database);
    await addMembers(gw.database, gone.id, ['left-behind']);
    await gw.database.prisma.organization.update({ where: { id: gone.id }, data: { deleted: true } });
    for (const ref of [gone.id, gone.name])
      expectRefusal(await gw.gql(PAGE, { org: ref }, cast.owner.token), 'NOT_FOUND');
  });

  it('refuses a negative limit or offset with BAD_USER_INPUT naming each', async () => {
    const limit = await gw.gql(PAGE, { org: org.name, limit: -1 }, cast.owner.token);
    expectRefusal(limit, 'BAD_USER_INPUT', /paging/i);
    expect(validationsOf(limit).map((v) => v.field)).toEqual(['limit']);
    const offset = await gw.gql(PAGE, { org: org.name, offset: -5 }, cast.owner.token);
    expectRefusal(offset, 'BAD_USER_INPUT');
    expect(validationsOf(offset).map((v) => v.field)).toEqual(['offset']);
    const both = await gw.gql(PAGE, { org: org.name, limit: -1, offset: -5 }, cast.owner.token);
    expect(validationsOf(both).map((v) => v.field)).toEqual(['limit', 'offset']);
  });

  it('leaves a limit over 2^31 - 1 to GraphQL, which rejects it before anything runs', async () => {
    expectInvalidDocument(await gw.gql(PAGE, { org: org.name, limit: 2_147_483_648 }, cast.owner.token), /Int/);
    expectInvalidDocument(
      await gw.gql(
        `{ paginatedOrganizationMembers(organization: "${org.name}", offset: 2147483648) { count } }`,
        {},
        cast.owner.token,
      ),
      /Int/,
    );
  });

  it('needs a session token', async () => {
    expectRefusal(await gw.gql(PAGE, { org: org.name }), 'UNAUTHENTICATED');
  });
});
