// Start-up as an operator sees it: `startGateway` over real HTTP on a free
// port, the first-start bootstrap, restarts, GraphiQL, stopping without
// dropping requests, the embedded database's one-process lock; and the
// gateway as `npm start` runs it (built, in its own process), on both
// databases, stopping on SIGTERM and refusing bad configuration.
import { execFileSync, spawn } from 'node:child_process';
import { existsSync, writeFileSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { request as httpRequest, type ClientRequest, type IncomingHttpHeaders } from 'node:http';
import { type AddressInfo, createServer as createNetServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import type { TadaDocumentNode } from 'gql.tada';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startGateway, type RunningGateway } from '../src/server.js';
import { type Config, DEFAULT_LIMITS, loadConfig } from '../src/config.js';
import { DataDirInUseError } from '../src/db/data-dir.js';
import { openDatabase, type DatabaseKind } from '../src/db/database.js';
import { readMigrations } from '../src/db/migrations.js';
import { createLogger } from '../src/logger.js';
import { createUser } from '../src/operator/operator.js';
import { startCommand } from '../scripts/start-command.js';
import { createServerDatabase, DATABASE_KINDS, dropServerDatabase, SERVER_URL } from './support/databases.js';
import type { GraphQLResponse } from './support/gateway.js';
import { graphql, sourceOf } from './support/graphql.js';
import { TcpProxy } from './support/tcp-proxy.js';

const REPO = resolve(import.meta.dirname, '..');
const TOKEN = /^[0-9A-Za-z]{10}-[0-9A-Za-z]{22}$/;
const silent = createLogger('silent');

type Target = Pick<Config, 'databaseUrl' | 'dataDir'>;

const config = (target: Target, overrides: Partial<Config> = {}): Config => ({
  ...loadConfig({}),
  port: 0,
  host: '127.0.0.1',
  migrate: true,
  databasePoolSize: 4,
  workers: 1,
  // Its thread runs built code only (dist/); the spawned gateways below and test/heavy-lane.test.ts run it.
  heavyQueryThread: false,
  sessionCacheMs: 1000,
  responseCacheMs: 0,
  shutdownTimeoutMs: 10_000,
  limits: DEFAULT_LIMITS,
  logLevel: 'silent',
  audit: true,
  sessionExpiryRefresh: true,
  proxyTrustedOrigins: [],
  proxyTrustedHeaders: [],
  accessLog: false,
  metrics: false,
  compression: true,
  otlpEndpoint: undefined,
  trustedDocuments: undefined,
  ...target,
  ...overrides,
});

/** A GraphQL request over real HTTP. */
async function gql<TData, TVariables>(url: string, document: TadaDocumentNode<TData, TVariables>, token?: string) {
  const response = await fetch(url, {
    method: 'POST',
    headers: {
      'content-type': 'application/json',
      accept: 'application/json',
      ...(token ? { 'coder-session-token': token } : {}),
    },
    body: JSON.stringify({ query: sourceOf(document) }),
  });
  expect(response.status).toBe(200);
  return (await response.json()) as GraphQLResponse<TData>;
}

/**
 * A POST over a raw connection that stops after its headers: `headersRead`
 * settles once the gateway has read them and started the request (its
 * 100 Continue), and the body goes only when `sendBody()` is called.
 */
function startRequest(url: string, body: string, token: string) {
  let read!: () => void;
  const headersRead = new Promise<void>((resolve) => (read = resolve));
  let outgoing!: ClientRequest;
  const response = new Promise<{ status: number; headers: IncomingHttpHeaders; body: string }>((resolve, reject) => {
    outgoing = httpRequest(
      url,
      {
        method: 'POST',
        headers: {
          'content-type': 'application/json',
          'content-length': Buffer.byteLength(body),
          'coder-session-token': token,
          expect: '100-continue',
        },
      },
      (incoming) => {
        let text = '';
        incoming.setEncoding('utf8');
        incoming.on('data', (chunk: string) => (text += chunk));
        incoming.on('end', () => resolve({ status: incoming.statusCode!, headers: incoming.headers, body: text }));
        incoming.on('error', reject);
      },
    );
    outgoing.on('continue', read);
    outgoing.on('error', reject);
    outgoing.flushHeaders();
  });
  response.catch(() => {}); // awaited by the test; a rejection before that is not unhandled
  return { headersRead, response, sendBody: () => outgoing.end(body) };
}

const WHO_AND_WHERE = graphql('{ me { username } organization(organization: "default") { name isDefault } }');
const ME = graphql('{ me { username } }');
const ADMIN_IN_CODER = { data: { me: { username: 'admin' }, organization: { name: 'coder', isDefault: true } } };

/** A temp DATA_DIR (embedded) or a fresh database on the server; `drop` removes it. */
async function newTarget(kind: DatabaseKind): Promise<Target & { drop(): Promise<void> }> {
  if (kind === 'pglite') {
    const dataDir = await mkdtemp(join(tmpdir(), 'gateway-startup-'));
    return { databaseUrl: undefined, dataDir, drop: () => rm(dataDir, { recursive: true, force: true }) };
  }
  const databaseUrl = await createServerDatabase();
  return { databaseUrl, dataDir: 'unused', drop: () => dropServerDatabase(databaseUrl) };
}

/** The environment of a spawned process: ours, without DATABASE_URL unless given. */
function childEnv(extra: Record<string, string>): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { ...process.env, LOG_LEVEL: 'silent', ...extra };
  if (!('DATABASE_URL' in extra)) delete env.DATABASE_URL;
  return env;
}

interface Exited {
  code: number | null;
  stdout: string;
  stderr: string;
}

/**
 * The built gateway with the environment and node flags of `npm start` (it serves from a
 * worker thread, which Node 20 cannot start from TypeScript source under tsx).
 */
function spawnServer(env: Record<string, string>) {
  const start = startCommand();
  return spawn(process.execPath, start.args, {
    cwd: REPO,
    env: childEnv({ ...start.env, ...env }),
    stdio: ['ignore', 'pipe', 'pipe'],
  });
}

function runServer(env: Record<string, string>): Promise<Exited> {
  return new Promise((done, fail) => {
    const child = spawnServer(env);
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk) => (stdout += chunk));
    child.stderr.on('data', (chunk) => (stderr += chunk));
    child.on('error', fail);
    child.on('close', (code) => done({ code, stdout, stderr }));
  });
}

describe.each(DATABASE_KINDS)('startGateway on %s', (kind) => {
  let target: Awaited<ReturnType<typeof newTarget>>;
  const running = new Set<RunningGateway>();
  let token: string;

  async function start(overrides: Partial<Config> = {}) {
    const gateway = await startGateway(config(target, overrides), silent);
    running.add(gateway);
    return gateway;
  }
  async function stop(gateway: RunningGateway) {
    running.delete(gateway);
    await gateway.close();
  }

  beforeAll(async () => {
    target = await newTarget(kind);
  });
  afterAll(async () => {
    for (const gateway of running) await gateway.close().catch(() => {});
    await target?.drop();
  });

  let first: RunningGateway;

  it('first start on an empty database creates the default organization and an owner with a working token', async () => {
    first = await start();
    expect(first.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/graphql$/);
    expect(new URL(first.url).port).not.toBe('0');
    expect(first.bootstrap.createdOrganization).toBe(true);
    expect(first.bootstrap.owner?.username).toBe('admin');
    token = first.bootstrap.owner!.token;
    expect(token).toMatch(TOKEN);

    expect(await gql(first.url, WHO_AND_WHERE, token)).toEqual(ADMIN_IN_CODER);
    const owner = await first.database.prisma.user.findFirstOrThrow({ where: { username: 'admin' } });
    expect(owner.rbacRoles).toEqual(['owner']);
    // Without the token the same request is refused.
    const anonymous = await gql(first.url, WHO_AND_WHERE);
    expect(anonymous.errors?.[0]?.extensions?.code).toBe('UNAUTHENTICATED');
  });

  it('serves GraphiQL to a browser', async () => {
    const response = await fetch(first.url, { headers: { accept: 'text/html' } });
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toMatch(/^text\/html/);
    const html = await response.text();
    expect(html).toMatch(/graphiql/i);
    expect(html).toContain('<title>Coder members gateway</title>');
  });

  it('a restart keeps the data, creates nothing and issues no token; the old token still works', async () => {
    await createUser(first.database.prisma, { username: 'kept', email: 'kept@example.com' });
    await stop(first);

    const again = await start();
    expect(again.bootstrap).toEqual({ createdOrganization: false });
    expect(await gql(again.url, WHO_AND_WHERE, token)).toEqual(ADMIN_IN_CODER);
    const users = await again.database.prisma.user.findMany({
      orderBy: { username: 'asc' },
      select: { username: true },
    });
    expect(users).toEqual([{ username: 'admin' }, { username: 'kept' }]);
    expect(await again.database.prisma.organization.count()).toBe(1);
    expect(await again.database.prisma.apiKey.count()).toBe(1);
    await stop(again);
  });

  it('starts with migrate: false on a database that is already migrated', async () => {
    const unmigrated = await start({ migrate: false });
    expect(unmigrated.bootstrap).toEqual({ createdOrganization: false });
    expect(await gql(unmigrated.url, WHO_AND_WHERE, token)).toEqual(ADMIN_IN_CODER);
    await stop(unmigrated);
  });

  // A rolling deploy sends SIGTERM (src/server.ts: gateway.close()) to a
  // replica that is still answering: what it was asked, it answers.
  it('stopping lets a request in progress finish, refuses new connections, and closes the database after it', async () => {
    const gateway = await start({ migrate: false });
    const request = startRequest(gateway.url, JSON.stringify({ query: sourceOf(WHO_AND_WHERE) }), token);
    await request.headersRead;

    running.delete(gateway);
    const stopped = gateway.close();
    await expect(fetch(gateway.url, { method: 'POST' }), 'a new connection while stopping').rejects.toThrow();
    request.sendBody();
    const response = await request.response;
    expect(response.status).toBe(200);
    expect(JSON.parse(response.body)).toEqual(ADMIN_IN_CODER);
    expect(response.headers.connection, 'the client is told to reconnect elsewhere').toBe('close');
    await stopped;
  });

  it('stopping cuts a request that outlasts SHUTDOWN_TIMEOUT_MS, and still closes', async () => {
    const gateway = await start({ migrate: false, shutdownTimeoutMs: 200 });
    const request = startRequest(gateway.url, JSON.stringify({ query: sourceOf(WHO_AND_WHERE) }), token);
    await request.headersRead;

    running.delete(gateway);
    await gateway.close(); // the body never comes
    await expect(request.response).rejects.toThrow();
  });

  // The lock file alone cannot tell two opens by one process apart: a second
  // gateway here would run a second PGlite on the same files, and closing
  // either would delete the lock while the other still runs.
  it.runIf(kind === 'pglite')('refuses a second gateway on the same DATA_DIR in the same process', async () => {
    const holder = await start();
    const second = startGateway(config(target), silent);
    const outcome = await second.then(
      async (gateway) => {
        await gateway.close();
        return gateway;
      },
      (error: unknown) => error,
    );
    expect(outcome).toBeInstanceOf(DataDirInUseError);
    await stop(holder);
  });

  // A gateway killed without cleanup (SIGKILL, OOM, power loss) leaves its lock
  // file behind. Its pid is then dead, or, in a container where the gateway is
  // always pid 1, it is this very process's pid: neither may lock DATA_DIR out.
  it.runIf(kind === 'pglite')('takes over a lock file left by a gateway that died', async () => {
    const lockFile = join(target.dataDir, 'gateway.lock');
    const deadPid = await new Promise<number>((done) => {
      const child = spawn(process.execPath, ['-e', ''], { stdio: 'ignore' });
      child.on('exit', () => done(child.pid!));
    });
    await writeFile(lockFile, String(deadPid));
    await stop(await start({ migrate: false }));
    expect(existsSync(lockFile)).toBe(false);
  });

  it.runIf(kind === 'pglite')(
    'lets one of several processes that find a left lock file at once take it (a restart and a CLI run)',
    async () => {
      const folder = await mkdtemp(join(tmpdir(), 'gateway-lock-'));
      const deadPid = await new Promise<number>((done) => {
        const child = spawn(process.execPath, ['-e', ''], { stdio: 'ignore' });
        child.on('exit', () => done(child.pid!));
      });
      // Each waits for the same moment, then tries: as close together as processes get.
      const taker = `import { lockDataDir } from ${JSON.stringify(resolve(REPO, 'src/db/data-dir.ts'))};
        const at = Number(process.argv[2]);
        while (Date.now() < at) {}
        try { lockDataDir(process.argv[1]); console.log('took'); setTimeout(() => {}, 1500); }
        catch (error) { console.log(error.name); }`;
      try {
        for (let round = 0; round < 2; round++) {
          await writeFile(join(folder, 'gateway.lock'), String(deadPid));
          const at = String(Date.now() + 2500);
          const outcomes = await Promise.all(
            Array.from(
              { length: 5 },
              () =>
                new Promise<string>((done) => {
                  const child = spawn(
                    process.execPath,
                    ['--import', 'tsx', '--input-type=module', '-e', taker, folder, at],
                    { cwd: REPO, stdio: ['ignore', 'pipe', 'inherit'] },
                  );
                  let out = '';
                  child.stdout.on('data', (chunk) => (out += chunk));
                  child.on('close', () => done(out.trim()));
                }),
            ),
          );
          expect(
            outcomes.filter((outcome) => outcome === 'took'),
            outcomes.join(),
          ).toHaveLength(1);
          expect(outcomes.filter((outcome) => outcome === 'DataDirInUseError')).toHaveLength(4);
        }
      } finally {
        await rm(folder, { recursive: true, force: true });
      }
    },
  );

  it.runIf(kind === 'pglite')('takes over a lock file that names its own pid (a restarted container)', async () => {
    const lockFile = join(target.dataDir, 'gateway.lock');
    await writeFile(lockFile, String(process.pid));
    const restarted = await start({ migrate: false }).catch((error: unknown) => error);
    if (restarted instanceof Error) await rm(lockFile, { force: true });
    expect(restarted).not.toBeInstanceOf(Error);
    await stop(restarted as RunningGateway);
  });

  // MIGRATE=false is for a database someone else owns, such as a Coder
  // deployment's before anyone has signed up: an owner made here would take
  // the place of the first user Coder's own setup creates.
  it('with migrate: false, writes nothing to a migrated database that has no users', async () => {
    const foreign = await newTarget(kind);
    try {
      const schemaOnly = await openDatabase({ ...foreign, databasePoolSize: 1 });
      await schemaOnly.migrate();
      await schemaOnly.close();
      const gateway = await startGateway(config(foreign, { migrate: false }), silent);
      try {
        expect(gateway.bootstrap).toEqual({ createdOrganization: false });
        const counts = await Promise.all([
          gateway.database.prisma.user.count(),
          gateway.database.prisma.organization.count(),
          gateway.database.prisma.apiKey.count(),
        ]);
        expect(counts).toEqual([0, 0, 0]);
        expect((await gql(gateway.url, ME)).errors?.[0]?.extensions?.code).toBe('UNAUTHENTICATED');
      } finally {
        await gateway.close();
      }
    } finally {
      await foreign.drop();
    }
  });

  // Replicas on one PostgreSQL database (docs/operations.md: "run as many replicas as you
  // like ... concurrent or repeated starts apply each migration once").
  it.runIf(kind === 'postgres')(
    'two gateways starting at once on one empty database both start promptly, with one owner',
    async () => {
      const shared = await newTarget('postgres');
      let started: RunningGateway[] = [];
      try {
        const began = Date.now();
        const both = await Promise.allSettled([
          startGateway(config(shared), silent),
          startGateway(config(shared), silent),
        ]);
        const elapsed = Date.now() - began;
        started = both.flatMap((r) => (r.status === 'fulfilled' ? [r.value] : []));
        expect(both.map((r) => (r.status === 'rejected' ? String(r.reason) : 'started'))).toEqual([
          'started',
          'started',
        ]);

        const owners = started.flatMap((gateway) => (gateway.bootstrap.owner ? [gateway.bootstrap.owner] : []));
        expect(owners).toHaveLength(1);
        for (const gateway of started)
          expect(await gql(gateway.url, WHO_AND_WHERE, owners[0]!.token)).toEqual(ADMIN_IN_CODER);
        // Each migration applied once, by one of the two.
        const recorded = await started[0]!.database.prisma.$queryRawUnsafe<{ migration_name: string }[]>(
          'SELECT migration_name FROM _prisma_migrations ORDER BY migration_name',
        );
        const migrations = (await readMigrations()).migrationDirectories.map((migration) => migration.path).sort();
        expect(recorded.map((row) => row.migration_name)).toEqual(migrations);
        // The second waits for the first's migration lock; it must not wait for
        // the 10 s pool idle timeout that finally frees it (see migrations.test.ts).
        expect(elapsed, 'the second start waited for a migration lock the first never released').toBeLessThan(5_000);
      } finally {
        for (const gateway of started) await gateway.close();
        await shared.drop();
      }
    },
  );
});

describe('the gateway as npm start runs it', () => {
  let dataDir: string;
  beforeAll(async () => {
    // What `npm start` builds first; quick when nothing changed.
    execFileSync(process.execPath, ['scripts/build.mjs'], { cwd: REPO, stdio: 'ignore' });
    dataDir = await mkdtemp(join(tmpdir(), 'gateway-server-'));
  });
  afterAll(() => rm(dataDir, { recursive: true, force: true }));

  /** Starts it and waits for the first owner's token, which it prints once. */
  async function startServer(env: Record<string, string>) {
    const child = spawnServer({ PORT: '0', LOG_LEVEL: 'info', ...env });
    let stdout = '';
    let stderr = '';
    child.stderr.on('data', (chunk) => (stderr += chunk));
    const exited = new Promise<number | null>((done) => child.on('close', (code) => done(code)));
    await new Promise<void>((ready, fail) => {
      child.stdout.on('data', (chunk) => {
        stdout += chunk;
        if (/Coder-Session-Token: \S+\n/.test(stdout)) ready();
      });
      child.on('close', (code) => fail(new Error(`server exited with ${code} before serving:\n${stdout}\n${stderr}`)));
    });
    const url = /Open (http:\S+) and send/.exec(stdout)?.[1];
    const printed = [...stdout.matchAll(/[0-9A-Za-z]{10}-[0-9A-Za-z]{22}/g)].map((m) => m[0]);
    expect(url).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/graphql$/);
    expect(new Set(printed).size).toBe(1);
    return { child, url: url!, token: printed[0]!, exited, stderr: () => stderr, stdout: () => stdout };
  }

  it('prints the first owner token once, holds DATA_DIR while it runs, and releases it on SIGTERM', async () => {
    const server = await startServer({ DATA_DIR: dataDir });
    try {
      expect(await gql(server.url, WHO_AND_WHERE, server.token)).toEqual(ADMIN_IN_CODER);

      // The embedded database serves one process at a time: not this one,
      const second = startGateway(config({ databaseUrl: undefined, dataDir }), silent);
      await expect(second).rejects.toBeInstanceOf(DataDirInUseError);
      await expect(second).rejects.toThrow(dataDir);
      // nor a second gateway started the same way, which says why and exits 1.
      const refused = await runServer({ DATA_DIR: dataDir, PORT: '0' });
      expect(refused.code).toBe(1);
      expect(refused.stderr).toContain(`DATA_DIR ${dataDir} is in use`);

      server.child.kill('SIGTERM');
      expect(await server.exited).toBe(0);
      expect(existsSync(join(dataDir, 'gateway.lock'))).toBe(false);

      // Every line on stdout is JSON: the token's announcement, the access log, the rest.
      const lines = server.stdout().split('\n').filter(Boolean);
      for (const line of lines) expect(() => JSON.parse(line), line).not.toThrow();
      const logged = lines.map((line) => JSON.parse(line));
      expect(logged.find((line) => line.token)).toMatchObject({ owner: 'admin', token: server.token });
      expect(logged.filter((line) => line.msg === 'request').length).toBeGreaterThan(0);

      // Now this process may open it: same data, no new owner or token.
      const next = await startGateway(config({ databaseUrl: undefined, dataDir }), silent);
      try {
        expect(next.bootstrap).toEqual({ createdOrganization: false });
        expect(await gql(next.url, WHO_AND_WHERE, server.token)).toEqual(ADMIN_IN_CODER);
      } finally {
        await next.close();
      }
    } finally {
      if (server.child.exitCode === null) server.child.kill('SIGKILL');
    }
  });

  it('prints the first owner token even when that first start then fails, since no later start can', async () => {
    const fresh = await mkdtemp(join(tmpdir(), 'gateway-server-'));
    // The port is taken: the database is made and the owner created, then listening fails.
    const taken = createNetServer();
    await new Promise<void>((listening) => taken.listen(0, '127.0.0.1', listening));
    try {
      const { port } = taken.address() as AddressInfo;
      const failed = await runServer({ DATA_DIR: fresh, PORT: String(port), LOG_LEVEL: 'info' });
      expect(failed.code).toBe(1);
      // Why, plainly on stderr for the person at the terminal.
      expect(failed.stderr).toMatch(/^could not start: .*EADDRINUSE.*\n$/);
      const printed = [...failed.stdout.matchAll(/"token":"([^"]+)"/g)].map((m) => m[1]);
      expect(printed).toHaveLength(1);
      const next = await startGateway(config({ databaseUrl: undefined, dataDir: fresh }), silent);
      try {
        expect(next.bootstrap).toEqual({ createdOrganization: false });
        expect(await gql(next.url, WHO_AND_WHERE, printed[0])).toEqual(ADMIN_IN_CODER);
      } finally {
        await next.close();
      }
    } finally {
      taken.close();
      await rm(fresh, { recursive: true, force: true });
    }
  });

  it.runIf(SERVER_URL)(
    'on PostgreSQL: serves with the token it prints, and stops on SIGTERM with exit code 0',
    async () => {
      const databaseUrl = await createServerDatabase();
      try {
        const server = await startServer({ DATABASE_URL: databaseUrl });
        try {
          expect(await gql(server.url, WHO_AND_WHERE, server.token)).toEqual(ADMIN_IN_CODER);
          server.child.kill('SIGTERM');
          expect(await server.exited, server.stderr()).toBe(0);
        } finally {
          if (server.child.exitCode === null) server.child.kill('SIGKILL');
        }
      } finally {
        await dropServerDatabase(databaseUrl);
      }
    },
  );

  it.runIf(SERVER_URL)(
    'on PostgreSQL: exits within SHUTDOWN_TIMEOUT_MS on SIGTERM while a statement hangs on a silent network',
    async () => {
      const databaseUrl = await createServerDatabase();
      const proxy = await new TcpProxy().start(new URL(databaseUrl));
      try {
        const server = await startServer({
          DATABASE_URL: proxy.urlFor(databaseUrl),
          SHUTDOWN_TIMEOUT_MS: '1500',
          REQUEST_TIMEOUT_MS: '600000',
          DATABASE_STATEMENT_TIMEOUT_MS: '600000',
          SESSION_CACHE_MS: '0',
        });
        try {
          expect(await gql(server.url, WHO_AND_WHERE, server.token)).toEqual(ADMIN_IN_CODER);
          proxy.freeze();
          const hung = startRequest(server.url, JSON.stringify({ query: sourceOf(WHO_AND_WHERE) }), server.token);
          await hung.headersRead;
          hung.sendBody();
          await new Promise((resolve) => setTimeout(resolve, 500));
          const signalled = Date.now();
          server.child.kill('SIGTERM');
          await server.exited;
          // SHUTDOWN_TIMEOUT_MS, and some time for a loaded machine to schedule the exit.
          expect(Date.now() - signalled).toBeLessThan(1500 + 1500);
        } finally {
          if (server.child.exitCode === null) server.child.kill('SIGKILL');
        }
      } finally {
        await proxy.stop();
        await dropServerDatabase(databaseUrl);
      }
    },
  );

  it('exits 1 at once, saying why, for a DATA_DIR that cannot be made under a folder that refuses it', async () => {
    // Node's recursive mkdir loops for ever on /proc, and the process then ignored SIGTERM.
    const result = await runServer({ DATA_DIR: '/proc/gateway-test-data', LOG_LEVEL: 'silent' });
    expect(result.code, result.stderr).toBe(1);
    expect(result.stderr).toMatch(/could not start: .*\/proc\/gateway-test-data/);
  });

  it('refuses a HOST that is no address of this machine with exit code 2, naming it', async () => {
    // TEST-NET-1: no machine has it, and binding to it fails at once, with no lookup.
    const result = await runServer({ DATA_DIR: 'memory://', LOG_LEVEL: 'silent', HOST: '192.0.2.1' });
    expect(result.code, result.stderr).toBe(2);
    expect(result.stderr.trimEnd().split('\n')).toEqual([expect.stringContaining('HOST=192.0.2.1')]);
  });

  it('refuses bad configuration with exit code 2 and one line naming the setting, starting nothing', async () => {
    const unused = join(dataDir, 'never-created');
    const badTrustedDocuments = join(dataDir, 'trusted-documents.json');
    writeFileSync(badTrustedDocuments, JSON.stringify(['query { me { id } }']));
    const secret = 's3cret-Passw0rd';
    const cases: { env: Record<string, string>; setting: string }[] = [
      { env: { PORT: 'abc' }, setting: 'PORT' },
      { env: { DATABASE_URL: `mysql://admin:${secret}@db.example.com:3306/coder` }, setting: 'DATABASE_URL' },
      { env: { MIGRATE: 'maybe' }, setting: 'MIGRATE' },
      // A file of trusted documents is read with the settings: one that is missing or is not a map of documents is a
      // bad value, found before the database is opened.
      { env: { TRUSTED_DOCUMENTS: join(dataDir, 'no-such-file.json') }, setting: 'TRUSTED_DOCUMENTS' },
      { env: { TRUSTED_DOCUMENTS: badTrustedDocuments }, setting: 'TRUSTED_DOCUMENTS' },
    ];
    const results = await Promise.all(
      cases.map(({ env }) => runServer({ DATA_DIR: unused, LOG_LEVEL: 'info', ...env })),
    );
    results.forEach((result, i) => {
      const { setting } = cases[i]!;
      expect(result.code, `${setting}: ${result.stderr}`).toBe(2);
      const lines = result.stderr.trimEnd().split('\n');
      expect(lines, setting).toHaveLength(1);
      expect(lines[0]).toContain(setting);
      expect(result.stdout, setting).toBe('');
    });
    expect(results[0]!.stderr).toContain('abc');
    expect(results[2]!.stderr).toContain('maybe');
    expect(results[3]!.stderr).toContain('no such file');
    expect(results[4]!.stderr).toContain('must hold a JSON object of document hashes to documents');
    // A database URL may carry a password: named, never echoed.
    expect(results[1]!.stderr).not.toContain(secret);
    expect(results[1]!.stderr).not.toContain('mysql://');
    expect(results[1]!.stderr).not.toContain('db.example.com');
    expect(existsSync(unused)).toBe(false);
  });
});
