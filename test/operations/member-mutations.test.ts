// addOrganizationMember, removeOrganizationMember and updateOrganizationMemberRoles
// (POST, DELETE and PUT /organizations/{organization}/members/{user}[/roles]):
// each success path, and each refusal of SPEC D in its order, with the rows
// checked to be unchanged after every refusal.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DATABASE_KINDS } from '../support/databases.js';
import {
  addMembers,
  dataOf,
  expectRefusal,
  expectRefusedUnchanged,
  insertCustomRole,
  makeCast,
  makeDefaultOrganization,
  markUser,
  storedRoles,
  validationsOf,
  type Cast,
} from '../support/fixtures.js';
import { makeOrganization, makeUser, startTestGateway, type TestGateway, type TestUser } from '../support/gateway.js';
import { graphql } from '../support/graphql.js';
import { fieldOf } from '../support/fixtures.js';

const ADD = graphql(`mutation ($org: String!, $user: String!) {
  addOrganizationMember(organization: $org, user: $user) { organizationId userId username roles { name } }
}`);
const REMOVE = graphql(
  `mutation ($org: String!, $user: String!) { removeOrganizationMember(organization: $org, user: $user) }`,
);
const SET_ROLES = graphql(`mutation ($org: String!, $user: String!, $roles: [String!]!) {
  updateOrganizationMemberRoles(organization: $org, user: $user, roles: $roles) { userId roles { name displayName organizationId } }
}`);
const PAGE = graphql(`query ($org: String!) { paginatedOrganizationMembers(organization: $org) { count } }`);

describe.each(DATABASE_KINDS)('member mutations on %s', (kind) => {
  let gw: TestGateway;
  let cast: Cast;
  let siteUserAdmin: TestUser;
  let coder: Awaited<ReturnType<typeof makeDefaultOrganization>>;

  const add = (org: string, user: string, caller: TestUser) => gw.gql(ADD, { org, user }, caller.token);
  const remove = (org: string, user: string, caller: TestUser) => gw.gql(REMOVE, { org, user }, caller.token);
  const setRoles = (org: string, user: string, roles: string[], caller: TestUser) =>
    gw.gql(SET_ROLES, { org, user, roles }, caller.token);
  const refusedUnchanged = (run: () => ReturnType<TestGateway['gql']>, code: string, message?: RegExp) =>
    expectRefusedUnchanged(gw.database, run, code, message);
  /** A fresh member of the cast's organization with these stored roles. */
  const newMember = (roles: string[] = []) => makeUser(gw.database, { orgs: { [cast.org.id]: roles } });

  beforeAll(async () => {
    gw = await startTestGateway(kind);
    cast = await makeCast(gw.database);
    siteUserAdmin = await makeUser(gw.database, { siteRoles: ['user-admin'] });
    coder = await makeDefaultOrganization(gw.database);
  });
  afterAll(() => gw?.close());

  it('answers a write with the membership as written: what a read right after gives, to the millisecond', async () => {
    const FIELDS =
      'organizationId userId username name email createdAt updatedAt roles { name } user { id status lastSeenAt }';
    const newcomer = await makeUser(gw.database);
    const read = async () =>
      fieldOf(
        await gw.gql(
          `query ($org: String!, $user: String!) { organizationMember(organization: $org, user: $user) { ${FIELDS} } }`,
          { org: cast.org.id, user: newcomer.id },
          cast.owner.token,
        ),
        'organizationMember',
      );
    const added = await gw.gql(
      `mutation ($org: String!, $user: String!) { addOrganizationMember(organization: $org, user: $user) { ${FIELDS} } }`,
      { org: cast.org.id, user: newcomer.id },
      cast.owner.token,
    );
    expect(added.errors).toBeUndefined();
    expect(fieldOf(added, 'addOrganizationMember')).toEqual(await read());
    const updated = await gw.gql(
      `mutation ($org: String!, $user: String!) {
        updateOrganizationMemberRoles(organization: $org, user: $user, roles: ["organization-auditor"]) { ${FIELDS} }
      }`,
      { org: cast.org.id, user: newcomer.id },
      cast.owner.token,
    );
    expect(updated.errors).toBeUndefined();
    expect(fieldOf(updated, 'updateOrganizationMemberRoles')).toEqual(await read());
  });

  it('reads the organization it writes in once, its answer included: no write changes an organization', async () => {
    const newcomer = await makeUser(gw.database);
    const organizationReads: string[] = [];
    const stop = gw.database.onStatement((text) => {
      if (/json_build_array\(o\.id, o\.name/.test(text) && !/organization_members/.test(text))
        organizationReads.push(text);
    });
    try {
      const answer = await gw.gql(
        `mutation ($org: String!, $user: String!) { addOrganizationMember(organization: $org, user: $user) {
          username organization { id name displayName members(first: 5) { totalCount } } } }`,
        { org: cast.org.name, user: newcomer.username },
        cast.owner.token,
      );
      expect(answer.errors).toBeUndefined();
      expect(dataOf(answer)).toMatchObject({ addOrganizationMember: { organization: { id: cast.org.id } } });
    } finally {
      stop();
    }
    expect(organizationReads).toHaveLength(1);
  });

  describe('addOrganizationMember', () => {
    it('adds a user with no explicit roles, who can then see the organization', async () => {
      const newcomer = await makeUser(gw.database);
      const response = await add(cast.org.name, newcomer.username, cast.owner);
      expect(response).toEqual({
        data: {
          addOrganizationMember: {
            organizationId: cast.org.id,
            userId: newcomer.id,
            username: newcomer.username,
            roles: [],
          },
        },
      });
      expect(await storedRoles(gw.database, cast.org.id, newcomer.id)).toEqual([]);
      const seen = await gw.gql(graphql('{ organizations { id } }'), {}, newcomer.token);
      expect(seen.data?.organizations).toEqual([{ id: cast.org.id }]);
    });

    it('lets organization admins, organization user admins and site user admins add members', async () => {
      for (const caller of [cast.admin, cast.userAdmin, siteUserAdmin]) {
        const newcomer = await makeUser(gw.database);
        const response = await add(cast.org.id, newcomer.id, caller);
        expect(response.data?.addOrganizationMember.userId, caller.username).toBe(newcomer.id);
      }
    });

    it('finds the user by username in any case or `me`, and the organization by name in any case or `default`', async () => {
      const newcomer = await makeUser(gw.database);
      expect(
        (await add('default', newcomer.username.toUpperCase(), cast.owner)).data?.addOrganizationMember.organizationId,
      ).toBe(coder.id);
      const other = await makeOrganization(gw.database, 'Mixed-Case-Org');
      expect((await add('mixed-case-org', 'me', cast.owner)).data?.addOrganizationMember).toMatchObject({
        organizationId: other.id,
        userId: cast.owner.id,
      });
    });

    it('is CONFLICT for someone who is already a member, and keeps their roles', async () => {
      const existing = await newMember(['organization-auditor']);
      await refusedUnchanged(() => add(cast.org.name, existing.username, cast.owner), 'CONFLICT', /already/i);
      expect(await storedRoles(gw.database, cast.org.id, existing.id)).toEqual(['organization-auditor']);
    });

    it('is BAD_USER_INPUT, naming the user argument, for a user who does not exist or is deleted', async () => {
      const deleted = await makeUser(gw.database);
      await markUser(gw.database, deleted.id, { deleted: true });
      for (const user of ['no-such-user', '7c60d51f-b44e-4682-87d6-449835ea4de6', deleted.username]) {
        const response = await refusedUnchanged(
          () => add(cast.org.name, user, cast.owner),
          'BAD_USER_INPUT',
          /must be an existing uuid or username/i,
        );
        expect(validationsOf(response).map((v) => v.field)).toEqual(['user']);
      }
    });

    it('is BAD_USER_INPUT for a user the caller may not read, before its right to add is checked', async () => {
      const stranger = await makeUser(gw.database);
      // Plain members and organization auditors may read only their own account.
      for (const caller of [cast.member, cast.auditor]) {
        await refusedUnchanged(
          () => add(cast.org.name, stranger.username, caller),
          'BAD_USER_INPUT',
          /must be an existing uuid or username/i,
        );
      }
    });

    it('is NOT_FOUND for callers who can read the user but may not add members, even to re-add themselves', async () => {
      const stranger = await makeUser(gw.database);
      // A site auditor reads every user; an outsider administers another organization and is a plain member here.
      const adminElsewhere = await makeUser(gw.database, {
        orgs: { [cast.org.id]: [], [cast.otherOrg.id]: ['organization-admin'] },
      });
      for (const caller of [cast.siteAuditor, adminElsewhere]) {
        await refusedUnchanged(() => add(cast.org.name, stranger.username, caller), 'NOT_FOUND');
      }
      // The right to add is checked before membership: a plain member re-adding itself is NOT_FOUND, not CONFLICT.
      await refusedUnchanged(() => add(cast.org.name, 'me', cast.member), 'NOT_FOUND');
    });

    it('is NOT_FOUND for someone outside the organization and for an unknown organization', async () => {
      const stranger = await makeUser(gw.database);
      await refusedUnchanged(() => add(cast.org.name, stranger.username, cast.outsider), 'NOT_FOUND');
      await refusedUnchanged(() => add('no-such-org', stranger.username, cast.owner), 'NOT_FOUND');
    });

    it('gives one success and one CONFLICT, never an error or a second row, when two adds race', async () => {
      for (let round = 0; round < 5; round++) {
        const [racer] = await addMembers(gw.database, cast.otherOrg.id, [`racer-${round}`]);
        const responses = await Promise.all([
          add(cast.org.id, racer!.id, cast.owner),
          add(cast.org.id, racer!.id, cast.admin),
        ]);
        const outcomes = responses.map((r) => r.errors?.[0]?.extensions?.code ?? 'OK').sort();
        expect(outcomes, JSON.stringify(responses)).toEqual(['CONFLICT', 'OK']);
        expect(
          await gw.database.prisma.organizationMember.count({
            where: { organizationId: cast.org.id, userId: racer!.id },
          }),
        ).toBe(1);
      }
    });

    it('needs a session token', async () => {
      const newcomer = await makeUser(gw.database);
      expectRefusal(await gw.gql(ADD, { org: cast.org.name, user: newcomer.username }), 'UNAUTHENTICATED');
      expect(await storedRoles(gw.database, cast.org.id, newcomer.id)).toBeUndefined();
    });
  });

  describe('removeOrganizationMember', () => {
    it('removes the membership, after which the user no longer sees the organization, and keeps its other memberships', async () => {
      const leaving = await makeUser(gw.database, {
        orgs: { [cast.org.id]: ['organization-auditor'], [cast.otherOrg.id]: [] },
      });
      expect(await remove(cast.org.name, leaving.username, cast.owner)).toEqual({
        data: { removeOrganizationMember: true },
      });
      expect(await storedRoles(gw.database, cast.org.id, leaving.id)).toBeUndefined();
      expect(await storedRoles(gw.database, cast.otherOrg.id, leaving.id)).toEqual([]);
      const seen = await gw.gql(graphql('{ organizations { id } }'), {}, leaving.token);
      expect(seen.data?.organizations).toEqual([{ id: cast.otherOrg.id }]);
    });

    it('lets organization admins, organization user admins and site user admins remove members', async () => {
      for (const caller of [cast.admin, cast.userAdmin, siteUserAdmin]) {
        const leaving = await newMember();
        expect(await remove(cast.org.id, leaving.id, caller), caller.username).toEqual({
          data: { removeOrganizationMember: true },
        });
        expect(await storedRoles(gw.database, cast.org.id, leaving.id)).toBeUndefined();
      }
    });

    it('removes from the default organization too', async () => {
      const leaving = await makeUser(gw.database, { orgs: { [coder.id]: [] } });
      expect(await remove('default', leaving.username, cast.owner)).toEqual({
        data: { removeOrganizationMember: true },
      });
      expect(await storedRoles(gw.database, coder.id, leaving.id)).toBeUndefined();
    });

    it('refuses removing yourself with BAD_USER_INPUT, admin or not', async () => {
      for (const caller of [cast.admin, cast.member]) {
        await refusedUnchanged(() => remove(cast.org.name, 'me', caller), 'BAD_USER_INPUT', /cannot remove self/i);
        await refusedUnchanged(
          () => remove(cast.org.name, caller.username, caller),
          'BAD_USER_INPUT',
          /cannot remove self/i,
        );
      }
    });

    it('is NOT_FOUND for a plain member removing someone else, whose membership they cannot see', async () => {
      await refusedUnchanged(() => remove(cast.org.name, cast.admin.username, cast.member), 'NOT_FOUND');
    });

    it('is NOT_FOUND for auditors, who see the membership but may not delete it', async () => {
      for (const caller of [cast.auditor, cast.siteAuditor]) {
        await refusedUnchanged(() => remove(cast.org.name, cast.member.username, caller), 'NOT_FOUND');
      }
    });

    it('is NOT_FOUND for a user who is not a member, and for an outsider', async () => {
      await refusedUnchanged(() => remove(cast.org.name, cast.outsider.username, cast.owner), 'NOT_FOUND');
      await refusedUnchanged(() => remove(cast.org.name, cast.member.username, cast.outsider), 'NOT_FOUND');
      await refusedUnchanged(() => remove(cast.org.name, 'no-such-user', cast.outsider), 'NOT_FOUND');
    });

    // dbauthz.DeleteOrganizationMember looks the member up without system users: Coder answers 404 (issue 18, point 3).
    it("is NOT_FOUND to remove a system user's membership, even for an owner, and the membership stays", async () => {
      const prebuilds = await newMember();
      await markUser(gw.database, prebuilds.id, { isSystem: true });
      for (const caller of [cast.owner, cast.admin, siteUserAdmin]) {
        await refusedUnchanged(() => remove(cast.org.name, prebuilds.id, caller), 'NOT_FOUND');
      }
      expect(await storedRoles(gw.database, cast.org.id, prebuilds.id)).toEqual([]);
    });

    it('is NOT_FOUND the second time', async () => {
      const leaving = await newMember();
      expect((await remove(cast.org.name, leaving.username, cast.owner)).data?.removeOrganizationMember).toBe(true);
      await refusedUnchanged(() => remove(cast.org.name, leaving.username, cast.owner), 'NOT_FOUND');
    });

    it('needs a session token', async () => {
      const staying = await newMember();
      expectRefusal(await gw.gql(REMOVE, { org: cast.org.name, user: staying.username }), 'UNAUTHENTICATED');
      expect(await storedRoles(gw.database, cast.org.id, staying.id)).toEqual([]);
    });
  });

  describe('updateOrganizationMemberRoles', () => {
    it('replaces the stored roles and answers with their display names', async () => {
      const target = await newMember(['organization-template-admin']);
      const response = await setRoles(
        cast.org.name,
        target.username,
        ['organization-admin', 'organization-auditor'],
        cast.owner,
      );
      expect(response).toEqual({
        data: {
          updateOrganizationMemberRoles: {
            userId: target.id,
            roles: [
              { name: 'organization-admin', displayName: 'Organization Admin', organizationId: cast.org.id },
              { name: 'organization-auditor', displayName: 'Organization Auditor', organizationId: cast.org.id },
            ],
          },
        },
      });
      expect(await storedRoles(gw.database, cast.org.id, target.id)).toEqual([
        'organization-admin',
        'organization-auditor',
      ]);
    });

    it('stores the roles de-duplicated in request order, without the implicit organization-member', async () => {
      const target = await newMember();
      const roles = ['organization-auditor', 'organization-member', 'organization-admin', 'organization-auditor'];
      await setRoles(cast.org.name, target.username, roles, cast.owner);
      expect(await storedRoles(gw.database, cast.org.id, target.id)).toEqual([
        'organization-auditor',
        'organization-admin',
      ]);
    });

    // Coder stores organization-member when a request names it; its UpdateMemberRoles counts the role as always
    // held, so leaving it out later removes nothing and needs no right to unassign.
    it('treats a stored organization-member (as Coder writes it) as implied: leaving it out removes nothing', async () => {
      const storedAsCoder = async (roles: string[]) => {
        const member = await newMember();
        await gw.database.prisma
          .$executeRaw`UPDATE organization_members SET roles = ${roles} WHERE organization_id = ${cast.org.id}::uuid AND user_id = ${member.id}::uuid`;
        return member;
      };
      const target = await storedAsCoder(['organization-member']);
      const response = await setRoles(cast.org.name, target.username, [], cast.auditor);
      expect(response).toEqual({ data: { updateOrganizationMemberRoles: { userId: target.id, roles: [] } } });
      expect(await storedRoles(gw.database, cast.org.id, target.id)).toEqual([]);
      const holder = await storedAsCoder(['organization-member', 'organization-auditor']);
      await refusedUnchanged(() => setRoles(cast.org.name, holder.username, [], cast.auditor), 'FORBIDDEN', /unassign/);
    });

    it('clears every role for an empty list', async () => {
      const target = await newMember(['organization-auditor', 'organization-user-admin']);
      const response = await setRoles(cast.org.name, target.username, [], cast.owner);
      expect(response.data?.updateOrganizationMemberRoles.roles).toEqual([]);
      expect(await storedRoles(gw.database, cast.org.id, target.id)).toEqual([]);
    });

    it("lets an owner and the organization's admin assign its custom roles", async () => {
      await insertCustomRole(gw.database, {
        name: 'release-manager',
        displayName: 'Release Manager',
        organizationId: cast.org.id,
      });
      for (const caller of [cast.owner, cast.admin]) {
        const target = await newMember();
        const response = await setRoles(
          cast.org.id,
          target.id,
          ['release-manager', 'organization-template-admin'],
          caller,
        );
        expect(response.data?.updateOrganizationMemberRoles.roles, caller.username).toEqual([
          { name: 'release-manager', displayName: 'Release Manager', organizationId: cast.org.id },
          {
            name: 'organization-template-admin',
            displayName: 'Organization Template Admin',
            organizationId: cast.org.id,
          },
        ]);
      }
    });

    it('changes what the member may do: an organization auditor may page the members, until the role is taken away', async () => {
      const target = await newMember();
      expectRefusal(await gw.gql(PAGE, { org: cast.org.name }, target.token), 'NOT_FOUND');
      await setRoles(cast.org.name, target.username, ['organization-auditor'], cast.admin);
      expect(
        (await gw.gql(PAGE, { org: cast.org.name }, target.token)).data?.paginatedOrganizationMembers.count,
      ).toBeGreaterThan(1);
      await setRoles(cast.org.name, target.username, [], cast.admin);
      expectRefusal(await gw.gql(PAGE, { org: cast.org.name }, target.token), 'NOT_FOUND');
    });

    it('lets organization and site user admins give the implicit organization-member, that is, an empty list', async () => {
      for (const caller of [cast.userAdmin, siteUserAdmin]) {
        const target = await newMember();
        expect(
          (await setRoles(cast.org.name, target.username, ['organization-member'], caller)).data
            ?.updateOrganizationMemberRoles.roles,
        ).toEqual([]);
      }
    });

    // dbauthz.UpdateMemberRoles finds no system user and coderd/members.go answers that with 403 (issue 18, point 3).
    it("is FORBIDDEN to change a system user's roles, even for an owner, and its roles stay", async () => {
      const prebuilds = await newMember(['organization-auditor']);
      await markUser(gw.database, prebuilds.id, { isSystem: true });
      for (const caller of [cast.owner, cast.admin]) {
        await refusedUnchanged(
          () => setRoles(cast.org.name, prebuilds.id, ['organization-admin'], caller),
          'FORBIDDEN',
          /system user/i,
        );
      }
      expect(await storedRoles(gw.database, cast.org.id, prebuilds.id)).toEqual(['organization-auditor']);
    });

    it('is NOT_FOUND, not FORBIDDEN, for a system user whose membership the caller cannot see', async () => {
      const prebuilds = await newMember();
      await markUser(gw.database, prebuilds.id, { isSystem: true });
      await refusedUnchanged(() => setRoles(cast.org.name, prebuilds.id, [], cast.member), 'NOT_FOUND');
    });

    // database.UpdateMemberRoles sets roles only (issue 18, point 6).
    it("leaves the membership's updated_at as it was, as Coder's UpdateMemberRoles does", async () => {
      const target = await newMember(['organization-auditor']);
      const key = { organizationId_userId: { organizationId: cast.org.id, userId: target.id } };
      const longAgo = new Date('2024-03-01T12:00:00.123Z');
      await gw.database.prisma.organizationMember.update({ where: key, data: { updatedAt: longAgo } });
      const response = await gw.gql(
        graphql(`mutation ($org: String!, $user: String!) {
           updateOrganizationMemberRoles(organization: $org, user: $user, roles: ["organization-admin"]) { updatedAt }
         }`),
        { org: cast.org.name, user: target.username },
        cast.owner.token,
      );
      expect(response).toEqual({ data: { updateOrganizationMemberRoles: { updatedAt: longAgo.toISOString() } } });
      expect(await gw.database.prisma.organizationMember.findUniqueOrThrow({ where: key })).toMatchObject({
        roles: ['organization-admin'],
        updatedAt: longAgo,
      });
    });

    it('refuses changing your own roles with BAD_USER_INPUT, admin or not', async () => {
      for (const caller of [cast.admin, cast.member]) {
        await refusedUnchanged(
          () => setRoles(cast.org.name, 'me', ['organization-auditor'], caller),
          'BAD_USER_INPUT',
          /own/i,
        );
      }
      await refusedUnchanged(
        () => setRoles(cast.org.name, cast.admin.username, [], cast.admin),
        'BAD_USER_INPUT',
        /own/i,
      );
    });

    it.each([
      ['a role with an organization suffix', 'organization-admin:00000000-0000-0000-0000-000000000000'],
      ['a site role', 'owner'],
      ['the implicit site role', 'member'],
      ['another site role', 'auditor'],
      ['an empty name', ''],
      ['an unknown name', 'no-such-role'],
      ['a built-in name in another case', 'Organization-Admin'],
    ])('refuses %s as not a supported role', async (_what, role) => {
      const target = await newMember(['organization-auditor']);
      const response = await refusedUnchanged(
        () => setRoles(cast.org.name, target.username, ['organization-template-admin', role], cast.owner),
        'BAD_USER_INPUT',
        /not a supported role/i,
      );
      expect(validationsOf(response)).toEqual([{ field: 'roles', detail: expect.stringContaining(`"${role}"`) }]);
    });

    it("refuses another organization's custom role as not a supported role", async () => {
      await insertCustomRole(gw.database, { name: 'elsewhere-only', organizationId: cast.otherOrg.id });
      const target = await newMember();
      await refusedUnchanged(
        () => setRoles(cast.org.name, target.username, ['elsewhere-only'], cast.owner),
        'BAD_USER_INPUT',
        /not a supported role/i,
      );
    });

    it('checks role names before permissions: an auditor naming a site role gets BAD_USER_INPUT', async () => {
      await refusedUnchanged(
        () => setRoles(cast.org.name, cast.member.username, ['owner'], cast.auditor),
        'BAD_USER_INPUT',
        /not a supported role/i,
      );
    });

    it('is FORBIDDEN for auditors, who see the member but may not assign roles', async () => {
      for (const caller of [cast.auditor, cast.siteAuditor]) {
        await refusedUnchanged(
          () => setRoles(cast.org.name, cast.member.username, ['organization-auditor'], caller),
          'FORBIDDEN',
        );
      }
    });

    it('is FORBIDDEN to take a role away without the right to unassign, even with the right to assign', async () => {
      await insertCustomRole(gw.database, {
        name: 'assigner',
        organizationId: cast.org.id,
        org: [
          { resource_type: 'assign_org_role', action: 'assign' },
          { resource_type: 'organization_member', action: 'read' },
        ],
      });
      const assigner = await newMember(['assigner']);
      const target = await newMember(['organization-auditor']);
      await refusedUnchanged(() => setRoles(cast.org.name, target.username, [], assigner), 'FORBIDDEN', /unassign/i);
    });

    it('is BAD_USER_INPUT to give or take a role the caller may not assign', async () => {
      const target = await newMember(['organization-auditor']);
      // An organization user admin may assign organization-member only: neither add organization-admin nor remove organization-auditor.
      await refusedUnchanged(
        () => setRoles(cast.org.name, target.username, ['organization-auditor', 'organization-admin'], cast.userAdmin),
        'BAD_USER_INPUT',
        /not authorized to assign role/i,
      );
      await refusedUnchanged(
        () => setRoles(cast.org.name, target.username, [], cast.userAdmin),
        'BAD_USER_INPUT',
        /not authorized to assign role/i,
      );
      await refusedUnchanged(
        () =>
          setRoles(
            cast.org.name,
            target.username,
            ['organization-auditor', 'organization-template-admin'],
            siteUserAdmin,
          ),
        'BAD_USER_INPUT',
        /not authorized to assign role/i,
      );
    });

    it('is NOT_FOUND for a plain member changing someone else, whose membership they cannot see', async () => {
      await refusedUnchanged(() => setRoles(cast.org.name, cast.auditor.username, [], cast.member), 'NOT_FOUND');
    });

    it('is NOT_FOUND for a user who is not a member, and for an outsider', async () => {
      await refusedUnchanged(() => setRoles(cast.org.name, cast.outsider.username, [], cast.owner), 'NOT_FOUND');
      await refusedUnchanged(() => setRoles(cast.org.name, cast.member.username, [], cast.outsider), 'NOT_FOUND');
      await refusedUnchanged(() => setRoles(cast.org.name, 'no-such-user', [], cast.outsider), 'NOT_FOUND');
    });

    it('needs a session token', async () => {
      const target = await newMember();
      expectRefusal(
        await gw.gql(SET_ROLES, { org: cast.org.name, user: target.username, roles: ['organization-admin'] }),
        'UNAUTHENTICATED',
      );
      expect(await storedRoles(gw.database, cast.org.id, target.id)).toEqual([]);
    });
  });

  // Coder resolves the `{user}` route parameter before it looks for the membership: a user who does not exist is
  // 400 "must be an existing uuid or username"; an id finds deleted users too, which then have no membership (404).
  describe.each([
    ['removeOrganizationMember', (user: string, caller: TestUser) => remove(cast.org.name, user, caller)],
    [
      'updateOrganizationMemberRoles',
      (user: string, caller: TestUser) => setRoles(cast.org.name, user, ['organization-admin'], caller),
    ],
  ])('%s of a user who does not exist', (_name, change) => {
    it('is BAD_USER_INPUT, naming the user argument, to anyone who sees the organization', async () => {
      for (const caller of [cast.owner, cast.member]) {
        for (const user of ['no-such-user', '7c60d51f-b44e-4682-87d6-449835ea4de6']) {
          const response = await refusedUnchanged(
            () => change(user, caller),
            'BAD_USER_INPUT',
            /must be an existing uuid or username/i,
          );
          expect(validationsOf(response).map((v) => v.field)).toEqual(['user']);
        }
      }
    });

    it('is NOT_FOUND for a deleted user named by id, BAD_USER_INPUT by username', async () => {
      const gone = await newMember();
      await markUser(gw.database, gone.id, { deleted: true });
      await refusedUnchanged(() => change(gone.id, cast.owner), 'NOT_FOUND');
      await refusedUnchanged(() => change(gone.username, cast.owner), 'BAD_USER_INPUT', /existing uuid or username/i);
    });
  });

  // GraphQL runs a request's mutation fields one after another: each must
  // see what the ones before it wrote, though they read the same things.
  describe('several mutations in one request', () => {
    it("each answers with what the ones before it wrote: the organization's members after each add", async () => {
      const organization = await makeOrganization(gw.database);
      const [first, second] = [await makeUser(gw.database), await makeUser(gw.database)];
      const response = await gw.gql(
        graphql(`mutation ($org: String!, $first: String!, $second: String!) {
           a: addOrganizationMember(organization: $org, user: $first) { organization { members { totalCount edges { node { userId } } } } }
           b: addOrganizationMember(organization: $org, user: $second) { organization { members { totalCount edges { node { userId } } } } }
         }`),
        { org: organization.name, first: first.username, second: second.username },
        cast.owner.token,
      );
      const data = dataOf(response);
      const members = (alias: 'a' | 'b') => data[alias].organization?.members;
      expect(members('a')?.totalCount).toBe(1);
      expect(members('b')?.totalCount).toBe(2);
      expect(
        members('b')
          ?.edges.map((e) => e.node.userId)
          .sort(),
      ).toEqual([first.id, second.id].sort());
    });

    it("shows a custom role created earlier in the request by its display name, though the organization's roles were read before it", async () => {
      const organization = await makeOrganization(gw.database);
      const member = await makeUser(gw.database, { orgs: { [organization.id]: [] } });
      const response = await gw.gql(
        graphql(`mutation ($org: String!, $user: String!) {
           a: updateOrganizationMemberRoles(organization: $org, user: $user, roles: []) { organization { members { edges { node { roles { name } } } } } }
           b: createOrganizationRole(organization: $org, role: { name: "reviewer", displayName: "Reviewer" }) { name }
           c: updateOrganizationMemberRoles(organization: $org, user: $user, roles: ["reviewer"]) { roles { name displayName } }
         }`),
        { org: organization.name, user: member.username },
        cast.owner.token,
      );
      expect(response.errors).toBeUndefined();
      expect(response.data?.c.roles).toEqual([{ name: 'reviewer', displayName: 'Reviewer' }]);
    });
  });
});
