// Bad input never reaches the database as an error: each kind is refused with
// BAD_USER_INPUT (naming the argument), or by GraphQL itself before anything
// runs (no `data` at all), and nothing is written. Never INTERNAL_SERVER_ERROR.
// The caller is a site owner throughout, so that only the input is wrong.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DATABASE_KINDS } from '../support/databases.js';
import {
  expectInvalidDocument,
  expectRefusedUnchanged,
  makeCast,
  validationsOf,
  writableRows,
  type Cast,
} from '../support/fixtures.js';
import { startTestGateway, type GraphQLResponse, type TestGateway } from '../support/gateway.js';

const cursor = (text: string) => Buffer.from(text).toString('base64');

/** Strings that can be neither an id, a name, `default` nor `me`. */
const UNUSABLE_REFERENCES = [
  '',
  'not a uuid',
  // Braces, a URN and bare hex digits are ids, as in Coder's uuid.Parse (test/operations/lookups.test.ts); these are not.
  '{7c60d51f-b44e-4682-87d6-449835ea4de6]',
  'urn:uuid:7c60d51f-b44e-4682-87d6-449835ea4de',
  '7c60d51f-b44e-4682-87d6-449835ea4de6-',
  '7c60d51f_b44e_4682_87d6_449835ea4de6',
  'nul\u0000byte',
  'x'.repeat(100_000),
];

interface Operation {
  name: string;
  query: string;
  variables: Record<string, unknown>;
}

describe.each(DATABASE_KINDS)('bad input on %s', (kind) => {
  let gw: TestGateway;
  let cast: Cast;

  const asOwner = (query: string, variables: Record<string, unknown> = {}) =>
    gw.gql(query, variables, cast.owner.token);
  const refusedUnchanged = (run: () => Promise<GraphQLResponse>, code: string, message?: RegExp) =>
    expectRefusedUnchanged(gw.database, run, code, message);
  /** BAD_USER_INPUT naming `field`, with nothing written. */
  const badInput = async (run: () => Promise<GraphQLResponse>, field: string, message?: RegExp) => {
    const response = await refusedUnchanged(run, 'BAD_USER_INPUT', message);
    expect(validationsOf(response).map((v) => v.field)).toContain(field);
    return response;
  };
  /** Rejected by GraphQL validation or variable coercion, with nothing written. */
  const invalidDocument = async (run: () => Promise<GraphQLResponse>, message?: RegExp) => {
    const before = await writableRows(gw.database);
    expectInvalidDocument(await run(), message);
    expect(await writableRows(gw.database)).toEqual(before);
  };

  beforeAll(async () => {
    gw = await startTestGateway(kind);
    cast = await makeCast(gw.database);
    await asOwner(
      `mutation { createOrganizationRole(organization: "${cast.org.name}", role: { name: "existing" }) { name } }`,
    );
  });
  afterAll(() => gw?.close());

  describe('organization and user arguments', () => {
    /** Every operation that takes `organization`, with otherwise valid arguments. */
    const organizationOperations = (org: string): Operation[] => [
      {
        name: 'organization',
        query: 'query ($org: String!) { organization(organization: $org) { id } }',
        variables: { org },
      },
      {
        name: 'organizationMembers',
        query: 'query ($org: String!) { organizationMembers(organization: $org) { userId } }',
        variables: { org },
      },
      {
        name: 'paginatedOrganizationMembers',
        query: 'query ($org: String!) { paginatedOrganizationMembers(organization: $org) { count } }',
        variables: { org },
      },
      {
        name: 'organizationMember',
        query:
          'query ($org: String!, $user: String!) { organizationMember(organization: $org, user: $user) { userId } }',
        variables: { org, user: cast.member.username },
      },
      {
        name: 'assignableOrganizationRoles',
        query: 'query ($org: String!) { assignableOrganizationRoles(organization: $org) { name } }',
        variables: { org },
      },
      {
        name: 'addOrganizationMember',
        query:
          'mutation ($org: String!, $user: String!) { addOrganizationMember(organization: $org, user: $user) { userId } }',
        variables: { org, user: cast.outsider.username },
      },
      {
        name: 'removeOrganizationMember',
        query: 'mutation ($org: String!, $user: String!) { removeOrganizationMember(organization: $org, user: $user) }',
        variables: { org, user: cast.member.username },
      },
      {
        name: 'updateOrganizationMemberRoles',
        query:
          'mutation ($org: String!, $user: String!) { updateOrganizationMemberRoles(organization: $org, user: $user, roles: []) { userId } }',
        variables: { org, user: cast.member.username },
      },
      {
        name: 'createOrganizationRole',
        query:
          'mutation ($org: String!) { createOrganizationRole(organization: $org, role: { name: "fresh" }) { name } }',
        variables: { org },
      },
      {
        name: 'updateOrganizationRole',
        query:
          'mutation ($org: String!) { updateOrganizationRole(organization: $org, role: { name: "existing" }) { name } }',
        variables: { org },
      },
      {
        name: 'deleteOrganizationRole',
        query: 'mutation ($org: String!) { deleteOrganizationRole(organization: $org, name: "existing") }',
        variables: { org },
      },
    ];

    /** Every operation that takes `user`, with otherwise valid arguments. */
    const userOperations = (user: string): Operation[] => [
      { name: 'user', query: 'query ($user: String!) { user(user: $user) { id } }', variables: { user } },
      {
        name: 'organizationMember',
        query:
          'query ($org: String!, $user: String!) { organizationMember(organization: $org, user: $user) { userId } }',
        variables: { org: cast.org.name, user },
      },
      {
        name: 'Organization.member',
        query:
          'query ($org: String!, $user: String!) { organization(organization: $org) { member(user: $user) { userId } } }',
        variables: { org: cast.org.name, user },
      },
      {
        name: 'addOrganizationMember',
        query:
          'mutation ($org: String!, $user: String!) { addOrganizationMember(organization: $org, user: $user) { userId } }',
        variables: { org: cast.org.name, user },
      },
      {
        name: 'removeOrganizationMember',
        query: 'mutation ($org: String!, $user: String!) { removeOrganizationMember(organization: $org, user: $user) }',
        variables: { org: cast.org.name, user },
      },
      {
        name: 'updateOrganizationMemberRoles',
        query:
          'mutation ($org: String!, $user: String!) { updateOrganizationMemberRoles(organization: $org, user: $user, roles: []) { userId } }',
        variables: { org: cast.org.name, user },
      },
    ];

    // As in Coder, whose organization lookup answers 404 for any name it does not find.
    it('answers null for a non-null argument, given through a variable whose default lets it stand there, with BAD_USER_INPUT where it is used', async () => {
      // Allowed by validation because of the default; an explicit null still reaches the argument.
      const field = await asOwner('query ($o: String = "x") { organization(organization: $o) { name } me { id } }', {
        o: null,
      });
      expect(field.data).toEqual({ organization: null, me: { id: cast.owner.id } });
      expect(field.errors?.map((e) => [e.path, e.extensions?.code, e.message])).toEqual([
        [['organization'], 'BAD_USER_INPUT', 'Argument "organization" of non-null type "String!" must not be null.'],
      ]);
      const directive = await asOwner('query ($s: Boolean = true) { me { id @skip(if: $s) } }', { s: null });
      expect(directive.errors?.map((e) => e.extensions?.code)).toEqual(['BAD_USER_INPUT']);
    });

    it('refuses an organization argument that can name no organization, in every operation: NOT_FOUND, or BAD_USER_INPUT when empty', async () => {
      const before = await writableRows(gw.database);
      for (const ref of UNUSABLE_REFERENCES) {
        for (const op of organizationOperations(ref)) {
          const response = await gw.gql(op.query, op.variables, cast.owner.token);
          const expected = ref === '' ? 'BAD_USER_INPUT' : 'NOT_FOUND';
          expect(response.errors?.[0]?.extensions?.code, `${op.name}(${JSON.stringify(ref.slice(0, 40))})`).toBe(
            expected,
          );
          if (ref === '')
            expect(validationsOf(response)).toEqual([{ field: 'organization', detail: expect.any(String) }]);
        }
      }
      expect(await writableRows(gw.database)).toEqual(before);
    });

    it('refuses a user argument that can name no user, in every operation, with BAD_USER_INPUT', async () => {
      const before = await writableRows(gw.database);
      for (const ref of UNUSABLE_REFERENCES) {
        for (const op of userOperations(ref)) {
          const response = await gw.gql(op.query, op.variables, cast.owner.token);
          expect(response.errors?.[0]?.extensions?.code, `${op.name}(${JSON.stringify(ref.slice(0, 40))})`).toBe(
            'BAD_USER_INPUT',
          );
          expect(validationsOf(response)).toEqual([{ field: 'user', detail: expect.any(String) }]);
        }
      }
      expect(await writableRows(gw.database)).toEqual(before);
    });

    it('looks up a malformed UUID that is also a possible name as a name: NOT_FOUND, not an error', async () => {
      const almostUuid = '7c60d51f-b44e-4682-87d6-449835ea4de';
      await refusedUnchanged(
        () => asOwner('query ($org: String!) { organization(organization: $org) { id } }', { org: almostUuid }),
        'NOT_FOUND',
      );
      await refusedUnchanged(
        () => asOwner('query ($user: String!) { user(user: $user) { id } }', { user: almostUuid }),
        'NOT_FOUND',
      );
      await badInput(
        () =>
          asOwner(
            'mutation ($org: String!, $user: String!) { addOrganizationMember(organization: $org, user: $user) { userId } }',
            { org: cast.org.name, user: almostUuid },
          ),
        'user',
        /must be an existing uuid or username/i,
      );
    });
  });

  describe('paging numbers', () => {
    const PAGE =
      'query ($org: String!, $limit: Int, $offset: Int) { paginatedOrganizationMembers(organization: $org, limit: $limit, offset: $offset) { count } }';

    it('refuses a negative limit or offset with BAD_USER_INPUT', async () => {
      await badInput(() => asOwner(PAGE, { org: cast.org.name, limit: -1 }), 'limit');
      await badInput(() => asOwner(PAGE, { org: cast.org.name, offset: -5 }), 'offset');
      await badInput(
        () => asOwner(PAGE, { org: cast.org.name, limit: -2_147_483_648, offset: -2_147_483_648 }),
        'offset',
      );
    });

    // SPEC D: over 2^31-1 is BAD_USER_INPUT. As variables, GraphQL refuses
    // them before anything runs, and the gateway gives that refusal the code;
    // written into the document, they make the document invalid.
    it('refuses numbers that are not 32-bit integers before anything runs: BAD_USER_INPUT as variables', async () => {
      for (const variables of [{ limit: 2_147_483_648 }, { offset: -2_147_483_649 }, { limit: 1.5 }, { limit: '10' }]) {
        const response = await asOwner(PAGE, { org: cast.org.name, ...variables });
        expect(
          response.errors?.map((e) => e.extensions?.code),
          JSON.stringify(response),
        ).toEqual(['BAD_USER_INPUT']);
        await invalidDocument(() => asOwner(PAGE, { org: cast.org.name, ...variables }), /Int/);
      }
      await invalidDocument(
        () =>
          asOwner(`{ paginatedOrganizationMembers(organization: "${cast.org.name}", limit: 2147483648) { count } }`),
        /Int/,
      );
      await invalidDocument(
        () => asOwner(`{ paginatedOrganizationMembers(organization: "${cast.org.name}", limit: 1e3) { count } }`),
        /Int/,
      );
    });

    it('treats an explicit null limit and offset as the defaults', async () => {
      const response = await asOwner(PAGE, { org: cast.org.name, limit: null, offset: null });
      expect(response).toEqual({ data: { paginatedOrganizationMembers: { count: 4 } } });
    });
  });

  describe('connection arguments', () => {
    const MEMBERS =
      'query ($org: String!, $first: Int, $last: Int, $after: String, $before: String) { organization(organization: $org) { members(first: $first, last: $last, after: $after, before: $before) { totalCount } } }';
    const members = (args: Record<string, unknown>) => asOwner(MEMBERS, { org: cast.org.name, ...args });

    it('refuses a negative first or last with BAD_USER_INPUT naming each', async () => {
      await badInput(() => members({ first: -1 }), 'first');
      await badInput(() => members({ last: -1, before: cursor('OffsetConnection:2') }), 'last');
      const both = await badInput(() => members({ first: -1, last: -1 }), 'first');
      expect(validationsOf(both).map((v) => v.field)).toEqual(['first', 'last']);
    });

    it.each([
      ['not base64', 'garbage!!'],
      ['an emoji', '💥'],
      ['base64 of something else', cursor('SomethingElse:3')],
      ['a negative offset', cursor('OffsetConnection:-1')],
      ['an offset that is not a number', cursor('OffsetConnection:abc')],
      ['an offset past the largest Int', cursor('OffsetConnection:2147483648')],
      ['an offset past the largest safe integer', cursor('OffsetConnection:99999999999999999999')],
      ['an empty string', ''],
      // What a lax number parser would read as an offset: a cursor is only what the connection wrote.
      ['an offset in hexadecimal', cursor('OffsetConnection:0x10')],
      ['an offset with an exponent', cursor('OffsetConnection:1e2')],
      ['an offset with a fraction', cursor('OffsetConnection:1.5')],
      ['an offset after a space', cursor('OffsetConnection: 1')],
      ['an offset with a leading zero', cursor('OffsetConnection:01')],
    ])('refuses a cursor that is %s, as `after` and as `before`', async (_what, bad) => {
      const after = await badInput(() => members({ first: 2, after: bad }), 'after', /connection/i);
      expect(after.data).toEqual({ organization: { members: null } });
      await badInput(() => members({ last: 2, before: bad }), 'before', /connection/i);
    });

    it('accepts the largest Int as an offset cursor, giving an empty page', async () => {
      const response = await members({ first: 2_147_483_647, after: cursor('OffsetConnection:2147483647') });
      expect(response).toEqual({ data: { organization: { members: { totalCount: 4 } } } });
    });
  });

  describe('role names and role lists', () => {
    const SET_ROLES =
      'mutation ($org: String!, $user: String!, $roles: [String!]!) { updateOrganizationMemberRoles(organization: $org, user: $user, roles: $roles) { userId } }';
    const setRoles = (roles: unknown) => asOwner(SET_ROLES, { org: cast.org.name, user: cast.member.username, roles });

    it('refuses a role list of 10,000 names, or of 101, before reading anything', async () => {
      await badInput(() => setRoles(Array.from({ length: 10_000 }, (_, i) => `role-${i}`)), 'roles', /at most/i);
      await badInput(() => setRoles(Array.from({ length: 101 }, () => 'organization-auditor')), 'roles', /at most/i);
    });

    it('refuses empty, huge and NUL-bearing role names as not supported roles', async () => {
      for (const role of ['', 'r'.repeat(100_000), 'organization-admin\u0000']) {
        await badInput(() => setRoles(['organization-auditor', role]), 'roles', /not a supported role/i);
      }
    });

    it('refuses a null in the role list before anything runs', async () => {
      await invalidDocument(() => setRoles(['organization-auditor', null]));
      await invalidDocument(() =>
        asOwner(
          `mutation { updateOrganizationMemberRoles(organization: "${cast.org.name}", user: "${cast.member.username}") { userId } }`,
        ),
      );
    });

    it('refuses empty, huge and NUL-bearing custom role names in create and update, and finds none in delete', async () => {
      for (const name of ['', 'n'.repeat(100_000), 'role\u0000name']) {
        await badInput(
          () =>
            asOwner(
              'mutation ($org: String!, $role: CustomRoleInput!) { createOrganizationRole(organization: $org, role: $role) { name } }',
              { org: cast.org.name, role: { name } },
            ),
          'name',
          /invalid role name/i,
        );
        await badInput(
          () =>
            asOwner(
              'mutation ($org: String!, $role: CustomRoleInput!) { updateOrganizationRole(organization: $org, role: $role) { name } }',
              { org: cast.org.name, role: { name } },
            ),
          'name',
          /invalid role name/i,
        );
        // Delete looks the role up, as Coder does: a name no role can have is simply not found.
        await refusedUnchanged(
          () =>
            asOwner(
              'mutation ($org: String!, $name: String!) { deleteOrganizationRole(organization: $org, name: $name) }',
              { org: cast.org.name, name },
            ),
          'NOT_FOUND',
          /no custom role/i,
        );
      }
    });
  });

  describe('custom role input', () => {
    const CREATE =
      'mutation ($org: String!, $role: CustomRoleInput!) { createOrganizationRole(organization: $org, role: $role) { name } }';
    const create = (role: Record<string, unknown>) => asOwner(CREATE, { org: cast.org.name, role });

    it('refuses a display name that holds a NUL character or half a surrogate pair, and keeps a whole pair', async () => {
      await badInput(() => create({ name: 'nul-display', displayName: 'Release\u0000Managers' }), 'displayName');
      await badInput(() => create({ name: 'half-pair', displayName: 'Release \ud800 Managers' }), 'displayName');
      await badInput(() => create({ name: 'half-pair-end', displayName: 'Release Managers \udfff' }), 'displayName');
      const emoji = await asOwner(
        'mutation ($org: String!, $role: CustomRoleInput!) { createOrganizationRole(organization: $org, role: $role) { displayName } }',
        { org: cast.org.name, role: { name: 'whole-pair', displayName: 'Release \u{1F680} Managers' } },
      );
      expect(emoji).toEqual({ data: { createOrganizationRole: { displayName: 'Release \u{1F680} Managers' } } });
    });

    // 10,000 (40,001 values) are refused before the document runs: src/limits/document-limits.ts, MAX_INPUT_VALUES.
    it('refuses 2,000 permissions before checking any of them', async () => {
      const permissions = Array.from({ length: 2_000 }, () => ({ resourceType: 'TEMPLATE', action: 'READ' }));
      await badInput(
        () => create({ name: 'many-permissions', organizationPermissions: permissions }),
        'organizationPermissions',
        /at most/i,
      );
    });

    it('leaves unknown enum values to GraphQL, in the document and in variables', async () => {
      await invalidDocument(
        () => create({ name: 'enum-role', organizationPermissions: [{ resourceType: 'WORKSPACES', action: 'READ' }] }),
        /RBACResource/,
      );
      await invalidDocument(
        () => create({ name: 'enum-role', organizationPermissions: [{ resourceType: 'WORKSPACE', action: 'read' }] }),
        /RBACAction/,
      );
      await invalidDocument(
        () => create({ name: 'enum-role', organizationPermissions: [{ resourceType: '*', action: 'READ' }] }),
        /RBACResource/,
      );
      await invalidDocument(
        () =>
          asOwner(
            `mutation { createOrganizationRole(organization: "${cast.org.name}", role: { name: "enum-role", organizationPermissions: [{ resourceType: WORKSPACE, action: SHH }] }) { name } }`,
          ),
        /RBACAction/,
      );
    });

    it('leaves a missing name or unknown input field to GraphQL', async () => {
      await invalidDocument(() => create({ displayName: 'No name' }), /name/);
      await invalidDocument(() => create({ name: 'extra-field', memberPermissions: [] }), /memberPermissions/);
    });
  });
});
