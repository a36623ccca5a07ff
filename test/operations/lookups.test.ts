// `me`, `user`, `organization`, `organizations`, `organizationMember` and
// `Organization.member`: how `organization` and `user` arguments resolve (ids,
// names in any case, `default`, `me`) and what each caller may see.
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DATABASE_KINDS } from '../support/databases.js';
import {
  insertCustomRole,
  makeCast,
  makeDefaultOrganization,
  markUser,
  expectRefusal,
  type Cast,
} from '../support/fixtures.js';
import { makeOrganization, makeUser, startTestGateway, type TestGateway } from '../support/gateway.js';
import { graphql } from '../support/graphql.js';

const USER = graphql(
  `query ($user: String!) { user(user: $user) { id username organizationMemberships { organizationId } } }`,
);
const ORGANIZATION = graphql(
  `query ($org: String!) { organization(organization: $org) { id name displayName description icon isDefault createdAt updatedAt } }`,
);
const ORGANIZATION_MEMBER = graphql(`query ($org: String!, $user: String!) {
  organizationMember(organization: $org, user: $user) { organizationId userId username roles { name } }
}`);
const NESTED_MEMBER = graphql(`query ($org: String!, $user: String!) {
  organization(organization: $org) { member(user: $user) { userId username } }
}`);

/** An id as each spelling Coder's uuid.Parse takes: dashed in either case, in braces, as a URN, bare hex digits. */
const idSpellings = (id: string) => [
  id,
  id.toUpperCase(),
  `{${id}}`,
  `urn:uuid:${id}`,
  `URN:UUID:${id.toUpperCase()}`,
  id.replaceAll('-', ''),
];

describe.each(DATABASE_KINDS)('lookups on %s', (kind) => {
  let gw: TestGateway;
  let cast: Cast;
  let defaultOrg: Awaited<ReturnType<typeof makeDefaultOrganization>>;

  beforeAll(async () => {
    gw = await startTestGateway(kind);
    cast = await makeCast(gw.database);
    defaultOrg = await makeDefaultOrganization(gw.database);
  });
  afterAll(() => gw?.close());

  describe('me', () => {
    it("returns the caller's own account, with its site roles", async () => {
      const response = await gw.gql(
        graphql('{ me { id username email status globalRoles { name displayName organizationId } } }'),
        {},
        cast.owner.token,
      );
      expect(response).toEqual({
        data: {
          me: {
            id: cast.owner.id,
            username: cast.owner.username,
            email: `${cast.owner.username}@example.com`,
            status: 'ACTIVE',
            globalRoles: [{ name: 'owner', displayName: 'Owner', organizationId: null }],
          },
        },
      });
    });

    it("lists the caller's memberships with their organization roles", async () => {
      const response = await gw.gql(
        graphql(
          '{ me { globalRoles { name } organizationMemberships { organizationId userId roles { name displayName organizationId } } } }',
        ),
        {},
        cast.admin.token,
      );
      expect(response.data?.me).toEqual({
        globalRoles: [],
        organizationMemberships: [
          {
            organizationId: cast.org.id,
            userId: cast.admin.id,
            roles: [{ name: 'organization-admin', displayName: 'Organization Admin', organizationId: cast.org.id }],
          },
        ],
      });
    });

    it('needs a session token', async () => {
      expectRefusal(await gw.gql(graphql('{ me { id } }')), 'UNAUTHENTICATED');
    });
  });

  describe('user', () => {
    it('finds the same user by `me`, by id in either case and by username in any case', async () => {
      const refs = ['me', ...idSpellings(cast.member.id), cast.member.username, cast.member.username.toUpperCase()];
      for (const ref of refs) {
        const response = await gw.gql(USER, { user: ref }, ref === 'me' ? cast.member.token : cast.owner.token);
        expect(response.data?.user, ref).toMatchObject({ id: cast.member.id, username: cast.member.username });
      }
    });

    it('is NOT_FOUND for an unknown username, an unknown id and a deleted user', async () => {
      const deleted = await makeUser(gw.database);
      await markUser(gw.database, deleted.id, { deleted: true });
      for (const ref of ['nobody-here', randomUUID(), deleted.username, deleted.id]) {
        expectRefusal(await gw.gql(USER, { user: ref }, cast.owner.token), 'NOT_FOUND');
      }
    });

    it('lets a plain member read only their own account', async () => {
      expectRefusal(await gw.gql(USER, { user: cast.admin.username }, cast.member.token), 'NOT_FOUND');
      const self = await gw.gql(USER, { user: cast.member.username }, cast.member.token);
      expect(self.data?.user?.id).toBe(cast.member.id);
    });

    it('shows only the memberships the caller may read', async () => {
      const both = await makeUser(gw.database, { orgs: { [cast.org.id]: [], [cast.otherOrg.id]: [] } });
      const byOwner = await gw.gql(USER, { user: both.id }, cast.owner.token);
      expect(
        byOwner.data?.user?.organizationMemberships.map((m: { organizationId: string }) => m.organizationId).sort(),
      ).toEqual([cast.org.id, cast.otherOrg.id].sort());
      // An organization admin may read every user (site `user` read), but only its own organization's members.
      const byAdmin = await gw.gql(USER, { user: both.id }, cast.admin.token);
      expect(byAdmin.data?.user?.organizationMemberships).toEqual([{ organizationId: cast.org.id }]);
    });
  });

  // user(user:) beside reads that bring users (a member lookup, a page) is answered from them where they hold it.
  // A lookup answered from what another statement of the request read keeps the display names that statement read.
  it("gives a member's custom role its display name wherever the member is read, beside a page of another organization", async () => {
    const small = await makeOrganization(gw.database);
    const role = await insertCustomRole(gw.database, {
      name: 'custom-one',
      displayName: 'Custom One',
      organizationId: small.id,
    });
    const holder = await makeUser(gw.database, { orgs: { [small.id]: [role], [cast.org.id]: [] } });
    for (let run = 0; run < 3; run++) {
      const response = await gw.gql(
        graphql(`query ($big: String!, $small: String!, $user: String!) {
          page: organizationMembers(organization: $big) { userId }
          organizationMember(organization: $small, user: $user) { roles { name displayName } }
          user(user: $user) { organizationMemberships { organizationId roles { name displayName } } } }`),
        { big: cast.org.name, small: small.name, user: holder.username },
        cast.owner.token,
      );
      expect(response.errors).toBeUndefined();
      expect(response.data?.organizationMember?.roles).toEqual([{ name: role, displayName: 'Custom One' }]);
      const membership = response.data?.user?.organizationMemberships.find((m) => m.organizationId === small.id);
      expect(membership?.roles).toEqual([{ name: role, displayName: 'Custom One' }]);
    }
  });

  it('answers each user(user:) beside a member lookup and a page by its own reference, an unknown one NOT_FOUND', async () => {
    const response = await gw.gql(
      `query ($org: String!, $outsider: String!, $admin: String!) {
        outsider: user(user: $outsider) { id username } admin: user(user: $admin) { id username }
        nobody: user(user: "nobody-here") { id } byId: user(user: "${randomUUID()}") { id }
        organizationMember(organization: $org, user: $admin) { userId }
        paginatedOrganizationMembers(organization: $org) { count } }`,
      { org: cast.org.name, outsider: cast.outsider.username, admin: cast.admin.username.toUpperCase() },
      cast.owner.token,
    );
    expect(response.data).toMatchObject({
      outsider: { id: cast.outsider.id, username: cast.outsider.username },
      admin: { id: cast.admin.id, username: cast.admin.username },
      nobody: null,
      byId: null,
      organizationMember: { userId: cast.admin.id },
    });
    const refused = response.errors?.map((error) => [String(error.path), error.extensions?.code]).sort();
    expect(refused).toEqual([
      ['byId', 'NOT_FOUND'],
      ['nobody', 'NOT_FOUND'],
    ]);
  });

  describe('user with organizationMemberships', () => {
    it('reads each user named by reference with its memberships in one statement, a user of none too', async () => {
      await gw.gql(graphql('{ me { id } }'), {}, cast.owner.token); // the session's first use may refresh its last_used
      const statements: string[] = [];
      const stop = gw.database.onStatement((sql) => statements.push(sql));
      const response = await gw.gql(
        graphql(`query ($admin: String!, $owner: String!) {
          admin: user(user: $admin) { username organizationMemberships { organizationId roles { name } } }
          owner: user(user: $owner) { ...Memberships } }
        fragment Memberships on User { username organizationMemberships { organizationId } }`),
        { admin: cast.admin.username.toUpperCase(), owner: cast.owner.id },
        cast.owner.token,
      );
      stop();
      expect(response).toEqual({
        data: {
          admin: {
            username: cast.admin.username,
            organizationMemberships: [{ organizationId: cast.org.id, roles: [{ name: 'organization-admin' }] }],
          },
          owner: { username: cast.owner.username, organizationMemberships: [] },
        },
      });
      // The session, then both users with their memberships.
      expect(statements).toHaveLength(2);
    });
  });

  describe('organizations', () => {
    const names = (response: { data?: { organizations: { name: string }[] } | null }) =>
      response.data!.organizations.map((o) => o.name);

    it('gives an owner and a site auditor every organization by name, leaving deleted ones out', async () => {
      const gone = await makeOrganization(gw.database);
      await gw.database.prisma.organization.update({ where: { id: gone.id }, data: { deleted: true } });
      const all = await gw.database.prisma.organization.findMany({ where: { deleted: false }, select: { name: true } });
      const expected = all.map((o) => o.name).sort();
      for (const caller of [cast.owner, cast.siteAuditor]) {
        const listed = names(await gw.gql(graphql('{ organizations { name } }'), {}, caller.token));
        expect(listed).toEqual(expected);
        expect(listed).not.toContain(gone.name);
      }
    });

    it('lists each organization with its stored fields', async () => {
      const listed = await gw.gql(
        graphql('{ organizations { id name displayName description icon isDefault createdAt updatedAt } }'),
        {},
        cast.owner.token,
      );
      const stored = await gw.database.prisma.organization.findUniqueOrThrow({ where: { id: cast.org.id } });
      expect(listed.data?.organizations.find((o: { id: string }) => o.id === cast.org.id)).toEqual({
        id: stored.id,
        name: stored.name,
        displayName: stored.displayName,
        description: stored.description,
        icon: stored.icon,
        isDefault: stored.isDefault,
        createdAt: stored.createdAt.toISOString(),
        updatedAt: stored.updatedAt.toISOString(),
      });
    });

    it('gives everyone else the organizations they belong to', async () => {
      expect(names(await gw.gql(graphql('{ organizations { name } }'), {}, cast.member.token))).toEqual([
        cast.org.name,
      ]);
      expect(names(await gw.gql(graphql('{ organizations { name } }'), {}, cast.outsider.token))).toEqual([
        cast.otherOrg.name,
      ]);
      const loner = await makeUser(gw.database);
      expect(names(await gw.gql(graphql('{ organizations { name } }'), {}, loner.token))).toEqual([]);
    });
  });

  describe('organization', () => {
    it('finds the same organization by id in either case, by name in any case and `default` or the nil UUID for the default one', async () => {
      const expected = {
        id: defaultOrg.id,
        name: 'coder',
        displayName: 'Coder',
        description: '',
        icon: '',
        isDefault: true,
        createdAt: defaultOrg.createdAt.toISOString(),
        updatedAt: defaultOrg.updatedAt.toISOString(),
      };
      // Coder takes the nil UUID for `default` too (coderd/httpmw/organizationparam.go).
      const nil = '00000000-0000-0000-0000-000000000000';
      for (const ref of [...idSpellings(defaultOrg.id), 'coder', 'CODER', 'Coder', 'default', nil]) {
        expect(await gw.gql(ORGANIZATION, { org: ref }, cast.owner.token), ref).toEqual({
          data: { organization: expected },
        });
      }
    });

    it('is NOT_FOUND alike for a hidden organization, an unknown name or id, and a deleted organization', async () => {
      const deleted = await makeOrganization(gw.database);
      await gw.database.prisma.organization.update({ where: { id: deleted.id }, data: { deleted: true } });
      const hidden = await gw.gql(ORGANIZATION, { org: cast.org.name }, cast.outsider.token);
      expectRefusal(hidden, 'NOT_FOUND');
      // The nil UUID names the default organization only as Coder compares it, dashed: in braces it is an id of none.
      const nilInBraces = '{00000000-0000-0000-0000-000000000000}';
      for (const ref of ['no-such-org', randomUUID(), deleted.name, deleted.id, nilInBraces]) {
        const response = await gw.gql(ORGANIZATION, { org: ref }, cast.owner.token);
        expectRefusal(response, 'NOT_FOUND');
        expect(response.errors![0]!.message).toBe(hidden.errors![0]!.message);
      }
      // `default` names an organization like any other: a non-member cannot see it.
      expectRefusal(await gw.gql(ORGANIZATION, { org: 'default' }, cast.member.token), 'NOT_FOUND');
    });

    // Beside `organizations`, a lookup is answered from its list of every live organization.
    it('finds the same beside organizations, and nothing more: a deleted organization is NOT_FOUND there too', async () => {
      const deleted = await makeOrganization(gw.database, 'Gone-Org');
      await gw.database.prisma.organization.update({ where: { id: deleted.id }, data: { deleted: true } });
      const refs = [defaultOrg.id.toUpperCase(), 'CODER', 'default', deleted.name, deleted.id, randomUUID()];
      const response = await gw.gql(
        `query (${refs.map((_, i) => `$r${i}: String!`).join(', ')}) { organizations { id }
          ${refs.map((_, i) => `o${i}: organization(organization: $r${i}) { id name isDefault }`).join(' ')} }`,
        Object.fromEntries(refs.map((ref, i) => [`r${i}`, ref])),
        cast.owner.token,
      );
      const data = response.data as Record<string, unknown>;
      for (const i of [0, 1, 2]) expect(data[`o${i}`]).toEqual({ id: defaultOrg.id, name: 'coder', isDefault: true });
      const refused = response.errors?.map((error) => [error.path, error.extensions?.code]);
      expect(refused?.sort((a, b) => String(a[0]).localeCompare(String(b[0])))).toEqual([
        [['o3'], 'NOT_FOUND'],
        [['o4'], 'NOT_FOUND'],
        [['o5'], 'NOT_FOUND'],
      ]);
    });

    it('resolves a mixed-case name case-insensitively', async () => {
      const acme = await makeOrganization(gw.database, 'Acme-Corp');
      for (const ref of ['acme-corp', 'ACME-CORP', 'Acme-Corp']) {
        const response = await gw.gql(ORGANIZATION, { org: ref }, cast.owner.token);
        expect(response.data?.organization, ref).toMatchObject({ id: acme.id, name: 'Acme-Corp' });
      }
    });
  });

  describe('organizationMember and Organization.member', () => {
    it('find a membership by organization name and username in any case, and by `me`', async () => {
      const upper = await gw.gql(
        ORGANIZATION_MEMBER,
        { org: cast.org.name.toUpperCase(), user: cast.admin.username.toUpperCase() },
        cast.owner.token,
      );
      expect(upper.data?.organizationMember).toEqual({
        organizationId: cast.org.id,
        userId: cast.admin.id,
        username: cast.admin.username,
        roles: [{ name: 'organization-admin' }],
      });
      const me = await gw.gql(ORGANIZATION_MEMBER, { org: cast.org.id, user: 'me' }, cast.member.token);
      expect(me.data?.organizationMember).toMatchObject({ userId: cast.member.id, roles: [] });
      const nested = await gw.gql(
        NESTED_MEMBER,
        { org: cast.org.name, user: cast.auditor.username.toUpperCase() },
        cast.admin.token,
      );
      expect(nested.data?.organization?.member).toEqual({ userId: cast.auditor.id, username: cast.auditor.username });
    });

    it('are null for a user who is not a member, or does not exist', async () => {
      for (const user of [cast.outsider.username, 'nobody-here', randomUUID()]) {
        expect(await gw.gql(ORGANIZATION_MEMBER, { org: cast.org.name, user }, cast.owner.token)).toEqual({
          data: { organizationMember: null },
        });
        expect(await gw.gql(NESTED_MEMBER, { org: cast.org.name, user }, cast.owner.token)).toEqual({
          data: { organization: { member: null } },
        });
      }
    });

    it("are null for a membership the caller may not see: a plain member asking about someone else's", async () => {
      expect(
        await gw.gql(ORGANIZATION_MEMBER, { org: cast.org.name, user: cast.admin.username }, cast.member.token),
      ).toEqual({
        data: { organizationMember: null },
      });
      expect(await gw.gql(NESTED_MEMBER, { org: cast.org.name, user: cast.admin.username }, cast.member.token)).toEqual(
        {
          data: { organization: { member: null } },
        },
      );
    });

    // A membership another statement of the request read (the user's memberships, a page) answers from there.
    it('answer a membership reached again below memberships or a page as its own lookup does', async () => {
      const role = await insertCustomRole(gw.database, { organizationId: cast.org.id, displayName: 'Reviewer' });
      const member = await makeUser(gw.database, { orgs: { [cast.org.id]: ['organization-auditor', role] } });
      const fields = `organizationId userId username name email avatarUrl createdAt updatedAt
        roles { name displayName organizationId } globalRoles { name } user { id username email lastSeenAt }`;
      const variables = { org: cast.org.id, user: member.username.toUpperCase() };
      const own = await gw.gql(
        `query ($org: String!, $user: String!) { organizationMember(organization: $org, user: $user) { ${fields} } }`,
        variables,
        cast.owner.token,
      );
      const expected = (own.data as { organizationMember: { roles: unknown[] } }).organizationMember;
      expect(expected.roles).toEqual([
        { name: 'organization-auditor', displayName: 'Organization Auditor', organizationId: cast.org.id },
        { name: role, displayName: 'Reviewer', organizationId: cast.org.id },
      ]);
      const belowMemberships = await gw.gql(
        `query ($user: String!) { user(user: $user) { organizationMemberships {
          organization { member(user: $user) { ${fields} } } } } }`,
        { user: variables.user },
        cast.owner.token,
      );
      expect(belowMemberships).toEqual({
        data: { user: { organizationMemberships: [{ organization: { member: expected } }] } },
      });
      const belowPage = await gw.gql(
        `query ($org: String!, $user: String!) { paginatedOrganizationMembers(organization: $org) {
          members { organization { member(user: $user) { ${fields} } } } } }`,
        variables,
        cast.owner.token,
      );
      const page = belowPage.data as { paginatedOrganizationMembers: { members: { organization: unknown }[] } };
      expect(belowPage.errors).toBeUndefined();
      for (const row of page.paginatedOrganizationMembers.members)
        expect(row.organization).toEqual({ member: expected });
    });

    it("stay null for a system user's membership reached below its memberships, as looked up alone", async () => {
      const system = await makeUser(gw.database, { orgs: { [cast.org.id]: [] } });
      await markUser(gw.database, system.id, { isSystem: true });
      const response = await gw.gql(
        `query ($user: String!) { user(user: $user) { organizationMemberships { organizationId
          organization { member(user: $user) { userId } } } } }`,
        { user: system.id },
        cast.owner.token,
      );
      expect(response).toEqual({
        data: {
          user: { organizationMemberships: [{ organizationId: cast.org.id, organization: { member: null } }] },
        },
      });
      expect(await gw.gql(ORGANIZATION_MEMBER, { org: cast.org.id, user: system.id }, cast.owner.token)).toEqual({
        data: { organizationMember: null },
      });
    });

    it('is NOT_FOUND when the caller cannot see the organization', async () => {
      expectRefusal(
        await gw.gql(ORGANIZATION_MEMBER, { org: cast.org.name, user: cast.admin.username }, cast.outsider.token),
        'NOT_FOUND',
      );
    });

    it('load the organization and the whole user when the selection asks for them, through fragments too', async () => {
      await gw.gql(graphql('{ me { id } }'), {}, cast.owner.token); // the session's first use may refresh its last_used: not counted
      const statements: string[] = [];
      const stop = gw.database.onStatement((sql) => statements.push(sql));
      const response = await gw.gql(
        graphql(`query ($org: String!, $user: String!) {
          organizationMember(organization: $org, user: $user) { username ...Reaches }
          organization(organization: $org) { member(user: $user) { ... on OrganizationMember { user { id email } } roles { name } } }
        }
        fragment Reaches on OrganizationMember { organization { id name } user { id username } }`),
        { org: cast.org.name, user: cast.admin.username },
        cast.owner.token,
      );
      expect(response).toEqual({
        data: {
          organizationMember: {
            username: cast.admin.username,
            organization: { id: cast.org.id, name: cast.org.name },
            user: { id: cast.admin.id, username: cast.admin.username },
          },
          organization: {
            member: {
              user: { id: cast.admin.id, email: `${cast.admin.username}@example.com` },
              roles: [{ name: 'organization-admin' }],
            },
          },
        },
      });
      stop();
      // The session, and one lookup: both fields ask for the same membership, which brings its organization and
      // whole user.
      expect(statements).toHaveLength(2);
    });

    it('read the organization named by reference with every member(user:) below it, in one statement', async () => {
      await gw.gql(graphql('{ me { id } }'), {}, cast.admin.token); // the session's first use may refresh its last_used
      const statements: string[] = [];
      const stop = gw.database.onStatement((sql) => statements.push(sql));
      const response = await gw.gql(
        graphql(`query ($org: String!, $auditor: String!, $outsider: String!, $skipped: Boolean!) {
          organization(organization: $org) { id ...Members
            auditor: member(user: $auditor) { username }
            outsider: member(user: $outsider) { username }
            hidden: member(user: "nobody-at-all") @skip(if: $skipped) { username } } }
        fragment Members on Organization { me: member(user: "me") { username roles { name } } }`),
        {
          org: cast.org.name.toUpperCase(),
          auditor: cast.auditor.id.toUpperCase(),
          outsider: cast.outsider.username,
          skipped: true,
        },
        cast.admin.token,
      );
      stop();
      expect(response).toEqual({
        data: {
          organization: {
            id: cast.org.id,
            me: { username: cast.admin.username, roles: [{ name: 'organization-admin' }] },
            auditor: { username: cast.auditor.username },
            outsider: null,
          },
        },
      });
      // The session, then the organization with its three lookups.
      expect(statements).toHaveLength(2);
    });

    it("answer a user argument that names no one as that field's error alone, and an unknown organization as NOT_FOUND", async () => {
      const BAD_USER = graphql(`query ($org: String!) { organization(organization: $org) { name
        bad: member(user: "not a user!") { username } good: member(user: "me") { username } } }`);
      const response = await gw.gql(BAD_USER, { org: cast.org.name }, cast.member.token);
      expect(response.errors?.map((e) => [e.extensions?.code, e.path])).toEqual([
        ['BAD_USER_INPUT', ['organization', 'bad']],
      ]);
      expect(response.data).toEqual({
        organization: { name: cast.org.name, bad: null, good: { username: cast.member.username } },
      });
      for (const [org, token] of [
        ['no-such-organization', cast.owner.token],
        [cast.org.name, cast.outsider.token],
      ] as const) {
        expectRefusal(await gw.gql(NESTED_MEMBER, { org, user: cast.admin.username }, token), 'NOT_FOUND');
      }
    });

    it("show the display names of the member's roles, built in and custom, next to the organization's whole list of custom roles", async () => {
      const org = await makeOrganization(gw.database);
      await insertCustomRole(gw.database, {
        name: 'release-manager',
        displayName: 'Release Manager',
        organizationId: org.id,
      });
      await insertCustomRole(gw.database, { name: 'qa', displayName: 'Quality', organizationId: org.id });
      const member = await makeUser(gw.database, { orgs: { [org.id]: [] } });
      // Stored as Coder's database may hold it: a name that is no role (and is an Object property) shows an empty display name.
      await gw.database.prisma.organizationMember.update({
        where: { organizationId_userId: { organizationId: org.id, userId: member.id } },
        data: { roles: ['release-manager', 'organization-auditor', 'constructor'] },
      });
      const response = await gw.gql(
        graphql(`query ($org: String!, $user: String!) {
          organizationMember(organization: $org, user: $user) { roles { name displayName organizationId } }
          organization(organization: $org) { customRoles { name displayName } member(user: $user) { roles { displayName } } }
        }`),
        { org: org.name, user: member.username },
        cast.owner.token,
      );
      expect(response).toEqual({
        data: {
          organizationMember: {
            roles: [
              { name: 'release-manager', displayName: 'Release Manager', organizationId: org.id },
              { name: 'organization-auditor', displayName: 'Organization Auditor', organizationId: org.id },
              { name: 'constructor', displayName: '', organizationId: org.id },
            ],
          },
          organization: {
            customRoles: [
              { name: 'qa', displayName: 'Quality' },
              { name: 'release-manager', displayName: 'Release Manager' },
            ],
            member: {
              roles: [{ displayName: 'Release Manager' }, { displayName: 'Organization Auditor' }, { displayName: '' }],
            },
          },
        },
      });
    });
  });
});
