// The heavy-query lane (src/execution/heavy-lane.ts) as `npm start` runs it on
// PostgreSQL (and on the embedded database when asked for): heavy queries go
// to the lane's thread and its own connections,
// light ones never do, and what the lane answers is what the serving thread
// would have answered (status, codes, body, encoding, request id, deadline).
// Its thread runs built code, so these tests start the built gateway.
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { gunzipSync } from 'node:zlib';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openDatabase } from '../../src/db/database.js';
import { LANE_APPLICATION_NAME, LANE_COST } from '../../src/execution/heavy-lane.js';
import { SMALL_COST } from '../../src/limits/admission.js';
import { SMALL_TRAFFIC_MS } from '../../src/limits/small-traffic.js';
import { addMember, createUser } from '../../src/operator/operator.js';
import { startCommand } from '../../scripts/start-command.js';
import { costOf as costOfDocument } from '../support/cost.js';
import { createServerDatabase, dropServerDatabase, SERVER_URL } from '../support/databases.js';
import { TcpProxy } from '../support/tcp-proxy.js';

const REPO = resolve(import.meta.dirname, '../..');

interface Gateway {
  url: string;
  child: ChildProcess;
  /** What it has printed on stdout so far. */
  output(): string;
  stop(): Promise<void>;
}

/** The built gateway as `npm start` runs it; resolves once it serves, and on a new database once it printed its owner's token. */
function startGateway(env: Record<string, string>, newDatabase = true): Promise<Gateway & { token?: string }> {
  const start = startCommand();
  const child = spawn(process.execPath, start.args, {
    cwd: REPO,
    env: { ...process.env, ...start.env, PORT: '0', LOG_LEVEL: 'info', ACCESS_LOG: 'false', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  child.stderr!.on('data', (chunk) => (stderr += chunk));
  const exited = new Promise<void>((done) => child.once('exit', () => done()));
  const stop = async () => {
    if (child.exitCode === null) child.kill('SIGTERM');
    await exited;
  };
  return new Promise((ready, fail) => {
    child.stdout!.on('data', (chunk) => {
      stdout += chunk;
      const url = /"url":"(http[^"]+)"/.exec(stdout)?.[1];
      const token = /"token":"([^"]+)"/.exec(stdout)?.[1];
      if (url && (token || !newDatabase)) {
        ready({ url, child, stop, token, output: () => stdout });
      }
    });
    child.once('exit', (code) => fail(new Error(`gateway exited with ${code}:\n${stdout}\n${stderr}`)));
  });
}

const MEMBER_FIELDS =
  'userId username email name roles { name displayName organizationId } globalRoles { name } ' +
  'user { id username email name status createdAt globalRoles { name } }';
/** The whole member list: priced at QUERY_COST_MEMBERS members, so heavy whatever the organization holds. */
const HEAVY = `query Heavy($organization: String!) { organizationMembers(organization: $organization) { ${MEMBER_FIELDS} } }`;
const LIGHT = '{ me { username } organization(organization: "default") { name } }';
/** Heavy for admission (a cost of at least 10,000), not for the lane: every organization's first 50 members. */
const PAGES = `{ organizations { id members(first: 50) { edges { node { ${MEMBER_FIELDS} } } } } }`;

const costOf = (query: string) => costOfDocument(query, { organization: 'default' });

interface Answer {
  status: number;
  contentType: string | null;
  body: unknown;
}

async function post(url: string, query: string, variables: object, headers: Record<string, string> = {}) {
  return fetch(url, {
    method: 'POST',
    headers: { 'content-type': 'application/json', accept: 'application/graphql-response+json', ...headers },
    body: JSON.stringify({ query, variables }),
  });
}

const answerOf = async (response: Response): Promise<Answer> => ({
  status: response.status,
  contentType: response.headers.get('content-type'),
  body: await response.json(),
});

async function laneConnections(databaseUrl: string): Promise<number> {
  const client = new pg.Client({ connectionString: databaseUrl });
  await client.connect();
  try {
    const { rows } = await client.query<{ count: string }>(
      'SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() AND application_name = $1',
      [LANE_APPLICATION_NAME],
    );
    return Number(rows[0]!.count);
  } finally {
    await client.end();
  }
}

describe.runIf(SERVER_URL)('the heavy-query lane on PostgreSQL', () => {
  let databaseUrl: string;
  let token: string;
  let withLane: Gateway;
  let withoutLane: Gateway;

  beforeAll(async () => {
    execFileSync(process.execPath, ['scripts/build.mjs'], { cwd: REPO, stdio: 'ignore' });
    databaseUrl = await createServerDatabase();
    const first = await startGateway({ DATABASE_URL: databaseUrl, ACCESS_LOG: 'true' });
    withLane = first;
    token = first.token!;
    // Enough members for an answer that is worth compressing.
    const database = await openDatabase({ databaseUrl, dataDir: 'unused', databasePoolSize: 2 });
    try {
      for (let i = 0; i < 20; i++) {
        await createUser(database.prisma, { username: `member-${i}`, email: `member-${i}@example.com` });
        await addMember(database.prisma, 'default', `member-${i}`).catch(() => {});
      }
    } finally {
      await database.close();
    }
    // The same database, the same settings, every query on the serving thread.
    withoutLane = await startGateway(
      { DATABASE_URL: databaseUrl, HEAVY_QUERY_THREAD: 'false', MIGRATE: 'false' },
      false,
    );
  });

  afterAll(async () => {
    await Promise.all([withLane?.stop(), withoutLane?.stop()]);
    if (databaseUrl) await dropServerDatabase(databaseUrl);
  });

  it('sends the heaviest queries to its own thread and connections, lighter ones only while small ones are served, and never a small one', async () => {
    expect(costOf(LIGHT)).toBeLessThan(SMALL_COST);
    expect(costOf(PAGES)).toBeGreaterThanOrEqual(SMALL_COST);
    expect(costOf(PAGES)).toBeLessThan(LANE_COST);
    expect(costOf(HEAVY)).toBeGreaterThanOrEqual(LANE_COST);
    const auth = { 'coder-session-token': token };
    // No small document for longer than the clock looks back: the pages run on the serving thread.
    await new Promise((resolve) => setTimeout(resolve, SMALL_TRAFFIC_MS + 100));
    const alone = await answerOf(await post(withLane.url, PAGES, {}, auth));
    expect(alone.body).toMatchObject({ data: { organizations: [{ members: { edges: expect.any(Array) } }] } });
    const light = await answerOf(await post(withLane.url, LIGHT, {}, auth));
    expect(light.body).toEqual({ data: { me: { username: 'admin' }, organization: { name: 'coder' } } });
    expect(await laneConnections(databaseUrl)).toBe(0);

    // Right after a small read, the same pages give way: they run on the lane.
    const pages = await answerOf(await post(withLane.url, PAGES, {}, auth));
    expect(pages.body).toEqual(alone.body);
    expect(await laneConnections(databaseUrl)).toBeGreaterThan(0);

    const heavy = await answerOf(await post(withLane.url, HEAVY, { organization: 'default' }, auth));
    expect(heavy.status).toBe(200);
    const members = (heavy.body as { data: { organizationMembers: { username: string }[] } }).data.organizationMembers;
    expect(members.map((member) => member.username)).toContain('admin');
    expect(members).toHaveLength(21);
  });

  it('runs trusted documents asked for by id on the lane as on the serving thread (TRUSTED_DOCUMENTS)', async () => {
    const documents = Object.fromEntries(
      [HEAVY, PAGES, LIGHT].map((document) => [createHash('sha256').update(document).digest('hex'), document]),
    );
    const [heavyId, pagesId, lightId] = Object.keys(documents);
    const directory = await mkdtemp(join(tmpdir(), 'gateway-trusted-'));
    await writeFile(join(directory, 'documents.json'), JSON.stringify(documents));
    const trusted = await startGateway(
      { DATABASE_URL: databaseUrl, MIGRATE: 'false', TRUSTED_DOCUMENTS: join(directory, 'documents.json') },
      false,
    );
    try {
      const byId = (documentId: string, variables: object = {}) =>
        fetch(trusted.url, {
          method: 'POST',
          headers: { 'content-type': 'application/json', 'coder-session-token': token },
          body: JSON.stringify({ documentId: `sha256:${documentId}`, variables }),
        }).then(answerOf);
      const heavy = await byId(heavyId!, { organization: 'default' });
      expect(heavy.body).toMatchObject({ data: { organizationMembers: expect.any(Array) } });
      expect((heavy.body as { data: { organizationMembers: unknown[] } }).data.organizationMembers).toHaveLength(21);
      // Right after a small document, lighter heavy ones take the lane too.
      expect((await byId(lightId!)).body).toMatchObject({ data: { me: { username: 'admin' } } });
      const pages = await byId(pagesId!);
      expect(pages.body).toMatchObject({ data: { organizations: [{ members: { edges: expect.any(Array) } }] } });
    } finally {
      await trusted.stop();
      await rm(directory, { recursive: true, force: true });
    }
  });

  it('answers as the serving thread would: data, errors and their codes, status and media type', async () => {
    const auth = { 'coder-session-token': token };
    const cases: { variables: object; headers: Record<string, string> }[] = [
      { variables: { organization: 'default' }, headers: auth },
      { variables: { organization: 'coder' }, headers: { authorization: `Bearer ${token}` } },
      // Refusals decided on the lane: no session, a bad one, an organization that is not there.
      { variables: { organization: 'default' }, headers: {} },
      {
        variables: { organization: 'default' },
        headers: { 'coder-session-token': 'abcdefghij-0123456789abcdefghijkl' },
      },
      { variables: { organization: 'no-such-organization' }, headers: auth },
      { variables: { organization: '00000000-0000-0000-0000-000000000000' }, headers: auth },
    ];
    for (const { variables, headers } of cases) {
      const [lane, serving] = await Promise.all([
        post(withLane.url, HEAVY, variables, headers).then(answerOf),
        post(withoutLane.url, HEAVY, variables, headers).then(answerOf),
      ]);
      expect(lane, JSON.stringify({ variables, headers })).toEqual(serving);
      for (const error of (lane.body as { errors?: { extensions?: { code?: string } }[] }).errors ?? []) {
        expect(error.extensions?.code).toEqual(expect.any(String));
      }
    }
    const refused = await post(withLane.url, HEAVY, { organization: 'default' }).then(answerOf);
    expect(refused.body).toMatchObject({ errors: [{ extensions: { code: 'UNAUTHENTICATED' } }] });
  });

  it('keeps the HTTP contract: GET, compression, and the request id the client sent', async () => {
    const auth = { 'coder-session-token': token };
    const expected = await post(withoutLane.url, HEAVY, { organization: 'default' }, auth).then((r) => r.json());

    const url = new URL(withLane.url);
    url.searchParams.set('query', HEAVY);
    url.searchParams.set('variables', JSON.stringify({ organization: 'default' }));
    const viaGet = await fetch(url, { headers: { ...auth, accept: 'application/graphql-response+json' } });
    expect(viaGet.status).toBe(200);
    expect(await viaGet.json()).toEqual(expected);

    const requestId = '6f1b8a52-0c1e-4a53-9d43-2f4f0f3c7a11';
    const compressed = await post(
      withLane.url,
      HEAVY,
      { organization: 'default' },
      {
        ...auth,
        'accept-encoding': 'gzip',
        'x-request-id': requestId,
      },
    );
    // The serving thread's own id (a client's is never taken), which the lane answered under.
    expect(compressed.headers.get('x-request-id')).toMatch(/^[0-9a-f-]{36}$/);
    expect(compressed.headers.get('x-request-id')).not.toBe(requestId);
    // fetch would inflate it itself; read the bytes as they came.
    const raw = await new Promise<{ encoding?: string; body: Buffer }>((done, fail) => {
      const body = JSON.stringify({ query: HEAVY, variables: { organization: 'default' } });
      import('node:http').then(({ request }) => {
        const outgoing = request(
          withLane.url,
          {
            method: 'POST',
            headers: { ...auth, 'content-type': 'application/json', 'accept-encoding': 'gzip' },
          },
          (incoming) => {
            const chunks: Buffer[] = [];
            incoming.on('data', (chunk: Buffer) => chunks.push(chunk));
            incoming.on('end', () =>
              done({ encoding: incoming.headers['content-encoding'], body: Buffer.concat(chunks) }),
            );
          },
        );
        outgoing.on('error', fail);
        outgoing.end(body);
      }, fail);
    });
    expect(raw.encoding).toBe('gzip');
    expect(JSON.parse(gunzipSync(raw.body).toString('utf8'))).toEqual(expected);
  });

  it('logs and counts a query the lane answered once, with its status and error codes', async () => {
    const requestId = '0d5f6c1e-7f3a-4b8e-9a41-5c2b7d9e1f20';
    const refused = await post(withLane.url, HEAVY, { organization: 'default' }, { 'x-request-id': requestId });
    expect(await refused.json()).toMatchObject({ errors: [{ extensions: { code: 'UNAUTHENTICATED' } }] });
    // The line is written once the answer is.
    await new Promise((resolve) => setTimeout(resolve, 200));
    const lines = withLane
      .output()
      .split('\n')
      .filter((line) => line.includes(requestId))
      .map((line) => JSON.parse(line));
    expect(lines).toEqual([
      expect.objectContaining({
        msg: 'request',
        requestId: refused.headers.get('x-request-id'),
        clientRequestId: requestId,
        status: refused.status,
        operationName: 'Heavy',
        operationType: 'query',
        errorCodes: ['UNAUTHENTICATED'],
      }),
    ]);
    const metrics = await (await fetch(new URL('/metrics', withLane.url))).text();
    expect(metrics).toMatch(
      /graphql_envelop_error_result\{[^}]*operationName="Heavy"[^}]*code="UNAUTHENTICATED"[^}]*\} [1-9]/,
    );
  });
});

/** Threads of a process (Linux): the gateway's, its database's and the lane's among them. */
const threadsOf = (pid: number) => Number(/Threads:\s+(\d+)/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1]);

describe('the heavy-query lane on the embedded database (HEAVY_QUERY_THREAD=true)', () => {
  let dataDir: string;
  let token: string;

  beforeAll(async () => {
    execFileSync(process.execPath, ['scripts/build.mjs'], { cwd: REPO, stdio: 'ignore' });
    dataDir = await mkdtemp(join(tmpdir(), 'gateway-lane-'));
    const first = await startGateway({ DATABASE_URL: '', DATA_DIR: dataDir });
    token = first.token!;
    await first.stop();
    // Enough members for a list worth a thread; one more user who is not a member yet.
    const database = await openDatabase({ databaseUrl: undefined, dataDir, databasePoolSize: 1 });
    try {
      for (let i = 0; i < 20; i++) {
        await createUser(database.prisma, { username: `member-${i}`, email: `member-${i}@example.com` });
        await addMember(database.prisma, 'default', `member-${i}`);
      }
      await createUser(database.prisma, { username: 'newcomer', email: 'newcomer@example.com' });
    } finally {
      await database.close();
    }
  });

  afterAll(async () => {
    if (dataDir) await rm(dataDir, { recursive: true, force: true });
  });

  it("answers heavy queries there as the serving thread does, and reads the serving thread's writes", async () => {
    const auth = { 'coder-session-token': token };
    const usernames = (answer: Answer) =>
      (answer.body as { data: { organizationMembers: { username: string }[] } }).data.organizationMembers
        .map((member) => member.username)
        .sort();

    const withoutLane = await startGateway({ DATABASE_URL: '', DATA_DIR: dataDir, MIGRATE: 'false' }, false);
    const threadsWithout = threadsOf(withoutLane.child.pid!);
    const expected = await post(withoutLane.url, HEAVY, { organization: 'default' }, auth).then(answerOf);
    await withoutLane.stop();
    expect(usernames(expected)).toHaveLength(21);

    const withLane = await startGateway(
      { DATABASE_URL: '', DATA_DIR: dataDir, MIGRATE: 'false', HEAVY_QUERY_THREAD: 'true' },
      false,
    );
    try {
      // The database's thread and the lane's.
      expect(threadsOf(withLane.child.pid!)).toBeGreaterThanOrEqual(threadsWithout + 2);
      const heavy = await post(withLane.url, HEAVY, { organization: 'default' }, auth).then(answerOf);
      expect(heavy).toEqual(expected);
      // Right after a small read, lighter heavy queries take the lane too.
      const light = await post(withLane.url, LIGHT, {}, auth).then(answerOf);
      expect(light.body).toEqual({ data: { me: { username: 'admin' }, organization: { name: 'coder' } } });
      const pages = await post(withLane.url, PAGES, {}, auth).then(answerOf);
      expect(pages.body).toMatchObject({ data: { organizations: [{ members: { edges: expect.any(Array) } }] } });

      const added = await post(
        withLane.url,
        'mutation { addOrganizationMember(organization: "default", user: "newcomer") { username } }',
        {},
        auth,
      ).then(answerOf);
      expect(added.body).toEqual({ data: { addOrganizationMember: { username: 'newcomer' } } });
      const after = await post(withLane.url, HEAVY, { organization: 'default' }, auth).then(answerOf);
      expect(usernames(after)).toEqual([...usernames(expected), 'newcomer'].sort());

      const refused = await post(withLane.url, HEAVY, { organization: 'default' }).then(answerOf);
      expect(refused.body).toMatchObject({ errors: [{ extensions: { code: 'UNAUTHENTICATED' } }] });
    } finally {
      await withLane.stop();
    }
  });
});

describe.runIf(SERVER_URL)('the heavy-query lane when PostgreSQL stops answering', () => {
  it('answers SERVICE_UNAVAILABLE at REQUEST_TIMEOUT_MS, and then serves again', async () => {
    const databaseUrl = await createServerDatabase();
    const proxy = await new TcpProxy().start(new URL(databaseUrl));
    let gateway: (Gateway & { token?: string }) | undefined;
    try {
      gateway = await startGateway({
        DATABASE_URL: proxy.urlFor(databaseUrl),
        REQUEST_TIMEOUT_MS: '1500',
        SESSION_CACHE_MS: '0',
      });
      const auth = { 'coder-session-token': gateway.token! };
      const before = await post(gateway.url, HEAVY, { organization: 'default' }, auth).then(answerOf);
      expect(before.body, JSON.stringify(before.body)).toMatchObject({
        data: { organizationMembers: expect.arrayContaining([expect.objectContaining({ username: 'admin' })]) },
      });

      proxy.freeze();
      const started = Date.now();
      const stuck = await post(gateway.url, HEAVY, { organization: 'default' }, auth).then(answerOf);
      expect(stuck.body).toMatchObject({ errors: [{ extensions: { code: 'SERVICE_UNAVAILABLE' } }] });
      // The deadline, and time for a loaded machine; far short of any network timeout.
      expect(Date.now() - started).toBeLessThan(1500 + 3000);

      proxy.restore();
      const after = await post(gateway.url, HEAVY, { organization: 'default' }, auth).then(answerOf);
      expect(after.body).toMatchObject({
        data: { organizationMembers: expect.arrayContaining([expect.objectContaining({ username: 'admin' })]) },
      });
    } finally {
      await gateway?.stop();
      await proxy.stop();
      await dropServerDatabase(databaseUrl);
    }
  });
});
