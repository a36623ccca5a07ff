// `organizationMembers` (GET /organizations/{organization}/members): every
// membership the caller may read, ordered by lower-cased username, with the
// member's user data and roles.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DATABASE_KINDS } from '../support/databases.js';
import {
  dataOf,
  addMembers,
  expectRefusal,
  insertCustomRole,
  makeCast,
  makeDefaultOrganization,
  markUser,
  type Cast,
} from '../support/fixtures.js';
import { makeOrganization, makeUser, startTestGateway, type TestGateway } from '../support/gateway.js';
import { graphql } from '../support/graphql.js';

const MEMBERS = graphql(`query ($org: String!) { organizationMembers(organization: $org) { userId username } }`);

describe.each(DATABASE_KINDS)('organizationMembers on %s', (kind) => {
  let gw: TestGateway;
  let cast: Cast;

  const usernames = async (org: string, token: string) => {
    const response = await gw.gql(MEMBERS, { org }, token);
    return dataOf(response).organizationMembers.map((m) => m.username);
  };

  beforeAll(async () => {
    gw = await startTestGateway(kind);
    cast = await makeCast(gw.database);
  });
  afterAll(() => gw?.close());

  it('lists every member by lower-cased username, whatever the case they were created in', async () => {
    const org = await makeOrganization(gw.database);
    await addMembers(gw.database, org.id, ['carol-2', 'Bob', 'dave', 'alice', 'Carol', 'Erin', 'bobby']);
    expect(await usernames(org.name, cast.owner.token)).toEqual([
      'alice',
      'Bob',
      'bobby',
      'Carol',
      'carol-2',
      'dave',
      'Erin',
    ]);
  });

  it("gives each member's user data, stored roles (custom ones with their display names) and site roles", async () => {
    const org = await makeOrganization(gw.database);
    await insertCustomRole(gw.database, { name: 'deployer', displayName: 'Deployer', organizationId: org.id });
    const target = await makeUser(gw.database, {
      name: 'Frida Kahlo',
      siteRoles: ['auditor'],
      orgs: { [org.id]: ['organization-auditor', 'deployer'] },
    });
    const joined = (
      await gw.database.prisma.organizationMember.findFirstOrThrow({
        where: { organizationId: org.id, userId: target.id },
      })
    ).createdAt;

    const response = await gw.gql(
      graphql(`query ($org: String!) { organizationMembers(organization: $org) {
        organizationId userId username name email avatarUrl createdAt updatedAt
        roles { name displayName organizationId } globalRoles { name displayName organizationId }
        organization { id name } user { id username }
      } }`),
      { org: org.name },
      cast.owner.token,
    );
    expect(response).toEqual({
      data: {
        organizationMembers: [
          {
            organizationId: org.id,
            userId: target.id,
            username: target.username,
            name: 'Frida Kahlo',
            email: `${target.username}@example.com`,
            avatarUrl: '',
            createdAt: joined.toISOString(),
            updatedAt: joined.toISOString(),
            roles: [
              { name: 'organization-auditor', displayName: 'Organization Auditor', organizationId: org.id },
              { name: 'deployer', displayName: 'Deployer', organizationId: org.id },
            ],
            globalRoles: [{ name: 'auditor', displayName: 'Auditor', organizationId: null }],
            organization: { id: org.id, name: org.name },
            user: { id: target.id, username: target.username },
          },
        ],
      },
    });
  });

  it('shows admins, user admins, auditors and site owners and auditors every member', async () => {
    const everyone = [cast.admin, cast.userAdmin, cast.auditor, cast.member].map((u) => u.username).sort();
    for (const caller of [cast.owner, cast.siteAuditor, cast.admin, cast.userAdmin, cast.auditor]) {
      expect(await usernames(cast.org.name, caller.token), caller.username).toEqual(everyone);
    }
  });

  it('shows a plain member only their own membership', async () => {
    expect(await usernames(cast.org.name, cast.member.token)).toEqual([cast.member.username]);
  });

  it('is NOT_FOUND for someone outside the organization, and for an organization that does not exist', async () => {
    expectRefusal(await gw.gql(MEMBERS, { org: cast.org.name }, cast.outsider.token), 'NOT_FOUND');
    expectRefusal(await gw.gql(MEMBERS, { org: 'no-such-org' }, cast.owner.token), 'NOT_FOUND');
  });

  it('leaves deleted and system users out', async () => {
    const org = await makeOrganization(gw.database);
    const [kept, deleted, system] = await addMembers(gw.database, org.id, ['kept', 'gone', 'prebuilds']);
    await markUser(gw.database, deleted!.id, { deleted: true });
    await markUser(gw.database, system!.id, { isSystem: true });
    expect(await usernames(org.name, cast.owner.token)).toEqual([kept!.username]);
  });

  it('resolves the organization by id, by name in any case and as `default`', async () => {
    const coder = await makeDefaultOrganization(gw.database);
    await addMembers(gw.database, coder.id, ['zed', 'Yara']);
    for (const ref of [coder.id, 'coder', 'CODER', 'default']) {
      expect(await usernames(ref, cast.owner.token), ref).toEqual(['Yara', 'zed']);
    }
  });

  it('needs a session token', async () => {
    expectRefusal(await gw.gql(MEMBERS, { org: cast.org.name }), 'UNAUTHENTICATED');
  });
});
