// `npm run bench:postgraphile`: the gateway against PostGraphile v5, on the
// same PostgreSQL database and data set as `npm run bench`, for every shape of
// every read (scripts/bench/operations.ts), driven in turns: the machine is
// shared, and its speed drifts from one hour to the next, so a rate measured
// at another time says little. Both servers run side by side and take turns
// under load (slices of a few seconds, gateway, PostGraphile, PostGraphile,
// gateway, ...), and the report gives each shape's ratios within the run.
// Beside the rates it prints what a request cost in CPU, the server's own and
// PostgreSQL's (from /proc, over the same slices: on a machine whose CPUs the
// servers, PostgreSQL and the load generator share, the rate follows the sum),
// and each server's answer size, which differs between shapes of one read.
//
// PostGraphile answers the same data in its own schema, each read made no
// harder for it than for the gateway: members in its default order (primary
// key; the gateway's is Coder's lower-cased username), organizations and users
// named by id (it has no lookup by name), stored role names without display
// names, and no authentication. Last, (b1) is measured once more for
// PostGraphile alone in the gateway's order, which its schema can only sort by
// through a computed column (a SQL function this script adds to the bench's
// database): the same answer as the gateway's.
//
// PostGraphile lives in its own folder (scripts/bench/postgraphile, with its
// own lockfile), installed from the npm registry on the first run, so that the
// gateway's install does not carry it.
//
//   npm run bench:postgraphile
//   npm run bench:postgraphile -- --duration 20 --slices 4
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { parseArgs } from 'node:util';
import pg from 'pg';
import { openDatabase } from '../../src/db/database.js';
import { createServerDatabase, dropServerDatabase } from '../../test/support/databases.js';
import { POSTGRES_DATASET, seedDataset, type Dataset } from './dataset.js';
import {
  type CpuPerRequest,
  graphqlRequest,
  load,
  loadWithCpu,
  meanOf,
  peakRssMb,
  startGatewayProcess,
  type Figures,
} from './harness.js';
import { countMembers, READS, SHAPES, type Ids } from './operations.js';

const { values: options } = parseArgs({
  options: {
    duration: { type: 'string', default: '8' },
    slices: { type: 'string', default: '2' },
    warmup: { type: 'string', default: '2' },
    connections: { type: 'string', default: '16' },
  },
});
const DURATION = Number(options.duration);
const SLICES = Number(options.slices);
const WARMUP = Number(options.warmup);
const CONNECTIONS = Number(options.connections);
const SERVER_URL = process.env.DATABASE_URL || 'postgresql://postgres@127.0.0.1:5432/test';
const POSTGRAPHILE_DIR = new URL('./postgraphile/', import.meta.url).pathname;

/**
 * Members in Coder's order for PostGraphile: a computed column it may sort by
 * (`@behavior +orderBy`), which adds USERNAME_KEY_ASC to its orderings.
 */
const USERNAME_ORDER = `
  CREATE FUNCTION organization_members_username_key(m organization_members) RETURNS text
    LANGUAGE sql STABLE AS $$ SELECT lower(u.username) FROM users u WHERE u.id = m.user_id $$;
  COMMENT ON FUNCTION organization_members_username_key(organization_members) IS '@behavior +orderBy';`;
const B_IN_USERNAME_ORDER = SHAPES.find((shape) => shape.key === 'b1')!
  .postgraphile({ organizationId: '', userId: '' })
  .replace(
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

    const gateway = await startGatewayProcess({
      DATABASE_URL: url,
      MIGRATE: 'false',
      DATABASE_POOL_SIZE: String(CONNECTIONS),
    });
    const byKey = new Map(SHAPES.map((shape) => [shape.key, shape]));
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
      query: (key) => byKey.get(key)!.postgraphile(ids),
      token: undefined,
    });
    // Uncompressed answer sizes: shapes of one read differ in what they carry, and the servers in their names.
    const answerBytes = new Map<string, [number, number]>();
    for (const shape of SHAPES) answerBytes.set(shape.key, await sameAnswers(shape.key, servers[0]!, servers[1]!));

    console.log(`# the gateway against PostGraphile v5, ${new Date().toISOString().slice(0, 10)}`);
    console.log(
      `node ${process.version}, PostgreSQL, ${POSTGRES_DATASET.organizations} organizations, ${POSTGRES_DATASET.users} users, ` +
        `${dataset.memberships} memberships; ${CONNECTIONS} connections, ${WARMUP} s warm-up each, then ${SLICES} slices of ` +
        `${(DURATION / SLICES).toFixed(1)} s per server and shape, in turns; pools of ${CONNECTIONS} connections\n`,
    );
    console.log(
      '| shape | gateway req/s | p50 ms | p99 ms | errors | PostGraphile req/s | p50 ms | p99 ms | errors ' +
        "| gateway ÷ PostGraphile req/s | PostGraphile ÷ gateway p99 | read's fastest ÷ shape (gateway) " +
        '| CPU ms a request, gateway + its PostgreSQL | PostGraphile + its PostgreSQL | answer KB, gateway | PostGraphile |',
    );
    console.log('|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|');
    const slices: string[] = [];
    for (const read of READS) {
      const figures = new Map<string, [Turns, Turns]>();
      for (const shape of read.shapes) figures.set(shape.key, await inTurns(shape.key, servers[0]!, servers[1]!));
      const fastest = Math.max(...[...figures.values()].map(([g]) => g.total.rps));
      for (const shape of read.shapes) {
        const [g, p] = figures.get(shape.key)!;
        const cells = (f: Figures) => `${f.rps.toFixed(0)} | ${f.p50.toFixed(1)} | ${f.p99.toFixed(1)} | ${f.errors}`;
        console.log(
          `| (${shape.key}) ${read.title}: ${shape.title} | ${cells(g.total)} | ${cells(p.total)} ` +
            `| ${(g.total.rps / p.total.rps).toFixed(2)} | ${(p.total.p99 / g.total.p99).toFixed(2)} ` +
            `| ${(fastest / g.total.rps).toFixed(2)} | ${cpuCell(g.cpu)} | ${cpuCell(p.cpu)} ` +
            `| ${answerBytes
              .get(shape.key)!
              .map((bytes) => (bytes / 1024).toFixed(1))
              .join(' | ')} |`,
        );
        const rates = (list: Figures[]) => list.map((f) => f.rps.toFixed(0)).join(', ');
        slices.push(`(${shape.key}) gateway ${rates(g.slices)}; PostGraphile ${rates(p.slices)}`);
      }
    }
    console.log(`\nreq/s per slice, in the order run:\n${slices.map((line) => `- ${line}`).join('\n')}`);
    // Alone and last: its statements outlive a slice by seconds, and would weigh on the next one.
    await fetch(postgraphile.url, graphqlRequest(B_IN_USERNAME_ORDER, undefined)); // a warm-up of one: each takes seconds
    const ordered = await load(postgraphile.url, B_IN_USERNAME_ORDER, undefined, DURATION, CONNECTIONS);
    console.log(
      `\n(b1) with PostGraphile's members in the gateway's order (lower-cased username, through a computed column): ` +
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

/** A server's answer to a shape, and its size in bytes. */
async function ask(server: Server, key: string): Promise<{ data: Record<string, unknown>; bytes: number }> {
  const response = await fetch(server.url, graphqlRequest(server.query(key), server.token));
  const text = await response.text();
  const body = JSON.parse(text) as { data?: Record<string, unknown>; errors?: unknown[] };
  if (body.errors || !body.data) throw new Error(`${server.name} failed (${key}): ${JSON.stringify(body.errors)}`);
  return { data: body.data, bytes: Buffer.byteLength(text) };
}

/**
 * Both servers answer each shape with as many memberships (the members
 * differ: the orders differ), so that neither is measured on an easier read.
 */
async function sameAnswers(key: string, gateway: Server, postgraphile: Server): Promise<[number, number]> {
  const [ours, theirs] = [await ask(gateway, key), await ask(postgraphile, key)];
  const [oursCount, theirsCount] = [countMembers(ours.data), countMembers(theirs.data)];
  if (oursCount !== theirsCount || oursCount === 0) {
    throw new Error(`(${key}) answers differ: gateway ${oursCount} memberships, PostGraphile ${theirsCount}`);
  }
  return [ours.bytes, theirs.bytes];
}

/** Each server warmed up, then driven for SLICES slices in turns: A B B A A B ... */
interface Turns {
  total: Figures;
  slices: Figures[];
  /** Means of the slices' CPU per request. */
  cpu: CpuPerRequest;
}

const cpuCell = ({ server, database }: CpuPerRequest) =>
  `${server.toFixed(2)} + ${database.toFixed(2)} = ${(server + database).toFixed(2)}`;

async function inTurns(key: string, a: Server, b: Server): Promise<[Turns, Turns]> {
  const drive = (server: Server, seconds: number) =>
    loadWithCpu(server.process.pid!, server.url, server.query(key), server.token, seconds, CONNECTIONS);
  await drive(a, WARMUP);
  await drive(b, WARMUP);
  const slices: [Awaited<ReturnType<typeof drive>>[], Awaited<ReturnType<typeof drive>>[]] = [[], []];
  for (let i = 0; i < SLICES; i++) {
    const order: [Server, Figures[]][] = [
      [a, slices[0]],
      [b, slices[1]],
    ];
    if (i % 2 === 1) order.reverse();
    for (const [server, figures] of order) figures.push(await drive(server, DURATION / SLICES));
  }
  const turns = (figures: Awaited<ReturnType<typeof drive>>[]): Turns => ({
    total: meanOf(...figures),
    slices: figures,
    cpu: {
      server: figures.reduce((sum, f) => sum + f.cpu.server, 0) / figures.length,
      database: figures.reduce((sum, f) => sum + f.cpu.database, 0) / figures.length,
    },
  });
  return [turns(slices[0]), turns(slices[1])];
}

await main();
