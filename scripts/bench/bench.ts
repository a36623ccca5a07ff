// `npm run bench`: the gateway under load on PostgreSQL and on the embedded
// PGlite, for every shape of every read in scripts/bench/operations.ts. For
// each database: create it, fill it with the deterministic data set, start the
// gateway as `npm start` does (its own process), and drive each shape over
// HTTP with autocannon (16 connections, a warm-up, then a timed run), printing
// requests per second, p50/p99 latency, errors, SQL statements per request and
// the shape's rate against its read's fastest shape; then the gateway's peak
// RSS. Each read's plain SQL (no HTTP, no GraphQL), driven the same way, is its
// floor. Shapes of one read run in turns (slices, in alternating order), so
// that the machine's drift does not favour one shape.
//
//   npm run bench                                   # both databases
//   npm run bench -- --db postgres --duration 10 --slices 2
//   npm run bench -- --db postgres --workers 2      # WORKERS=2: two gateway processes
//   SESSION_CACHE_MS=0 npm run bench                # no session cache: every request reads its token
//   RESPONSE_CACHE_MS=1000 npm run bench            # the response cache on (off for the targets)
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import pg from 'pg';
import { loadConfig } from '../../src/config.js';
import { openDatabase, type Database } from '../../src/db/database.js';
import { createGateway } from '../../src/yoga.js';
import { createServerDatabase, dropServerDatabase } from '../../test/support/databases.js';
import { PGLITE_DATASET, POSTGRES_DATASET, seedDataset, type Dataset, type DatasetSize } from './dataset.js';
import {
  graphqlRequest,
  load as loadWith,
  meanOf,
  peakRssMb,
  startGatewayProcess,
  type Figures,
  type GatewayProcess,
} from './harness.js';
import { READS, SHAPES, type Read } from './operations.js';

const { values: options } = parseArgs({
  options: {
    db: { type: 'string', default: 'all' },
    duration: { type: 'string', default: '10' },
    slices: { type: 'string', default: '2' },
    warmup: { type: 'string', default: '2' },
    connections: { type: 'string', default: '16' },
    workers: { type: 'string', default: '1' },
  },
});
const DURATION = Number(options.duration);
const SLICES = Number(options.slices);
const WARMUP = Number(options.warmup);
const CONNECTIONS = Number(options.connections);
const SERVER_URL = process.env.DATABASE_URL || 'postgresql://postgres@127.0.0.1:5432/test';
const { sessionCacheMs: SESSION_CACHE_MS, responseCacheMs: RESPONSE_CACHE_MS } = loadConfig({
  SESSION_CACHE_MS: process.env.SESSION_CACHE_MS,
  RESPONSE_CACHE_MS: process.env.RESPONSE_CACHE_MS,
});

async function main() {
  const kinds = options.db === 'all' ? ['postgres', 'pglite'] : [options.db!];
  console.log(`# members gateway benchmark, ${new Date().toISOString().slice(0, 16).replace('T', ' ')} UTC`);
  console.log(
    `node ${process.version}, ${CONNECTIONS} connections, ${WARMUP} s warm-up, ${DURATION} s per shape in ${SLICES} ` +
      `slices, session cache ${SESSION_CACHE_MS} ms, ` +
      (RESPONSE_CACHE_MS ? `response cache ${RESPONSE_CACHE_MS} ms\n` : 'no response cache\n'),
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
    const gateway = await startGatewayProcess({
      DATABASE_URL: url,
      MIGRATE: 'false',
      DATABASE_POOL_SIZE: '16',
      WORKERS: options.workers!,
    });
    const floorPool = new pg.Pool({ connectionString: url, max: CONNECTIONS });
    try {
      await report('PostgreSQL', POSTGRES_DATASET, dataset, gateway, statements, (read) =>
        floorOf(DURATION / 2, () => floorPool.query(read.sql(dataset))),
      );
    } finally {
      gateway.process.kill('SIGTERM');
      await floorPool.end();
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
    const floors = new Map<string, Figures>();
    for (const read of READS) {
      const { text, values } = read.sql(dataset);
      floors.set(read.key, await floorOf(DURATION / 2, () => database.prisma.$queryRawUnsafe(text, ...values)));
    }
    await database.close(); // hand the folder to the gateway
    const gateway = await startGatewayProcess({ DATA_DIR: dataDir, MIGRATE: 'false' });
    try {
      await report(
        'embedded PGlite',
        PGLITE_DATASET,
        dataset,
        gateway,
        statements,
        async (read) => floors.get(read.key)!,
      );
    } finally {
      gateway.process.kill('SIGTERM');
      await new Promise((resolve) => gateway.process.once('exit', resolve));
    }
  } finally {
    rmSync(dataDir, { recursive: true, force: true });
  }
}

/**
 * The statements one request of each shape runs, counted in process through
 * the same code and session cache as the gateway (SESSION_CACHE_MS from the
 * environment, as the gateway process reads it).
 */
async function statementsPerRequest(database: Database, dataset: Dataset): Promise<Map<string, number>> {
  const yoga = createGateway({ database, sessionCacheMs: SESSION_CACHE_MS });
  const counts = new Map<string, number>();
  for (const shape of SHAPES) {
    const ask = async () => {
      const response = await yoga.fetch(
        'http://bench/graphql',
        graphqlRequest(shape.query(dataset), dataset.ownerToken),
      );
      const body = (await response.json()) as { errors?: unknown[] };
      if (body.errors) throw new Error(`${shape.key} failed: ${JSON.stringify(body.errors)}`);
    };
    await ask(); // warm: the session's last_used refresh is not counted
    let count = 0;
    const stop = database.onStatement(() => {
      count++;
    });
    await ask();
    stop();
    counts.set(shape.key, count);
  }
  return counts;
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

const load = (url: string, query: string, token: string, seconds: number) =>
  loadWith(url, query, token, seconds, CONNECTIONS);

/** Each shape of each read driven through the gateway, in turns, beside the read's floor. */
async function report(
  name: string,
  size: DatasetSize,
  dataset: Dataset,
  gateway: GatewayProcess,
  statements: Map<string, number>,
  floorOfRead: (read: Read) => Promise<Figures>,
) {
  console.log(
    `## ${name}: ${size.organizations} organizations, ${size.users} users, ${dataset.memberships} memberships, ` +
      `${name === 'PostgreSQL' ? options.workers : 1} gateway process(es)\n`,
  );
  console.log(
    "| shape | req/s | p50 ms | p99 ms | errors | SQL/request | ÷ read's fastest | floor req/s | floor ÷ shape |",
  );
  console.log('|---|---|---|---|---|---|---|---|---|');
  for (const read of READS) {
    const floor = await floorOfRead(read);
    for (const shape of read.shapes) await load(gateway.url, shape.query(dataset), dataset.ownerToken, WARMUP);
    const slices = new Map<string, Figures[]>(read.shapes.map((shape) => [shape.key, []]));
    for (let i = 0; i < SLICES; i++) {
      const order = i % 2 === 0 ? read.shapes : [...read.shapes].reverse();
      for (const shape of order) {
        slices
          .get(shape.key)!
          .push(await load(gateway.url, shape.query(dataset), dataset.ownerToken, DURATION / SLICES));
      }
    }
    const figures = new Map([...slices].map(([key, list]) => [key, meanOf(...list)]));
    const fastest = Math.max(...[...figures.values()].map((f) => f.rps));
    for (const shape of read.shapes) {
      const f = figures.get(shape.key)!;
      console.log(
        `| (${shape.key}) ${read.title}: ${shape.title} | ${f.rps.toFixed(0)} | ${f.p50.toFixed(1)} | ${f.p99.toFixed(1)} ` +
          `| ${f.errors} | ${statements.get(shape.key)} | ${(fastest / f.rps).toFixed(2)} | ${floor.rps.toFixed(0)} ` +
          `| ${(floor.rps / f.rps).toFixed(2)} |`,
      );
    }
  }
  console.log(`\ngateway peak RSS (all its processes): ${peakRssMb(gateway.process.pid!).toFixed(0)} MB\n`);
}

await main();
