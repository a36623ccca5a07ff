// `npm run bench:postgraphile`: the gateway against PostGraphile v5, on the
// same PostgreSQL database and data set as `npm run bench`, driven in turns.
// The issue's targets are PostGraphile's rates measured once on this kind of
// machine; the machine is shared, and its speed moves by up to 40% within an
// hour, so a rate measured at another time says little. Here both servers run
// side by side and take turns under load (slices of a few seconds, in the
// order gateway, PostGraphile, PostGraphile, gateway, ...), and the report
// gives each operation's ratio within the run.
//
// PostGraphile answers the same three reads in its own schema, each made no
// harder for it than the issue's setup: members in its default order (primary
// key; the gateway's is Coder's lower-cased username), organizations and users
// named by id (it has no lookup by name), stored role names without display
// names, and no authentication. Last, (b) is measured once more for
// PostGraphile alone in the gateway's order, which its schema can only sort by
// through a computed column (a SQL function this script adds to the bench's
// database): the same answer as the gateway's.
//
// PostGraphile lives in its own folder (scripts/bench/postgraphile, with its
// own lockfile), installed from the npm registry on the first run, so that the
// gateway's install does not carry it.
//
//   npm run bench:postgraphile
//   npm run bench:postgraphile -- --duration 30 --slices 6
//   npm run bench:postgraphile -- --semi-space 32   # the gateway with node --max-semi-space-size=32
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { parseArgs } from 'node:util';
import pg from 'pg';
import { openDatabase } from '../../src/db/database.js';
import { createServerDatabase, dropServerDatabase } from '../../test/support/databases.js';
import { POSTGRES_DATASET, seedDataset, type Dataset } from './dataset.js';
import { graphqlRequest, load, meanOf, peakRssMb, startGatewayProcess, type Figures } from './harness.js';
import { OPERATIONS } from './operations.js';

const { values: options } = parseArgs({
  options: {
    duration: { type: 'string', default: '15' },
    slices: { type: 'string', default: '3' },
    warmup: { type: 'string', default: '3' },
    connections: { type: 'string', default: '16' },
    'semi-space': { type: 'string' },
  },
});
const DURATION = Number(options.duration);
const SLICES = Number(options.slices);
const WARMUP = Number(options.warmup);
const CONNECTIONS = Number(options.connections);
/** A young generation given to node, over the gateway's own choice (src/server.ts). */
const SEMI_SPACE_MB = options['semi-space'] === undefined ? undefined : Number(options['semi-space']);
const SERVER_URL = process.env.DATABASE_URL || 'postgresql://postgres@127.0.0.1:5432/test';
const POSTGRAPHILE_DIR = new URL('./postgraphile/', import.meta.url).pathname;

/** The issue's figures for PostGraphile v5 on this kind of machine. */
const TARGETS: Record<string, { rps: number; p99: number }> = {
  a: { rps: 330, p99: 90 },
  b: { rps: 43, p99: 830 },
  c: { rps: 1700, p99: 36 },
};

/** Ids for the reads PostGraphile can only address by primary key. */
interface Ids {
  organizationId: string;
  userId: string;
}

/** The same reads as OPERATIONS, in PostGraphile's schema (see the header for how they differ). */
const POSTGRAPHILE_QUERIES: Record<string, (ids: Ids) => string> = {
  a: ({ organizationId }) => `{ organizationByRowId(rowId: "${organizationId}") {
    organizationMembersByOrganizationId(first: 100) { totalCount nodes {
      userId roles createdAt updatedAt userByUserId { username name email avatarUrl rbacRoles } } } } }`,
  b: () => `{ allOrganizations { nodes { rowId name displayName organizationMembersByOrganizationId(first: 50) {
    pageInfo { hasNextPage } nodes { userId roles userByUserId { username name email rbacRoles } } } } } }`,
  c: ({
    organizationId,
    userId,
  }) => `{ organizationMemberByOrganizationIdAndUserId(organizationId: "${organizationId}", userId: "${userId}") {
    userId roles userByUserId { username name email rbacRoles } } }`,
};

/**
 * Members in Coder's order for PostGraphile: a computed column it may sort by
 * (`@behavior +orderBy`), which adds USERNAME_KEY_ASC to its orderings.
 */
const USERNAME_ORDER = `
  CREATE FUNCTION organization_members_username_key(m organization_members) RETURNS text
    LANGUAGE sql STABLE AS $$ SELECT lower(u.username) FROM users u WHERE u.id = m.user_id $$;
  COMMENT ON FUNCTION organization_members_username_key(organization_members) IS '@behavior +orderBy';`;
const B_IN_USERNAME_ORDER = POSTGRAPHILE_QUERIES.b!({ organizationId: '', userId: '' }).replace(
  'organizationMembersByOrganizationId(first: 50)',
  'organizationMembersByOrganizationId(first: 50, orderBy: USERNAME_KEY_ASC)',
);

interface Server {
  name: string;
  url: string;
  process: ChildProcess;
  query: (key: string) => string;
  token: string | undefined;
}

async function main() {
  installPostGraphile();
  const url = await createServerDatabase(SERVER_URL);
  const servers: Server[] = [];
  try {
    const database = await openDatabase({ databaseUrl: url, dataDir: '', databasePoolSize: 4 });
    await database.migrate();
    const dataset = await seedDataset(database, POSTGRES_DATASET);
    await database.close();
    const ids = await idsOf(url, dataset);
    await run(url, USERNAME_ORDER); // before PostGraphile starts: it reads the schema once

    const gateway = await startGatewayProcess(
      { DATABASE_URL: url, MIGRATE: 'false', DATABASE_POOL_SIZE: String(CONNECTIONS) },
      SEMI_SPACE_MB,
    );
    const byKey = new Map(OPERATIONS.map((op) => [op.key, op]));
    servers.push({
      name: 'gateway',
      ...gateway,
      query: (key) => byKey.get(key)!.query(dataset),
      token: dataset.ownerToken,
    });
    const postgraphile = await startPostGraphile(url);
    servers.push({
      name: 'PostGraphile',
      ...postgraphile,
      query: (key) => POSTGRAPHILE_QUERIES[key]!(ids),
      token: undefined,
    });
    for (const op of OPERATIONS) await sameAnswers(op.key, servers[0]!, servers[1]!);

    console.log(`# the gateway against PostGraphile v5, ${new Date().toISOString().slice(0, 10)}`);
    console.log(
      `node ${process.version}, PostgreSQL, ${POSTGRES_DATASET.organizations} organizations, ${POSTGRES_DATASET.users} users, ` +
        `${dataset.memberships} memberships; ${CONNECTIONS} connections, ${WARMUP} s warm-up each, then ${SLICES} slices of ` +
        `${(DURATION / SLICES).toFixed(1)} s per server and operation, in turns; pools of ${CONNECTIONS} connections` +
        (SEMI_SPACE_MB === undefined ? '' : `; gateway with --max-semi-space-size=${SEMI_SPACE_MB}`) +
        '\n',
    );
    console.log(
      '| operation | gateway req/s | p50 ms | p99 ms | errors | PostGraphile req/s | p50 ms | p99 ms | errors ' +
        '| gateway ÷ PostGraphile req/s | issue target req/s, p99 ms |',
    );
    console.log('|---|---|---|---|---|---|---|---|---|---|---|');
    const slices: string[] = [];
    for (const op of OPERATIONS) {
      const [g, p] = await inTurns(op.key, servers[0]!, servers[1]!);
      const cells = (f: Figures) => `${f.rps.toFixed(0)} | ${f.p50.toFixed(1)} | ${f.p99.toFixed(1)} | ${f.errors}`;
      console.log(
        `| (${op.key}) ${op.title} | ${cells(g.total)} | ${cells(p.total)} | ${(g.total.rps / p.total.rps).toFixed(2)} ` +
          `| ${TARGETS[op.key]!.rps}, ${TARGETS[op.key]!.p99} |`,
      );
      const rates = (figures: Figures[]) => figures.map((f) => f.rps.toFixed(0)).join(', ');
      slices.push(`(${op.key}) gateway ${rates(g.slices)}; PostGraphile ${rates(p.slices)}`);
    }
    console.log(`\nreq/s per slice, in the order run:\n${slices.map((line) => `- ${line}`).join('\n')}`);
    // Alone and last: its statements outlive a slice by seconds, and would weigh on the next one.
    await fetch(postgraphile.url, graphqlRequest(B_IN_USERNAME_ORDER, undefined)); // a warm-up of one: each takes seconds
    const ordered = await load(postgraphile.url, B_IN_USERNAME_ORDER, undefined, DURATION, CONNECTIONS);
    console.log(
      `\n(b) with PostGraphile's members in the gateway's order (lower-cased username, through a computed column): ` +
        `${ordered.rps.toFixed(1)} req/s, p50 ${ordered.p50.toFixed(0)} ms, p99 ${ordered.p99.toFixed(0)} ms, ${ordered.errors} errors`,
    );
    console.log(
      `\npeak RSS: gateway ${peakRssMb(gateway.process.pid!).toFixed(0)} MB, PostGraphile ${peakRssMb(postgraphile.process.pid!).toFixed(0)} MB`,
    );
    console.log('p50 and p99 are the means of the slices; req/s is requests over the whole time.\n');
  } finally {
    for (const server of servers) server.process.kill('SIGTERM');
    await Promise.all(servers.map((server) => new Promise((resolve) => server.process.once('exit', resolve))));
    await dropServerDatabase(url, SERVER_URL);
  }
}

/** PostGraphile from its own lockfile, once. */
function installPostGraphile() {
  if (existsSync(`${POSTGRAPHILE_DIR}node_modules/postgraphile/package.json`)) return;
  console.error('installing PostGraphile for the comparison (scripts/bench/postgraphile, from its lockfile)');
  execFileSync('npm', ['ci', '--no-audit', '--no-fund', '--loglevel=error'], {
    cwd: POSTGRAPHILE_DIR,
    stdio: 'inherit',
  });
}

async function run(url: string, sql: string) {
  const client = new pg.Client(url);
  await client.connect();
  try {
    await client.query(sql);
  } finally {
    await client.end();
  }
}

async function idsOf(url: string, dataset: Dataset): Promise<Ids> {
  const client = new pg.Client(url);
  await client.connect();
  try {
    const { rows } = await client.query<Ids>(
      `SELECT o.id AS "organizationId", u.id AS "userId" FROM organizations o, users u WHERE o.name = $1 AND u.username = $2`,
      [dataset.largestOrganization, dataset.someMember],
    );
    return rows[0]!;
  } finally {
    await client.end();
  }
}

function startPostGraphile(databaseUrl: string): Promise<{ url: string; process: ChildProcess }> {
  const child = spawn(process.execPath, ['server.mjs'], {
    cwd: POSTGRAPHILE_DIR,
    env: {
      ...process.env,
      DATABASE_URL: databaseUrl,
      POOL_SIZE: String(CONNECTIONS),
      PORT: '0',
      NODE_ENV: 'production',
    },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  return new Promise((resolve, reject) => {
    child.once('exit', (code) => reject(new Error(`PostGraphile exited with ${code}`)));
    child.stdout!.once('data', (chunk: Buffer) => {
      child.stdout!.resume();
      resolve({ url: (JSON.parse(chunk.toString()) as { url: string }).url, process: child });
    });
  });
}

async function ask(server: Server, key: string): Promise<Record<string, unknown>> {
  const response = await fetch(server.url, graphqlRequest(server.query(key), server.token));
  const body = (await response.json()) as { data?: Record<string, unknown>; errors?: unknown[] };
  if (body.errors || !body.data) throw new Error(`${server.name} failed (${key}): ${JSON.stringify(body.errors)}`);
  return body.data;
}

/**
 * Both servers answer each read with the same amount of data (the members
 * differ: the orders differ), so that neither is measured on an easier read.
 */
async function sameAnswers(key: string, gateway: Server, postgraphile: Server) {
  // The answers' shapes are those of the queries above; `any` only reads them.
  type Any = any;
  const g: Any = await ask(gateway, key);
  const p: Any = await ask(postgraphile, key);
  const shapes: Record<string, () => [unknown, unknown]> = {
    a: () => [
      [g.paginatedOrganizationMembers.count, g.paginatedOrganizationMembers.members.length],
      [
        p.organizationByRowId.organizationMembersByOrganizationId.totalCount,
        p.organizationByRowId.organizationMembersByOrganizationId.nodes.length,
      ],
    ],
    b: () => [
      g.organizations.map((o: Any) => o.members.edges.length),
      p.allOrganizations.nodes.map((o: Any) => o.organizationMembersByOrganizationId.nodes.length),
    ],
    c: () => [g.organizationMember.userId, p.organizationMemberByOrganizationIdAndUserId.userId],
  };
  const [ours, theirs] = shapes[key]!();
  if (JSON.stringify(ours) !== JSON.stringify(theirs)) {
    throw new Error(
      `(${key}) answers differ in size: gateway ${JSON.stringify(ours)}, PostGraphile ${JSON.stringify(theirs)}`,
    );
  }
}

/** Each server warmed up, then driven for SLICES slices in turns: A B B A A B ... */
interface Turns {
  total: Figures;
  slices: Figures[];
}

async function inTurns(key: string, a: Server, b: Server): Promise<[Turns, Turns]> {
  const drive = (server: Server, seconds: number) =>
    load(server.url, server.query(key), server.token, seconds, CONNECTIONS);
  await drive(a, WARMUP);
  await drive(b, WARMUP);
  const slices: [Figures[], Figures[]] = [[], []];
  for (let i = 0; i < SLICES; i++) {
    const order: [Server, Figures[]][] = [
      [a, slices[0]],
      [b, slices[1]],
    ];
    if (i % 2 === 1) order.reverse();
    for (const [server, figures] of order) figures.push(await drive(server, DURATION / SLICES));
  }
  const turns = (figures: Figures[]): Turns => ({ total: meanOf(...figures), slices: figures });
  return [turns(slices[0]), turns(slices[1])];
}

await main();
