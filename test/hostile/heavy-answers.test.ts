// A heavy answer (a whole member list) is streamed in pieces: the same bytes
// as the answer written at once, whatever media type or encoding the client
// asks for (src/http/streamed-answers.ts).
import { Writable } from 'node:stream';
import { gunzipSync } from 'node:zlib';
import { pino } from 'pino';
import { GraphQLError } from 'graphql';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DEFAULT_LIMITS } from '../../src/config.js';
import { SMALL_COST } from '../../src/limits/admission.js';
import { answerHoldsMoreText, holdsMoreText } from '../../src/limits/answer-text.js';
import { createGateway, type Gateway } from '../../src/yoga.js';
import { costOf } from '../support/cost.js';
import { DATABASE_KINDS } from '../support/databases.js';
import { addMembers } from '../support/fixtures.js';
import {
  makeOrganization,
  makeUser,
  startTestGateway,
  testGatewayOn,
  type GraphQLResponse,
  type TestGateway,
} from '../support/gateway.js';
import { graphql, sourceOf, type ResultOf } from '../support/graphql.js';

const MEMBERS = 600;
const WHOLE_LIST = graphql(`{ organizationMembers(organization: "big") {
  username email name avatarUrl createdAt updatedAt roles { name displayName } globalRoles { name }
  user { id username email name avatarUrl status createdAt updatedAt lastSeenAt globalRoles { name } }
} }`);
const OTHER_SHAPES = graphql(`{
  page: paginatedOrganizationMembers(organization: "big", limit: 0) { count members { ...M } }
  org: organization(organization: "big") { members(first: 1000) { totalCount edges { cursor node { ...M } } } }
}
fragment M on OrganizationMember {
  username email name avatarUrl createdAt updatedAt roles { name displayName } globalRoles { name }
  user { id username email name avatarUrl status createdAt updatedAt lastSeenAt globalRoles { name } }
  organization { id name }
}`);

/** A page of 100 members with their users: larger than small, lighter than heavy. */
const LARGER_PAGE = `{ paginatedOrganizationMembers(organization: "big", limit: 100) { members {
  username email name roles { name } user { id username email name status createdAt }
} } }`;
describe.each(DATABASE_KINDS)('heavy answers on %s', (kind) => {
  let gw: TestGateway;
  // The same database behind a gateway whose cost model sees small member lists: nothing it answers is heavy.
  let unstreamed: Gateway;
  let owner: string;
  const document = sourceOf(WHOLE_LIST);

  beforeAll(async () => {
    gw = await startTestGateway(kind);
    owner = (await makeUser(gw.database, { siteRoles: ['owner'] })).token;
    const organization = await makeOrganization(gw.database, 'big');
    await addMembers(
      gw.database,
      organization.id,
      Array.from({ length: MEMBERS }, (_, i) => `member${String(i).padStart(4, '0')}`),
      ['organization-auditor'],
    );
    unstreamed = createGateway({
      database: gw.database,
      limits: { ...DEFAULT_LIMITS, listSizes: { ...DEFAULT_LIMITS.listSizes, members: 10 } },
    });
  });
  afterAll(() => gw?.close());

  const ask = (gateway: Gateway, headers: Record<string, string> = {}, query = document) =>
    gateway.fetch('http://gateway.test/graphql', {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'coder-session-token': owner, ...headers },
      body: JSON.stringify({ query }),
    });

  it.each(['application/json', 'application/graphql-response+json'])(
    'answers a whole member list as %s in pieces, byte for byte what it writes at once',
    async (accept) => {
      const streamed = await ask(gw.yoga, { accept });
      const whole = await ask(unstreamed, { accept });
      expect(streamed.headers.get('content-length')).toBeNull();
      expect(whole.headers.get('content-length')).not.toBeNull();
      expect(streamed.status).toBe(whole.status);
      expect(streamed.headers.get('content-type')).toBe(whole.headers.get('content-type'));
      const chunks: Uint8Array[] = [];
      for await (const chunk of streamed.body as unknown as AsyncIterable<Uint8Array>) chunks.push(chunk);
      expect(chunks.length).toBeGreaterThan(1);
      const text = Buffer.concat(chunks).toString('utf8');
      expect(text).toBe(await whole.text());
      const answer = JSON.parse(text) as GraphQLResponse<ResultOf<typeof WHOLE_LIST>>;
      expect(answer.data?.organizationMembers).toHaveLength(MEMBERS);
      expect(answer.data?.organizationMembers[MEMBERS - 1]?.username).toBe(
        `member${String(MEMBERS - 1).padStart(4, '0')}`,
      );
      expect(answer.errors).toBeUndefined();
    },
  );

  it.each([
    ['an event stream', 'text/event-stream'],
    ['multipart', 'multipart/mixed'],
    ['an event stream, over JSON in another charset', 'text/event-stream, application/json; charset=iso-8859-1'],
  ])('answers a client that accepts only %s with the data itself, as written at once', async (_name, accept) => {
    const written = await ask(gw.yoga, { accept });
    const whole = await ask(unstreamed, { accept });
    expect(written.status).toBe(200);
    expect(written.headers.get('content-type')).toBe(whole.headers.get('content-type'));
    const text = await written.text();
    expect(text).toBe(await whole.text());
    expect(text).toContain(`"username":"member${String(MEMBERS - 1).padStart(4, '0')}"`);
  });

  it.each(['*/*', 'application/*', 'text/event-stream, application/json'])(
    'streams to a client that also accepts JSON (%s), which Yoga answers as JSON',
    async (accept) => {
      const streamed = await ask(gw.yoga, { accept });
      expect(streamed.headers.get('content-length')).toBeNull();
      expect(streamed.headers.get('content-type')).toMatch(/^application\/(graphql-response\+)?json/);
      expect(await streamed.text()).toBe(await (await ask(unstreamed, { accept })).text());
    },
  );

  it('compresses a streamed answer when the client asks for it', async () => {
    const streamed = await ask(gw.yoga, { 'accept-encoding': 'gzip' });
    expect(streamed.headers.get('content-encoding')).toBe('gzip');
    const text = gunzipSync(Buffer.from(await streamed.arrayBuffer())).toString('utf8');
    expect(text).toBe(await (await ask(unstreamed)).text());
  });

  it('streams other entry points and shapes the same way: offset and Relay pages, fragments, aliases', async () => {
    const other = sourceOf(OTHER_SHAPES);
    const streamed = await ask(gw.yoga, {}, other);
    expect(streamed.headers.get('content-length')).toBeNull();
    const text = await streamed.text();
    expect(text).toBe(await (await ask(unstreamed, {}, other)).text());
    const answer = JSON.parse(text) as GraphQLResponse<ResultOf<typeof OTHER_SHAPES>>;
    expect(answer.errors).toBeUndefined();
    expect(answer.data?.page.members).toHaveLength(MEMBERS);
    expect(answer.data?.org?.members?.edges).toHaveLength(MEMBERS);
  });

  it('lets a larger document run while a streamed answer is read slowly and small documents run (larger ones give way one at a time)', async () => {
    const gateway = createGateway({ database: gw.database });
    const me = await (await ask(gateway, {}, '{ me { username } }')).json();
    expect(me).toMatchObject({ data: { me: { username: expect.any(String) } } });
    const slow = (await ask(gateway)).body!.getReader();
    expect((await slow.read()).done).toBe(false);
    // The slow reader's execution is over: it holds no place in the larger documents' line.
    expect(costOf(LARGER_PAGE)).toBeGreaterThanOrEqual(SMALL_COST);
    const page = (await (await ask(gateway, {}, LARGER_PAGE)).json()) as {
      data: { paginatedOrganizationMembers: { members: { username: string }[] } };
    };
    expect(page.data.paginatedOrganizationMembers.members).toHaveLength(100);
    await slow.cancel();
  });

  describe('while heavy documents take turns (QUERY_COST_IN_FLIGHT)', () => {
    // One heavy document at a time: the second waits for the first's admission.
    let oneAtATime: Gateway;
    beforeAll(() => {
      oneAtATime = createGateway({ database: gw.database, limits: { ...DEFAULT_LIMITS, maxCostInFlight: 1 } });
    });

    /** A heavy answer whose first chunk has been read, and the rest of it on demand. */
    const startReading = async () => {
      const response = await ask(oneAtATime);
      const reader = (response.body as ReadableStream<Uint8Array>).getReader();
      expect((await reader.read()).done).toBe(false);
      return reader;
    };
    const settledAt = (answer: Response | PromiseLike<Response>) =>
      Promise.resolve(answer).then(async (r) => ({ at: Date.now(), text: await r.text() }));

    it("holds a streamed answer's place until its last piece is written", async () => {
      const first = await startReading();
      const second = settledAt(ask(oneAtATime));
      await new Promise((resolve) => setTimeout(resolve, 400));
      let finishedAt = 0;
      while (!(await first.read()).done) finishedAt = Date.now();
      finishedAt = Date.now();
      const { at, text } = await second;
      expect(at).toBeGreaterThanOrEqual(finishedAt);
      expect((JSON.parse(text) as GraphQLResponse<ResultOf<typeof WHOLE_LIST>>).data?.organizationMembers).toHaveLength(
        MEMBERS,
      );
    });

    it('gives the place to the next heavy document when a reader leaves mid-answer', async () => {
      const first = await startReading();
      const second = settledAt(ask(oneAtATime));
      await first.cancel();
      const { text } = await second;
      expect((JSON.parse(text) as GraphQLResponse<ResultOf<typeof WHOLE_LIST>>).data?.organizationMembers).toHaveLength(
        MEMBERS,
      );
      // And the place is free again afterwards: a third heavy document runs at once.
      expect((await ask(oneAtATime)).status).toBe(200);
    });
  });
});

// A document's cost bounds the values of its answer, not their length: a few long stored values (a custom role's
// display name, which Coder does not limit), aliased and listed, made an answer too long to write (HTTP 500 and
// gigabytes of memory). Such an answer is refused, with its code (src/limits/answer-text.ts).
describe.each(DATABASE_KINDS)('answers with too much text on %s', (kind) => {
  let gw: TestGateway;
  let owner: string;
  const ROLES = 10;
  const LONG = 'x'.repeat(400 * 1024);
  const aliases = (n: number) =>
    `{ organization(organization: "wordy") { ${Array.from({ length: n }, (_, i) => `a${i}: customRoles { displayName }`).join(' ')} } }`;

  beforeAll(async () => {
    gw = await startTestGateway(kind);
    owner = (await makeUser(gw.database, { siteRoles: ['owner'] })).token;
    const organization = await makeOrganization(gw.database, 'wordy');
    await gw.database.prisma.customRole.createMany({
      data: Array.from({ length: ROLES }, (_, i) => ({
        name: `wordy-${i}`,
        displayName: LONG,
        organizationId: organization.id,
      })),
    });
  });
  afterAll(() => gw?.close());

  it('refuses an answer of more than 64 MiB of text with QUERY_TOO_COMPLEX, whatever its cost', async () => {
    const document = aliases(20);
    expect(costOf(document)).toBeLessThan(SMALL_COST * 2);
    const refused = await gw.gql(document, {}, owner);
    expect(refused.data).toBeNull();
    expect(refused.errors?.map((error) => error.extensions?.code)).toEqual(['QUERY_TOO_COMPLEX']);
    expect(refused.errors?.[0]?.message).toMatch(/more than 64 MiB of text/);
  });

  it("says when a mutation's answer is refused after its change was made", async () => {
    // The role is created, then its answer is too long to write: without a word, a client retrying got CONFLICT.
    const wordy = aliases(20).replace('{ organization(organization: "wordy") {', '{ organization {');
    const refused = await gw.gql(
      `mutation { createOrganizationRole(organization: "wordy", role: { name: "made-anyway" }) { name ${wordy.slice(1, -1)} } }`,
      {},
      owner,
    );
    expect(refused.data ?? null, JSON.stringify(refused).slice(0, 400)).toBeNull();
    expect(refused.errors).toEqual([
      expect.objectContaining({
        message: expect.stringMatching(/64 MiB.*made their changes: read them back/s),
        extensions: expect.objectContaining({ code: 'QUERY_TOO_COMPLEX', changesMade: true }),
      }),
    ]);
    expect(await gw.database.prisma.customRole.count({ where: { name: 'made-anyway' } })).toBe(1);
    // A refusal of a request that changed nothing says nothing of the kind.
    const unchanged = await gw.gql(aliases(20), {}, owner);
    expect(unchanged.errors?.[0]?.extensions).not.toHaveProperty('changesMade');
  });

  it('logs the refusal with its code', async () => {
    const lines: { errorCodes?: string[] }[] = [];
    const stream = new Writable({
      write(chunk, _encoding, done) {
        for (const line of String(chunk).split('\n').filter(Boolean)) lines.push(JSON.parse(line));
        done();
      },
    });
    const logged = testGatewayOn(kind, gw.database, { logger: pino({ base: undefined }, stream), accessLog: true });
    const refused = await logged.gql(aliases(20), {}, owner);
    expect(refused.errors?.map((error) => error.extensions?.code)).toEqual(['QUERY_TOO_COMPLEX']);
    expect(lines.map((line) => line.errorCodes)).toEqual([['QUERY_TOO_COMPLEX']]);
  });

  it('refuses it the same with the response cache on, which would keep answers before they are written', async () => {
    const cached = testGatewayOn(kind, gw.database, { responseCacheMs: 60_000 });
    const refused = await cached.gql(aliases(20), {}, owner);
    expect(refused.data).toBeNull();
    expect(refused.errors?.map((error) => error.extensions?.code)).toEqual(['QUERY_TOO_COMPLEX']);
  });

  it('counts the bytes the answer is written as, escapes and UTF-8 included, not its characters', async () => {
    // 10 roles of 120 KiB of U+0001, each written as six bytes: 1.2 M characters an alias, 7.2 MB of JSON.
    const organization = await makeOrganization(gw.database, 'controls');
    await gw.database.prisma.customRole.createMany({
      data: Array.from({ length: ROLES }, (_, i) => ({
        name: `controls-${i}`,
        displayName: '\u0001'.repeat(120 * 1024),
        organizationId: organization.id,
      })),
    });
    const document = (n: number) =>
      `{ organization(organization: "controls") { ${Array.from({ length: n }, (_, i) => `a${i}: customRoles { displayName }`).join(' ')} } }`;
    // Three aliases, 22 MB: answered. Ten, 12 M characters but 72 MB: refused.
    const answered = await gw.gql(document(3), {}, owner);
    expect(answered.errors).toBeUndefined();
    const refused = await gw.gql(document(10), {}, owner);
    expect(refused.data).toBeNull();
    expect(refused.errors?.map((error) => error.extensions?.code)).toEqual(['QUERY_TOO_COMPLEX']);

    const bytes = (text: string) => Buffer.byteLength(JSON.stringify(text));
    for (const text of [
      'plain',
      'é'.repeat(1_000),
      '✓'.repeat(1_000),
      '😀'.repeat(500),
      '"\\'.repeat(500),
      '\n\u0001'.repeat(500),
    ]) {
      expect(holdsMoreText(text, bytes(text) - 1)).toBe(true);
      expect(holdsMoreText(text, bytes(text) * 2)).toBe(false);
    }
  });

  it('counts the text of errors too', () => {
    const quiet = { data: { a: 'x' }, errors: [new GraphQLError('short', { path: ['a'] })] };
    expect(answerHoldsMoreText(quiet, 1_000)).toBe(false);
    const loud = { data: null, errors: [new GraphQLError('y'.repeat(600)), new GraphQLError('z'.repeat(600))] };
    expect(answerHoldsMoreText(loud, 1_000)).toBe(true);
    const detailed = { errors: [new GraphQLError('m', { extensions: { detail: 'd'.repeat(2_000) } })] };
    expect(answerHoldsMoreText(detailed, 1_000)).toBe(true);
  });

  it('answers the same values when they fit', async () => {
    const answered = await gw.gql(aliases(2), {}, owner);
    expect(answered.errors).toBeUndefined();
    const organization = (answered.data as { organization: Record<string, { displayName: string }[]> }).organization;
    expect(organization.a1?.filter((role) => role.displayName === LONG)).toHaveLength(ROLES);
  });
});
