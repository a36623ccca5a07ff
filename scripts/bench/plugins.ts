// `npm run bench:plugins`: what each operations feature costs a request, in
// process on the embedded database (yoga.fetch, no socket), interleaved:
// every round runs each gateway variant in turn, so drift in the machine's
// load falls on all of them alike. Two reads: one member (the hottest small
// read) and a whole list of 1,000 members. Prints the median time per request
// of each variant and its ratio to the gateway with every feature off.
import { pino } from 'pino';
import { BatchSpanProcessor, type ReadableSpan, type SpanExporter } from '@opentelemetry/sdk-trace-base';
import { NodeTracerProvider } from '@opentelemetry/sdk-trace-node';
import { openDatabase } from '../../src/db/database.js';
import { createTracing } from '../../src/observability/tracing.js';
import { createGateway, type Gateway, type GatewayOptions } from '../../src/yoga.js';
import { PGLITE_DATASET, seedDataset } from './dataset.js';

const ROUNDS = Number(process.env.ROUNDS ?? 15);

/** Spans are made and batched as with OTLP, then dropped: the gateway's side of tracing, without a collector. */
class DroppingExporter implements SpanExporter {
  export(_spans: ReadableSpan[], done: (result: { code: number }) => void) {
    done({ code: 0 });
  }
  shutdown() {
    return Promise.resolve();
  }
}

const database = await openDatabase({ databaseUrl: undefined, dataDir: 'memory://', databasePoolSize: 1 });
await database.migrate();
const dataset = await seedDataset(database, PGLITE_DATASET);

const provider = new NodeTracerProvider({ spanProcessors: [new BatchSpanProcessor(new DroppingExporter())] });
provider.register();
const logger = pino({ base: undefined }, pino.destination({ dest: '/dev/null', sync: false }));

const variants: [string, Omit<GatewayOptions, 'database'>, Record<string, string>][] = [
  ['all off', { compression: false }, {}],
  ['compression on, not asked', {}, {}],
  ['compression (br)', {}, { 'accept-encoding': 'br' }],
  ['compression (gzip)', {}, { 'accept-encoding': 'gzip' }],
  ['access log', { compression: false, logger, accessLog: true }, {}],
  ['metrics', { compression: false, metrics: true }, {}],
  ['tracing', { compression: false, tracing: createTracing(provider) }, {}],
  [
    'all on (br)',
    { logger, accessLog: true, metrics: true, tracing: createTracing(provider) },
    { 'accept-encoding': 'br' },
  ],
];
const gateways: [string, Gateway, Record<string, string>][] = variants.map(([name, options, headers]) => [
  name,
  createGateway({ database, ...options }),
  headers,
]);

const reads = [
  {
    name: 'one member',
    perRound: 200,
    query: `{ organizationMember(organization: "${dataset.largestOrganization}", user: "${dataset.someMember}") {
      id username email roles { id name displayName } } }`,
  },
  {
    name: '1,000 members',
    perRound: 10,
    query: `{ organizationMembers(organization: "${dataset.largestOrganization}") {
      id username name email avatarUrl createdAt roles { id name displayName } globalRoles { id name } } }`,
  },
];

async function run(yoga: Gateway, query: string, headers: Record<string, string>) {
  const response = await yoga.fetch('http://bench.test/graphql', {
    method: 'POST',
    headers: {
      'content-type': 'application/json',
      accept: 'application/json',
      'coder-session-token': dataset.ownerToken,
      ...headers,
    },
    body: JSON.stringify({ query }),
  });
  const bytes = await response.arrayBuffer();
  if (response.status !== 200) throw new Error(`status ${response.status}`);
  return bytes.byteLength;
}

const median = (values: number[]) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)]!;

for (const read of reads) {
  const times = new Map<string, number[]>(gateways.map(([name]) => [name, []]));
  const sizes = new Map<string, number>();
  // Warm-up: compile each document, fill caches.
  for (const [name, yoga, headers] of gateways) sizes.set(name, await run(yoga, read.query, headers));
  for (let round = 0; round < ROUNDS; round++) {
    for (const [name, yoga, headers] of gateways) {
      const started = performance.now();
      for (let i = 0; i < read.perRound; i++) await run(yoga, read.query, headers);
      times.get(name)!.push((performance.now() - started) / read.perRound);
    }
  }
  const base = median(times.get('all off')!);
  console.log(`\n${read.name} (${ROUNDS} interleaved rounds of ${read.perRound}; median ms per request)`);
  for (const [name, values] of times) {
    const ms = median(values);
    console.log(
      `  ${name.padEnd(28)} ${ms.toFixed(3).padStart(8)} ms  x${(ms / base).toFixed(2)}  ${sizes.get(name)} bytes`,
    );
  }
}
await provider.shutdown();
await database.close();
