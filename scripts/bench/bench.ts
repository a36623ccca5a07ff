// `npm run bench`: the gateway under load on PostgreSQL and on the embedded
// PGlite. For each database: create it, fill it with the deterministic data
// set, start the gateway as `npm start` does (its own process), and drive
// three reads over HTTP with autocannon (16 connections, a warm-up, then a
// timed run), printing requests per second, p50/p99 latency, errors, SQL
// statements per request and the gateway's peak RSS. The same reads as plain
// SQL (no HTTP, no GraphQL) give the floor each operation is compared with;
// on PostgreSQL, both sent as they are and prepared once per connection, and
// the statements the gateway itself runs for the read, replayed (what GraphQL
// and HTTP add), each measured half just before and half just after the
// gateway's run of that operation (the machine is shared: a floor taken
// minutes earlier may have seen another load), and a bare Node HTTP server
// answering (c)'s response as a constant shows what HTTP alone allows on this
// machine.
//
//   npm run bench                          # both databases, 15 s per operation
//   npm run bench -- --db postgres --duration 5
//   npm run bench -- --db postgres --workers 2   # WORKERS=2: two gateway processes
//   npm run bench -- --db postgres --semi-space 32  # node --max-semi-space-size=32 over the gateway's own choice
//   SESSION_CACHE_MS=0 npm run bench               # no session cache: every request reads its token
//   RESPONSE_CACHE_MS=1000 npm run bench           # the response cache on (off for the targets)
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import pg from 'pg';
import { loadConfig } from '../../src/config.js';
import { openDatabase, type Database } from '../../src/db/database.js';
import { createGateway } from '../../src/yoga.js';
import { createServerDatabase, dropServerDatabase } from '../../test/support/databases.js';
import {
  graphqlRequest,
  load as loadWith,
  meanOf,
  peakRssMb,
  startGatewayProcess,
  type Figures,
  type GatewayProcess,
} from './harness.js';
import { PGLITE_DATASET, POSTGRES_DATASET, seedDataset, type Dataset, type DatasetSize } from './dataset.js';
import { OPERATIONS, type Operation } from './operations.js';

const { values: options } = parseArgs({
  options: {
    db: { type: 'string', default: 'all' },
    duration: { type: 'string', default: '15' },
    warmup: { type: 'string', default: '3' },
    connections: { type: 'string', default: '16' },
    workers: { type: 'string', default: '1' },
    'semi-space': { type: 'string' },
  },
});
const DURATION = Number(options.duration);
const WARMUP = Number(options.warmup);
const CONNECTIONS = Number(options.connections);
/** PostgreSQL only: a young generation given to node, over the gateway's own choice (src/server.ts). */
const SEMI_SPACE_MB = options['semi-space'] === undefined ? undefined : Number(options['semi-space']);
const SERVER_URL = process.env.DATABASE_URL || 'postgresql://postgres@127.0.0.1:5432/test';
const { sessionCacheMs: SESSION_CACHE_MS, responseCacheMs: RESPONSE_CACHE_MS } = loadConfig({
  SESSION_CACHE_MS: process.env.SESSION_CACHE_MS,
  RESPONSE_CACHE_MS: process.env.RESPONSE_CACHE_MS,
});

async function main() {
  const kinds = options.db === 'all' ? ['postgres', 'pglite'] : [options.db!];
  console.log(`# members gateway benchmark, ${new Date().toISOString().slice(0, 10)}`);
  console.log(
    `node ${process.version}, ${CONNECTIONS} connections, ${WARMUP} s warm-up, ${DURATION} s per operation, ` +
      `session cache ${SESSION_CACHE_MS} ms, ` +
      (RESPONSE_CACHE_MS
        ? `response cache ${RESPONSE_CACHE_MS} ms (SQL/request counts a request the cache cannot answer)\n`
        : 'no response cache\n'),
  );
  for (const kind of kinds) {
    if (kind === 'postgres') await benchPostgres();
    else if (kind === 'pglite') await benchPGlite();
    else throw new Error(`--db must be postgres, pglite or all, not ${kind}`);
  }
}

async function benchPostgres() {
  const url = await createServerDatabase(SERVER_URL);
  try {
    const database = await openDatabase({ databaseUrl: url, dataDir: '', databasePoolSize: 4 });
    await database.migrate();
    const dataset = await seedDataset(database, POSTGRES_DATASET);
    const statements = await statementsPerRequest(database, dataset);
    await database.close();
    const gateway = await startGatewayProcess(
      { DATABASE_URL: url, MIGRATE: 'false', DATABASE_POOL_SIZE: '16', WORKERS: options.workers! },
      SEMI_SPACE_MB,
    );
    const floors = postgresFloors(url, dataset, statements);
    try {
      await report('PostgreSQL', POSTGRES_DATASET, dataset, gateway, statements, floors.measure);
    } finally {
      gateway.process.kill('SIGTERM');
      await floors.close();
    }
  } finally {
    await dropServerDatabase(url, SERVER_URL);
  }
}

async function benchPGlite() {
  const dataDir = mkdtempSync(join(tmpdir(), 'gateway-bench-'));
  try {
    const database = await openDatabase({ databaseUrl: undefined, dataDir, databasePoolSize: 1 });
    await database.migrate();
    const dataset = await seedDataset(database, PGLITE_DATASET);
    const statements = await statementsPerRequest(database, dataset);
    // Measured before the gateway starts: PGlite serves one process at a time.
    const floorFigures: Record<string, Floors> = {};
    for (const op of OPERATIONS) {
      const { text, values } = op.sql(dataset);
      floorFigures[op.key] = { plain: await floorOf(DURATION, () => database.prisma.$queryRawUnsafe(text, ...values)) };
    }
    await database.close(); // PGlite serves one process: hand the folder to the gateway
    const gateway = await startGatewayProcess({ DATA_DIR: dataDir, MIGRATE: 'false' });
    try {
      await report('embedded PGlite', PGLITE_DATASET, dataset, gateway, statements, floorFigures);
    } finally {
      gateway.process.kill('SIGTERM');
      await new Promise((resolve) => gateway.process.once('exit', resolve));
    }
  } finally {
    rmSync(dataDir, { recursive: true, force: true });
  }
}

/** A statement as the gateway sent it. */
interface Statement {
  text: string;
  values: readonly unknown[];
}

/**
 * The statements one request of each operation runs, recorded in process
 * through the same code and the same session cache as the gateway
 * (SESSION_CACHE_MS from the environment, as the gateway process reads it):
 * counted for the report, and replayed for the floor of the gateway's own
 * statements.
 */
async function statementsPerRequest(database: Database, dataset: Dataset): Promise<Record<string, Statement[]>> {
  const yoga = createGateway({ database, sessionCacheMs: SESSION_CACHE_MS });
  const recorded: Record<string, Statement[]> = {};
  for (const op of OPERATIONS) {
    const fetchIn: Fetch = (url, init) => yoga.fetch(url, init);
    await graphql(fetchIn, op.query(dataset), dataset.ownerToken); // warm: the session's last_used refresh is not counted
    const statements: Statement[] = [];
    const stop = database.onStatement((text, values) => statements.push({ text, values }));
    await graphql(fetchIn, op.query(dataset), dataset.ownerToken);
    stop();
    recorded[op.key] = statements;
  }
  return recorded;
}

type Fetch = (url: string, init: RequestInit) => Promise<Response> | Response;

async function graphql(fetchFn: Fetch, query: string, token: string) {
  const response = await fetchFn('http://bench/graphql', graphqlRequest(query, token));
  const body = (await response.json()) as { errors?: unknown[] };
  if (body.errors) throw new Error(`benchmark query failed: ${JSON.stringify(body.errors)}`);
  return body;
}

/**
 * One operation's floor: the read as plain SQL, and on PostgreSQL also
 * prepared once per connection, and the statements the gateway itself runs
 * for it, replayed in order and prepared: what GraphQL and HTTP add.
 */
interface Floors {
  plain: Figures;
  prepared?: Figures;
  own?: Figures;
}

/** Measures one operation's floors for `seconds` each. */
type FloorMeasure = (op: Operation, seconds: number) => Promise<Floors>;

/**
 * The floors on PostgreSQL: each statement sent as it is, parsed and planned
 * every time, or prepared once per connection as the gateway prepares its
 * own, which is the cheapest way pg can run it.
 */
function postgresFloors(
  url: string,
  dataset: Dataset,
  recorded: Record<string, Statement[]>,
): { measure: FloorMeasure; close: () => Promise<void> } {
  const plain = new pg.Pool({ connectionString: url, max: CONNECTIONS });
  const prepared = new pg.Pool({ connectionString: url, max: CONNECTIONS });
  // As the gateway's connections are set up (src/db/database.ts), so that its statements run with the same plans.
  const own = new pg.Pool({
    connectionString: url,
    max: CONNECTIONS,
    options: '-c plan_cache_mode=force_generic_plan',
  });
  const names = new Map<string, string>();
  const nameOf = (text: string) => names.get(text) ?? names.set(text, `floor_${names.size}`).get(text)!;
  const runPrepared = (pool: pg.Pool, { text, values }: Statement) =>
    pool.query({ name: nameOf(text), text, values: [...values] });
  return {
    measure: async (op, seconds) => ({
      plain: await floorOf(seconds, () => plain.query(op.sql(dataset))),
      prepared: await floorOf(seconds, () => runPrepared(prepared, op.sql(dataset))),
      own: await floorOf(seconds, async () => {
        for (const statement of recorded[op.key]!) await runPrepared(own, statement);
      }),
    }),
    close: async () => {
      await Promise.all([plain.end(), prepared.end(), own.end()]);
    },
  };
}

/** `run` called by CONNECTIONS concurrent callers for the warm-up, then for `seconds`. */
async function floorOf(seconds: number, run: () => Promise<unknown>): Promise<Figures> {
  const drive = async (seconds: number) => {
    const latencies: number[] = [];
    const end = performance.now() + seconds * 1000;
    await Promise.all(
      Array.from({ length: CONNECTIONS }, async () => {
        while (performance.now() < end) {
          const start = performance.now();
          await run();
          latencies.push(performance.now() - start);
        }
      }),
    );
    return latencies;
  };
  await drive(WARMUP);
  const latencies = (await drive(seconds)).sort((a, b) => a - b);
  return {
    rps: latencies.length / seconds,
    p50: latencies[Math.floor(latencies.length * 0.5)] ?? 0,
    p99: latencies[Math.floor(latencies.length * 0.99)] ?? 0,
    errors: 0,
  };
}

/** `query` posted by CONNECTIONS concurrent clients for `seconds`. */
const load = (url: string, query: string, token: string, seconds: number) =>
  loadWith(url, query, token, seconds, CONNECTIONS);

/**
 * Drives each operation through the gateway and prints it beside its floor.
 * `floors` is either measured around each gateway run, half before and half
 * after (PostgreSQL), so that a ratio compares the same stretch of time on
 * this shared machine, or given, measured earlier (PGlite).
 */
async function report(
  name: string,
  size: DatasetSize,
  dataset: Dataset,
  gateway: GatewayProcess,
  statements: Record<string, Statement[]>,
  floors: FloorMeasure | Record<string, Floors>,
) {
  const workers = name === 'PostgreSQL' ? Number(options.workers) : 1;
  console.log(
    `## ${name}: ${size.organizations} organizations, ${size.users} users, ${dataset.memberships} memberships, ${workers} gateway process(es)` +
      (name === 'PostgreSQL' && SEMI_SPACE_MB !== undefined ? `, --max-semi-space-size=${SEMI_SPACE_MB}` : '') +
      '\n',
  );
  console.log(
    '| operation | req/s | p50 ms | p99 ms | errors | SQL/request | floor req/s | floor p99 ms | floor ÷ gateway req/s ' +
      "| prepared floor req/s | prepared floor ÷ gateway req/s | gateway's own statements req/s | own statements ÷ gateway req/s |",
  );
  console.log('|---|---|---|---|---|---|---|---|---|---|---|---|---|');
  const gatewayFigures: Record<string, Figures> = {};
  for (const op of OPERATIONS) {
    await graphql((_, init) => fetch(gateway.url, init), op.query(dataset), dataset.ownerToken); // fails loudly if the query is wrong
    const before = typeof floors === 'function' ? await floors(op, DURATION / 2) : floors[op.key]!;
    await load(gateway.url, op.query(dataset), dataset.ownerToken, WARMUP);
    const g = (gatewayFigures[op.key] = await load(gateway.url, op.query(dataset), dataset.ownerToken, DURATION));
    const after = typeof floors === 'function' ? await floors(op, DURATION / 2) : undefined;
    const f = after ? meanOf(before.plain, after.plain) : before.plain;
    const p = before.prepared && after?.prepared ? meanOf(before.prepared, after.prepared) : before.prepared;
    const o = before.own && after?.own ? meanOf(before.own, after.own) : before.own;
    const figures = (floor: Figures | undefined) =>
      floor ? `${floor.rps.toFixed(0)} | ${(floor.rps / g.rps).toFixed(2)}` : '- | -';
    console.log(
      `| (${op.key}) ${op.title} | ${g.rps.toFixed(0)} | ${g.p50.toFixed(1)} | ${g.p99.toFixed(1)} | ${g.errors} | ${statements[op.key]!.length} | ` +
        `${f.rps.toFixed(0)} | ${f.p99.toFixed(1)} | ${(f.rps / g.rps).toFixed(2)} | ${figures(p)} | ${figures(o)} |`,
    );
  }
  console.log(`\ngateway peak RSS (all its processes): ${peakRssMb(gateway.process.pid!).toFixed(0)} MB\n`);
  if (typeof floors !== 'function') return;
  const c = OPERATIONS.find((op) => op.key === 'c')!;
  const answer = await (await fetch(gateway.url, graphqlRequest(c.query(dataset), dataset.ownerToken))).text();
  const ceiling = await httpCeiling(answer, c.query(dataset), dataset.ownerToken);
  console.log(
    `HTTP ceiling: ${ceiling.rps.toFixed(0)} req/s, p99 ${ceiling.p99.toFixed(1)} ms, from a bare Node server answering (c)'s ` +
      `${answer.length}-byte response as a constant (no GraphQL, no database); gateway (c) ÷ ceiling ${(gatewayFigures.c!.rps / ceiling.rps).toFixed(2)}\n`,
  );
}

/** A Node HTTP server that reads each request and answers BODY: no server on this machine answers faster. */
const CONSTANT_SERVER = `
  const body = process.env.BODY;
  const headers = { 'content-type': 'application/json; charset=utf-8', 'content-length': Buffer.byteLength(body) };
  const server = require('node:http').createServer((req, res) => {
    req.resume();
    req.on('end', () => res.writeHead(200, headers).end(body));
  });
  server.listen(0, '127.0.0.1', () => console.log(server.address().port));`;

/** `answer` served as a constant, driven with the same requests as the gateway. */
async function httpCeiling(answer: string, query: string, token: string): Promise<Figures> {
  const child = spawn(process.execPath, ['-e', CONSTANT_SERVER], {
    env: { BODY: answer },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  try {
    const port = await new Promise<string>((resolve, reject) => {
      child.once('exit', (code) => reject(new Error(`constant server exited with ${code}`)));
      child.stdout!.once('data', (chunk: Buffer) => resolve(chunk.toString().trim()));
    });
    const url = `http://127.0.0.1:${port}/graphql`;
    await load(url, query, token, WARMUP);
    return await load(url, query, token, DURATION);
  } finally {
    child.kill('SIGTERM');
  }
}

await main();
