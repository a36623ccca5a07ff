// SPEC G on PostgreSQL: a database that cannot be reached gives a prompt
// SERVICE_UNAVAILABLE and the gateway recovers by itself when it is back; a
// request past REQUEST_TIMEOUT_MS, or whose client went away, stops, its SQL
// included; every connection carries the session limits. The database sits
// behind a TCP proxy on 127.0.0.1 that the test cuts and restores.
import { request } from 'node:http';
import type { TadaDocumentNode } from 'gql.tada';
import pg from 'pg';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DEFAULT_LIMITS } from '../../src/config.js';
import { openDatabase, type Database } from '../../src/db/database.js';
import { createGateway, type Gateway } from '../../src/yoga.js';
import { createServerDatabase, dropServerDatabase, SERVER_URL } from '../support/databases.js';
import { makeOrganization, makeUser, type GraphQLResponse, type TestUser } from '../support/gateway.js';
import { graphql, sourceOf, type ResultOf } from '../support/graphql.js';
import { serveOverHttp, type HttpGateway } from '../support/http.js';
import { TcpProxy } from '../support/tcp-proxy.js';

const ME = graphql('{ me { username } }');
const ORGANIZATIONS = graphql('{ organizations { name } }');
const ME_AND_ORGANIZATIONS = graphql('{ me { username } organizations { name } }');
// Heavy: an unbounded member list with three fields costs 20,001.
const HEAVY = graphql('query ($org: String!) { organizationMembers(organization: $org) { username email name } }');

/** A request body for `document`. */
const bodyOf = <TData, TVariables>(document: TadaDocumentNode<TData, TVariables>, variables?: TVariables) =>
  JSON.stringify({ query: sourceOf(document), variables });

describe.skipIf(!SERVER_URL)('the database under failure (PostgreSQL)', () => {
  let url: string;
  let direct: Database;
  let proxied: Database;
  let proxy: TcpProxy;
  let yoga: Gateway;
  let owner: TestUser;
  let admin: pg.Client;
  let orgName: string;
  let orgId: string;
  let target: TestUser;
  /** Straight to the server, with a statement_timeout long enough that only the gateway can stop a statement. */
  let lockable: Database;

  beforeAll(async () => {
    url = await createServerDatabase();
    direct = await openDatabase({ databaseUrl: url, dataDir: 'unused', databasePoolSize: 2 });
    await direct.migrate();
    const org = await makeOrganization(direct);
    orgName = org.name;
    orgId = org.id;
    owner = await makeUser(direct, { siteRoles: ['owner'], orgs: { [org.id]: [] } });
    target = await makeUser(direct, { orgs: { [org.id]: [] } });
    lockable = await openDatabase({
      databaseUrl: url,
      dataDir: 'unused',
      databasePoolSize: 4,
      databaseStatementTimeoutMs: 60_000,
    });
    proxy = await new TcpProxy().start(new URL(url));
    proxied = await openDatabase({
      databaseUrl: proxy.urlFor(url),
      dataDir: 'unused',
      databasePoolSize: 4,
      databaseConnectTimeoutMs: 500,
      databaseStatementTimeoutMs: 3000,
    });
    yoga = createGateway({ database: proxied, requestTimeoutMs: 1500 });
    admin = new pg.Client({ connectionString: url });
    await admin.connect();
  });

  afterAll(async () => {
    await admin?.end();
    await lockable?.close().catch(() => {});
    await proxied?.close().catch(() => {});
    await proxy?.stop();
    await direct?.close();
    if (url) await dropServerDatabase(url);
  });

  async function ask<TDocument extends TadaDocumentNode>(document: TDocument) {
    const started = Date.now();
    const response = await yoga.fetch('http://gateway.test/graphql', {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'coder-session-token': owner.token },
      body: bodyOf(document),
    });
    const body = (await response.json()) as GraphQLResponse<ResultOf<TDocument>>;
    return { status: response.status, body, ms: Date.now() - started };
  }

  it('sets statement_timeout, idle_in_transaction_session_timeout and jit = off on every connection', async () => {
    const rows = await proxied.sql.query<{ statement_timeout: string; idle: string; jit: string }>(
      `SELECT current_setting('statement_timeout') AS statement_timeout,
              current_setting('idle_in_transaction_session_timeout') AS idle, current_setting('jit') AS jit`,
      [],
    );
    expect(rows[0]).toEqual({ statement_timeout: '3s', idle: '1min', jit: 'off' });
  });

  it('answers SERVICE_UNAVAILABLE (HTTP 503) within the connect timeout while the database is cut off, and recovers by itself', async () => {
    expect((await ask(ME)).body.errors).toBeUndefined();
    proxy.cutOff();
    for (const document of [ME, ORGANIZATIONS]) {
      const { status, body, ms } = await ask(document);
      expect(body.errors?.map((e) => e.extensions?.code)).toContain('SERVICE_UNAVAILABLE');
      for (const error of body.errors ?? []) expect(error.extensions?.code).not.toBe('INTERNAL_SERVER_ERROR');
      expect(status).toBe(503);
      // Bounded by DATABASE_CONNECT_TIMEOUT_MS (500 ms) and the deadline, not by TCP's minutes.
      expect(ms).toBeLessThan(5000);
    }
    proxy.restore();
    let recovered = false;
    for (let i = 0; i < 20 && !recovered; i++) {
      const { body } = await ask(ME_AND_ORGANIZATIONS);
      recovered = !body.errors;
      if (!recovered) await new Promise((resolve) => setTimeout(resolve, 250));
    }
    expect(recovered).toBe(true);
  });

  it('answers SERVICE_UNAVAILABLE for a database that is not there (dropped, or DATABASE_URL names none), logging no fault', async () => {
    const missing = new URL(url);
    missing.pathname = `/${missing.pathname.slice(1)}_missing`;
    const nowhere = await openDatabase({ databaseUrl: missing.href, dataDir: 'unused', databasePoolSize: 2 });
    const faults: unknown[] = [];
    const logger = pino({ level: 'error' }, { write: (line: string) => void faults.push(line) });
    try {
      const gateway = createGateway({ database: nowhere, logger });
      const response = await gateway.fetch('http://gateway.test/graphql', {
        method: 'POST',
        headers: { 'content-type': 'application/json', 'coder-session-token': owner.token },
        body: bodyOf(ME),
      });
      const body = (await response.json()) as GraphQLResponse;
      expect(body.errors?.map((e) => e.extensions?.code)).toEqual(['SERVICE_UNAVAILABLE']);
      expect(response.status).toBe(503);
      expect(faults).toEqual([]);
    } finally {
      await nowhere.close();
    }
  });

  /** Gateway statements currently waiting on a lock. */
  const waiting = async () =>
    (
      await admin.query<{ n: number }>(
        `SELECT count(*)::int AS n FROM pg_stat_activity
          WHERE datname = current_database() AND pid <> pg_backend_pid() AND wait_event_type = 'Lock'`,
      )
    ).rows[0]!.n;

  /** Holds a lock that every read of users waits for, until released. */
  async function lockUsers() {
    const locker = new pg.Client({ connectionString: url });
    await locker.connect();
    await locker.query('BEGIN');
    await locker.query('LOCK TABLE users IN ACCESS EXCLUSIVE MODE');
    return async () => {
      await locker.query('ROLLBACK');
      await locker.end();
    };
  }

  const until = async (check: () => Promise<boolean>, ms = 5000) => {
    const end = Date.now() + ms;
    while (Date.now() < end) {
      if (await check()) return true;
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
    return false;
  };

  it('stops a request at REQUEST_TIMEOUT_MS with SERVICE_UNAVAILABLE, and cancels its statement on the server', async () => {
    const release = await lockUsers();
    try {
      const { status, body, ms } = await ask(ME);
      expect(body.errors?.[0]?.extensions?.code).toBe('SERVICE_UNAVAILABLE');
      expect(status).toBe(503);
      expect(ms).toBeGreaterThanOrEqual(1400);
      expect(ms).toBeLessThan(3000);
      // The statement no longer waits on PostgreSQL, though the lock is still held.
      expect(await until(async () => (await waiting()) === 0)).toBe(true);
    } finally {
      await release();
    }
    expect((await ask(ME)).body.errors).toBeUndefined();
  });

  /** Holds the lock on `target`'s membership that a write of it takes first, until released. */
  async function lockTargetMembership() {
    const locker = new pg.Client({ connectionString: url });
    await locker.connect();
    await locker.query('BEGIN');
    await locker.query('SELECT 1 FROM organization_members WHERE organization_id = $1 AND user_id = $2 FOR UPDATE', [
      orgId,
      target.id,
    ]);
    return async () => {
      await locker.query('ROLLBACK');
      await locker.end();
    };
  }

  /** Sets `target`'s roles through a gateway with this deadline; the answer, and how long it took. */
  async function setTargetRoles(requestTimeoutMs: number) {
    const gateway = createGateway({ database: lockable, requestTimeoutMs });
    const started = Date.now();
    const response = await gateway.fetch('http://gateway.test/graphql', {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'coder-session-token': owner.token },
      body: JSON.stringify({
        query: `mutation ($o: String!, $u: String!) {
          updateOrganizationMemberRoles(organization: $o, user: $u, roles: ["organization-auditor"]) { userId } }`,
        variables: { o: orgId, u: target.id },
      }),
    });
    const body = (await response.json()) as GraphQLResponse<unknown>;
    return { status: response.status, body, ms: Date.now() - started };
  }

  const storedRolesOfTarget = async () =>
    (
      await admin.query<{ roles: string[] }>(
        'SELECT roles FROM organization_members WHERE organization_id = $1 AND user_id = $2',
        [orgId, target.id],
      )
    ).rows[0]?.roles;

  it("cancels a write's transaction at REQUEST_TIMEOUT_MS, so that writes stuck on a lock do not hold the pool", async () => {
    const release = await lockTargetMembership();
    try {
      const { status, body, ms } = await setTargetRoles(1500);
      expect(body.errors?.[0]?.extensions?.code).toBe('SERVICE_UNAVAILABLE');
      expect(status).toBe(503);
      expect(ms).toBeLessThan(5000);
      // Its statement no longer waits on PostgreSQL, though the lock is still held: its connection is free.
      expect(await until(async () => (await waiting()) === 0)).toBe(true);
    } finally {
      await release();
    }
    expect(await storedRolesOfTarget()).toEqual([]);
  });

  it('answers SERVICE_UNAVAILABLE, not INTERNAL_SERVER_ERROR, for a write whose connection dies in its transaction', async () => {
    const release = await lockTargetMembership();
    try {
      const answer = setTargetRoles(30_000);
      expect(await until(async () => (await waiting()) > 0)).toBe(true);
      await admin.query(
        `SELECT pg_terminate_backend(pid) FROM pg_stat_activity
          WHERE datname = current_database() AND pid <> pg_backend_pid() AND wait_event_type = 'Lock'`,
      );
      const { status, body, ms } = await answer;
      expect(body.errors?.map((e) => e.extensions?.code)).toEqual(['SERVICE_UNAVAILABLE']);
      expect(status).toBe(503);
      expect(ms).toBeLessThan(20_000);
    } finally {
      await release();
    }
    expect(await storedRolesOfTarget()).toEqual([]);
  });

  it('cancels the statements of a client that disconnects', async () => {
    const http: HttpGateway = await serveOverHttp(proxied, { requestTimeoutMs: 60_000 });
    const release = await lockUsers();
    try {
      const req = request({
        host: '127.0.0.1',
        port: http.port,
        path: '/graphql',
        method: 'POST',
        headers: { 'content-type': 'application/json', 'coder-session-token': owner.token },
      });
      req.on('error', () => {});
      req.end(bodyOf(ME));
      expect(await until(async () => (await waiting()) === 1)).toBe(true);
      req.destroy();
      expect(await until(async () => (await waiting()) === 0)).toBe(true);
    } finally {
      await release();
      await http.close();
    }
  });

  /** A gateway of its own on `url`, and a way to post to it as the owner. */
  async function gatewayWith(options: Partial<Parameters<typeof createGateway>[0]>, databaseHeavyStatements?: number) {
    const database = await openDatabase({
      databaseUrl: url,
      dataDir: 'unused',
      databasePoolSize: 4,
      databaseHeavyStatements,
    });
    const gateway = createGateway({ database, ...options });
    const post = async <TData, TVariables>(document: TadaDocumentNode<TData, TVariables>, variables?: TVariables) => {
      const response = await gateway.fetch('http://gateway.test/graphql', {
        method: 'POST',
        headers: { 'content-type': 'application/json', 'coder-session-token': owner.token },
        body: bodyOf(document, variables),
      });
      return (await response.json()) as GraphQLResponse<TData>;
    };
    return { post, close: () => database.close() };
  }

  /** Holds organizations locked: the member list looks its organization up there; authentication and `me` do not. */
  async function lockOrganizations() {
    const locker = new pg.Client({ connectionString: url });
    await locker.connect();
    await locker.query('BEGIN');
    await locker.query('LOCK TABLE organizations IN ACCESS EXCLUSIVE MODE');
    return {
      release: () => locker.query('ROLLBACK'),
      end: () => locker.end(),
    };
  }

  it('runs heavy documents one after another past QUERY_COST_IN_FLIGHT, while a light one goes at once', async () => {
    const { post, close } = await gatewayWith({
      limits: { ...DEFAULT_LIMITS, maxCostInFlight: 1 },
      servesOnlyLarger: true,
    });
    const lock = await lockOrganizations();
    try {
      const first = post(HEAVY, { org: orgName });
      expect(await until(async () => (await waiting()) === 1)).toBe(true);
      const second = post(HEAVY, { org: orgName });
      // The light read answers while the first heavy one waits on the lock and the second waits its turn.
      expect(await post(ME)).toEqual({ data: { me: { username: owner.username } } });
      await new Promise((resolve) => setTimeout(resolve, 300));
      expect(await waiting()).toBe(1);
      await lock.release();
      const answers = await Promise.all([first, second]);
      for (const answer of answers) expect(answer.errors).toBeUndefined();
    } finally {
      await lock.end();
      await close();
    }
  });

  // The pool has 4 connections: with no small reads, heavy statements may take all but two. The heavy-query lane's
  // gateway serves larger documents only, so there only the statement line holds them back; a gateway that serves
  // small documents too runs larger ones one at a time while small ones are under way.
  it.each([
    [1, true, true, 1],
    [1, false, true, 2],
    [0, true, true, 3],
    [0, true, false, 1],
    [0, false, false, 3],
  ])(
    'with DATABASE_HEAVY_STATEMENTS=%i, small reads under way: %s, serving only larger documents: %s, heavy documents run %i statement(s) at once, and a small one goes at once',
    async (limit, smallReads, servesOnlyLarger, atOnce) => {
      const { post, close } = await gatewayWith({ servesOnlyLarger }, limit);
      const lock = await lockOrganizations();
      try {
        if (smallReads) expect((await post(ME)).errors).toBeUndefined();
        const heavy = [post(HEAVY, { org: orgName }), post(HEAVY, { org: orgName }), post(HEAVY, { org: orgName })];
        expect(await until(async () => (await waiting()) === atOnce)).toBe(true);
        expect(await post(ME)).toEqual({ data: { me: { username: owner.username } } });
        await new Promise((resolve) => setTimeout(resolve, 300));
        expect(await waiting()).toBe(atOnce);
        await lock.release();
        for (const answer of await Promise.all(heavy)) expect(answer.errors).toBeUndefined();
      } finally {
        await lock.end();
        await close();
      }
    },
  );

  it('stops a heavy document waiting for its statement turn at REQUEST_TIMEOUT_MS, with SERVICE_UNAVAILABLE', async () => {
    const { post, close } = await gatewayWith({ requestTimeoutMs: 1000, servesOnlyLarger: true }, 1);
    const lock = await lockOrganizations();
    try {
      expect((await post(ME)).errors).toBeUndefined();
      const first = post(HEAVY, { org: orgName });
      expect(await until(async () => (await waiting()) === 1)).toBe(true);
      const second = await post(HEAVY, { org: orgName });
      expect(second.errors?.[0]?.extensions?.code).toBe('SERVICE_UNAVAILABLE');
      expect((await first).errors?.[0]?.extensions?.code).toBe('SERVICE_UNAVAILABLE');
      await lock.release();
      // Both left the line and the lock: the next heavy read runs.
      expect((await post(HEAVY, { org: orgName })).errors).toBeUndefined();
    } finally {
      await lock.end();
      await close();
    }
  });
});
