// SPEC G at the HTTP level: no input gives HTTP 500 or an error without a
// code; requests a browser on another site could send with a user's cookie
// are refused before they run (CSRF), and CORS gives credentials only to the
// configured origins; GraphiQL is rendered once, compressed, cached, keeps no
// token unless asked, and can be turned off.
import { gunzipSync, brotliDecompressSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MAX_INPUT_DEPTH, MAX_INPUT_VALUES } from '../../src/limits/document-limits.js';
import { makeCast, type Cast } from '../support/fixtures.js';
import { startTestGateway, type TestGateway } from '../support/gateway.js';

let gw: TestGateway;
let cast: Cast;
let statements = 0;

beforeAll(async () => {
  gw = await startTestGateway('pglite', { corsOrigins: ['https://coder.example.com'] });
  cast = await makeCast(gw.database);
  gw.database.onStatement(() => statements++);
});
afterAll(() => gw?.close());

const URL_ = 'http://gateway.test/graphql';

async function send(path: string, init: RequestInit) {
  const response = await gw.yoga.fetch(`http://gateway.test${path}`, init);
  const text = await response.text();
  let body: { data?: unknown; errors?: { message: string; extensions?: { code?: string } }[] } | undefined;
  try {
    body = JSON.parse(text);
  } catch {}
  return { status: response.status, headers: response.headers, text, body };
}

describe('no input gives HTTP 500 or a code-less error', () => {
  const token = () => ({ 'coder-session-token': cast.owner.token });
  const json = (body: string) => ({
    method: 'POST',
    headers: { 'content-type': 'application/json', accept: 'application/json', ...token() },
    body,
  });
  const get = (query: string) => ({ method: 'GET', headers: { accept: 'application/json', ...token() }, query });

  const CASES: [string, () => RequestInit & { query?: string }][] = [
    ['malformed JSON', () => json('{"query": "{ me { id } }"')],
    ['a JSON array of nothing', () => json('[]')],
    ['a JSON string', () => json('"hello"')],
    ['null', () => json('null')],
    ['no query', () => json('{}')],
    ['a query that is not a string', () => json('{"query": 42}')],
    ['variables that are not an object', () => json('{"query": "{ me { id } }", "variables": "x"}')],
    ['variables that are a list', () => json('{"query": "{ me { id } }", "variables": [1]}')],
    ['extensions that are not an object', () => json('{"query": "{ me { id } }", "extensions": 7}')],
    ['an operationName that is not a string', () => json('{"query": "{ me { id } }", "operationName": {}}')],
    ['an unknown operationName', () => json('{"query": "query A { me { id } }", "operationName": "B"}')],
    ['two operations and no name', () => json('{"query": "query A { me { id } } query B { me { id } }"}')],
    ['not GraphQL', () => json('{"query": "{ me { id }"}')],
    ['an unknown field', () => json('{"query": "{ nothing }"}')],
    ['a subscription', () => json('{"query": "subscription { me { id } }"}')],
    ['a mutation root the document misspells', () => json('{"query": "mutatio { me { id } }"}')],
    [
      'a huge number in a variable',
      () =>
        json(
          '{"query": "query ($l: Int) { paginatedOrganizationMembers(organization: \\"default\\", limit: $l) { count } }", "variables": {"l": 1e400}}',
        ),
    ],
    [
      'a huge number literal',
      () =>
        json(
          '{"query": "{ paginatedOrganizationMembers(organization: \\"default\\", limit: 99999999999999999999) { count } }"}',
        ),
    ],
    [
      'a variable of the wrong type',
      () => json('{"query": "query ($o: String!) { organization(organization: $o) { id } }", "variables": {"o": {}}}'),
    ],
    ['GET with bad variables', () => get('query=%7B%20me%20%7B%20id%20%7D%20%7D&variables=%7Bbad')],
    ['GET with bad extensions', () => get('query=%7B%20me%20%7B%20id%20%7D%20%7D&extensions=%7Bbad')],
    ['GET with no query', () => get('')],
    [
      'GET with a mutation',
      () => get('query=mutation%20%7B%20deleteOrganizationRole(organization%3A%22x%22%2C%20name%3A%22y%22)%20%7D'),
    ],
    ['GET with a subscription', () => get('query=subscription%20%7B%20me%20%7B%20id%20%7D%20%7D')],
    [
      'a multipart body with a token',
      () => {
        const form = new FormData();
        form.set('operations', '{"query": "{ me { id } }"}');
        form.set('map', '{bad');
        return { method: 'POST', headers: token(), body: form };
      },
    ],
    [
      'a multipart body whose map puts one file at 1,500 paths',
      () => {
        const form = new FormData();
        form.set('operations', '{"query": "{ __typename }"}');
        form.set('map', JSON.stringify({ 0: Array.from({ length: 1500 }, (_, i) => `variables.a${i}`) }));
        form.set('0', new Blob(['a'.repeat(200_000)]), 'f');
        return { method: 'POST', headers: token(), body: form };
      },
    ],
    [
      'a multipart body of nonsense',
      () => ({
        method: 'POST',
        headers: { 'content-type': 'multipart/form-data; boundary=x', ...token() },
        body: '--x\r\nnonsense',
      }),
    ],
    [
      'application/graphql with a token',
      () => ({ method: 'POST', headers: { 'content-type': 'application/graphql', ...token() }, body: '{ me { id } }' }),
    ],
    [
      'an unknown content type with a token',
      () => ({ method: 'POST', headers: { 'content-type': 'image/png', ...token() }, body: 'x' }),
    ],
    [
      'PUT',
      () => ({
        method: 'PUT',
        headers: { 'content-type': 'application/json', ...token() },
        body: '{"query": "{ me { id } }"}',
      }),
    ],
    [
      'a text/plain body with a token',
      () => ({ method: 'POST', headers: { 'content-type': 'text/plain', ...token() }, body: '{}' }),
    ],
    ['a body with no content type', () => ({ method: 'POST', headers: token(), body: '{"query": "{ me { id } }"}' })],
    [
      'an Accept the gateway cannot answer',
      () => ({
        method: 'POST',
        headers: { 'content-type': 'application/json', accept: 'text/html', ...token() },
        body: '{"query": "{ me { id } }"}',
      }),
    ],
    ['DELETE', () => ({ method: 'DELETE', headers: token() })],
    [
      'a bad Content-Length',
      () => ({
        method: 'POST',
        headers: { 'content-type': 'application/json', 'content-length': '-1', ...token() },
        body: '{}',
      }),
    ],
  ];

  it.each(['/', '/foo', '/graphql/foo', '/graphiql'])(
    'answers a path it does not serve (%s) with 404 and a code',
    async (path) => {
      const answer = await send(path, { headers: { accept: 'application/json' } });
      expect(answer.status).toBe(404);
      expect(answer.body?.errors?.[0]?.extensions?.code).toBe('BAD_REQUEST');
    },
  );

  it.each(['gzip', 'br', 'bogus'])(
    'answers a body sent with Content-Encoding %s with 415 and a code',
    async (encoding) => {
      const answer = await send('/graphql', {
        method: 'POST',
        headers: { 'content-type': 'application/json', 'content-encoding': encoding, ...token() },
        body: '{"query": "{ me { id } }"}',
      });
      expect(answer.status).toBe(415);
      expect(answer.body?.errors?.[0]).toMatchObject({
        message: expect.stringContaining('Content-Encoding'),
        extensions: { code: 'BAD_REQUEST' },
      });
      const identity = await send('/graphql', {
        method: 'POST',
        headers: { 'content-type': 'application/json', 'content-encoding': 'identity', ...token() },
        body: '{"query": "{ me { id } }"}',
      });
      expect(identity.body).toEqual({ data: { me: { id: cast.owner.id } } });
    },
  );

  it.each([
    ['with a token', () => ({ 'coder-session-token': cast.owner.token })],
    ['without one', () => ({ 'x-graphql-yoga-csrf': '1' })],
  ])(
    'refuses a multipart body %s as a media type not served (415): the schema takes no uploads',
    async (_n, headers) => {
      const before = statements;
      const form = new FormData();
      form.set('operations', '{"query": "{ __typename }"}');
      form.set('map', JSON.stringify({ 0: Array.from({ length: 1500 }, (_, i) => `variables.a${i}`) }));
      form.set('0', new Blob(['a'.repeat(200_000)]), 'f');
      const answer = await send('/graphql', { method: 'POST', headers: headers(), body: form });
      expect(answer.status).toBe(415);
      expect(answer.body?.errors?.[0]?.extensions?.code).toBe('BAD_REQUEST');
      expect(statements).toBe(before);
    },
  );

  it.each(['PUT', 'PATCH', 'DELETE', 'TRACE', 'HEAD'])(
    'answers %s, with or without a token, 405: no method but GET and POST is served',
    async (method) => {
      for (const headers of [{}, token()]) {
        const answer = await send('/graphql', { method, headers });
        expect(answer.status).toBe(405);
        if (method !== 'HEAD') expect(answer.body?.errors?.[0]?.extensions?.code).toBe('BAD_REQUEST');
      }
    },
  );

  it.each(CASES)('%s: below 500, and every error has a code', async (_name, make) => {
    const { query, ...init } = make();
    const answer = await send(`/graphql${query === undefined ? '' : `?${query}`}`, init);
    expect(answer.status, answer.text.slice(0, 300)).toBeLessThan(500);
    // Every answer is JSON: data, or errors each with a code; a refusal too.
    expect(answer.body, answer.text.slice(0, 300)).toBeTruthy();
    if (answer.status !== 200) expect(answer.body?.errors?.length, answer.text.slice(0, 300)).toBeGreaterThan(0);
    for (const error of answer.body?.errors ?? []) expect(error.extensions?.code, error.message).toBeTruthy();
    expect(JSON.stringify(answer.body?.errors ?? [])).not.toContain('INTERNAL_SERVER_ERROR');
  });
});

describe('refusals a client can act on', () => {
  const post = (body: unknown, headers: Record<string, string> = {}) =>
    send('/graphql', {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'coder-session-token': cast.owner.token, ...headers },
      body: typeof body === 'string' ? body : JSON.stringify(body),
    });

  it('gives the same answer to a variable that does not fit its type, however often it is sent', async () => {
    // The second run of a document is compiled (src/execution/jit.ts); graphql-jit words such errors its own way.
    const request = {
      query: 'mutation R($r: CustomRoleInput!) { createOrganizationRole(organization: "default", role: $r) { name } }',
      variables: { r: { name: 'r1', organizationPermissions: [{ resourceType: 'TEMPLATE', action: 'nope' }] } },
    };
    const answers = [];
    for (let i = 0; i < 3; i++) answers.push(await post(request));
    expect(answers[0]!.status).toBe(400);
    expect(answers[0]!.body?.errors?.[0]?.message).toContain('"$r"');
    expect(answers[0]!.body?.errors?.[0]?.extensions?.code).toBe('BAD_USER_INPUT');
    for (const answer of answers.slice(1)) {
      expect(answer.status).toBe(400);
      expect(answer.body).toEqual(answers[0]!.body);
    }
  });

  // graphql-js builds up to 50 errors for variables, each quoting the whole value: thousands of unknown fields made
  // minutes of work and gigabytes, without a token.
  it('refuses variables with thousands of faults at the first, in one short error, without a token or SQL', async () => {
    const unknownFields = {
      query: 'mutation R($r: CustomRoleInput!) { createOrganizationRole(organization: "default", role: $r) { name } }',
      variables: { r: { name: 'r1', ...Object.fromEntries(Array.from({ length: 20_000 }, (_, i) => [`f${i}`, i])) } },
    };
    const wrongItems = {
      query:
        'mutation R($r: [String!]!) { updateOrganizationMemberRoles(organization: "default", user: "me", roles: $r) { userId } }',
      variables: { r: Array.from({ length: 20_000 }, () => 1) },
    };
    for (const request of [unknownFields, wrongItems]) {
      const before = statements;
      const answer = await send('/graphql', {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify(request),
      });
      expect(answer.status).toBe(400);
      expect(answer.body?.errors?.[0]).toMatchObject({
        message: expect.stringContaining('Variable "$r" got invalid value'),
        extensions: { code: 'BAD_USER_INPUT' },
      });
      expect(answer.body?.errors).toHaveLength(1);
      expect(answer.text.length).toBeLessThan(3_000);
      expect(statements).toBe(before);
    }
  });

  it('refuses a document over a limit with HTTP 400 to a client that accepts application/graphql-response+json', async () => {
    const deepVariables = { query: '{ me { id } }', variables: { v: JSON.parse('['.repeat(40) + ']'.repeat(40)) } };
    const costly = {
      query:
        '{ a: organizationMembers(organization: "default") { username } b: organizations { members { totalCount edges { node { username user { organizationMemberships { organization { members { totalCount } } } } } } } } }',
    };
    for (const request of [deepVariables, costly]) {
      const strict = await post(request, { accept: 'application/graphql-response+json' });
      expect(strict.status, strict.text).toBe(400);
      expect(strict.body?.errors?.[0]?.extensions?.code).toBe('QUERY_TOO_COMPLEX');
      // application/json keeps HTTP 200 for a request that was read, as Yoga answers a document that does not validate.
      const legacy = await post(request, { accept: 'application/json' });
      expect(legacy.status).toBe(200);
      expect(legacy.body?.errors?.[0]?.extensions?.code).toBe('QUERY_TOO_COMPLEX');
    }
  });

  it('does not send a body that is not JSON back in its answer', async () => {
    const answer = await post(`{"query": "{ me { id } }" ${'x'.repeat(500_000)}`);
    expect(answer.status).toBe(400);
    expect(answer.body?.errors?.[0]?.extensions?.code).toBe('BAD_REQUEST');
    expect(answer.text.length).toBeLessThan(1_000);
  });

  it("answers a hash alone with PERSISTED_QUERY_NOT_SUPPORTED, which Apollo Client's link retries with the query", async () => {
    const hashOnly = await post({ extensions: { persistedQuery: { version: 1, sha256Hash: 'ab'.repeat(32) } } });
    expect(hashOnly.body?.errors?.[0]?.extensions?.code).toBe('PERSISTED_QUERY_NOT_SUPPORTED');
    const documentId = await post({ documentId: `sha256:${'ab'.repeat(32)}` });
    expect(documentId.body?.errors?.[0]?.extensions?.code).toBe('PERSISTED_QUERY_NOT_SUPPORTED');
    const inGet = await send(`/graphql?documentId=sha256:${'ab'.repeat(32)}`, {
      headers: { accept: 'application/json', 'coder-session-token': cast.owner.token },
    });
    expect(inGet.body?.errors?.[0]?.extensions?.code).toBe('PERSISTED_QUERY_NOT_SUPPORTED');
    const withQuery = await post({
      query: '{ me { id } }',
      extensions: { persistedQuery: { version: 1, sha256Hash: 'ab'.repeat(32) } },
    });
    expect(withQuery.body).toEqual({ data: { me: { id: cast.owner.id } } });
  });
});

describe('deeply nested or very large variables and extensions', () => {
  /** `depth` lists, one inside the other, around `inner`. */
  const nested = (depth: number, inner = '1') => `${'['.repeat(depth)}${inner}${']'.repeat(depth)}`;
  const post = (body: string) =>
    send('/graphql', {
      method: 'POST',
      headers: { 'content-type': 'application/json', accept: 'application/json' },
      body,
    });
  const ENTITIES = 'query ($r: [_Any!]!) { _entities(representations: $r) { __typename } }';

  it.each([
    ['an unused variable', (depth: number) => `{"query": "{ __typename }", "variables": {"a": ${nested(depth)}}}`],
    [
      "an _entities representation's key",
      (depth: number) =>
        `{"query": "${ENTITIES}", "variables": {"r": [{"__typename": "User", "id": ${nested(depth - 3, '"x"')}}]}}`,
    ],
    ['extensions', (depth: number) => `{"query": "{ __typename }", "extensions": {"e": ${nested(depth)}}}`],
  ])('refuses %s nested 200,000 deep with QUERY_TOO_COMPLEX and no SQL', async (_name, body) => {
    const before = statements;
    const answer = await post(body(200_000));
    expect(answer.status).toBeLessThan(500);
    expect(answer.body?.errors?.[0]?.extensions?.code).toBe('QUERY_TOO_COMPLEX');
    expect(answer.body?.errors?.[0]?.message).toContain(`${MAX_INPUT_DEPTH} levels`);
    expect(statements).toBe(before);
  });

  it.each([
    [
      'a list of strings for a mutation',
      'mutation ($r: [String!]!) { updateOrganizationMemberRoles(organization: \\"default\\", user: \\"x\\", roles: $r) { userId } }',
      'variables',
    ],
    ['an unused variable', '{ __typename }', 'variables'],
    ['extensions', '{ __typename }', 'extensions'],
  ])(
    `refuses %s holding more than ${MAX_INPUT_VALUES} values with QUERY_TOO_COMPLEX and no SQL, without a token`,
    async (_name, query, part) => {
      const before = statements;
      const values = (n: number) => JSON.stringify({ r: Array(n - 2).fill('a') });
      const answer = await post(`{"query": "${query}", "${part}": ${values(MAX_INPUT_VALUES + 1)}}`);
      expect(answer.body?.errors).toEqual([
        {
          message: `The request's ${part} hold more than ${MAX_INPUT_VALUES} values.`,
          extensions: { code: 'QUERY_TOO_COMPLEX' },
        },
      ]);
      expect(statements).toBe(before);
      // As many as the limit: read, and refused for what they are (no session).
      const allowed = await post(`{"query": "${query}", "${part}": ${values(MAX_INPUT_VALUES)}}`);
      expect(allowed.body?.errors?.[0]?.extensions?.code).not.toBe('QUERY_TOO_COMPLEX');
    },
  );

  it('refuses them in a GET too, and serves inputs nested as deep as the limit allows', async () => {
    const deep = await send(
      `/graphql?query=${encodeURIComponent('{ __typename }')}&variables=${encodeURIComponent(`{"a": ${nested(MAX_INPUT_DEPTH)}}`)}`,
      { method: 'GET', headers: { accept: 'application/json', 'x-graphql-yoga-csrf': '1' } },
    );
    expect(deep.body?.errors?.[0]?.extensions?.code).toBe('QUERY_TOO_COMPLEX');
    const allowed = await post(`{"query": "{ __typename }", "variables": {"a": ${nested(MAX_INPUT_DEPTH - 1)}}}`);
    expect(allowed).toMatchObject({ status: 200, body: { data: { __typename: 'Query' } } });
  });
});

describe('cross-site requests (CSRF)', () => {
  const create = (name: string) =>
    `mutation { createOrganizationRole(organization: "${cast.org.name}", role: { name: "${name}" }) { name } }`;
  const cookie = () => ({ cookie: `coder_session_token=${cast.owner.token}` });
  const roleExists = async (name: string) =>
    (await gw.database.prisma.customRole.count({ where: { name, organizationId: cast.org.id } })) > 0;

  it.each([
    ['a form post', 'application/x-www-form-urlencoded', (q: string) => new URLSearchParams({ query: q }).toString()],
    [
      'a multipart form post',
      'multipart/form-data; boundary=b',
      (q: string) => `--b\r\nContent-Disposition: form-data; name="query"\r\n\r\n${q}\r\n--b--\r\n`,
    ],
    ['a text/plain post', 'text/plain', (q: string) => JSON.stringify({ query: q })],
    ['an application/graphql post', 'application/graphql', (q: string) => q],
    ['a post with no content type', '', (q: string) => JSON.stringify({ query: q })],
  ])('refuses %s carrying only a cookie, writing nothing and running no SQL', async (_name, type, body) => {
    const name = `csrf${Math.random().toString(36).slice(2, 8)}`;
    const before = statements;
    const headers: Record<string, string> = { ...cookie(), origin: 'https://evil.example' };
    if (type) headers['content-type'] = type;
    const answer = await send('/graphql', { method: 'POST', headers, body: body(create(name)) });
    expect(answer.status).toBe(403);
    expect(answer.body?.errors?.[0]?.extensions?.code).toBe('FORBIDDEN');
    expect(statements).toBe(before);
    expect(await roleExists(name)).toBe(false);
  });

  it('refuses a GET carrying only a cookie', async () => {
    const answer = await send(`/graphql?query=${encodeURIComponent('{ me { username } }')}`, {
      method: 'GET',
      headers: { ...cookie(), accept: 'application/json' },
    });
    expect(answer.status).toBe(403);
    expect(answer.body?.errors?.[0]?.extensions?.code).toBe('FORBIDDEN');
  });

  it('runs a JSON POST with the cookie, and a GET or form post that carries a non-simple header', async () => {
    const name = `ok${Math.random().toString(36).slice(2, 8)}`;
    const posted = await send('/graphql', {
      method: 'POST',
      headers: { ...cookie(), 'content-type': 'application/json' },
      body: JSON.stringify({ query: create(name) }),
    });
    expect(posted.body?.errors).toBeUndefined();
    expect(await roleExists(name)).toBe(true);
    for (const header of ['x-graphql-yoga-csrf', 'apollo-require-preflight']) {
      const answer = await send(`/graphql?query=${encodeURIComponent('{ me { username } }')}`, {
        method: 'GET',
        headers: { ...cookie(), accept: 'application/json', [header]: '1' },
      });
      expect(answer.body?.data).toEqual({ me: { username: cast.owner.username } });
    }
    const bearer = await send(`/graphql?query=${encodeURIComponent('{ me { username } }')}`, {
      method: 'GET',
      headers: { accept: 'application/json', authorization: `Bearer ${cast.owner.token}` },
    });
    expect(bearer.body?.data).toEqual({ me: { username: cast.owner.username } });
    const form = `csrfform${Math.random().toString(36).slice(2, 8)}`;
    await send('/graphql', {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded', 'coder-session-token': cast.owner.token },
      body: new URLSearchParams({ query: create(form) }).toString(),
    });
    expect(await roleExists(form)).toBe(true);
  });
});

describe('CORS', () => {
  const preflight = (origin: string) =>
    send('/graphql', {
      method: 'OPTIONS',
      headers: { origin, 'access-control-request-method': 'POST', 'access-control-request-headers': 'content-type' },
    });

  it('reflects no unlisted origin and allows it no credentials', async () => {
    for (const answer of [
      await preflight('https://evil.example'),
      await send('/graphql', {
        method: 'POST',
        headers: { origin: 'https://evil.example', 'content-type': 'application/json' },
        body: JSON.stringify({ query: '{ __typename }' }),
      }),
    ]) {
      expect(answer.headers.get('access-control-allow-origin')).toBeNull();
      expect(answer.headers.get('access-control-allow-credentials')).toBeNull();
    }
  });

  it('allows credentials to an origin of CORS_ORIGINS', async () => {
    const answer = await preflight('https://coder.example.com');
    expect(answer.headers.get('access-control-allow-origin')).toBe('https://coder.example.com');
    expect(answer.headers.get('access-control-allow-credentials')).toBe('true');
    expect(answer.headers.get('access-control-allow-headers')).toContain('coder-session-token');
  });

  it('says that every answer varies by Origin, for shared caches', async () => {
    for (const origin of ['https://coder.example.com', 'https://evil.example']) {
      const answer = await send('/graphql', {
        method: 'POST',
        headers: { origin, 'content-type': 'application/json', 'x-graphql-yoga-csrf': '1' },
        body: JSON.stringify({ query: '{ __typename }' }),
      });
      expect(answer.headers.get('vary')?.split(/\s*,\s*/)).toContain('Origin');
    }
  });
});

describe('GraphiQL', () => {
  const page = (headers: Record<string, string> = {}) =>
    gw.yoga.fetch(URL_, { method: 'GET', headers: { accept: 'text/html', ...headers } });

  it('is served compressed as the client asks, with an ETag, and a 304 for a page the browser has', async () => {
    const br = await page({ 'accept-encoding': 'gzip, deflate, br' });
    expect(br.status).toBe(200);
    expect(br.headers.get('content-encoding')).toBe('br');
    const etag = br.headers.get('etag');
    expect(etag).toBeTruthy();
    expect(br.headers.get('cache-control')).toMatch(/must-revalidate/);
    const html = brotliDecompressSync(Buffer.from(await br.arrayBuffer())).toString();
    expect(html).toContain('Coder members gateway');

    const gz = await page({ 'accept-encoding': 'gzip' });
    expect(gz.headers.get('content-encoding')).toBe('gzip');
    const gzBytes = Buffer.from(await gz.arrayBuffer());
    expect(gunzipSync(gzBytes).toString()).toBe(html);
    expect(gzBytes.length).toBeLessThan(html.length / 2);

    const plain = await page();
    expect(plain.headers.get('content-encoding')).toBeNull();
    expect(await plain.text()).toBe(html);

    const again = await page({ 'if-none-match': etag!, 'accept-encoding': 'br' });
    expect(again.status).toBe(304);
  });

  it('keeps no pasted token in the browser unless GRAPHIQL_PERSIST_HEADERS asks', async () => {
    const html = await (await page()).text();
    expect(html).toContain('"shouldPersistHeaders":false');
    const persisting = await startTestGateway('pglite', { graphiql: { persistHeaders: true } });
    try {
      const other = await persisting.yoga.fetch(URL_, { headers: { accept: 'text/html' } });
      expect(await other.text()).toContain('"shouldPersistHeaders":true');
    } finally {
      await persisting.close();
    }
  });

  it('is not served with GRAPHIQL=false', async () => {
    const off = await startTestGateway('pglite', { graphiql: false });
    try {
      const answer = await off.yoga.fetch(URL_, { headers: { accept: 'text/html' } });
      expect(await answer.text()).not.toContain('GraphiQL');
    } finally {
      await off.close();
    }
  });
});
