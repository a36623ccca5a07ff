// Organization.auditLogs (SPEC F): the organization's member and custom-role
// entries, newest first, as a Relay connection with stable cursors, filtered
// by resource type and by the member acted on, for those who may read
// audit_log in the organization. Entries Coder wrote itself read the same.
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AUDIT_BYTES_PER_REQUEST } from '../../src/db/reads/audit-logs.js';
import { DATABASE_KINDS } from '../support/databases.js';
import { dataOf, expectRefusal, makeCast, type Cast } from '../support/fixtures.js';
import { errorCode, makeUser, startTestGateway, type TestGateway, type TestUser } from '../support/gateway.js';
import type { TadaDocumentNode } from 'gql.tada';
import { graphql, sourceOf, type ResultOf, type VariablesOf } from '../support/graphql.js';

interface NestedLogs {
  auditLogs: { pageInfo: { hasNextPage: boolean }; edges: { node: { id: string } }[] };
  members: {
    edges: {
      node: { organization: { auditLogs: { pageInfo: { hasNextPage: boolean }; edges: { node: { id: string } }[] } } };
    }[];
  };
}

const LOGS = graphql(`query ($org: String!, $first: Int, $after: String, $last: Int, $before: String,
    $type: AuditResourceType, $user: String) {
  organization(organization: $org) {
    auditLogs(first: $first, after: $after, last: $last, before: $before, resourceType: $type, user: $user) {
      pageInfo { hasNextPage hasPreviousPage startCursor endCursor }
      edges { cursor node { id time requestId organizationId actorId actorUsername ip userAgent resourceType resourceId
        resourceTarget action statusCode diff additionalFields } }
    }
  }
}`);

type Page = NonNullable<NonNullable<ResultOf<typeof LOGS>['organization']>['auditLogs']>;

describe.each(DATABASE_KINDS)('Organization.auditLogs on %s', (kind) => {
  let gw: TestGateway;
  let cast: Cast;
  /** What the setup did, oldest first, as [action, resource type, target]. */
  const history: [string, string, string][] = [];
  let alice: TestUser;
  let bob: TestUser;

  const read = async (variables: Omit<VariablesOf<typeof LOGS>, 'org'>, caller: TestUser = cast.owner) => {
    const response = await gw.gql(LOGS, { org: cast.org.name, ...variables }, caller.token);
    const page = dataOf(response).organization?.auditLogs;
    expect(page, JSON.stringify(response)).toBeTruthy();
    return page!;
  };
  const summary = (page: Page) =>
    page.edges.map(({ node }) => [node.action.toLowerCase(), node.resourceType.toLowerCase(), node.resourceTarget]);
  const newestFirst = () => [...history].reverse();

  beforeAll(async () => {
    gw = await startTestGateway(kind);
    cast = await makeCast(gw.database);
    [alice, bob] = [
      await makeUser(gw.database, { username: 'alice' }),
      await makeUser(gw.database, { username: 'bob' }),
    ];
    const run = async <D, V extends { org: string }>(
      query: TadaDocumentNode<D, V>,
      variables: Omit<V, 'org'>,
      entry: [string, string, string],
    ) => {
      const response = await gw.gql(query, { org: cast.org.name, ...variables } as V, cast.owner.token);
      expect(response.errors, JSON.stringify(response.errors)).toBeUndefined();
      history.push(entry);
    };
    const add = graphql(
      'mutation ($org: String!, $u: String!) { addOrganizationMember(organization: $org, user: $u) { userId } }',
    );
    const roles = graphql(
      'mutation ($org: String!, $u: String!, $r: [String!]!) { updateOrganizationMemberRoles(organization: $org, user: $u, roles: $r) { userId } }',
    );
    const create = graphql(
      'mutation ($org: String!, $n: String!) { createOrganizationRole(organization: $org, role: { name: $n }) { name } }',
    );
    const remove = graphql(
      'mutation ($org: String!, $u: String!) { removeOrganizationMember(organization: $org, user: $u) }',
    );
    await run(add, { u: 'alice' }, ['create', 'organization_member', 'alice']);
    await run(add, { u: 'bob' }, ['create', 'organization_member', 'bob']);
    await run(create, { n: 'reviewer' }, ['create', 'custom_role', 'reviewer']);
    await run(roles, { u: 'alice', r: ['reviewer'] }, ['write', 'organization_member', 'alice']);
    await run(roles, { u: 'bob', r: ['organization-auditor'] }, ['write', 'organization_member', 'bob']);
    await run(remove, { u: 'bob' }, ['delete', 'organization_member', 'bob']);
    // A change that changes nothing is an entry too: about the organization auditor, who reads the trail below.
    await run(roles, { u: cast.auditor.username, r: ['organization-auditor'] }, [
      'write',
      'organization_member',
      cast.auditor.username,
    ]);
    // Another organization's entries stay there.
    await gw.gql(add, { org: cast.otherOrg.name, u: 'alice' }, cast.owner.token);
  });
  afterAll(() => gw?.close());

  it('lists the entries newest first, each as written', async () => {
    const page = await read({});
    expect(summary(page)).toEqual(newestFirst());
    expect(page.pageInfo).toMatchObject({ hasNextPage: false, hasPreviousPage: false });
    const removal = page.edges[1]!.node;
    expect(removal).toEqual({
      id: expect.stringMatching(/^[0-9a-f-]{36}$/),
      time: expect.stringMatching(/^\d{4}-\d{2}-\d{2}T/),
      requestId: expect.stringMatching(/^[0-9a-f-]{36}$/),
      organizationId: cast.org.id,
      actorId: cast.owner.id,
      actorUsername: cast.owner.username,
      ip: null, // no socket in these tests
      userAgent: '',
      resourceType: 'ORGANIZATION_MEMBER',
      resourceId: bob.id,
      resourceTarget: 'bob',
      action: 'DELETE',
      statusCode: 204,
      diff: expect.objectContaining({
        roles: { Old: ['organization-auditor'], New: null, Secret: false },
        username: { Old: 'bob', New: '', Secret: false },
      }),
      additionalFields: {},
    });
  });

  it('filters by resource type, and by the member acted on (id, username in any case, or me)', async () => {
    expect(summary(await read({ type: 'CUSTOM_ROLE' }))).toEqual([['create', 'custom_role', 'reviewer']]);
    expect(summary(await read({ type: 'ORGANIZATION_MEMBER' }))).toEqual(
      newestFirst().filter(([, type]) => type === 'organization_member'),
    );
    const aboutAlice = newestFirst().filter(([, , target]) => target === 'alice');
    expect(summary(await read({ user: alice.id }))).toEqual(aboutAlice);
    expect(summary(await read({ user: 'ALICE' }))).toEqual(aboutAlice);
    expect(summary(await read({ user: 'me' }, cast.auditor))).toEqual([
      ['write', 'organization_member', cast.auditor.username],
    ]);
    expect(summary(await read({ user: 'me' }))).toEqual([]); // the owner was never a member here
    expect(summary(await read({ user: 'no-such-user' }))).toEqual([]);
    expect(summary(await read({ user: bob.id, type: 'CUSTOM_ROLE' }))).toEqual([]);
  });

  it('pages forward with first/after and backward with last/before, over the same order', async () => {
    const all = newestFirst();
    const first = await read({ first: 2 });
    expect(summary(first)).toEqual(all.slice(0, 2));
    expect(first.pageInfo).toMatchObject({ hasNextPage: true, hasPreviousPage: false });
    const second = await read({ first: 2, after: first.pageInfo.endCursor });
    expect(summary(second)).toEqual(all.slice(2, 4));
    expect(second.pageInfo).toMatchObject({ hasNextPage: true, hasPreviousPage: true });
    const rest = await read({ first: 10, after: second.pageInfo.endCursor });
    expect(summary(rest)).toEqual(all.slice(4));
    expect(rest.pageInfo.hasNextPage).toBe(false);

    const oldest = await read({ last: 2 });
    expect(summary(oldest)).toEqual(all.slice(-2));
    expect(oldest.pageInfo).toMatchObject({ hasNextPage: false, hasPreviousPage: true });
    const before = await read({ last: 3, before: oldest.pageInfo.startCursor });
    expect(summary(before)).toEqual(all.slice(-5, -2));
    expect(before.pageInfo).toMatchObject({ hasNextPage: true, hasPreviousPage: true });

    // Both: the first four, then the last two of them (Relay's algorithm).
    expect(summary(await read({ first: 4, last: 2 }))).toEqual(all.slice(2, 4));
    // Between two cursors.
    const between = await read({ after: first.pageInfo.startCursor, before: rest.pageInfo.startCursor });
    expect(summary(between)).toEqual(all.slice(1, 4));
  });

  it('keeps its pages where they were when new entries arrive between them', async () => {
    const first = await read({ first: 3 });
    await gw.gql(
      graphql(
        'mutation ($org: String!) { updateOrganizationMemberRoles(organization: $org, user: "alice", roles: []) { userId } }',
      ),
      { org: cast.org.name },
      cast.owner.token,
    );
    history.push(['write', 'organization_member', 'alice']);
    const next = await read({ first: 3, after: first.pageInfo.endCursor });
    const all = newestFirst();
    expect(summary(next)).toEqual(all.slice(4, 7));
    expect(summary(await read({ first: 1 }))).toEqual([all[0]]);
  });

  it('reads entries Coder wrote, with microsecond times and other resource types left out', async () => {
    const coderEntry = randomUUID();
    const insert = (id: string, resourceType: string, time: string) =>
      gw.database.prisma.$executeRawUnsafe(
        `INSERT INTO audit_logs (id, "time", user_id, organization_id, ip, user_agent, resource_type, resource_id,
           resource_target, action, diff, status_code, additional_fields, request_id, resource_icon)
         VALUES ($1::uuid, $2::timestamptz, $3::uuid, $4::uuid, '2001:db8::1', 'Mozilla/5.0', $5::resource_type, $6::uuid,
           'carol', 'write', '{"roles": {"Old": [], "New": ["organization-admin"], "Secret": false}}', 200, '{}', $7::uuid, '')`,
        id,
        time,
        cast.admin.id,
        cast.org.id,
        resourceType,
        randomUUID(),
        randomUUID(),
      );
    await insert(coderEntry, 'organization_member', '2999-01-01 00:00:00.123456+00');
    await insert(randomUUID(), 'workspace', '2999-01-02 00:00:00+00');
    try {
      const [newest] = (await read({ first: 1 })).edges;
      expect(newest!.node).toMatchObject({
        id: coderEntry,
        time: '2999-01-01T00:00:00.123Z',
        actorUsername: cast.admin.username,
        ip: '2001:db8::1',
        userAgent: 'Mozilla/5.0',
        resourceTarget: 'carol',
        action: 'WRITE',
        diff: { roles: { Old: [], New: ['organization-admin'], Secret: false } },
      });
      // Its cursor holds the microseconds: the next page starts right after it.
      const after = await read({ first: 1, after: newest!.cursor });
      expect(after.edges[0]!.node.id).not.toBe(coderEntry);
    } finally {
      await gw.database.prisma.$executeRawUnsafe(`DELETE FROM audit_logs WHERE "time" > '2998-01-01'`);
    }
  });

  it('reads an entry whose diff or additional fields are no JSON object as {}, and leaves out actions it cannot name', async () => {
    const insert = (time: string, action: string, diff: string, additional: string) =>
      gw.database.prisma.$executeRawUnsafe(
        `INSERT INTO audit_logs (id, "time", user_id, organization_id, ip, user_agent, resource_type, resource_id,
           resource_target, action, diff, status_code, additional_fields, request_id, resource_icon)
         VALUES ($1::uuid, $2::timestamptz, $3::uuid, $4::uuid, NULL, '', 'custom_role', $5::uuid, 'odd',
           $6::audit_action, $7::jsonb, 200, $8::jsonb, $9::uuid, '')`,
        randomUUID(),
        time,
        cast.admin.id,
        cast.org.id,
        randomUUID(),
        action,
        diff,
        additional,
        randomUUID(),
      );
    // A value a later Coder may add to the enum (ALTER TYPE … ADD VALUE cannot run in a transaction).
    await gw.database.prisma.$executeRawUnsafe(`ALTER TYPE audit_action ADD VALUE IF NOT EXISTS 'share'`);
    await insert('2999-01-01 00:00:00+00', 'write', 'null', '[1]');
    await insert('2999-01-02 00:00:00+00', 'write', '[]', '"x"');
    await insert('2999-01-03 00:00:00+00', 'write', '"x"', 'null');
    await insert('2999-01-04 00:00:00+00', 'share', '{}', '{}');
    try {
      const page = await read({ first: 4 });
      expect(page.edges.slice(0, 3).map((e) => [e.node.diff, e.node.additionalFields])).toEqual([
        [{}, {}],
        [{}, {}],
        [{}, {}],
      ]);
      expect(page.edges[3]!.node.resourceTarget).not.toBe('odd');
    } finally {
      await gw.database.prisma.$executeRawUnsafe(`DELETE FROM audit_logs WHERE "time" > '2998-01-01'`);
    }
  });

  it('gives pages read side by side and a level apart whole when they hold little', async () => {
    const nested = await gw.gql(
      `query ($org: String!) { organization(organization: $org) {
        auditLogs(first: 4) { edges { node { id } } }
        members(first: 1) { edges { node { organization {
          a: auditLogs(first: 3) { edges { node { id } } }
          b: auditLogs(first: 3, resourceType: CUSTOM_ROLE) { edges { node { id } } } } } } } } }`,
      { org: cast.org.name },
      cast.owner.token,
    );
    expect(nested.errors).toBeUndefined();
    const ids = (page: Page) => page.edges.map((edge) => edge.node.id);
    const organization = (
      nested.data as {
        organization: NestedLogs & { members: { edges: { node: { organization: Record<'a' | 'b', Page> } }[] } };
      }
    ).organization;
    const below = organization.members.edges[0]!.node.organization;
    expect(organization.auditLogs.edges.map((edge) => edge.node.id)).toEqual(ids(await read({ first: 4 })));
    expect(ids(below.a)).toEqual(ids(await read({ first: 3 })));
    expect(ids(below.b)).toEqual(ids(await read({ first: 3, type: 'CUSTOM_ROLE' })));
    expect(ids(below.b).length).toBeGreaterThan(0);
  });

  it(`stops a page early past ${AUDIT_BYTES_PER_REQUEST / 1024 / 1024} MiB of diffs, says more follow, and loses no entry`, async () => {
    // A custom role's display name may be any length, and each update's entry carries it twice.
    const ids = Array.from({ length: 5 }, () => randomUUID());
    for (const [i, id] of ids.entries()) {
      await gw.database.prisma.$executeRawUnsafe(
        `INSERT INTO audit_logs (id, "time", user_id, organization_id, ip, user_agent, resource_type, resource_id,
           resource_target, action, diff, status_code, additional_fields, request_id, resource_icon)
         VALUES ($1::uuid, $2::timestamptz, $3::uuid, $4::uuid, NULL, '', 'custom_role', $5::uuid, 'huge', 'write',
           jsonb_build_object('display_name', jsonb_build_object('Old', repeat('o', 2500000), 'New', repeat('n', 2500000),
             'Secret', false)), 200, '{}', $6::uuid, '')`,
        id,
        `2999-01-0${5 - i} 00:00:00+00`,
        cast.admin.id,
        cast.org.id,
        randomUUID(),
        randomUUID(),
      );
    }
    try {
      // About 5 MB each: the fifth would pass 16 MiB.
      const first = await read({ first: 5 });
      expect(first.edges.map((e) => e.node.id)).toEqual(ids.slice(0, 4));
      expect(first.pageInfo.hasNextPage).toBe(true);
      const next = await read({ first: 2, after: first.pageInfo.endCursor });
      expect(next.edges.map((e) => e.node.id)).toEqual([ids[4], expect.any(String)]);
      expect(summary(next)[1]).toEqual(newestFirst()[0]);

      // The budget is the request's, over its statements: two pages a level apart (a statement each, which may run
      // at once) carry 16 MiB between them, and one entry more, each at least one entry, and say that more follow.
      const nested = await gw.gql(
        `query ($org: String!) { organization(organization: $org) {
          auditLogs(first: 4) { pageInfo { hasNextPage } edges { node { id diff } } }
          members(first: 1) { edges { node { organization {
            auditLogs(first: 2) { pageInfo { hasNextPage } edges { node { id diff } } } } } } } } }`,
        { org: cast.org.name },
        cast.owner.token,
      );
      expect(nested.errors).toBeUndefined();
      const organization = (nested.data as { organization: NestedLogs }).organization;
      const above = organization.auditLogs;
      const below = organization.members.edges[0]!.node.organization.auditLogs;
      expect(above.edges.map((e) => e.node.id)).toEqual(ids.slice(0, above.edges.length));
      expect(below.edges.map((e) => e.node.id)).toEqual(ids.slice(0, below.edges.length));
      expect(above.edges.length).toBeGreaterThanOrEqual(1);
      expect(below.edges.length).toBeGreaterThanOrEqual(1);
      expect(above.edges.length + below.edges.length).toBeLessThanOrEqual(5);
      expect(above.pageInfo.hasNextPage && below.pageInfo.hasNextPage).toBe(true);

      // Diffs nobody asked for are not read, nor counted: the page holds every entry asked for.
      const withoutDiffs = await gw.gql(
        `query ($org: String!) { organization(organization: $org) {
          auditLogs(first: 5) { pageInfo { hasNextPage } edges { node { id resourceTarget } } } } }`,
        { org: cast.org.name },
        cast.owner.token,
      );
      expect(withoutDiffs.errors).toBeUndefined();
      const { auditLogs } = (withoutDiffs.data as { organization: Pick<NestedLogs, 'auditLogs'> }).organization;
      expect(auditLogs.edges.map((e) => e.node.id)).toEqual(ids);
      expect(auditLogs.pageInfo.hasNextPage).toBe(true);
    } finally {
      await gw.database.prisma.$executeRawUnsafe(`DELETE FROM audit_logs WHERE "time" > '2998-01-01'`);
    }
  });

  describe('who may read it', () => {
    it('owners, site auditors, organization admins and organization auditors', async () => {
      for (const caller of [cast.owner, cast.siteAuditor, cast.admin, cast.auditor]) {
        expect(summary(await read({}, caller)).length, caller.username).toBe(history.length);
      }
    });

    it('is NOT_FOUND, with a null field, for members who may not, and the organization stays readable', async () => {
      for (const caller of [cast.member, cast.userAdmin]) {
        const response = await gw.gql(LOGS, { org: cast.org.name }, caller.token);
        expectRefusal(response, 'NOT_FOUND');
        expect(response.errors?.[0]?.path).toEqual(['organization', 'auditLogs']);
        expect(response.data).toEqual({ organization: { auditLogs: null } });
      }
    });

    it('is NOT_FOUND for the organization itself for an outsider', async () => {
      expect(errorCode(await gw.gql(LOGS, { org: cast.org.name }, cast.outsider.token))).toBe('NOT_FOUND');
    });

    it('refuses one organization of a list without failing the others', async () => {
      const response = await gw.gql(
        graphql('{ organizations { id auditLogs(first: 1) { edges { node { id } } } } }'),
        {},
        cast.admin.token,
      );
      // The admin of one organization, a plain member of none other: one list of one.
      expect(response.errors).toBeUndefined();
      const siteAuditorView = await gw.gql(
        graphql('{ organizations { id auditLogs(first: 1) { edges { node { organizationId } } } } }'),
        {},
        cast.siteAuditor.token,
      );
      for (const org of dataOf(siteAuditorView).organizations) {
        for (const edge of org.auditLogs?.edges ?? []) expect(edge.node.organizationId).toBe(org.id);
      }
      const outsider = await makeUser(gw.database, {
        orgs: { [cast.org.id]: [], [cast.otherOrg.id]: ['organization-auditor'] },
      });
      const mixed = await gw.gql(
        graphql('{ organizations { id auditLogs { edges { node { id } } } } }'),
        {},
        outsider.token,
      );
      const byId = Object.fromEntries((mixed.data?.organizations ?? []).map((o) => [o.id, o.auditLogs]));
      expect(byId[cast.org.id]).toBeNull();
      expect(byId[cast.otherOrg.id]).toEqual({ edges: [expect.anything()] });
      expect(mixed.errors?.map((e) => e.extensions?.code)).toEqual(['NOT_FOUND']);
    });
  });

  it.each<[string, Omit<VariablesOf<typeof LOGS>, 'org'>]>([
    ['a negative first', { first: -1 }],
    ['a page over 1,000', { last: 1001 }],
    ['a cursor of another connection', { after: Buffer.from('OffsetConnection:3').toString('base64') }],
    ['a cursor that is not one', { before: 'garbage!!' }],
    // Shaped as ours, with a time PostgreSQL refuses: it would fail the statement every page of the request shares.
    ...['2026-02-30T00:00:00.000000Z', '0000-01-01T00:00:00.000000Z', '2026-12-07T23:60:60.000000Z'].map(
      (time): [string, Omit<VariablesOf<typeof LOGS>, 'org'>] => [`a cursor at ${time}`, { after: auditCursor(time) }],
    ),
    ['a user no reference can name', { user: 'not a name' }],
  ])('refuses %s with BAD_USER_INPUT', async (_what, variables) => {
    const response = await gw.gql(LOGS, { org: cast.org.name, ...variables }, cast.owner.token);
    expectRefusal(response, 'BAD_USER_INPUT');
  });
});

/** A cursor as the connection makes one, at `time`. */
const auditCursor = (time: string) =>
  Buffer.from(JSON.stringify([time, '00000000-0000-0000-0000-000000000000'])).toString('base64url');

describe.each(DATABASE_KINDS)('Organization.auditLogs without writing, on %s', (kind) => {
  it('AUDIT=false still serves what is there; a database without audit_logs serves an empty trail', async () => {
    const gw = await startTestGateway(kind, { auditLogs: 'read' });
    try {
      const cast = await makeCast(gw.database);
      const newcomer = await makeUser(gw.database);
      await gw.gql(
        graphql(
          'mutation ($org: String!, $u: String!) { addOrganizationMember(organization: $org, user: $u) { userId } }',
        ),
        { org: cast.org.name, u: newcomer.username },
        cast.owner.token,
      );
      const query = graphql('{ organizations { auditLogs { edges { node { id } } pageInfo { hasNextPage } } } }');
      expect(await gw.gql(query, {}, cast.admin.token)).toEqual({
        data: { organizations: [{ auditLogs: { edges: [], pageInfo: { hasNextPage: false } } }] },
      });
      await gw.database.prisma.$executeRawUnsafe('DROP TABLE audit_logs');
      const { createGateway } = await import('../../src/yoga.js');
      const absent = createGateway({ database: gw.database, auditLogs: 'absent' });
      const response = await absent.fetch('http://gateway.test/graphql', {
        method: 'POST',
        headers: { 'content-type': 'application/json', 'coder-session-token': cast.admin.token },
        body: JSON.stringify({ query: sourceOf(query) }),
      });
      expect(await response.json()).toEqual({
        data: { organizations: [{ auditLogs: { edges: [], pageInfo: { hasNextPage: false } } }] },
      });
    } finally {
      await gw.close();
    }
  });
});
