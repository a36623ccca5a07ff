// The operator functions behind the CLI find organizations and users the way
// the API does: by id, by exact name (any case) or `default`, never by pattern.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Database } from '../src/db/database.js';
import {
  addMember,
  createOrganization,
  createUser,
  findOrganization,
  findUser,
  issueToken,
  OperatorError,
} from '../src/operator/operator.js';
import { DATABASE_KINDS, freshDatabase } from './support/databases.js';
import { insertCustomRole } from './support/fixtures.js';

describe('operator lookups', () => {
  let db: Database;
  beforeAll(async () => {
    db = await freshDatabase('pglite');
    await db.migrate();
    await createOrganization(db.prisma, { name: 'acme', isDefault: true });
    await createUser(db.prisma, { username: 'bob', email: 'bob@example.com' });
  });
  afterAll(() => db?.close());

  it('finds by name in any case, by id, and `default`', async () => {
    const acme = await findOrganization(db.prisma, 'ACME');
    expect((await findOrganization(db.prisma, acme.id)).name).toBe('acme');
    expect((await findOrganization(db.prisma, 'default')).id).toBe(acme.id);
    expect((await findUser(db.prisma, 'Bob')).username).toBe('bob');
  });

  it.each(['%', 'a%', '_cme', 'b_b', '%%'])('treats %j as no name rather than a pattern', async (ref) => {
    await expect(findOrganization(db.prisma, ref)).rejects.toThrow(OperatorError);
    await expect(findUser(db.prisma, ref)).rejects.toThrow(OperatorError);
  });
});

describe.each(DATABASE_KINDS)('operator writes on %s', (kind) => {
  let db: Database;
  beforeAll(async () => {
    db = await freshDatabase(kind);
    await db.migrate();
  });
  afterAll(() => db?.close());

  it('refuses names Coder refuses (codersdk.NameValid, DisplayNameValid, UserRealNameValid), writing nothing', async () => {
    const refused = async (write: Promise<unknown>, reason: RegExp) => {
      await expect(write).rejects.toBeInstanceOf(OperatorError);
      await expect(write).rejects.toThrow(reason);
    };
    await refused(createUser(db.prisma, { username: 'a'.repeat(33), email: 'long@example.com' }), /<= 32/);
    await refused(createUser(db.prisma, { username: 'new', email: 'new@example.com' }), /'new' and 'create'/);
    await refused(createUser(db.prisma, { username: 'bad--name', email: 'bad@example.com' }), /alphanumeric/);
    await refused(createUser(db.prisma, { username: 'spaced', email: 's@example.com', name: ' Ann ' }), /whitespace/);
    await refused(createUser(db.prisma, { username: 'wordy', email: 'w@example.com', name: 'n'.repeat(129) }), /128/);
    await refused(createOrganization(db.prisma, { name: 'create' }), /'new' and 'create'/);
    await refused(createOrganization(db.prisma, { name: 'shown', displayName: 'd'.repeat(65) }), /<= 64/);
    expect(await db.prisma.user.count({ where: { email: { endsWith: '@example.com' } } })).toBe(0);
    await expect(
      createUser(db.prisma, { username: 'a'.repeat(32), email: 'edge@example.com', name: 'n'.repeat(128) }),
    ).resolves.toMatchObject({ username: 'a'.repeat(32) });
    await db.prisma.user.deleteMany({ where: { email: 'edge@example.com' } });
  });

  it('compares emails exactly, in any case: `_` and `%` are characters, not patterns', async () => {
    await createUser(db.prisma, { username: 'acb', email: 'acb@example.com' });
    await expect(createUser(db.prisma, { username: 'a-b', email: 'a_b@example.com' })).resolves.toMatchObject({
      email: 'a_b@example.com',
    });
    await expect(createUser(db.prisma, { username: 'pct', email: '%@%' })).resolves.toMatchObject({ email: '%@%' });
    await expect(createUser(db.prisma, { username: 'other', email: 'ACB@example.com' })).rejects.toThrow(
      /already exists/,
    );
  });

  it('answers concurrent creations of one name (a user, a membership, a token) with one made and OperatorErrors, however they interleave', async () => {
    const attempts = await Promise.allSettled(
      [1, 2, 3].map((i) => createUser(db.prisma, { username: 'racer', email: `racer${i}@example.com` })),
    );
    expect(attempts.filter((a) => a.status === 'fulfilled')).toHaveLength(1);
    for (const attempt of attempts.filter((a) => a.status === 'rejected')) {
      expect((attempt as PromiseRejectedResult).reason).toBeInstanceOf(OperatorError);
    }
    const organization = await createOrganization(db.prisma, { name: 'racing' });
    const adds = await Promise.allSettled([1, 2, 3].map(() => addMember(db.prisma, organization.id, 'racer')));
    expect(adds.filter((a) => a.status === 'fulfilled')).toHaveLength(1);
    for (const add of adds.filter((a) => a.status === 'rejected'))
      expect((add as PromiseRejectedResult).reason).toBeInstanceOf(OperatorError);
    const tokens = await Promise.allSettled(
      [1, 2, 3, 4, 5, 6].map(() => issueToken(db.prisma, 'racer', { name: 'deploy' })),
    );
    expect(tokens.filter((t) => t.status === 'fulfilled')).toHaveLength(1);
    for (const token of tokens.filter((t) => t.status === 'rejected'))
      expect((token as PromiseRejectedResult).reason).toBeInstanceOf(OperatorError);
  });

  // The CLI adds a member in a transaction; a custom role deleted by the
  // gateway meanwhile must not stay behind in the new member's roles, where
  // a role re-created under that name would grant itself again.
  it.runIf(kind === 'postgres')(
    'a custom role deleted while a member is added with it is taken from that member too',
    async () => {
      const organization = await createOrganization(db.prisma, { name: 'deleting' });
      await createUser(db.prisma, { username: 'holder', email: 'holder@example.com' });
      await insertCustomRole(db, { name: 'fleeting', organizationId: organization.id });
      let release!: () => void;
      const held = new Promise<void>((resolve) => (release = resolve));
      let added!: () => void;
      const memberAdded = new Promise<void>((resolve) => (added = resolve));
      const adding = db.prisma.$transaction(async (tx) => {
        await addMember(tx, organization.id, 'holder', ['fleeting']);
        added();
        await held; // the transaction stays open while the role is deleted
      });
      await memberAdded;
      // then() sends it now: a Prisma query is lazy.
      const deleting = db.prisma.customRole
        .deleteMany({ where: { organizationId: organization.id, name: 'fleeting' } })
        .then((r) => r.count);
      await new Promise((resolve) => setTimeout(resolve, 200)); // the delete reaches the server and waits for the lock, if any
      release();
      expect(await Promise.all([adding, deleting])).toEqual([undefined, 1]);
      const [member] = await db.prisma.organizationMember.findMany({ where: { organizationId: organization.id } });
      expect(member!.roles).toEqual([]);
    },
  );
});
