// npm run bench:hostile: what expensive documents the limits accept cost a
// bystander. One client reads one member
// (`organizationMember(organization:, user:) { username roles { name } }`)
// for a while on a quiet gateway, then again while 16 connections send one
// attack document; it prints the bystander's p50/p99 both times, the ratio of
// the loaded p99 to the quiet one (target: at most 3), and the gateway's peak
// resident memory (target: under 300 MB), on PostgreSQL and on the embedded
// PGlite, with the benchmark's dataset. The first three attacks are one for
// each way the gateway treats a document by its cost (docs/security.md); the
// last two are other shapes that a client may compose:
//
// - heaviest: the heaviest document QUERY_MAX_COST lets through (on PostgreSQL
//   it runs on the heavy-query lane);
// - wide: the heaviest made of pages of every organization's members whose
//   answer is still written at once rather than streamed (under
//   STREAMED_COST);
// - light: the heaviest made of pages of 100 members that stays light (under
//   HEAVY_COST): neither QUERY_COST_IN_FLIGHT nor the heavy-statement line
//   holds it back, only its giving way to small documents;
// - cycle: user → organizationMemberships → organization → members → user …,
//   as deep as QUERY_MAX_DEPTH lets it go, up to QUERY_MAX_COST;
// - entities: a federation router's `_entities` batch of 1,000 members;
// - list: whole member lists with a few fields, as many as stay under the
//   heavy-query lane's line (LANE_COST): heavy documents that run on the
//   serving thread, as many at once as QUERY_COST_IN_FLIGHT allows.
//
//   npm run bench:hostile [-- --db postgres|pglite|all] [--attack heaviest|wide|light|cycle|entities|list|all] [--seconds 15] [--aliases N]
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import autocannon from 'autocannon';
import { DEFAULT_LIMITS } from '../../src/config.js';
import { openDatabase } from '../../src/db/database.js';
import { LANE_COST } from '../../src/execution/heavy-lane.js';
import { STREAMED_COST } from '../../src/http/streamed-answers.js';
import { HEAVY_COST } from '../../src/limits/admission.js';
import { costOf } from '../../test/support/cost.js';
import { createServerDatabase, dropServerDatabase } from '../../test/support/databases.js';
import { PGLITE_DATASET, POSTGRES_DATASET, seedDataset, type Dataset, type DatasetSize } from './dataset.js';
import { type Figures, graphqlRequest, load, peakRssMb, startGatewayProcess } from './harness.js';

const { values: options } = parseArgs({
  options: {
    db: { type: 'string', default: 'all' },
    attack: { type: 'string', default: 'all' },
    seconds: { type: 'string', default: '15' },
    // Fewer aliases than the limits allow: a lighter attack, for comparison.
    aliases: { type: 'string' },
  },
});
const SECONDS = Number(options.seconds);
const ATTACKERS = 16;
const SERVER_URL = process.env.DATABASE_URL || 'postgresql://postgres@127.0.0.1:5432/test';

const BYSTANDER = (dataset: Dataset) =>
  `{ organizationMember(organization: "${dataset.largestOrganization}", user: "${dataset.someMember}") { username roles { name } } }`;

const MEMBER =
  'username email name avatarUrl createdAt updatedAt roles { name displayName } globalRoles { name } ' +
  'user { id username email name avatarUrl status createdAt updatedAt lastSeenAt globalRoles { name } }';

interface Attack {
  query: string;
  variables?: Record<string, unknown>;
  cost: number;
  description: string;
}

/** As many aliases of `field` as fit under `maxCost` (and QUERY_MAX_ALIASES, or --aliases). */
function aliased(field: string, maxCost: number): { query: string; cost: number; aliases: number } {
  const document = (n: number) => `{ ${Array.from({ length: n }, (_, i) => `a${i}: ${field}`).join(' ')} }`;
  let aliases = 1;
  const most = options.aliases ? Number(options.aliases) : DEFAULT_LIMITS.maxAliases;
  while (aliases < most && costOf(document(aliases + 1)) <= maxCost) aliases++;
  const query = document(aliases);
  return { query, cost: costOf(query), aliases };
}

/** Posts `query` to the gateway under test as the owner; its data. */
type Ask = (query: string) => Promise<Record<string, unknown>>;

const ATTACKS: Record<string, (dataset: Dataset, ask: Ask) => Attack | Promise<Attack>> = {
  /** The largest organization's whole member list, every member and user field, as often as QUERY_MAX_COST allows. */
  heaviest: (dataset) => {
    const field = `organizationMembers(organization: "${dataset.largestOrganization}") { ${MEMBER} }`;
    const { query, cost, aliases } = aliased(field, DEFAULT_LIMITS.maxCost);
    return { query, cost, description: `${aliases} aliases of the largest organization's whole member list` };
  },
  /** Every organization's first 50 members with every field, as often as stays under STREAMED_COST. */
  wide: () => {
    const field = `organizations { id name members(first: 50) { edges { node { ${MEMBER} } } } }`;
    const { query, cost, aliases } = aliased(field, STREAMED_COST - 1);
    return { query, cost, description: `${aliases} aliases of every organization's first 50 members` };
  },
  /**
   * The user → organizationMemberships → organization → members cycle, as deep as QUERY_MAX_DEPTH lets it go,
   * as often as QUERY_MAX_COST allows.
   */
  cycle: (dataset) => {
    const field =
      `user(user: "${dataset.someMember}") { organizationMemberships { organization { name members(first: 50) { edges { node { ` +
      'username user { organizationMemberships { roles { name } organization { name } } } } } } } } }';
    const { query, cost, aliases } = aliased(field, DEFAULT_LIMITS.maxCost);
    return { query, cost, description: `${aliases} aliases of a member's organizations' members' organizations` };
  },
  /** A federation router's batch: the largest organization's first 1,000 members as `_entities`, every field. */
  entities: async (dataset, ask) => {
    const page = await ask(
      `{ paginatedOrganizationMembers(organization: "${dataset.largestOrganization}", limit: 1000) { members { organizationId userId } } }`,
    );
    const members = (page.paginatedOrganizationMembers as { members: { organizationId: string; userId: string }[] })
      .members;
    // As a router sends them: in a variable.
    const variables = { representations: members.map((m) => ({ __typename: 'OrganizationMember', ...m })) };
    const query = `query ($representations: [_Any!]!) { _entities(representations: $representations) { ... on OrganizationMember { ${MEMBER} } } }`;
    return { query, variables, cost: costOf(query, variables), description: `_entities of ${members.length} members` };
  },
  /** The largest organization's whole member list with a few fields, as often as stays under LANE_COST. */
  list: (dataset) => {
    const field = `organizationMembers(organization: "${dataset.largestOrganization}") { username email name roles { name } }`;
    const { query, cost, aliases } = aliased(field, LANE_COST - 1);
    return {
      query,
      cost,
      description: `${aliases} aliases of the largest organization's whole member list, a few fields`,
    };
  },
  /** Pages of the largest organization's members, every field, as many as stay light (under HEAVY_COST). */
  light: (dataset) => {
    const field = `paginatedOrganizationMembers(organization: "${dataset.largestOrganization}", limit: 100) { members { ${MEMBER} } }`;
    const { query, cost, aliases } = aliased(field, HEAVY_COST - 1);
    return { query, cost, description: `${aliases} aliases of a page of 100 members` };
  },
};

async function measure(label: string, size: DatasetSize, dataset: Dataset, env: Record<string, string>, kind: string) {
  const gateway = await startGatewayProcess(env);
  try {
    const bystander = BYSTANDER(dataset);
    const ask: Ask = async (query) => {
      const answer = (await (await fetch(gateway.url, graphqlRequest(query, dataset.ownerToken))).json()) as {
        data?: Record<string, unknown>;
        errors?: unknown;
      };
      if (!answer.data || answer.errors) throw new Error(`lookup failed: ${JSON.stringify(answer).slice(0, 300)}`);
      return answer.data;
    };
    const heavy = await ATTACKS[kind]!(dataset, ask);
    // Warm-up: both documents once, then a few seconds of the bystander.
    for (const [query, variables] of [[bystander], [heavy.query, heavy.variables]] as const) {
      const answer = await fetch(gateway.url, graphqlRequest(query, dataset.ownerToken, variables));
      const text = await answer.text();
      if (!answer.ok || text.includes('"errors"')) throw new Error(`warm-up failed: ${text.slice(0, 300)}`);
    }
    await load(gateway.url, bystander, dataset.ownerToken, 3, 1);
    const quiet = await load(gateway.url, bystander, dataset.ownerToken, SECONDS, 1);
    const { headers, body } = graphqlRequest(heavy.query, dataset.ownerToken, heavy.variables);
    const attack = autocannon({
      url: gateway.url,
      method: 'POST',
      connections: ATTACKERS,
      duration: SECONDS + 2,
      timeout: 120,
      headers: headers as Record<string, string>,
      body: body as string,
    });
    await new Promise((resolve) => setTimeout(resolve, 1000));
    const loaded = await load(gateway.url, bystander, dataset.ownerToken, SECONDS, 1);
    const attacked = await attack;
    const rss = peakRssMb(gateway.process.pid!);
    print(`${label}, attack ${kind}`, size, heavy, quiet, loaded, attacked, rss);
  } finally {
    gateway.process.kill('SIGTERM');
    await new Promise((resolve) => gateway.process.once('exit', resolve));
  }
}

function print(
  label: string,
  size: DatasetSize,
  heavy: Attack,
  quiet: Figures,
  loaded: Figures,
  attacked: autocannon.Result,
  rss: number,
) {
  const ratio = loaded.p99 / Math.max(quiet.p99, 1);
  console.log(`\n## ${label}: ${size.organizations} organizations, ${size.maxMembers} members in the largest`);
  console.log(
    `attack document: ${heavy.description}, cost ${heavy.cost} (QUERY_MAX_COST ${DEFAULT_LIMITS.maxCost}); ` +
      `${ATTACKERS} connections sent ` +
      `${attacked.requests.total} (${attacked.non2xx + attacked.errors + attacked.timeouts} failed), ` +
      `p50 ${attacked.latency.p50} ms, p99 ${attacked.latency.p99} ms`,
  );
  console.log('| bystander (one member) | req/s | p50 ms | p99 ms | errors |');
  console.log('|---|---|---|---|---|');
  for (const [name, f] of [
    ['quiet', quiet],
    ['under attack', loaded],
  ] as const)
    console.log(`| ${name} | ${f.rps.toFixed(1)} | ${f.p50} | ${f.p99} | ${f.errors} |`);
  console.log(`p99 under load / quiet p99: ${ratio.toFixed(2)}x (target at most 3x)`);
  console.log(`gateway peak RSS: ${rss.toFixed(0)} MB (target under 300 MB)`);
}

async function main() {
  console.log(`# hostile-load benchmark, ${new Date().toISOString().slice(0, 10)}, node ${process.version}`);
  const kinds = options.db === 'all' ? ['postgres', 'pglite'] : [options.db!];
  const attacks = options.attack === 'all' ? Object.keys(ATTACKS) : [options.attack!];
  for (const attack of attacks)
    if (!ATTACKS[attack]) throw new Error(`--attack must be one of ${Object.keys(ATTACKS)} or all`);
  for (const kind of kinds) {
    if (kind === 'postgres') {
      const url = await createServerDatabase(SERVER_URL);
      try {
        const database = await openDatabase({ databaseUrl: url, dataDir: '', databasePoolSize: 4 });
        await database.migrate();
        const dataset = await seedDataset(database, POSTGRES_DATASET);
        await database.close();
        for (const attack of attacks)
          await measure('PostgreSQL', POSTGRES_DATASET, dataset, { DATABASE_URL: url, MIGRATE: 'false' }, attack);
      } finally {
        await dropServerDatabase(url, SERVER_URL);
      }
    } else if (kind === 'pglite') {
      const dataDir = mkdtempSync(join(tmpdir(), 'gateway-hostile-'));
      try {
        const database = await openDatabase({ databaseUrl: undefined, dataDir, databasePoolSize: 1 });
        await database.migrate();
        const dataset = await seedDataset(database, PGLITE_DATASET);
        await database.close();
        for (const attack of attacks)
          await measure('embedded PGlite', PGLITE_DATASET, dataset, { DATA_DIR: dataDir, MIGRATE: 'false' }, attack);
      } finally {
        rmSync(dataDir, { recursive: true, force: true });
      }
    } else throw new Error(`--db must be postgres, pglite or all, not ${kind}`);
  }
}

await main();
