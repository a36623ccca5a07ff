// The audit_logs rows the gateway writes (SPEC F), as Coder's own code writes
// them at the reference commit: coderd/audit/request.go (InitRequest: a row
// once the request has found its target, committed with the response status,
// a diff only below 400), enterprise/audit/table.go and diff.go (which fields,
// in which form), coderd/members.go and enterprise/coderd/roles.go (actions,
// targets, statuses). Each test sends its own X-Request-Id and reads the rows
// of that request alone.
import { randomUUID } from 'node:crypto';
import type { TadaDocumentNode } from 'gql.tada';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { NIL_UUID } from '../../src/audit/entry.js';
import { auditLogMode } from '../../src/server.js';
import { loadConfig } from '../../src/config.js';
import { createLogger } from '../../src/logger.js';
import { createGateway } from '../../src/yoga.js';
import { DATABASE_KINDS } from '../support/databases.js';
import { insertCustomRole, makeCast, markUser, storedRoles, type Cast } from '../support/fixtures.js';
import {
  errorCode,
  makeUser,
  startTestGateway,
  type GraphQLResponse,
  type TestGateway,
  type TestUser,
} from '../support/gateway.js';
import { graphql, sourceOf, type VariablesOf } from '../support/graphql.js';

const ADD = graphql(
  `mutation ($org: String!, $user: String!) { addOrganizationMember(organization: $org, user: $user) { userId } }`,
);
const REMOVE = graphql(
  `mutation ($org: String!, $user: String!) { removeOrganizationMember(organization: $org, user: $user) }`,
);
const SET_ROLES = graphql(`mutation ($org: String!, $user: String!, $roles: [String!]!) {
  updateOrganizationMemberRoles(organization: $org, user: $user, roles: $roles) { userId } }`);
const CREATE_ROLE = graphql(
  `mutation ($org: String!, $role: CustomRoleInput!) { createOrganizationRole(organization: $org, role: $role) { name } }`,
);
const UPDATE_ROLE = graphql(
  `mutation ($org: String!, $role: CustomRoleInput!) { updateOrganizationRole(organization: $org, role: $role) { name } }`,
);
const DELETE_ROLE = graphql(
  `mutation ($org: String!, $name: String!) { deleteOrganizationRole(organization: $org, name: $name) }`,
);
const ME = graphql('{ me { id } }');
const ME_STATUS = graphql('{ me { status } }');
const ME_ID_STATUS = graphql('{ me { id status } }');
const SET_ROLES_AND_REMOVE = graphql(`mutation ($org: String!, $a: String!, $b: String!) {
  a: updateOrganizationMemberRoles(organization: $org, user: $a, roles: ["organization-auditor"]) { userId }
  b: removeOrganizationMember(organization: $org, user: $b)
}`);

type PermissionInput = NonNullable<VariablesOf<typeof CREATE_ROLE>['role']['organizationPermissions']>[number];

const CLIENT_ADDRESS = '192.0.2.10';
const USER_AGENT = 'coder-members-gateway-tests/1.0';
const GO_ZERO_TIME = '0001-01-01T00:00:00Z';

interface AuditRow {
  id: string;
  time: Date;
  user_id: string;
  organization_id: string;
  ip: string | null;
  user_agent: string | null;
  resource_type: string;
  resource_id: string;
  resource_target: string;
  action: string;
  diff: Record<string, { Old: unknown; New: unknown; Secret: boolean }>;
  status_code: number;
  additional_fields: unknown;
  request_id: string;
  resource_icon: string;
}

/** A JavaScript date as Go's encoding/json writes it: RFC 3339, trailing zeros of the fraction dropped. */
const goTime = (date: Date) => date.toISOString().replace(/\.?0*Z$/, 'Z');
const changed = (Old: unknown, New: unknown) => ({ Old, New, Secret: false });

describe.each(DATABASE_KINDS)('audit rows on %s', (kind) => {
  let gw: TestGateway;
  let cast: Cast;

  /** The rows a request wrote. */
  const rowsOf = (requestId: string, gateway = gw) =>
    gateway.database.prisma.$queryRawUnsafe<AuditRow[]>(
      `SELECT id::text, "time", user_id::text, organization_id::text, host(ip) AS ip, user_agent,
              resource_type::text, resource_id::text, resource_target, action::text, diff, status_code,
              additional_fields, request_id::text, resource_icon
         FROM audit_logs WHERE request_id = $1::uuid ORDER BY "time"`,
      requestId,
    );

  /** Runs an operation as `caller`, from CLIENT_ADDRESS with its own request id; returns the answer and its rows. */
  async function call<TData, TVariables>(
    query: TadaDocumentNode<TData, TVariables>,
    variables: TVariables,
    caller: TestUser,
    { gateway = gw, headers = {} as Record<string, string>, remoteAddress = CLIENT_ADDRESS as string | null } = {},
  ): Promise<{ response: GraphQLResponse<TData>; rows: AuditRow[]; requestId: string }> {
    const answer = await gateway.yoga.fetch(
      'http://gateway.test/graphql',
      {
        method: 'POST',
        headers: {
          'content-type': 'application/json',
          'coder-session-token': caller.token,
          'user-agent': USER_AGENT,
          ...headers,
        },
        body: JSON.stringify({ query: sourceOf(query), variables }),
      },
      remoteAddress === null ? {} : { req: { socket: { remoteAddress } } },
    );
    const response = (await answer.json()) as GraphQLResponse<TData>;
    // The request's id, as the gateway made it: its audit rows share it.
    const requestId = answer.headers.get('x-request-id')!;
    return { response, rows: await rowsOf(requestId, gateway), requestId };
  }

  /** The columns every row of `caller`'s request has, as Coder fills them. */
  const requestColumns = (caller: TestUser, requestId: string) => ({
    id: expect.stringMatching(/^[0-9a-f-]{36}$/),
    time: expect.any(Date),
    user_id: caller.id,
    organization_id: cast.org.id,
    ip: CLIENT_ADDRESS,
    user_agent: USER_AGENT,
    additional_fields: {},
    request_id: requestId,
    resource_icon: '',
  });

  /** Asserts one row: a refusal Coder records, with its status and no diff. */
  function expectRefusalRow(
    { response, rows, requestId }: Awaited<ReturnType<typeof call>>,
    caller: TestUser,
    expected: { code: string; status: number; action: string; resourceType: string; id: string; target: string },
  ) {
    expect(errorCode(response), JSON.stringify(response)).toBe(expected.code);
    expect(rows).toEqual([
      {
        ...requestColumns(caller, requestId),
        resource_type: expected.resourceType,
        resource_id: expected.id,
        resource_target: expected.target,
        action: expected.action,
        status_code: expected.status,
        diff: {},
      },
    ]);
  }

  /** Asserts a refusal that Coder does not record: the request wrote no row. */
  function expectNoRow({ response, rows }: Awaited<ReturnType<typeof call>>, code: string) {
    expect(errorCode(response), JSON.stringify(response)).toBe(code);
    expect(rows).toEqual([]);
  }

  const member = (roles: string[] = []) => makeUser(gw.database, { orgs: { [cast.org.id]: roles } });
  const membership = (userId: string) =>
    gw.database.prisma.organizationMember.findUniqueOrThrow({
      where: { organizationId_userId: { organizationId: cast.org.id, userId } },
    });
  const roleRow = (name: string) =>
    gw.database.prisma.customRole.findFirstOrThrow({ where: { name, organizationId: cast.org.id } });
  let roleCount = 0;
  const roleName = () => `audited-${++roleCount}`;

  beforeAll(async () => {
    gw = await startTestGateway(kind);
    cast = await makeCast(gw.database);
  });
  afterAll(() => gw?.close());

  describe('members', () => {
    it('addOrganizationMember writes a create row: 200, the new member against Go zero values', async () => {
      const newcomer = await makeUser(gw.database);
      const result = await call(ADD, { org: cast.org.name, user: newcomer.username }, cast.owner);
      expect(result.response.errors).toBeUndefined();
      const added = await membership(newcomer.id);
      expect(result.rows).toEqual([
        {
          ...requestColumns(cast.owner, result.requestId),
          resource_type: 'organization_member',
          resource_id: newcomer.id,
          resource_target: newcomer.username,
          action: 'create',
          status_code: 200,
          // A zero AuditableOrganizationMember has nil roles (null); the stored row has an empty array.
          diff: {
            created_at: changed(GO_ZERO_TIME, goTime(added.createdAt)),
            roles: changed(null, []),
            updated_at: changed(GO_ZERO_TIME, goTime(added.updatedAt)),
            user_id: changed('', newcomer.id),
            username: changed('', newcomer.username),
          },
        },
      ]);
    });

    it('updateOrganizationMemberRoles writes a write row with the roles alone: timestamps do not change', async () => {
      const target = await member(['organization-auditor']);
      const result = await call(
        SET_ROLES,
        { org: cast.org.name, user: target.username, roles: ['organization-admin', 'organization-auditor'] },
        cast.admin,
      );
      expect(result.response.errors).toBeUndefined();
      expect(result.rows).toEqual([
        {
          ...requestColumns(cast.admin, result.requestId),
          resource_type: 'organization_member',
          resource_id: target.id,
          resource_target: target.username,
          action: 'write',
          status_code: 200,
          diff: { roles: changed(['organization-auditor'], ['organization-admin', 'organization-auditor']) },
        },
      ]);
    });

    it('records a role change that changes nothing, with an empty diff', async () => {
      const target = await member(['organization-auditor']);
      const result = await call(
        SET_ROLES,
        { org: cast.org.name, user: target.username, roles: ['organization-auditor'] },
        cast.owner,
      );
      expect(result.rows).toMatchObject([{ action: 'write', status_code: 200, diff: {} }]);
    });

    it('removeOrganizationMember writes a delete row: 204, the old member against Go zero values, microseconds kept', async () => {
      const leaving = await member(['organization-auditor', 'organization-template-admin']);
      // As Coder stores them: microsecond precision, which Go writes without trailing zeros.
      await gw.database.prisma.$executeRawUnsafe(
        `UPDATE organization_members SET created_at = '2024-03-01 12:00:00.123456+00', updated_at = '2024-03-02 08:30:00.1+00'
          WHERE organization_id = $1::uuid AND user_id = $2::uuid`,
        cast.org.id,
        leaving.id,
      );
      const result = await call(REMOVE, { org: cast.org.name, user: leaving.username }, cast.userAdmin);
      expect(result.response).toEqual({ data: { removeOrganizationMember: true } });
      expect(result.rows).toEqual([
        {
          ...requestColumns(cast.userAdmin, result.requestId),
          resource_type: 'organization_member',
          resource_id: leaving.id,
          resource_target: leaving.username,
          action: 'delete',
          status_code: 204,
          diff: {
            created_at: changed('2024-03-01T12:00:00.123456Z', GO_ZERO_TIME),
            roles: changed(['organization-auditor', 'organization-template-admin'], null),
            updated_at: changed('2024-03-02T08:30:00.1Z', GO_ZERO_TIME),
            user_id: changed(leaving.id, ''),
            username: changed(leaving.username, ''),
          },
        },
      ]);
    });

    // coderd/members.go sets aReq.Old from the member its middleware found, then refuses: the row has the status.
    describe('refusals after the membership was found are recorded with their status and no diff', () => {
      const memberRow = (target: TestUser, action: string, code: string, status: number) => ({
        code,
        status,
        action,
        resourceType: 'organization_member',
        id: target.id,
        target: target.username,
      });

      it('removing yourself: 400', async () => {
        const result = await call(REMOVE, { org: cast.org.name, user: 'me' }, cast.admin);
        expectRefusalRow(result, cast.admin, memberRow(cast.admin, 'delete', 'BAD_USER_INPUT', 400));
      });

      it('removing a system user: 404', async () => {
        const prebuilds = await member();
        await markUser(gw.database, prebuilds.id, { isSystem: true });
        const result = await call(REMOVE, { org: cast.org.name, user: prebuilds.id }, cast.owner);
        expectRefusalRow(result, cast.owner, memberRow(prebuilds, 'delete', 'NOT_FOUND', 404));
      });

      it('removing without the right to delete (an auditor, who sees the member): 404', async () => {
        const target = await member();
        const result = await call(REMOVE, { org: cast.org.name, user: target.username }, cast.auditor);
        expectRefusalRow(result, cast.auditor, memberRow(target, 'delete', 'NOT_FOUND', 404));
      });

      it('changing your own roles: 400', async () => {
        const result = await call(SET_ROLES, { org: cast.org.name, user: 'me', roles: [] }, cast.admin);
        expectRefusalRow(result, cast.admin, memberRow(cast.admin, 'write', 'BAD_USER_INPUT', 400));
      });

      it("changing a system user's roles: 403", async () => {
        const prebuilds = await member();
        await markUser(gw.database, prebuilds.id, { isSystem: true });
        const result = await call(
          SET_ROLES,
          { org: cast.org.name, user: prebuilds.id, roles: ['organization-admin'] },
          cast.owner,
        );
        expectRefusalRow(result, cast.owner, memberRow(prebuilds, 'write', 'FORBIDDEN', 403));
      });

      it('an unsupported role: 400; no right to assign: 403; a role the caller may not assign: 400', async () => {
        const target = await member();
        const unsupported = await call(
          SET_ROLES,
          { org: cast.org.name, user: target.username, roles: ['owner'] },
          cast.owner,
        );
        expectRefusalRow(unsupported, cast.owner, memberRow(target, 'write', 'BAD_USER_INPUT', 400));
        const noRight = await call(
          SET_ROLES,
          { org: cast.org.name, user: target.username, roles: ['organization-auditor'] },
          cast.auditor,
        );
        expectRefusalRow(noRight, cast.auditor, memberRow(target, 'write', 'FORBIDDEN', 403));
        const notThatRole = await call(
          SET_ROLES,
          { org: cast.org.name, user: target.username, roles: ['organization-admin'] },
          cast.userAdmin,
        );
        expectRefusalRow(notThatRole, cast.userAdmin, memberRow(target, 'write', 'BAD_USER_INPUT', 400));
        expect(await storedRoles(gw.database, cast.org.id, target.id)).toEqual([]);
      });
    });

    // Coder's audit request has no target until then: its middleware's 404s and 400s come first, and an add only
    // sets aReq.New once the member exists.
    describe('refusals before the membership was found write no row', () => {
      it('adding: an unknown user, a caller without the right, someone already a member', async () => {
        expectNoRow(await call(ADD, { org: cast.org.name, user: 'no-such-user' }, cast.owner), 'BAD_USER_INPUT');
        const stranger = await makeUser(gw.database);
        expectNoRow(await call(ADD, { org: cast.org.name, user: stranger.username }, cast.siteAuditor), 'NOT_FOUND');
        expectNoRow(await call(ADD, { org: cast.org.name, user: cast.member.username }, cast.owner), 'CONFLICT');
      });

      it('removing or changing the roles of a non-member, an unknown user, or a member the caller cannot see', async () => {
        for (const attempt of [
          (user: string, caller: TestUser) => call(REMOVE, { org: cast.org.name, user }, caller),
          (user: string, caller: TestUser) => call(SET_ROLES, { org: cast.org.name, user, roles: [] }, caller),
        ]) {
          expectNoRow(await attempt(cast.outsider.username, cast.owner), 'NOT_FOUND');
          expectNoRow(await attempt('no-such-user', cast.owner), 'BAD_USER_INPUT');
          expectNoRow(await attempt(cast.admin.username, cast.member), 'NOT_FOUND');
          expectNoRow(await attempt(cast.member.username, cast.outsider), 'NOT_FOUND');
        }
      });
    });
  });

  describe('custom roles', () => {
    const templateReader: [PermissionInput, PermissionInput] = [
      { resourceType: 'TEMPLATE', action: 'READ' },
      { resourceType: 'ORGANIZATION_MEMBER', action: 'READ' },
    ];
    /** A role the owner creates without auditing the request under test. */
    const existingRole = async () => {
      const name = roleName();
      const created = await gw.gql(
        CREATE_ROLE,
        { org: cast.org.name, role: { name, displayName: 'Existing', organizationPermissions: templateReader } },
        cast.owner.token,
      );
      expect(created.errors).toBeUndefined();
      return roleRow(name);
    };

    it("createOrganizationRole writes a create row: 200, the role's tracked fields, permissions as Coder prints them", async () => {
      const name = roleName();
      const result = await call(
        CREATE_ROLE,
        {
          org: cast.org.name,
          role: { name, displayName: 'Release Managers', organizationPermissions: templateReader },
        },
        cast.admin,
      );
      expect(result.response.errors).toBeUndefined();
      const role = await roleRow(name);
      expect(result.rows).toEqual([
        {
          ...requestColumns(cast.admin, result.requestId),
          resource_type: 'custom_role',
          resource_id: role.id,
          resource_target: name,
          action: 'create',
          status_code: 200,
          // site_permissions and user_permissions are [] on both sides: unchanged, so left out.
          diff: {
            name: changed('', name),
            display_name: changed('', 'Release Managers'),
            org_permissions: changed([], ['template.read', 'organization_member.read']),
          },
        },
      ]);
    });

    it('updateOrganizationRole writes a write row with what changed', async () => {
      const role = await existingRole();
      const result = await call(
        UPDATE_ROLE,
        {
          org: cast.org.name,
          role: { name: role.name, displayName: 'Existing', organizationPermissions: [templateReader[0]] },
        },
        cast.owner,
      );
      expect(result.response.errors).toBeUndefined();
      expect(result.rows).toEqual([
        {
          ...requestColumns(cast.owner, result.requestId),
          resource_type: 'custom_role',
          resource_id: role.id,
          resource_target: role.name,
          action: 'write',
          status_code: 200,
          diff: { org_permissions: changed(['template.read', 'organization_member.read'], ['template.read']) },
        },
      ]);
    });

    it('deleteOrganizationRole writes a delete row: 204, the old role against Go zero values', async () => {
      const role = await existingRole();
      const result = await call(DELETE_ROLE, { org: cast.org.name, name: role.name }, cast.admin);
      expect(result.response).toEqual({ data: { deleteOrganizationRole: true } });
      expect(result.rows).toEqual([
        {
          ...requestColumns(cast.admin, result.requestId),
          resource_type: 'custom_role',
          resource_id: role.id,
          resource_target: role.name,
          action: 'delete',
          status_code: 204,
          diff: {
            name: changed(role.name, ''),
            display_name: changed('Existing', ''),
            org_permissions: changed(['template.read', 'organization_member.read'], []),
          },
        },
      ]);
    });

    it('diffs a role written by Coder with negated and site permissions too', async () => {
      await insertCustomRole(gw.database, {
        name: 'from-coder',
        displayName: 'From Coder',
        organizationId: cast.org.id,
        org: [{ resource_type: 'workspace', action: 'ssh', negate: true }],
        site: [{ resource_type: 'template', action: 'read' }],
      });
      const role = await roleRow('from-coder');
      const result = await call(DELETE_ROLE, { org: cast.org.name, name: 'from-coder' }, cast.owner);
      expect(result.rows[0]?.diff).toEqual({
        name: changed('from-coder', ''),
        display_name: changed('From Coder', ''),
        org_permissions: changed(['-workspace.ssh'], []),
        site_permissions: changed(['template.read'], []),
      });
      expect(result.rows[0]?.resource_id).toBe(role.id);
    });

    describe('refusals after the role was found are recorded with their status and no diff', () => {
      const roleRefusal = (role: { id: string; name: string }, action: string, code: string, status: number) => ({
        code,
        status,
        action,
        resourceType: 'custom_role',
        id: role.id,
        target: role.name,
      });

      it('updating without the right to (a plain member, who can read the roles): 404', async () => {
        const role = await existingRole();
        const result = await call(UPDATE_ROLE, { org: cast.org.name, role: { name: role.name } }, cast.member);
        expectRefusalRow(result, cast.member, roleRefusal(role, 'write', 'NOT_FOUND', 404));
      });

      it('updating with a permission the caller cannot grant: 400', async () => {
        const role = await existingRole();
        const result = await call(
          UPDATE_ROLE,
          {
            org: cast.org.name,
            role: { name: role.name, organizationPermissions: [{ resourceType: 'WORKSPACE', action: 'SSH' }] },
          },
          cast.admin,
        );
        expectRefusalRow(result, cast.admin, roleRefusal(role, 'write', 'BAD_USER_INPUT', 400));
      });

      it('deleting without the right to: 403', async () => {
        const role = await existingRole();
        const result = await call(DELETE_ROLE, { org: cast.org.name, name: role.name }, cast.auditor);
        expectRefusalRow(result, cast.auditor, roleRefusal(role, 'delete', 'FORBIDDEN', 403));
      });
    });

    describe('refusals before the role was found write no row', () => {
      it('creating: any refusal, a taken name included', async () => {
        const taken = await existingRole();
        expectNoRow(
          await call(CREATE_ROLE, { org: cast.org.name, role: { name: taken.name } }, cast.owner),
          'CONFLICT',
        );
        expectNoRow(
          await call(CREATE_ROLE, { org: cast.org.name, role: { name: roleName() } }, cast.member),
          'NOT_FOUND',
        );
        expectNoRow(
          await call(CREATE_ROLE, { org: cast.org.name, role: { name: 'organization-admin' } }, cast.owner),
          'BAD_USER_INPUT',
        );
      });

      it('updating or deleting a role that does not exist, or with a request refused before the lookup', async () => {
        expectNoRow(
          await call(UPDATE_ROLE, { org: cast.org.name, role: { name: 'missing' } }, cast.owner),
          'NOT_FOUND',
        );
        expectNoRow(await call(DELETE_ROLE, { org: cast.org.name, name: 'missing' }, cast.owner), 'NOT_FOUND');
        expectNoRow(await call(DELETE_ROLE, { org: cast.org.name, name: 'missing' }, cast.member), 'NOT_FOUND');
        const role = await existingRole();
        expectNoRow(
          await call(
            UPDATE_ROLE,
            { org: cast.org.name, role: { name: role.name, sitePermissions: templateReader } },
            cast.owner,
          ),
          'BAD_USER_INPUT',
        );
        expectNoRow(await call(DELETE_ROLE, { org: cast.org.name, name: role.name }, cast.outsider), 'NOT_FOUND');
      });
    });
  });

  describe('what a row records of the request', () => {
    it('records no address when the request came over no socket, and ignores X-Forwarded-For from an untrusted peer', async () => {
      const target = await member();
      const noSocket = await call(SET_ROLES, { org: cast.org.name, user: target.id, roles: [] }, cast.owner, {
        remoteAddress: null,
      });
      expect(noSocket.rows).toMatchObject([{ ip: null }]);
      const forwarded = await call(SET_ROLES, { org: cast.org.name, user: target.id, roles: [] }, cast.owner, {
        headers: { 'x-forwarded-for': '203.0.113.50' },
      });
      expect(forwarded.rows).toMatchObject([{ ip: CLIENT_ADDRESS }]);
    });

    it('keeps the first 256 characters of a longer user agent, and the change with it', async () => {
      const target = await member();
      const userAgent = `agent/${'x'.repeat(400)}`;
      const result = await call(
        SET_ROLES,
        { org: cast.org.name, user: target.id, roles: ['organization-auditor'] },
        cast.owner,
        { headers: { 'user-agent': userAgent } },
      );
      expect(result.response.errors).toBeUndefined();
      expect(result.rows).toMatchObject([{ user_agent: userAgent.slice(0, 256) }]);
    });

    it('keeps a user agent written in UTF-8 as written, and one that is not as it came', async () => {
      const target = await member();
      // Node's HTTP parser hands header bytes over one character each: UTF-8 `probé/1 ✓` arrives so.
      const asNodeReadsIt = (text: string) => Buffer.from(text, 'utf8').toString('latin1');
      for (const [sent, stored] of [
        [asNodeReadsIt('probé/1 ✓'), 'probé/1 ✓'],
        ['caf\xe9/1', 'caf\xe9/1'],
      ]) {
        const result = await call(SET_ROLES, { org: cast.org.name, user: target.id, roles: [] }, cast.owner, {
          headers: { 'user-agent': sent! },
        });
        expect(result.rows).toMatchObject([{ user_agent: stored }]);
      }
    });

    it('records an id of its own for each request, never the X-Request-Id a client sends (as Coder)', async () => {
      const target = await member();
      const chosen = randomUUID();
      const first = await call(SET_ROLES, { org: cast.org.name, user: target.id, roles: [] }, cast.owner, {
        headers: { 'x-request-id': chosen },
      });
      // The same id again, and the nil UUID that marks Coder's background events.
      const second = await call(SET_ROLES, { org: cast.org.name, user: target.id, roles: [] }, cast.owner, {
        headers: { 'x-request-id': chosen },
      });
      const nil = await call(SET_ROLES, { org: cast.org.name, user: target.id, roles: [] }, cast.owner, {
        headers: { 'x-request-id': NIL_UUID },
      });
      for (const result of [first, second, nil]) {
        expect(result.response.errors).toBeUndefined();
        expect(result.rows).toHaveLength(1);
        expect(result.requestId).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
      }
      expect(new Set([first.requestId, second.requestId, nil.requestId, chosen, NIL_UUID]).size).toBe(5);
      expect(await rowsOf(chosen)).toEqual([]);
    });

    it('gives each of several mutations in one request its own row, with the request id they share', async () => {
      const [a, b] = [await member(), await member()];
      const result = await call(SET_ROLES_AND_REMOVE, { org: cast.org.name, a: a.id, b: b.id }, cast.owner);
      expect(result.response.errors).toBeUndefined();
      expect(result.rows.map((r) => [r.action, r.resource_id, r.status_code])).toEqual([
        ['write', a.id, 200],
        ['delete', b.id, 204],
      ]);
    });
  });

  // coderd/userauth.go ActivateDormantUser, called by ExtractAPIKey: a background entry of the dormancy subsystem.
  it('a session that wakes a dormant user writes the row Coder writes for it, once', async () => {
    const sleeper = await makeUser(gw.database, { status: 'dormant' });
    const first = await call(ME_ID_STATUS, {}, sleeper);
    expect(first.response).toEqual({ data: { me: { id: sleeper.id, status: 'ACTIVE' } } });
    const rows = await gw.database.prisma.$queryRawUnsafe<AuditRow[]>(
      `SELECT user_id::text, organization_id::text, host(ip) AS ip, user_agent, resource_type::text, resource_id::text,
              resource_target, action::text, diff, status_code, additional_fields, request_id::text, resource_icon
         FROM audit_logs WHERE resource_id = $1::uuid`,
      sleeper.id,
    );
    expect(rows).toEqual([
      {
        user_id: sleeper.id,
        organization_id: '00000000-0000-0000-0000-000000000000',
        ip: null,
        user_agent: null,
        resource_type: 'user',
        resource_id: sleeper.id,
        resource_target: sleeper.username,
        action: 'write',
        diff: { status: changed('dormant', 'active') },
        status_code: 200,
        additional_fields: { automatic_actor: 'coder', automatic_subsystem: 'dormancy' },
        request_id: '00000000-0000-0000-0000-000000000000',
        resource_icon: '',
      },
    ]);
    await call(ME, {}, sleeper);
    expect(await gw.database.prisma.auditLog.count({ where: { resourceId: sleeper.id } })).toBe(1);
  });

  // SPEC F: written in the transaction of the change. Both directions are
  // forced with triggers: one that refuses the audit row, and one that
  // refuses the change only when the transaction commits, after its row was written.
  describe('a change and its row are written together or not at all', () => {
    const failing = (name: string) => `
      CREATE OR REPLACE FUNCTION ${name}() RETURNS trigger LANGUAGE plpgsql AS $$
      BEGIN RAISE EXCEPTION 'refused by the test'; END $$`;
    const exec = (sql: string) => gw.database.prisma.$executeRawUnsafe(sql);

    it('no change without its row: when the audit row cannot be written, nothing changes', async () => {
      const target = await member(['organization-auditor']);
      const newcomer = await makeUser(gw.database);
      const role = await gw.gql(
        CREATE_ROLE,
        { org: cast.org.name, role: { name: roleName(), displayName: 'Kept' } },
        cast.owner.token,
      );
      const createdName = role.data!.createOrganizationRole.name;
      await exec(failing('refuse_audit_row'));
      await exec(
        'CREATE TRIGGER refuse_audit_row BEFORE INSERT ON audit_logs FOR EACH ROW EXECUTE FUNCTION refuse_audit_row()',
      );
      try {
        const attempts = [
          await call(ADD, { org: cast.org.name, user: newcomer.id }, cast.owner),
          await call(SET_ROLES, { org: cast.org.name, user: target.id, roles: ['organization-admin'] }, cast.owner),
          await call(REMOVE, { org: cast.org.name, user: target.id }, cast.owner),
          await call(CREATE_ROLE, { org: cast.org.name, role: { name: 'never-made' } }, cast.owner),
          await call(
            UPDATE_ROLE,
            { org: cast.org.name, role: { name: createdName, displayName: 'Changed' } },
            cast.owner,
          ),
          await call(DELETE_ROLE, { org: cast.org.name, name: createdName }, cast.owner),
        ];
        for (const { response, rows } of attempts) {
          expect(errorCode(response), JSON.stringify(response)).toBe('INTERNAL_SERVER_ERROR');
          expect(rows).toEqual([]);
        }
      } finally {
        await exec('DROP TRIGGER refuse_audit_row ON audit_logs');
      }
      expect(await storedRoles(gw.database, cast.org.id, newcomer.id)).toBeUndefined();
      expect(await storedRoles(gw.database, cast.org.id, target.id)).toEqual(['organization-auditor']);
      expect(await gw.database.prisma.customRole.count({ where: { name: 'never-made' } })).toBe(0);
      expect((await roleRow(createdName)).displayName).toBe('Kept');
    });

    it('no row without its change: when the change fails at commit, after its row, neither stays', async () => {
      const target = await member(['organization-auditor']);
      const role = await gw.gql(
        CREATE_ROLE,
        { org: cast.org.name, role: { name: roleName(), displayName: 'Kept' } },
        cast.owner.token,
      );
      const createdName = role.data!.createOrganizationRole.name;
      await exec(failing('refuse_at_commit'));
      await exec(`CREATE CONSTRAINT TRIGGER refuse_member_change AFTER INSERT OR UPDATE OR DELETE ON organization_members
        DEFERRABLE INITIALLY DEFERRED FOR EACH ROW EXECUTE FUNCTION refuse_at_commit()`);
      await exec(`CREATE CONSTRAINT TRIGGER refuse_role_change AFTER INSERT OR UPDATE OR DELETE ON custom_roles
        DEFERRABLE INITIALLY DEFERRED FOR EACH ROW EXECUTE FUNCTION refuse_at_commit()`);
      try {
        const attempts = [
          await call(SET_ROLES, { org: cast.org.name, user: target.id, roles: ['organization-admin'] }, cast.owner),
          await call(REMOVE, { org: cast.org.name, user: target.id }, cast.owner),
          await call(
            UPDATE_ROLE,
            { org: cast.org.name, role: { name: createdName, displayName: 'Changed' } },
            cast.owner,
          ),
          await call(DELETE_ROLE, { org: cast.org.name, name: createdName }, cast.owner),
        ];
        for (const { response, rows } of attempts) {
          expect(errorCode(response), JSON.stringify(response)).toBe('INTERNAL_SERVER_ERROR');
          expect(rows).toEqual([]);
        }
      } finally {
        await exec('DROP TRIGGER refuse_member_change ON organization_members');
        await exec('DROP TRIGGER refuse_role_change ON custom_roles');
      }
      expect(await storedRoles(gw.database, cast.org.id, target.id)).toEqual(['organization-auditor']);
      expect((await roleRow(createdName)).displayName).toBe('Kept');
      // And once nothing refuses, the same change is written with its row.
      const again = await call(
        SET_ROLES,
        { org: cast.org.name, user: target.id, roles: ['organization-admin'] },
        cast.owner,
      );
      expect(again.rows).toHaveLength(1);
    });
  });
});

describe.each(DATABASE_KINDS)('when changes are not audited, on %s', (kind) => {
  it('AUDIT=false: every change is made, and no row is written', async () => {
    const gw = await startTestGateway(kind, { auditLogs: 'read' });
    try {
      const cast = await makeCast(gw.database);
      const target = await makeUser(gw.database, { orgs: { [cast.org.id]: [] } });
      const newcomer = await makeUser(gw.database);
      const [org, token] = [cast.org.name, cast.owner.token];
      for (const response of [
        await gw.gql(ADD, { org, user: newcomer.id }, token),
        await gw.gql(SET_ROLES, { org, user: target.id, roles: ['organization-auditor'] }, token),
        await gw.gql(REMOVE, { org, user: newcomer.id }, token),
        await gw.gql(CREATE_ROLE, { org, role: { name: 'unaudited' } }, token),
        await gw.gql(UPDATE_ROLE, { org, role: { name: 'unaudited', displayName: 'Unaudited' } }, token),
        await gw.gql(DELETE_ROLE, { org, name: 'unaudited' }, token),
      ]) {
        expect(response.errors, JSON.stringify(response)).toBeUndefined();
      }
      // A refusal that an audited gateway records.
      const self = await gw.gql(REMOVE, { org: cast.org.name, user: 'me' }, cast.admin.token);
      expect(errorCode(self)).toBe('BAD_USER_INPUT');
      expect(await storedRoles(gw.database, cast.org.id, target.id)).toEqual(['organization-auditor']);
      // Nor is a dormant user's waking recorded.
      const sleeper = await makeUser(gw.database, { status: 'dormant' });
      expect(await gw.gql(ME_STATUS, {}, sleeper.token)).toEqual({ data: { me: { status: 'ACTIVE' } } });
      expect(await gw.database.prisma.auditLog.count()).toBe(0);
    } finally {
      await gw.close();
    }
  });

  it('MIGRATE=false on a database without audit_logs: served, unaudited, and said so at start', async () => {
    const gw = await startTestGateway(kind);
    try {
      await gw.database.prisma.$executeRawUnsafe('DROP TABLE audit_logs');
      const warnings: string[] = [];
      const logger = createLogger('warn');
      logger.warn = ((message: string) => void warnings.push(message)) as typeof logger.warn;
      const mode = await auditLogMode(gw.database, loadConfig({ MIGRATE: 'false' }), logger);
      expect(mode).toBe('absent');
      expect(warnings.join('\n')).toMatch(/no audit_logs table/);

      const yoga = createGateway({ database: gw.database, auditLogs: mode });
      const cast = await makeCast(gw.database);
      const target = await makeUser(gw.database, { orgs: { [cast.org.id]: [] } });
      const response = await yoga.fetch('http://gateway.test/graphql', {
        method: 'POST',
        headers: { 'content-type': 'application/json', 'coder-session-token': cast.owner.token },
        body: JSON.stringify({ query: sourceOf(REMOVE), variables: { org: cast.org.name, user: target.id } }),
      });
      expect(await response.json()).toEqual({ data: { removeOrganizationMember: true } });
      expect(await storedRoles(gw.database, cast.org.id, target.id)).toBeUndefined();
    } finally {
      await gw.close();
    }
  });
});
