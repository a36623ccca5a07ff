// What an operator runs the gateway with: readiness beside liveness,
// Prometheus metrics, traces, the access log and request ids, compressed
// answers, and the allow-list mode for trusted documents.
import { createHash } from 'node:crypto';
import { Writable } from 'node:stream';
import { brotliDecompressSync, gunzipSync } from 'node:zlib';
import { InMemorySpanExporter, SimpleSpanProcessor } from '@opentelemetry/sdk-trace-base';
import { NodeTracerProvider } from '@opentelemetry/sdk-trace-node';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createYoga } from 'graphql-yoga';
import { DatabaseUnavailable } from '../src/db/postgres-pool.js';
import { negotiateEncoding } from '../src/http/compression.js';
import { readinessEndpoint } from '../src/http/readiness.js';
import { MAX_OPERATION_NAMES } from '../src/observability/metrics.js';
import { createTracing } from '../src/observability/tracing.js';
import { createGateway, type Gateway, type GatewayOptions } from '../src/yoga.js';
import { DATABASE_KINDS, freshDatabase, type TestDatabase } from './support/databases.js';
import { addMembers } from './support/fixtures.js';
import { makeOrganization, makeUser, type GraphQLResponse, type TestUser } from './support/gateway.js';
import { graphql, sourceOf, type ResultOf } from './support/graphql.js';

const ME = graphql('query Me { me { username } }');
const MISSING = graphql(
  'query Missing { organization(organization: "no-such-org") { members(first: 1) { totalCount } } }',
);
const MEMBERS = graphql('query Members { organization(organization: "ops-org") { members(first: 5) { totalCount } } }');
const BIG = graphql('{ organizationMembers(organization: "ops-org") { username email name avatarUrl } }');

/** The JSON answer of a GraphQL request, as the answer to a document of result `TData`. */
const answerOf = async <TData = unknown>(response: Response) => (await response.json()) as GraphQLResponse<TData>;

function post(yoga: Gateway, body: object, headers: Record<string, string> = {}) {
  return yoga.fetch('http://gateway.test/graphql', {
    method: 'POST',
    headers: { 'content-type': 'application/json', accept: 'application/json', ...headers },
    body: JSON.stringify(body),
  });
}

/** A pino logger whose lines land in `lines`, parsed. */
function capturingLogger() {
  const lines: Record<string, unknown>[] = [];
  const stream = new Writable({
    write(chunk, _encoding, done) {
      for (const line of String(chunk).split('\n').filter(Boolean)) lines.push(JSON.parse(line));
      done();
    },
  });
  return { logger: pino({ base: undefined }, stream), lines };
}

describe.each(DATABASE_KINDS)('operations on %s', (kind) => {
  let database: TestDatabase;
  let owner: TestUser;
  const gateway = (options: Omit<GatewayOptions, 'database'> = {}) => createGateway({ database, ...options });

  beforeAll(async () => {
    database = await freshDatabase(kind);
    await database.migrate();
    owner = await makeUser(database, { siteRoles: ['owner'] });
    const organization = await makeOrganization(database, 'ops-org');
    await addMembers(
      database,
      organization.id,
      Array.from({ length: 60 }, (_, i) => `ops-member-${i}`),
    );
  });
  afterAll(() => database?.close());

  describe('readiness and liveness', () => {
    it('answers /ready with 200 when the database answers and is migrated, beside /health', async () => {
      const yoga = gateway();
      const ready = await yoga.fetch('http://gateway.test/ready');
      expect(ready.status).toBe(200);
      expect(await ready.json()).toEqual({ status: 'ready' });
      expect((await yoga.fetch('http://gateway.test/health')).status).toBe(200);
      // Only a probe's GET (or HEAD) runs the check; anything else is refused with a code.
      const posted = await yoga.fetch('http://gateway.test/ready', { method: 'POST', body: '{}' });
      expect(posted.status).toBe(405);
      expect(posted.headers.get('allow')).toBe('GET, HEAD');
      expect(await posted.json()).toEqual({
        errors: [expect.objectContaining({ extensions: { code: 'BAD_REQUEST' } })],
      });
    });

    it('answers /ready with 503 and the reason on a database whose migrations are not applied', async () => {
      const bare = await freshDatabase(kind);
      try {
        for (const migrate of [true, false]) {
          const answer = await createGateway({ database: bare, migrate }).fetch('http://gateway.test/ready');
          expect(answer.status).toBe(503);
          const body = (await answer.json()) as { status: string; reason: string };
          expect(body.status).toBe('unavailable');
          expect(body.reason).toMatch(migrate ? /migrations are not all applied/ : /lacks the tables/);
        }
      } finally {
        await bare.close();
      }
    });
  });

  it('says only that the database is unavailable, not what the driver said of it (its host, its user), and logs it', async () => {
    const { logger, lines } = capturingLogger();
    const driverSaid = 'password authentication failed for user "coder" at db-7.internal:5432';
    const yoga = createYoga({
      plugins: [readinessEndpoint(() => Promise.reject(new DatabaseUnavailable(new Error(driverSaid))), logger)],
    });
    const answer = await yoga.fetch('http://gateway.test/ready');
    expect(answer.status).toBe(503);
    expect(await answer.json()).toEqual({ status: 'unavailable', reason: 'the database is unavailable' });
    expect(lines.some((line) => JSON.stringify(line).includes('db-7.internal'))).toBe(true);
  });

  describe('request ids and the access log', () => {
    const GIVEN_ID = '6f1c2a3e-8d4b-4c2a-9e1f-0a1b2c3d4e5f';
    it('writes one JSON line per request, with the request id it returns in x-request-id', async () => {
      const { logger, lines } = capturingLogger();
      const yoga = gateway({ logger, accessLog: true });
      const given = await post(
        yoga,
        { query: sourceOf(ME) },
        { 'coder-session-token': owner.token, 'x-request-id': GIVEN_ID },
      );
      const made = await post(yoga, { query: sourceOf(MISSING) }, { 'coder-session-token': owner.token });
      const refused = await post(yoga, { query: sourceOf(ME) }, { 'x-request-id': 'two words\u0007' });
      const nil = await post(
        yoga,
        { query: sourceOf(ME) },
        { 'coder-session-token': owner.token, 'x-request-id': '00000000-0000-0000-0000-000000000000' },
      );
      // Ids are the gateway's own, as Coder's (audit rows record them): never the client's, a UUID or not.
      const ids = [given, made, refused, nil].map((answer) => answer.headers.get('x-request-id'));
      for (const id of ids) expect(id).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
      expect(new Set([...ids, GIVEN_ID, '00000000-0000-0000-0000-000000000000']).size).toBe(6);

      expect(lines.map((line) => line.msg)).toEqual(['request', 'request', 'request', 'request']);
      expect(lines[0]).toMatchObject({
        requestId: ids[0],
        // The client's own id, kept beside ours to follow the request through both logs.
        clientRequestId: GIVEN_ID,
        method: 'POST',
        path: '/graphql',
        status: 200,
        operationName: 'Me',
        operationType: 'query',
      });
      expect(lines[0]!.durationMs).toBeGreaterThanOrEqual(0);
      expect(lines[1]).toMatchObject({ requestId: made.headers.get('x-request-id'), errorCodes: ['NOT_FOUND'] });
      expect(lines[2]).toMatchObject({
        requestId: refused.headers.get('x-request-id'),
        errorCodes: ['UNAUTHENTICATED'],
      });
    });

    it('logs the codes the answer carries, those given after execution and before it included', async () => {
      const { logger, lines } = capturingLogger();
      const yoga = gateway({ logger, accessLog: true });
      const token = { 'coder-session-token': owner.token };
      // graphql-js's own error for the argument, coded BAD_USER_INPUT once execution is done.
      const nullArgument = await post(
        yoga,
        { query: 'query ($o: String = "default") { organization(organization: $o) { id } }', variables: { o: null } },
        token,
      );
      const invalid = await post(yoga, { query: '{ nope }' }, token);
      const badVariable = await post(yoga, { query: 'query ($b: Boolean!) { me { id @include(if: $b) } }' }, token);
      const answered = await Promise.all([nullArgument, invalid, badVariable].map((response) => response.json()));
      const codes = answered.map((body) =>
        (body as { errors: { extensions: { code: string } }[] }).errors.map((e) => e.extensions.code),
      );
      expect(codes).toEqual([['BAD_USER_INPUT'], ['GRAPHQL_VALIDATION_FAILED'], ['BAD_USER_INPUT']]);
      expect(lines.map((line) => line.errorCodes)).toEqual(codes);
    });

    it('keeps each line short whatever the client sends: a name cut to 100 characters, each code once', async () => {
      const { logger, lines } = capturingLogger();
      const yoga = gateway({ logger, accessLog: true });
      const token = { 'coder-session-token': owner.token };
      await post(yoga, { query: `query ${'N'.repeat(50_000)} { me { id } }` }, token);
      const nothing = Array.from({ length: 300 }, () => ({ __typename: 'Nothing' }));
      await post(
        yoga,
        { query: 'query ($r: [_Any!]!) { _entities(representations: $r) { __typename } }', variables: { r: nothing } },
        token,
      );
      expect(lines[0]!.operationName).toBe('N'.repeat(100));
      expect(lines[1]).toMatchObject({ errorCodes: ['BAD_USER_INPUT'], errorCount: 300 });
      expect(JSON.stringify(lines).length).toBeLessThan(2_000);
    });

    it('logs an unexpected error once, at error level, with its cause; the client sees none of it', async () => {
      const broken = await freshDatabase(kind);
      try {
        await broken.migrate();
        const someone = await makeUser(broken, { siteRoles: ['owner'] });
        // A real fault of the database: the session's statement reads a table that is gone.
        await broken.sql.query('ALTER TABLE custom_roles RENAME TO custom_roles_gone', []);
        const { logger, lines } = capturingLogger();
        const answer = await post(
          createGateway({ database: broken, logger }),
          { query: sourceOf(ME) },
          { 'coder-session-token': someone.token },
        );
        const body = (await answer.json()) as GraphQLResponse;
        expect(body.errors?.map((e) => [e.message, e.extensions?.code])).toEqual([
          ['Unexpected error.', 'INTERNAL_SERVER_ERROR'],
        ]);
        const errors = lines.filter((line) => (line.level as number) >= 50);
        expect(errors).toHaveLength(1);
        expect(errors[0]).toMatchObject({
          msg: 'unexpected error while executing a request',
          err: { message: expect.stringContaining('custom_roles') },
        });
      } finally {
        await broken.close();
      }
    });

    it('writes no access log unless asked, and still returns request ids', async () => {
      const { logger, lines } = capturingLogger();
      const answer = await post(gateway({ logger }), { query: sourceOf(ME) }, { 'coder-session-token': owner.token });
      expect(answer.headers.get('x-request-id')).toBeTruthy();
      expect(lines).toEqual([]);
    });
  });

  describe('metrics', () => {
    it('serves Prometheus metrics: requests and durations by operation, errors by code, memory, the pool', async () => {
      const yoga = gateway({ metrics: true });
      await post(yoga, { query: sourceOf(ME) }, { 'coder-session-token': owner.token });
      await post(yoga, { query: sourceOf(ME) }, { 'coder-session-token': owner.token });
      await post(yoga, { query: sourceOf(MISSING) }, { 'coder-session-token': owner.token });
      await post(yoga, { query: sourceOf(ME) });
      await post(yoga, { query: '{ nope }' }, { 'coder-session-token': owner.token });
      // graphql-js's own error for an argument's value, which the answer codes after the metrics count it.
      await post(
        yoga,
        {
          query: 'query NullArgument ($o: String = "x") { organization(organization: $o) { id } }',
          variables: { o: null },
        },
        { 'coder-session-token': owner.token },
      );

      const answer = await yoga.fetch('http://gateway.test/metrics');
      expect(answer.status).toBe(200);
      expect(answer.headers.get('content-type')).toContain('text/plain');
      const text = await answer.text();
      // The sum over every series of `name` whose labels match.
      const sample = (name: string, labels: string) =>
        [...text.matchAll(new RegExp(`^${name}\\{[^}]*${labels}[^}]*\\} (\\S+)$`, 'gm'))].reduce(
          (sum, match) => sum + Number(match[1]),
          0,
        );

      expect(sample('graphql_yoga_http_duration_count', 'operationName="Me"')).toBe(3);
      expect(sample('graphql_yoga_http_duration_count', 'operationName="Missing"')).toBe(1);
      expect(sample('graphql_envelop_error_result', 'operationName="Missing".*code="NOT_FOUND"')).toBe(1);
      expect(sample('graphql_envelop_error_result', 'operationName="Me".*code="UNAUTHENTICATED"')).toBe(1);
      expect(sample('graphql_envelop_error_result', 'phase="validate".*code="GRAPHQL_VALIDATION_FAILED"')).toBe(1);
      expect(sample('graphql_envelop_error_result', 'operationName="NullArgument".*code="BAD_USER_INPUT"')).toBe(1);
      expect(sample('graphql_envelop_error_result', 'code="INTERNAL_SERVER_ERROR"')).toBe(0);
      expect(text).toMatch(/^process_resident_memory_bytes \d+/m);
      expect(text).toMatch(/^nodejs_heap_size_used_bytes \d+/m);
      if (kind === 'postgres') {
        expect(text).toMatch(/^gateway_database_pool_connections\{state="in_use"\} \d+/m);
        expect(text).toMatch(/^gateway_database_pool_connections\{state="idle"\} \d+/m);
        expect(text).toMatch(/^gateway_database_pool_waiting \d+/m);
      }
    });

    it('keeps its series bounded whatever operation names and URLs clients send', async () => {
      const yoga = gateway({ metrics: true });
      const names = Array.from({ length: MAX_OPERATION_NAMES + 50 }, (_, i) => `Op${i}`);
      for (const name of names) await post(yoga, { query: `query ${name} { __typename }` });
      await post(yoga, { query: `query ${'L'.repeat(500)} { __typename }` });
      for (let i = 0; i < 50; i++) {
        const get = await yoga.fetch(`http://gateway.test/graphql?query=query%20Get%7B__typename%7D&x=${i}`, {
          headers: { accept: 'application/json', 'x-graphql-yoga-csrf': '1' },
        });
        expect(get.status).toBe(200);
      }

      const text = await (await yoga.fetch('http://gateway.test/metrics')).text();
      const series = text.split('\n').filter((line) => line.startsWith('graphql_yoga_http_duration_count{'));
      // The first names keep their own series; the rest, and a name too long to keep, count together as `other`.
      expect(series.filter((line) => /operationName="Op\d+"/.test(line))).toHaveLength(MAX_OPERATION_NAMES);
      expect(series.find((line) => line.includes('operationName="other"'))).toMatch(/ 51$/);
      // 50 GETs with as many query strings: one series, with no URL label.
      expect(series.filter((line) => line.includes('method="GET"'))).toEqual([expect.stringMatching(/ 50$/)]);
      expect(text).not.toContain('url=');
    });

    it('has no /metrics when metrics are off', async () => {
      const answer = await gateway().fetch('http://gateway.test/metrics');
      expect(answer.status).toBe(404);
    });
  });

  describe('tracing', () => {
    it('traces a request, its operation under it, and its SQL statements under the operation', async () => {
      const exporter = new InMemorySpanExporter();
      const provider = new NodeTracerProvider({ spanProcessors: [new SimpleSpanProcessor(exporter)] });
      // Registered for its context manager, which carries the active span across awaits.
      provider.register();
      const yoga = gateway({ tracing: createTracing(provider) });
      const answer = await post(
        yoga,
        { query: sourceOf(MEMBERS) },
        {
          'coder-session-token': owner.token,
          traceparent: '00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01',
        },
      );
      expect((await answerOf<ResultOf<typeof MEMBERS>>(answer)).errors).toBeUndefined();
      await provider.forceFlush();
      const spans = exporter.getFinishedSpans();
      const request = spans.find((s) => s.name === 'POST /graphql')!;
      const operation = spans.find((s) => s.name === 'query.Members')!;
      const statements = spans.filter((s) => s.name === 'SQL');
      expect(request).toBeDefined();
      // The caller's trace continues here.
      expect(request.spanContext().traceId).toBe('0af7651916cd43dd8448eb211c80319c');
      expect(request.parentSpanId).toBe('b7ad6b7169203331');
      expect(request.attributes['http.response.status_code']).toBe(200);
      expect(request.attributes['gateway.request_id']).toBe(answer.headers.get('x-request-id'));
      expect(operation.parentSpanId).toBe(request.spanContext().spanId);
      expect(statements.length).toBeGreaterThan(0);
      for (const statement of statements) {
        expect(statement.parentSpanId).toBe(operation.spanContext().spanId);
        expect(statement.attributes['db.query.text']).toEqual(expect.any(String));
      }
      await provider.shutdown();
    });
  });

  describe('compression', () => {
    const bigQuery = sourceOf(BIG);

    it('answers in brotli or gzip as the client prefers, and the same answer as uncompressed', async () => {
      const yoga = gateway();
      const plain = await post(yoga, { query: bigQuery }, { 'coder-session-token': owner.token });
      const plainText = await plain.text();
      expect(plain.headers.get('content-encoding')).toBeNull();
      expect(plainText.length).toBeGreaterThan(1024);

      for (const [accept, encoding, decode] of [
        ['gzip, deflate, br', 'br', brotliDecompressSync],
        ['br;q=0.5, gzip', 'gzip', gunzipSync],
        ['gzip', 'gzip', gunzipSync],
      ] as const) {
        const answer = await post(
          yoga,
          { query: bigQuery },
          { 'coder-session-token': owner.token, 'accept-encoding': accept },
        );
        expect(answer.headers.get('content-encoding'), accept).toBe(encoding);
        expect(answer.headers.get('vary')).toContain('accept-encoding');
        const bytes = Buffer.from(await answer.arrayBuffer());
        expect(bytes.length).toBeLessThan(plainText.length / 2);
        expect(decode(bytes).toString()).toBe(plainText);
      }
    });

    it('leaves small answers, and clients that want none, uncompressed', async () => {
      const yoga = gateway();
      const small = await post(
        yoga,
        { query: sourceOf(ME) },
        { 'coder-session-token': owner.token, 'accept-encoding': 'br' },
      );
      expect(small.headers.get('content-encoding')).toBeNull();
      const refused = await post(
        yoga,
        { query: bigQuery },
        {
          'coder-session-token': owner.token,
          'accept-encoding': 'br;q=0, gzip;q=0, identity',
        },
      );
      expect(refused.headers.get('content-encoding')).toBeNull();
      const off = await post(
        gateway({ compression: false }),
        { query: bigQuery },
        {
          'coder-session-token': owner.token,
          'accept-encoding': 'br',
        },
      );
      expect(off.headers.get('content-encoding')).toBeNull();
    });

    it('reads Accept-Encoding with its weights', () => {
      expect(negotiateEncoding('gzip, br')).toBe('br');
      expect(negotiateEncoding('GZIP;q=0.9, br;q=0.1')).toBe('gzip');
      expect(negotiateEncoding('*')).toBe('br');
      expect(negotiateEncoding('deflate, identity')).toBeUndefined();
      expect(negotiateEncoding('br;q=0')).toBeUndefined();
      expect(negotiateEncoding(null)).toBeUndefined();
    });
  });

  describe('trusted documents', () => {
    const hash = createHash('sha256').update(sourceOf(ME)).digest('hex');
    const trustedDocuments = new Map([[hash, sourceOf(ME)]]);

    it('runs a trusted document by its id, in either form, posted or in a GET', async () => {
      const yoga = gateway({ trustedDocuments });
      for (const body of [
        { documentId: `sha256:${hash}` },
        { extensions: { persistedQuery: { version: 1, sha256Hash: hash } } },
      ]) {
        const answer = await answerOf<ResultOf<typeof ME>>(
          await post(yoga, body, { 'coder-session-token': owner.token }),
        );
        expect(answer).toEqual({ data: { me: { username: owner.username } } });
      }
      // GraphQL over HTTP's form for a GET: the id in the query string.
      const got = await yoga.fetch(`http://gateway.test/graphql?documentId=sha256:${hash}`, {
        headers: { accept: 'application/json', 'coder-session-token': owner.token },
      });
      expect(await answerOf<ResultOf<typeof ME>>(got)).toEqual({ data: { me: { username: owner.username } } });
    });

    it('refuses any other document, and unknown ids', async () => {
      const yoga = gateway({ trustedDocuments });
      const arbitrary = await answerOf<ResultOf<typeof ME>>(
        await post(yoga, { query: sourceOf(ME) }, { 'coder-session-token': owner.token }),
      );
      expect(arbitrary.data ?? null).toBeNull();
      expect(arbitrary.errors?.[0]?.extensions?.code).toBe('PERSISTED_QUERY_ONLY');
      const unknown = await answerOf(
        await post(yoga, { documentId: 'sha256:0000' }, { 'coder-session-token': owner.token }),
      );
      expect(unknown.errors?.[0]?.extensions?.code).toBe('PERSISTED_QUERY_NOT_FOUND');
    });

    it('runs any document when the mode is off (the default)', async () => {
      const answer = await answerOf<ResultOf<typeof ME>>(
        await post(gateway(), { query: sourceOf(ME) }, { 'coder-session-token': owner.token }),
      );
      expect(answer.data?.me.username).toBe(owner.username);
    });
  });
});
