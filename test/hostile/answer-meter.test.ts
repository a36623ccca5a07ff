// An answer is held to QUERY_MAX_COST values as it is built, whatever the
// list sizes its cost assumed (src/limits/answer-meter.ts): on a site with
// more organizations and memberships than QUERY_COST_ORGANIZATIONS says, a
// document priced under the limit still cannot answer past it.
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { DEFAULT_LIMITS } from '../../src/config.js';
import type { DocumentLimits } from '../../src/limits/document-limits.js';
import { membershipsOfUsers } from '../../src/db/reads/members.js';
import { AnswerMeter } from '../../src/limits/answer-meter.js';
import { RequestReads } from '../../src/db/reads/request-reads.js';
import { createGateway, type Gateway } from '../../src/yoga.js';
import { costOf } from '../support/cost.js';
import { DATABASE_KINDS } from '../support/databases.js';
import { makeOrganization, makeUser, startTestGateway, type TestGateway } from '../support/gateway.js';

const ORGANIZATIONS = 12;
const MEMBERS = 10;
/** The operator assumed two organizations: the site holds six times as many, each user in every one. */
const SMALL_SITE: DocumentLimits = {
  ...DEFAULT_LIMITS,
  maxCost: 3_000,
  listSizes: { members: 50, organizations: 2 },
};

const MEMBERSHIPS_OF_EVERY_MEMBER = `{ organizations { id members(first: ${MEMBERS}) { edges { node {
  userId user { organizationMemberships { organizationId organization { name } } } } } } } }`;
/** The same through fragments, an alias and an inline fragment: the meter counts what the answer holds. */
const THROUGH_FRAGMENTS = `{ all: organizations { ...O } }
  fragment O on Organization { id members(first: ${MEMBERS}) { edges { node { ...M } } } }
  fragment M on OrganizationMember { userId user { ... on User { organizationMemberships { ...S } } } }
  fragment S on OrganizationMember { organizationId organization { name } }`;

describe.each(DATABASE_KINDS)('the values of an answer, counted as it is built (%s)', (kind) => {
  /** A POST of `query` to `gateway` as the site's owner. */
  const asOwner = (gateway: { fetch: Gateway['fetch'] }, query: string, variables?: Record<string, unknown>) =>
    gateway.fetch('http://gateway.test/graphql', {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'coder-session-token': owner },
      body: JSON.stringify({ query, variables }),
    });

  let gw: TestGateway;
  let owner: string;
  let memberIds: string[];
  let organizationIds: string[];

  beforeAll(async () => {
    gw = await startTestGateway(kind, { limits: SMALL_SITE });
    const organizations = [];
    for (let i = 0; i < ORGANIZATIONS; i++) organizations.push(await makeOrganization(gw.database));
    organizationIds = organizations.map((o) => o.id);
    const everyOrganization = Object.fromEntries(organizations.map((o) => [o.id, []]));
    owner = (await makeUser(gw.database, { siteRoles: ['owner'] })).token;
    memberIds = [];
    for (let i = 0; i < MEMBERS; i++) memberIds.push((await makeUser(gw.database, { orgs: everyOrganization })).id);
  }, 120_000);
  afterAll(() => gw?.close());

  it.each([
    ['a cycle through every member’s memberships', MEMBERSHIPS_OF_EVERY_MEMBER],
    ['the same through fragments and an alias', THROUGH_FRAGMENTS],
  ])('refuses %s once its answer passes the limit, though its cost did not', async (_name, query) => {
    // Priced with the sizes the operator gave, the document is under the limit; its answer is not.
    expect(costOf(query, undefined, SMALL_SITE.listSizes)).toBeLessThan(SMALL_SITE.maxCost);
    // Twice: the second run is compiled (src/execution/jit.ts), and must be held to the limit as well.
    for (let run = 0; run < 2; run++) {
      const response = await gw.yoga.fetch('http://gateway.test/graphql', {
        method: 'POST',
        headers: {
          'content-type': 'application/json',
          accept: 'application/graphql-response+json',
          'coder-session-token': owner,
        },
        body: JSON.stringify({ query }),
      });
      // As a document refused for its cost: 400 to a client of GraphQL over HTTP's media type.
      expect(response.status).toBe(400);
      const answer = (await response.json()) as { data?: unknown; errors: { message: string; extensions: object }[] };
      expect(answer.data ?? null).toBeNull();
      expect(answer.errors).toEqual([
        expect.objectContaining({
          message: expect.stringMatching(/answer grew past 3000 values \(QUERY_MAX_COST\)/),
          extensions: expect.objectContaining({ code: 'QUERY_TOO_COMPLEX' }),
        }),
      ]);
    }
  });

  it('answers the same document whole when the limit covers what it holds, and under the default limits', async () => {
    for (const limits of [{ ...SMALL_SITE, maxCost: 6_000 }, DEFAULT_LIMITS]) {
      const other = createGateway({ database: gw.database, limits });
      const response = await asOwner(other, MEMBERSHIPS_OF_EVERY_MEMBER);
      const answer = (await response.json()) as {
        errors?: unknown;
        data: { organizations: { members: { edges: { node: { user: { organizationMemberships: unknown[] } } }[] } }[] };
      };
      expect(answer.errors).toBeUndefined();
      // Every organization of the site (the default one too, where the members are not).
      expect(answer.data.organizations.length).toBeGreaterThanOrEqual(ORGANIZATIONS);
      const memberships = answer.data.organizations.flatMap((o) =>
        o.members.edges.map((e) => e.node.user.organizationMemberships.length),
      );
      expect(memberships).toHaveLength(ORGANIZATIONS * MEMBERS);
      expect(new Set(memberships)).toEqual(new Set([ORGANIZATIONS]));
    }
  });

  it('counts a field that several fragments repeat once, as the answer holds it', async () => {
    // Each of the document's values asked twice, by two fragments: the answer is the same as the plain document's,
    // which 6,000 values let through; counted per fragment it was refused.
    const repeated = `{ organizations { id ...A ...B } }
      fragment A on Organization { members(first: ${MEMBERS}) { edges { node { userId ...U } } } }
      fragment B on Organization { id members(first: ${MEMBERS}) { edges { node { userId ...U } } } }
      fragment U on OrganizationMember { user { organizationMemberships { organizationId ...O organization { name } } } }
      fragment O on OrganizationMember { organizationId organization { name } }`;
    const other = createGateway({ database: gw.database, limits: { ...SMALL_SITE, maxCost: 6_000 } });
    const answers = [];
    for (const query of [MEMBERSHIPS_OF_EVERY_MEMBER, repeated]) {
      const response = await asOwner(other, query);
      answers.push(await response.json());
    }
    expect(answers[0]).not.toHaveProperty('errors');
    expect(answers[1]).toEqual(answers[0]);
  });

  it('reads no more of the members’ memberships than the answer still has room for', async () => {
    // The first level (organizations, their pages) leaves fewer values than the memberships below it: they are
    // refused as read, not read whole and counted after (a user holds as many as the site has organizations).
    const limits = { ...SMALL_SITE, maxCost: 600 };
    expect(costOf(MEMBERSHIPS_OF_EVERY_MEMBER, undefined, limits.listSizes)).toBeLessThan(limits.maxCost);
    const read: number[] = [];
    const stop = gw.database.onStatement((text, values) => {
      if (text.includes('WHERE om.user_id = ANY($1::uuid[])')) read.push(values[1] as number);
    });
    try {
      const other = createGateway({ database: gw.database, limits });
      const response = await asOwner(other, MEMBERSHIPS_OF_EVERY_MEMBER);
      const answer = (await response.json()) as { errors?: { extensions?: { code?: string } }[] };
      expect(answer.errors?.map((error) => error.extensions?.code)).toEqual(['QUERY_TOO_COMPLEX']);
      expect(read).toHaveLength(1);
      expect(read[0]).toBeLessThan(ORGANIZATIONS * MEMBERS);
    } finally {
      stop();
    }
  });

  it('builds no list of an answer once it is refused', async () => {
    // Refused at the first list of memberships that passes the limit. Every other user's list of memberships was
    // still built after the refusal was answered (graphql-jit takes no signal), each failing with an error of its
    // own: on a site of 250 organizations, 3 to 5 s of CPU after the refusal, other requests waiting behind it.
    const limits = { ...SMALL_SITE, maxCost: 1_200 };
    const count = AnswerMeter.prototype.count;
    let listsAfterRefusal = 0;
    const refused = new WeakSet<AnswerMeter>();
    const counting = vi.spyOn(AnswerMeter.prototype, 'count').mockImplementation(function (this: AnswerMeter, ...args) {
      if (refused.has(this)) listsAfterRefusal++;
      try {
        return count.apply(this, args);
      } catch (error) {
        refused.add(this);
        throw error;
      }
    });
    try {
      const other = createGateway({ database: gw.database, limits });
      // Twice: interpreted, then compiled (src/execution/jit.ts).
      for (let run = 0; run < 2; run++) {
        const response = await asOwner(other, MEMBERSHIPS_OF_EVERY_MEMBER);
        const answer = (await response.json()) as { errors?: { extensions?: { code?: string } }[] };
        expect(answer.errors?.map((error) => error.extensions?.code)).toEqual(['QUERY_TOO_COMPLEX']);
        // What the refused execution still had in flight settles.
        await new Promise((resolve) => setTimeout(resolve, 100));
      }
      expect(counting).toHaveBeenCalled();
      expect(listsAfterRefusal).toBe(0);
    } finally {
      counting.mockRestore();
    }
  });

  // 10 users, 12 memberships each: 120 memberships, read with a limit of what the answer has left (one more, to tell
  // there are more), less the list of users counted already, at the values each membership answers: of 600, five
  // values a membership leave room for at most 116, not 580.
  it.each([
    // Not one value each: a representation is priced at least as the NOT_FOUND error it may answer, 20 values for
    // ten users, which one value a membership would not pass. Two values: priced 201, answered 260 (10 users, 12
    // memberships each).
    ['two values', '{ organizationId createdAt }', 2, 240],
    ['five values', '{ organizationId organization { name } roles { name } createdAt }', 5, 600],
  ])(
    'reads users named by a router, with their memberships of %s each, no further than the answer has room for',
    async (_name, selection, valuesEach, maxCost) => {
      const query = `query ($r: [_Any!]!) { _entities(representations: $r) { ... on User { id
        organizationMemberships ${selection} } } }`;
      const r = memberIds.map((id) => ({ __typename: 'User', id }));
      const limits = { ...SMALL_SITE, maxCost };
      expect(costOf(query, { r }, limits.listSizes)).toBeLessThan(limits.maxCost);
      const limitsRead: unknown[] = [];
      const stop = gw.database.onStatement((text, values) => {
        if (text.includes('WITH u AS MATERIALIZED')) limitsRead.push(values.at(-1));
      });
      try {
        const other = createGateway({ database: gw.database, limits });
        const response = await asOwner(other, query, { r });
        const answer = (await response.json()) as { errors?: { extensions?: { code?: string } }[] };
        expect(answer.errors?.map((error) => error.extensions?.code)).toEqual(['QUERY_TOO_COMPLEX']);
        expect(limitsRead).toHaveLength(1);
        expect(limitsRead[0]).toBeLessThanOrEqual(maxCost / valuesEach + 1);
      } finally {
        stop();
      }
    },
  );

  it('counts a membership the caller may not see as one value read, not as the fields it would have answered', async () => {
    // An admin of one organization sees each member's membership there, not the eleven others read with it.
    const admin = await makeUser(gw.database, { orgs: { [organizationIds[0]!]: ['organization-admin'] } });
    const query = `{ organization(organization: "${organizationIds[0]}") { members(first: ${MEMBERS}) { edges { node {
      userId user { organizationMemberships { organizationId organization { name } roles { name } createdAt } } } } } } }`;
    const limits = { ...SMALL_SITE, maxCost: 400 };
    expect(costOf(query, undefined, limits.listSizes)).toBeLessThan(limits.maxCost);
    const other = createGateway({ database: gw.database, limits });
    const response = await other.fetch('http://gateway.test/graphql', {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'coder-session-token': admin.token },
      body: JSON.stringify({ query }),
    });
    const answer = (await response.json()) as {
      errors?: unknown;
      data: { organization: { members: { edges: { node: { user: { organizationMemberships: unknown[] } } }[] } } };
    };
    expect(answer.errors).toBeUndefined();
    const seen = answer.data.organization.members.edges.map((edge) => edge.node.user.organizationMemberships.length);
    expect(seen).toEqual(memberIds.map(() => 1));
  });

  it('shares the room among the statements a batch of memberships is read in, one after the other', async () => {
    // As on the embedded database, whose lookups read a few keys a statement (250 there, 3 here): 10 users of 12
    // memberships each in parts of 3, 3, 3 and 1 users.
    const limitsRead: unknown[] = [];
    const sql = {
      keysPerStatement: 3,
      query<T>(text: string, values: unknown[]) {
        if (text.includes('WHERE om.user_id = ANY($1::uuid[])')) limitsRead.push(values[1]);
        return gw.database.sql.query<T>(text, values);
      },
    };
    const readWithRoom = (room: number) => {
      const refusal = new Error('no room');
      const reads = new RequestReads(sql, (dispatch) => setImmediate(dispatch), {
        remaining: () => room,
        refuse: () => refusal,
      });
      return Promise.all(memberIds.map((id) => reads.membershipsOf(id)));
    };
    // Room for 40: the first part reads its 36, the second may read 4 more, finds a fifth, and the batch is refused.
    await expect(readWithRoom(40)).rejects.toThrow('no room');
    expect(limitsRead).toEqual([41, 5]);
    limitsRead.length = 0;
    // Room for all 120: each part reads with what the ones before it left.
    const memberships = await readWithRoom(120);
    expect(memberships.map((list) => list.length)).toEqual(memberIds.map(() => ORGANIZATIONS));
    expect(limitsRead).toEqual([121, 85, 49, 13]);
  });

  it('reads at most the memberships asked for, and says when there were more', async () => {
    const sql = gw.database.sql;
    const whole = await membershipsOfUsers(sql, memberIds);
    expect(whole.overLimit).toBe(false);
    expect([...whole.byUser.values()].map((m) => m.memberships.length)).toEqual(memberIds.map(() => ORGANIZATIONS));
    const cut = await membershipsOfUsers(sql, memberIds, 25);
    expect(cut.overLimit).toBe(true);
    const kept = [...cut.byUser.values()].reduce((sum, m) => sum + m.memberships.length, 0);
    expect(kept).toBe(26);
    const enough = await membershipsOfUsers(sql, memberIds, ORGANIZATIONS * MEMBERS);
    expect(enough.overLimit).toBe(false);
  });

  it('counts an item of an abstract type by the widest fragment that applies to it, not by every fragment', async () => {
    const { data } = (await gw.gql('{ organizations { id } }', {}, owner)) as {
      data: { organizations: { id: string }[] };
    };
    const query = `query ($r: [_Any!]!) { _entities(representations: $r) {
      ... on Organization { id name displayName description icon isDefault createdAt updatedAt }
      ... on User { id username email name avatarUrl status createdAt updatedAt lastSeenAt }
      ... on OrganizationMember { userId organizationId username email name createdAt updatedAt } } }`;
    const r = data.organizations.map(({ id }) => ({ __typename: 'Organization', id }));
    // 13 organizations × 8 fields: 104 values; every fragment summed, 312.
    const limits = { ...SMALL_SITE, maxCost: 250 };
    expect(costOf(query, { r }, limits.listSizes)).toBeLessThan(limits.maxCost);
    const other = createGateway({ database: gw.database, limits });
    const response = await asOwner(other, query, { r });
    const answer = (await response.json()) as { errors?: unknown; data: { _entities: unknown[] } };
    expect(answer.errors).toBeUndefined();
    expect(answer.data._entities).toHaveLength(r.length);
  });

  it('lets small reads through on the small limits, lists included', async () => {
    const response = await gw.gql(
      '{ organizations { id name } me { organizationMemberships { organizationId } } }',
      {},
      owner,
    );
    expect(response.errors).toBeUndefined();
  });
});
