// The operator CLI (src/cli.ts) as an operator runs it: a separate process on
// the embedded database in DATA_DIR (and on a PostgreSQL database when
// DATABASE_URL is set). Between commands the test opens the same database
// in process to check what was written; on PGlite it closes it again before
// the next command, since the embedded database serves one process at a time.
import { spawn } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { authenticate } from '../src/auth/session.js';
import { openDatabase, type Database, type DatabaseKind } from '../src/db/database.js';
import { createUser } from '../src/operator/operator.js';
import { createServerDatabase, DATABASE_KINDS, dropServerDatabase } from './support/databases.js';

const REPO = resolve(import.meta.dirname, '..');
const TSX = join(REPO, 'node_modules/.bin/tsx');
const TOKEN = /^[0-9A-Za-z]{10}-[0-9A-Za-z]{22}$/;
const UUID = '[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}';

interface Run {
  code: number | null;
  stdout: string;
  stderr: string;
  /** Milliseconds between the last output and the process exiting. */
  lingered: number;
}

interface Target {
  env: Record<string, string>;
  databaseUrl: string | undefined;
  dataDir: string;
  drop(): Promise<void>;
}

async function newTarget(kind: DatabaseKind): Promise<Target> {
  const dataDir = await mkdtemp(join(tmpdir(), 'gateway-cli-'));
  const removeDir = () => rm(dataDir, { recursive: true, force: true });
  if (kind === 'pglite') return { env: { DATA_DIR: dataDir }, databaseUrl: undefined, dataDir, drop: removeDir };
  const databaseUrl = await createServerDatabase();
  return {
    env: { DATABASE_URL: databaseUrl, DATA_DIR: dataDir },
    databaseUrl,
    dataDir,
    drop: async () => {
      await dropServerDatabase(databaseUrl);
      await removeDir();
    },
  };
}

/** Runs `tsx src/cli.ts ...args` on `target`'s database. */
function cli(target: Target, args: string[], env: Record<string, string> = {}): Promise<Run> {
  const childEnv: NodeJS.ProcessEnv = { ...process.env, LOG_LEVEL: 'silent', ...target.env, ...env };
  if (!target.databaseUrl) delete childEnv.DATABASE_URL;
  return new Promise((done, fail) => {
    const child = spawn(TSX, ['src/cli.ts', ...args], { cwd: REPO, env: childEnv, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    let lastOutput = Date.now();
    child.stdout.on('data', (chunk) => {
      stdout += chunk;
      lastOutput = Date.now();
    });
    child.stderr.on('data', (chunk) => {
      stderr += chunk;
      lastOutput = Date.now();
    });
    child.on('error', fail);
    child.on('close', (code) => done({ code, stdout, stderr, lingered: Date.now() - lastOutput }));
  });
}

/**
 * Every command after the first runs with MIGRATE=false: the first one has
 * migrated the database, and a migrating CLI process lingers about 10 s after
 * its work is done (see "exits as soon as its work is done").
 */
const run = (target: Target, ...args: string[]) => cli(target, args, { MIGRATE: 'false' });

/** Opens the target's database in this process for `use`, then closes it. */
async function withDatabase<T>(target: Target, use: (db: Database) => Promise<T>): Promise<T> {
  const db = await openDatabase({ databaseUrl: target.databaseUrl, dataDir: target.dataDir, databasePoolSize: 2 });
  try {
    return await use(db);
  } finally {
    await db.close();
  }
}

/** Every row of the five tables, to show that a refused command wrote nothing. */
async function snapshot(db: Database) {
  const tables: Record<string, string[]> = {};
  for (const table of ['users', 'organizations', 'organization_members', 'custom_roles', 'api_keys']) {
    const rows = await db.prisma.$queryRawUnsafe<{ row: string }[]>(
      `SELECT row_to_json(t)::text AS row FROM ${table} t ORDER BY 1`,
    );
    tables[table] = rows.map((r) => r.row);
  }
  return tables;
}
const everything = (target: Target) => withDatabase(target, snapshot);

/** Exit `code`, nothing on stdout, and exactly one line on stderr, which is returned. */
function expectOneLineError(result: Run, code: number): string {
  expect({ code: result.code, stdout: result.stdout }, result.stderr).toEqual({ code, stdout: '' });
  const lines = result.stderr.trimEnd().split('\n');
  expect(lines, result.stderr).toHaveLength(1);
  expect(lines[0]).toMatch(/^error: /);
  return lines[0]!;
}

/** The lines of a command's output (a table row may end in an empty cell, i.e. a tab). */
const lines = (output: string) => output.replace(/\n$/, '').split('\n');

const authenticateWith = (target: Target, token: string) =>
  withDatabase(target, (db) => authenticate(db, new Headers({ 'coder-session-token': token })));

describe.each(DATABASE_KINDS)('operator CLI on %s', (kind) => {
  let target: Target;
  let first: Run;

  beforeAll(async () => {
    target = await newTarget(kind);
    // The first command meets an empty database and migrates it (MIGRATE defaults to true).
    first = await cli(target, [
      'user',
      'create',
      '--username',
      'alice',
      '--email',
      'alice@example.com',
      '--role',
      'auditor',
      '--role',
      'user-admin',
    ]);
  });
  afterAll(() => target?.drop());

  it('user create works on an empty database, migrating it first', async () => {
    expect(first.stderr).toBe('');
    expect(first.code).toBe(0);
    expect(first.stdout).toMatch(new RegExp(`^created user alice ${UUID}\\n$`));
    // What was stored shows in `user list` below.
  });

  // src/db/schema-engine.ts: the WebAssembly migration engine leaves a 10 s
  // timer (its advisory-lock timeout) running, and src/cli.ts ends by setting
  // process.exitCode, so every migrating command waits ~10 s before exiting.
  it('exits as soon as its work is done, also when it has migrated', () => {
    expect(first.code).toBe(0);
    expect(first.lingered).toBeLessThan(5_000);
  });

  it('org create and member add; user list and org list show them', async () => {
    const org = await run(target, 'org', 'create', '--name', 'acme', '--display-name', 'Acme Inc.');
    expect(org.stderr).toBe('');
    expect(org.stdout).toMatch(new RegExp(`^created organization acme ${UUID}\\n$`));
    const member = await run(
      target,
      'member',
      'add',
      '--org',
      'ACME',
      '--user',
      'alice',
      '--role',
      'organization-admin',
    );
    expect(member.stderr).toBe('');
    expect(member.stdout).toMatch(new RegExp(`^added user ${UUID} to organization ${UUID}\\n$`));

    const { alice, acme, membership } = await withDatabase(target, async (db) => {
      const alice = await db.prisma.user.findFirstOrThrow({ where: { username: 'alice' } });
      const acme = await db.prisma.organization.findFirstOrThrow({ where: { name: 'acme' } });
      const membership = await db.prisma.organizationMember.findMany();
      return { alice, acme, membership };
    });
    expect(acme).toMatchObject({ displayName: 'Acme Inc.', isDefault: false, deleted: false });
    expect(membership).toEqual([
      expect.objectContaining({ userId: alice.id, organizationId: acme.id, roles: ['organization-admin'] }),
    ]);
    expect(member.stdout).toBe(`added user ${alice.id} to organization ${acme.id}\n`);

    // alice as the first command created her: active, with the two site roles asked for.
    const users = await run(target, 'user', 'list');
    expect(users.code).toBe(0);
    expect(lines(users.stdout)).toEqual([
      'ID\tUSERNAME\tEMAIL\tSTATUS\tSITE ROLES',
      `${alice.id}\talice\talice@example.com\tactive\tauditor,user-admin`,
    ]);
    const orgs = await run(target, 'org', 'list');
    expect(orgs.code).toBe(0);
    expect(lines(orgs.stdout)).toEqual(['ID\tNAME\tDISPLAY NAME\tDEFAULT', `${acme.id}\tacme\tAcme Inc.\t`]);
  });

  it('token create prints only the token, which authenticates; token list shows it without its secret; token revoke ends it', async () => {
    const created = await run(target, 'token', 'create', '--user', 'alice', '--lifetime', '7d', '--name', 'laptop');
    expect(created.code).toBe(0);
    expect(created.stdout).toMatch(/^\S+\n$/);
    const token = created.stdout.trimEnd();
    expect(token).toMatch(TOKEN);
    const [id, secret] = token.split('-') as [string, string];
    expect(created.stderr).toContain(id);
    expect(created.stderr).not.toContain(secret);

    const { auth, key } = await withDatabase(target, async (db) => ({
      auth: await authenticate(db, new Headers({ 'coder-session-token': token })),
      key: await db.prisma.apiKey.findUniqueOrThrow({ where: { id }, include: { user: true } }),
    }));
    expect(key.user.username).toBe('alice');
    expect(auth.ok ? auth.session.user.id : auth.reason).toBe(key.userId);
    expect(key).toMatchObject({ tokenName: 'laptop', loginType: 'token', lifetimeSeconds: 604800n });
    expect(key.expiresAt.getTime() - key.createdAt.getTime()).toBe(7 * 24 * 3600 * 1000);

    const listed = await run(target, 'token', 'list', '--user', 'alice');
    expect(listed.code).toBe(0);
    expect(lines(listed.stdout)[0]).toBe('ID\tUSER\tNAME\tCREATED\tEXPIRES\tLAST USED');
    expect(lines(listed.stdout).slice(1)).toEqual([expect.stringMatching(new RegExp(`^${id}\\talice\\tlaptop\\t`))]);
    expect(listed.stdout).not.toContain(secret);

    const revoked = await run(target, 'token', 'revoke', id);
    expect(revoked).toMatchObject({ code: 0, stdout: `revoked token ${id}\n`, stderr: '' });
    expect(await authenticateWith(target, token)).toEqual({ ok: false, reason: 'API key is invalid.' });
  });

  it('refuses a duplicate username, an unknown user and an unknown token with exit 1, writing nothing', async () => {
    const before = await everything(target);
    const duplicate = await run(target, 'user', 'create', '--username', 'ALICE', '--email', 'someone@example.com');
    expect(expectOneLineError(duplicate, 1)).toMatch(/already exists/);
    const nobody = await run(target, 'member', 'add', '--org', 'acme', '--user', 'nobody');
    expect(expectOneLineError(nobody, 1)).toContain('nobody');
    const unknown = await run(target, 'token', 'revoke', 'abcdefghij');
    expect(expectOneLineError(unknown, 1)).toContain('abcdefghij');
    expect(await everything(target)).toEqual(before);
  });

  it.runIf(kind === 'postgres')('says in one line that a database it cannot reach is unavailable: exit 1', async () => {
    const unreachable = await run(
      { ...target, env: { ...target.env, DATABASE_URL: 'postgresql://postgres@127.0.0.1:1/nowhere' } },
      'user',
      'list',
    );
    expect(expectOneLineError(unreachable, 1)).toMatch(/^error: the database is unavailable/);
  });

  it('refuses a name Coder refuses, or an email that is none, as a bad argument: exit 2, writing nothing', async () => {
    const before = await everything(target);
    for (const args of [
      ['user', 'create', '--username', 'new', '--email', 'new@example.com'],
      ['user', 'create', '--username', 'a'.repeat(33), '--email', 'long@example.com'],
      ['user', 'create', '--username', 'carol', '--email', 'not-an-email'],
      ['org', 'create', '--name', 'create'],
    ]) {
      expect(expectOneLineError(await run(target, ...args), 2)).toMatch(/is not valid/);
    }
    expect(await everything(target)).toEqual(before);
  });

  // SPEC B.1: organization_members.roles holds org role names. The CLI stores
  // whatever --role says, so a typo grants nothing and nothing says so.
  it('member add refuses a role that is not an organization role, writing nothing', async () => {
    const before = await withDatabase(target, async (db) => {
      await createUser(db.prisma, { username: 'bob', email: 'bob@example.com' });
      return snapshot(db);
    });
    const result = await run(target, 'member', 'add', '--org', 'acme', '--user', 'bob', '--role', 'organisation-admin');
    expect(result.code).not.toBe(0);
    expect(result.stdout).toBe('');
    expect(result.stderr).toContain('organisation-admin');
    expect(await everything(target)).toEqual(before);
  });

  // Argument errors do not depend on the database: checked on the embedded one only.
  it.runIf(kind === 'pglite')('rejects bad arguments with exit 2 and a one-line error', async () => {
    const cases: [string[], RegExp][] = [
      [['frobnicate', 'now'], /unknown command "frobnicate now"/],
      [['user', 'create', '--username', 'carol', '--email', 'carol@example.com', '--colour', 'red'], /colour/],
      [['user', 'create', '--email', 'carol@example.com'], /--username is required/],
      [['token', 'create', '--user', 'alice', '--lifetime', '7weeks'], /--lifetime/],
      [['user', 'create', '--username', 'carol', '--email', 'carol@example.com', '--role', 'superuser'], /superuser/],
    ];
    for (const [args, message] of cases) {
      const result = await run(target, ...args);
      expect(expectOneLineError(result, 2), args.join(' ')).toMatch(message);
    }
  });
});
