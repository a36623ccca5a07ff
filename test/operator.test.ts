// The operator functions behind the CLI find organizations and users the way
// the API does: by id, by exact name (any case) or `default`, never by pattern.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Database } from '../src/db/database.js';
import { createOrganization, createUser, findOrganization, findUser, OperatorError } from '../src/operator/operator.js';
import { freshDatabase } from './support/databases.js';

describe('operator lookups', () => {
  let db: Database;
  beforeAll(async () => {
    db = await freshDatabase('pglite');
    await db.migrate();
    await createOrganization(db.prisma, { name: 'acme', isDefault: true });
    await createUser(db.prisma, { username: 'bob', email: 'bob@example.com' });
  });
  afterAll(() => db.close());

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
