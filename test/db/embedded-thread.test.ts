// The embedded database on a thread of its own (src/db/pglite.ts,
// pglite-thread.ts), as the gateway opens it when the heavy-query lane is
// asked for on PGlite: what Prisma and our SQL read and write is what they
// would in process, errors keep their codes, transactions stay whole, another
// thread reaches the same data, and the serving thread runs while a statement
// does.
import { Worker } from 'node:worker_threads';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Database, openDatabase } from '../../src/db/database.js';
import { openPGlite } from '../../src/db/pglite.js';
import { addMember, createOrganization, createUser, issueToken } from '../../src/operator/operator.js';
import { testGatewayOn } from '../support/gateway.js';

const IN_MEMORY = { databaseUrl: undefined, dataDir: 'memory://', databasePoolSize: 1 };

/** An in-memory database on a thread of its own, whose loss, if it comes, is pushed onto `lost`. */
const openOnItsThread = (lost: Error[] = []) =>
  openDatabase({ ...IN_MEMORY, embeddedThread: true, onEmbeddedThreadLost: (error) => lost.push(error) });

async function openBoth(): Promise<{ inProcess: Database; onItsThread: Database }> {
  const [inProcess, onItsThread] = await Promise.all([openDatabase(IN_MEMORY), openOnItsThread()]);
  await Promise.all([inProcess.migrate(), onItsThread.migrate()]);
  return { inProcess, onItsThread };
}

describe('the embedded database on a thread of its own', () => {
  let inProcess: Database;
  let onItsThread: Database;

  beforeAll(async () => {
    ({ inProcess, onItsThread } = await openBoth());
  });
  afterAll(async () => {
    await Promise.all([inProcess?.close(), onItsThread?.close()]);
  });

  it('reads back what was written, every column type as it is read in process', async () => {
    const now = new Date('2026-03-04T05:06:07.891Z');
    const written = async (database: Database) => {
      const organization = await createOrganization(database.prisma, { name: 'acme', displayName: 'Acme' });
      const user = await createUser(database.prisma, {
        username: 'ada',
        email: 'ada@example.com',
        name: 'Ada',
        siteRoles: ['owner', 'auditor'],
      });
      await database.prisma.user.update({
        where: { id: user.id },
        data: {
          lastSeenAt: now,
          githubComUserId: 9_007_199_254_740_993n,
          hashedPassword: Uint8Array.of(0, 1, 254, 255),
        },
      });
      await addMember(database.prisma, organization.id, user.id, ['organization-admin']);
      await database.prisma.customRole.create({
        data: {
          name: 'reader',
          displayName: 'Reader',
          organizationId: organization.id,
          orgPermissions: { acme: [{ action: 'read', resource_type: 'workspace', negate: false }] },
          createdAt: now,
          updatedAt: now,
        },
      });
      const { apiKey } = await issueToken(database.prisma, user.id, { name: 'ci', now, lifetimeSeconds: 3600 });
      const users = await database.prisma.user.findMany({ include: { memberships: true, apiKeys: true } });
      const roles = await database.prisma.customRole.findMany();
      return { organization, user, users, roles, apiKey };
    };
    const [expected, actual] = [await written(inProcess), await written(onItsThread)];
    const [stored] = actual.users;
    expect(stored!.lastSeenAt).toEqual(now);
    expect(stored!.githubComUserId).toBe(9_007_199_254_740_993n);
    expect([...stored!.hashedPassword]).toEqual([0, 1, 254, 255]);
    expect(stored!.rbacRoles).toEqual(['owner', 'auditor']);
    expect(stored!.apiKeys[0]!.hashedSecret).toEqual(actual.apiKey.hashedSecret);
    expect(stored!.apiKeys[0]!.lifetimeSeconds).toBe(3600n);
    expect(actual.roles[0]!.orgPermissions).toEqual({
      acme: [{ action: 'read', resource_type: 'workspace', negate: false }],
    });
    // The same rows, read in process, but for the ids and times each database made up.
    const madeUp = /^[0-9a-f-]{36}$|^\d{4}-\d\d-\d\dT/;
    const shape = (value: unknown): unknown =>
      JSON.parse(
        JSON.stringify(value, (_, field) =>
          typeof field === 'bigint' ? `${field}n` : field instanceof Uint8Array ? `bytes of ${field.length}` : field,
        ),
        (key, field) =>
          key === 'id' || (typeof field === 'string' && madeUp.test(field) && !field.startsWith('2026-03-04'))
            ? '…'
            : field,
      );
    expect(shape(actual.users)).toEqual(shape(expected.users));
    expect(shape(actual.roles)).toEqual(shape(expected.roles));
  });

  it("keeps PostgreSQL's errors as Prisma's codes, and rolls a failed transaction back whole", async () => {
    await createOrganization(onItsThread.prisma, { name: 'twice' });
    await expect(createOrganization(onItsThread.prisma, { name: 'twice' })).rejects.toThrow(/already exists/);
    const duplicate = onItsThread.prisma.organization.create({
      data: {
        ...(await onItsThread.prisma.organization.findFirstOrThrow({ where: { name: 'twice' } })),
        name: 'other',
      },
    });
    await expect(duplicate).rejects.toMatchObject({ code: 'P2002' });

    const before = await onItsThread.prisma.organization.count();
    await expect(
      onItsThread.prisma.$transaction(async (tx) => {
        await tx.organization.create({
          data: {
            id: crypto.randomUUID(),
            name: 'half',
            displayName: '',
            description: '',
            icon: '',
            createdAt: new Date(),
            updatedAt: new Date(),
          },
        });
        throw new Error('changed my mind');
      }),
    ).rejects.toThrow('changed my mind');
    expect(await onItsThread.prisma.organization.count()).toBe(before);
    // The database serves on after the rollback, in and out of transactions.
    const inside = await onItsThread.prisma.$transaction(async (tx) => tx.organization.count());
    expect(inside).toBe(before);
  });

  it('lets the serving thread run while a statement does', async () => {
    let turns = 0;
    const timer = setInterval(() => turns++, 5);
    try {
      await onItsThread.prisma.$queryRaw`SELECT pg_sleep(0.3)::text AS slept`;
    } finally {
      clearInterval(timer);
    }
    expect(turns).toBeGreaterThan(0);
  });

  it('is reached from another thread through connectFromThread, with the same data', async () => {
    const organizations = (await onItsThread.prisma.organization.findMany({ orderBy: { name: 'asc' } })).map(
      (organization) => organization.name,
    );
    const port = onItsThread.connectFromThread!();
    // A thread that asks the database for its organizations' names through the port, as the lane's thread does.
    const thread = new Worker(
      `const { workerData, parentPort } = require('node:worker_threads');
       workerData.port.on('message', (answer) => { parentPort.postMessage(answer); workerData.port.close(); });
       workerData.port.postMessage({ id: 1, op: 'query', text: 'SELECT name FROM organizations ORDER BY name', values: [], rowMode: 'array', rawTypes: [] });`,
      { eval: true, workerData: { port }, transferList: [port] },
    );
    const answer = await new Promise<{ result: { rows: string[][] } }>((resolve, reject) => {
      thread.once('message', resolve);
      thread.once('error', reject);
    });
    await thread.terminate();
    expect(answer.result.rows.map(([name]) => name)).toEqual(organizations);
  });
  it('rolls back the open transaction of a thread that goes away, and serves on', async () => {
    const before = await onItsThread.prisma.organization.count();
    const port = onItsThread.connectFromThread!();
    // A thread that begins a transaction, writes in it, and exits before it ends.
    const thread = new Worker(
      `const { workerData, parentPort } = require('node:worker_threads');
       const { port } = workerData;
       port.on('message', ({ id, result }) => {
         if (id === 1)
           port.postMessage({ id: 2, op: 'query', tx: result, rawTypes: [], values: [],
             text: "INSERT INTO organizations (id, name, display_name, description, icon, created_at, updated_at) " +
                   "VALUES (gen_random_uuid(), 'abandoned', '', '', '', now(), now())" });
         else process.exit(0);
       });
       port.postMessage({ id: 1, op: 'begin' });`,
      { eval: true, workerData: { port }, transferList: [port] },
    );
    await new Promise((resolve) => thread.once('exit', resolve));
    await createOrganization(onItsThread.prisma, { name: 'after-the-thread' });
    const names = (await onItsThread.prisma.organization.findMany()).map((organization) => organization.name);
    expect(names).toContain('after-the-thread');
    expect(names).not.toContain('abandoned');
    expect(names).toHaveLength(before + 1);
  });
});

describe("PGlite's API on its thread", () => {
  it("parses with the caller's parsers as PGlite does, in object and array rows, two columns of one name included", async () => {
    const [inProcess, onItsThread] = await Promise.all([openPGlite('memory://'), openPGlite('memory://', true)]);
    try {
      const text = `SELECT '{"a":1}'::json AS x, 'plain'::text AS x, now() AS at, 12.5::numeric AS n`;
      const parsers = { 114: (value: string) => JSON.parse(value), 1700: (value: string) => `numeric ${value}` };
      for (const rowMode of ['object', 'array'] as const) {
        const [expected, actual] = await Promise.all(
          [inProcess, onItsThread].map(({ pglite }) => pglite.query(text, [], { rowMode, parsers })),
        );
        const withoutTime = (rows: unknown[]) =>
          JSON.stringify(rows, (key, value) => (key === 'at' || key === '2' ? typeof value : value));
        expect(withoutTime(actual!.rows)).toEqual(withoutTime(expected!.rows));
        expect(actual!.fields).toEqual(expected!.fields);
      }
    } finally {
      await Promise.all([inProcess.close(), onItsThread.close()]);
    }
  });
});

describe('the embedded database when its thread is gone', () => {
  it('is not reported lost when the gateway closes it', async () => {
    const lost: Error[] = [];
    const database = await openOnItsThread(lost);
    await database.close();
    expect(lost).toEqual([]);
  });

  it('answers SERVICE_UNAVAILABLE (HTTP 503), as for a lost PostgreSQL', async () => {
    const lost: Error[] = [];
    const database = await openOnItsThread(lost);
    await database.migrate();
    const gateway = testGatewayOn('pglite', database);
    await createUser(database.prisma, { username: 'ada', email: 'ada@example.com', siteRoles: ['owner'] });
    const { token } = await issueToken(database.prisma, 'ada');
    try {
      const port = database.connectFromThread!();
      // Another thread asks the database's thread to close, and it exits.
      const thread = new Worker(
        `const { workerData } = require('node:worker_threads');
         workerData.port.on('message', () => process.exit(0));
         workerData.port.postMessage({ id: 1, op: 'close' });`,
        { eval: true, workerData: { port }, transferList: [port] },
      );
      await new Promise((resolve) => thread.once('exit', resolve));
      await expect
        .poll(() => database.prisma.organization.count().catch((error: Error) => error.name))
        .toBe('DatabaseUnavailable');
      const response = await gateway.yoga.fetch('http://gateway/graphql', {
        method: 'POST',
        headers: { 'content-type': 'application/json', 'coder-session-token': token },
        body: JSON.stringify({ query: '{ organizations { name } }' }),
      });
      expect(response.status).toBe(503);
      const body = (await response.json()) as { errors?: { extensions?: { code?: string } }[] };
      expect(body.errors?.map((error) => error.extensions?.code)).toEqual(['SERVICE_UNAVAILABLE']);
      // Said once, for the operator's log (src/server.ts).
      expect(lost.map((error) => error.name)).toEqual(['DatabaseUnavailable']);
    } finally {
      await gateway.close();
    }
  });
});
