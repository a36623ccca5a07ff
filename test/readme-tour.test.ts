// The README's tour, run as a newcomer runs it: its steps in order on a fresh
// database, the first start's owner token for the GraphQL steps, and its shell
// steps (the operator CLI) in a real shell with the gateway stopped, as the
// embedded database needs. Then the CLI section, which continues on the same
// database. A step that needs data a later step creates fails here.
import { spawn } from 'node:child_process';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openDatabase, type Database, type DatabaseKind } from '../src/db/database.js';
import { bootstrap } from '../src/operator/bootstrap.js';
import { createGateway, type Gateway } from '../src/yoga.js';
import { createServerDatabase, DATABASE_KINDS, dropServerDatabase } from './support/databases.js';
import type { GraphQLResponse } from './support/gateway.js';

const REPO = resolve(import.meta.dirname, '..');

interface Block {
  lang: string;
  code: string;
}

/** The fenced code blocks of the README section headed `heading`, in order. */
function sectionBlocks(markdown: string, heading: string): Block[] {
  const start = markdown.indexOf(`\n## ${heading}\n`);
  if (start < 0) throw new Error(`README.md has no "## ${heading}" section`);
  const end = markdown.indexOf('\n## ', start + 1);
  const section = markdown.slice(start, end < 0 ? undefined : end);
  return [...section.matchAll(/^```(\w*)\n([\s\S]*?)^```$/gm)].map((m) => ({ lang: m[1]!, code: m[2]! }));
}

type Roles = { name: string }[];
interface TourData {
  addOrganizationMember: { username: string };
  createOrganizationRole: { name: string };
  updateOrganizationMemberRoles: { roles: Roles };
  organization: { members: { edges: { node: { username: string; roles: Roles } }[] } };
  paginatedOrganizationMembers: { count: number };
}
const names = (roles: Roles) => roles.map((role) => role.name);

/** What each named step of the tour must show besides having no errors. */
const KEY_RESULTS: Record<string, (data: TourData) => void> = {
  AddAlice: (data) => expect(data.addOrganizationMember.username).toBe('alice'),
  CreateReviewerRole: (data) => expect(data.createOrganizationRole.name).toBe('template-reviewer'),
  GiveRole: (data) => expect(names(data.updateOrganizationMemberRoles.roles)).toContain('template-reviewer'),
  MembersScreen: (data) => {
    const members = data.organization.members.edges.map((edge) => edge.node);
    expect(members.map((member) => member.username)).toEqual(['admin', 'alice']);
    expect(names(members[1]!.roles)).toContain('template-reviewer');
  },
  Page: (data) => expect(data.paginatedOrganizationMembers.count).toBe(2),
};

interface Target {
  kind: DatabaseKind;
  env: Record<string, string>;
  open(): Promise<Database>;
  drop(): Promise<void>;
}

async function newTarget(kind: DatabaseKind): Promise<Target> {
  const dataDir = await mkdtemp(join(tmpdir(), 'gateway-tour-'));
  const removeDir = () => rm(dataDir, { recursive: true, force: true });
  if (kind === 'pglite') {
    return {
      kind,
      env: { DATA_DIR: dataDir },
      open: () => openDatabase({ databaseUrl: undefined, dataDir, databasePoolSize: 1 }),
      drop: removeDir,
    };
  }
  const databaseUrl = await createServerDatabase();
  return {
    kind,
    env: { DATABASE_URL: databaseUrl, DATA_DIR: dataDir },
    open: () => openDatabase({ databaseUrl, dataDir, databasePoolSize: 4 }),
    drop: async () => {
      await dropServerDatabase(databaseUrl);
      await removeDir();
    },
  };
}

/** Runs a README shell block with bash, on `target`'s database. */
function shell(target: Target, script: string): Promise<{ code: number | null; stdout: string; stderr: string }> {
  const env: NodeJS.ProcessEnv = { ...process.env, LOG_LEVEL: 'silent', ...target.env };
  if (target.kind === 'pglite') delete env.DATABASE_URL;
  return new Promise((done, fail) => {
    const child = spawn('bash', ['-euo', 'pipefail', '-c', script], { cwd: REPO, env });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk) => {
      stdout += chunk;
    });
    child.stderr.on('data', (chunk) => {
      stderr += chunk;
    });
    child.on('error', fail);
    child.on('close', (code) => done({ code, stdout, stderr }));
  });
}

describe.each(DATABASE_KINDS)('the README tour on %s', (kind) => {
  let readme: string;
  let target: Target;
  let database: Database | undefined;
  let yoga: Gateway;
  let token: string;

  /** `npm start`: migrations, the first-start bootstrap, then serving. */
  async function start(): Promise<string | undefined> {
    database = await target.open();
    await database.migrate();
    const { owner } = await bootstrap(database.prisma);
    yoga = createGateway({ database });
    return owner?.token;
  }

  async function stop() {
    await database?.close();
    database = undefined;
  }

  async function graphql(query: string): Promise<GraphQLResponse> {
    const response = await yoga.fetch('http://gateway.test/graphql', {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'coder-session-token': token },
      body: JSON.stringify({ query }),
    });
    return (await response.json()) as GraphQLResponse;
  }

  async function runBlocks(blocks: Block[]) {
    for (const [index, block] of blocks.entries()) {
      const step = `block ${index + 1} (${block.lang}): ${block.code.split('\n')[0]}`;
      if (block.lang === 'sh') {
        await stop();
        const run = await shell(target, block.code);
        expect(run.code, `${step}\n${run.stderr}`).toBe(0);
        expect(await start(), 'a restart prints no new token').toBeUndefined();
      } else if (block.lang === 'graphql') {
        const response = await graphql(block.code);
        expect(response.errors, `${step}\n${JSON.stringify(response.errors)}`).toBeUndefined();
        for (const [field, value] of Object.entries(response.data ?? {}))
          expect(value, `${step}: ${field}`).not.toBeNull();
        const name = /^\s*(?:query|mutation)\s+(\w+)/.exec(block.code)?.[1];
        if (name && KEY_RESULTS[name]) KEY_RESULTS[name]!(response.data as TourData);
      } else {
        throw new Error(`${step}: the tour runs sh and graphql blocks; teach this test the new kind`);
      }
    }
  }

  beforeAll(async () => {
    readme = await readFile(join(REPO, 'README.md'), 'utf8');
    target = await newTarget(kind);
    const owner = await start();
    if (!owner) throw new Error('the first start printed no token');
    token = owner;
  });
  afterAll(async () => {
    await stop();
    await target?.drop();
  });

  it("runs the tour's steps in order, each without errors", async () => {
    const blocks = sectionBlocks(readme, 'A tour of the API');
    expect(blocks.filter((block) => block.lang === 'graphql').length).toBeGreaterThanOrEqual(5);
    await runBlocks(blocks);
    const ran = blocks.map((block) => /^\s*(?:query|mutation)\s+(\w+)/.exec(block.code)?.[1]).filter(Boolean);
    expect(ran).toEqual(expect.arrayContaining(Object.keys(KEY_RESULTS)));
  });

  // The CLI is the same on both databases (test/cli.test.ts runs it on each); once is enough here.
  it.runIf(kind === 'pglite')('then runs the CLI section on the same database', async () => {
    const blocks = sectionBlocks(readme, 'Operator CLI');
    expect(blocks.map((block) => block.lang)).toEqual(['sh']);
    await runBlocks(blocks);
    const keys = await database!.prisma.apiKey.findMany({ where: { user: { username: 'bob' } } });
    expect(keys, 'the section revokes the token it creates').toEqual([]);
  });
});
