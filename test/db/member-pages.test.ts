// Member pages are read either by walking users in username order or by
// sorting an organization's memberships (src/db/reads/member-pages.ts picks
// one per page, from the window and whether the caller sees only its own
// row), and a long page comes back in parts. Whichever way a page is read, it
// must be the same rows: here every window shape, on a large organization
// (more members than a part holds), a small one whose members sit at the end
// of the order, an empty one and a caller restricted to its own row, before
// and after PostgreSQL has statistics on users, in one batch and through an
// organization reference.
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  MEMBERS_PER_PART,
  memberPagesOf,
  memberPages,
  WHOLE_LIST,
  type MemberWindow,
} from '../../src/db/reads/member-pages.js';
import { DATABASE_KINDS, freshDatabase, type TestDatabase } from '../support/databases.js';
import { markUser } from '../support/fixtures.js';
import { makeOrganization } from '../support/gateway.js';

const USERS = 400;
/** Letters and digits of one width sort alike in every collation; the case varies, the order ignores it. */
const usernameOf = (i: number) => `${i % 3 === 0 ? 'User' : 'user'}${String(i).padStart(4, '0')}`;

interface Organization {
  id: string;
  /** Live members' user ids in the API's order (lower-cased username). */
  members: string[];
}

/** What a window selects of an ordered list, as SPEC's paging rules say. */
function expected(list: readonly string[], window: MemberWindow) {
  const stop = Math.min(window.before ?? Infinity, list.length, window.skip + (window.first ?? Infinity));
  const start = window.last === null ? window.skip : Math.max(window.skip, stop - window.last);
  return { start, rows: list.slice(start, Math.max(start, stop)), hasMore: list.length > stop };
}

const window = (w: Partial<MemberWindow>): MemberWindow => ({ ...WHOLE_LIST, ...w });

const WINDOWS: MemberWindow[] = [
  WHOLE_LIST,
  ...[1, 2, 3, 50, 100, 359, 360, 1000, 2_147_483_647].map((first) => window({ first })),
  window({ skip: 3 }),
  window({ skip: 150, first: 10 }),
  window({ skip: 355, first: 10 }),
  window({ skip: 5000, first: 10 }),
  window({ last: 5 }),
  window({ last: 1000 }),
  // Walked back from the end unless past the walk's reach; after a cursor near the end, or past it.
  window({ last: 100 }),
  window({ last: 101 }),
  window({ last: 0 }),
  window({ skip: 355, last: 10 }),
  window({ skip: 5000, last: 5 }),
  window({ before: 20, last: 5 }),
  window({ skip: 10, before: 20 }),
  window({ skip: 10, before: 20, first: 3 }),
  window({ before: 0, first: 5 }),
  window({ first: 0 }),
];

describe.each(DATABASE_KINDS)('member pages on %s', (kind) => {
  let db: TestDatabase;
  const orgs: Record<'large' | 'small' | 'none', Organization> = {} as never;
  const userIds: string[] = [];

  beforeAll(async () => {
    db = await freshDatabase(kind);
    await db.migrate();
    const now = new Date();
    for (let i = 0; i < USERS; i++) userIds.push(randomUUID());
    await db.prisma.user.createMany({
      data: userIds.map((id, i) => ({
        id,
        username: usernameOf(i),
        email: `${usernameOf(i).toLowerCase()}@example.com`,
        hashedPassword: new Uint8Array(),
        status: 'active' as const,
        loginType: 'none' as const,
        createdAt: now,
        updatedAt: now,
      })),
    });
    const make = async (indexes: number[]): Promise<Organization> => {
      const { id } = await makeOrganization(db);
      await db.prisma.organizationMember.createMany({
        data: indexes.map((i) => ({ organizationId: id, userId: userIds[i]!, createdAt: now, updatedAt: now })),
      });
      return { id, members: indexes.map((i) => userIds[i]!) };
    };
    // Nine in ten users, two of them hidden (deleted, a system user): a walk finds any early page quickly.
    const large = await make(Array.from({ length: USERS }, (_, i) => i).filter((i) => i % 10 !== 7));
    await markUser(db, userIds[0]!, { deleted: true });
    await markUser(db, userIds[1]!, { isSystem: true });
    orgs.large = { ...large, members: large.members.slice(2) };
    // Its whole list and its longer windows come back in more than one part.
    expect(orgs.large.members.length).toBeGreaterThan(MEMBERS_PER_PART);
    // Four members, the last four usernames: a walk from the start finds none within its budget.
    orgs.small = await make([USERS - 4, USERS - 3, USERS - 2, USERS - 1]);
    orgs.none = await make([]);
  });
  afterAll(() => db?.close());

  const check = async (label: string) => {
    for (const [name, org] of Object.entries(orgs)) {
      for (const w of WINDOWS) {
        for (const withTotal of [false, true]) {
          const [page] = await memberPages(db.sql, [
            { organizationId: org.id, onlyUserId: null, window: w, withTotal },
          ]);
          const want = expected(org.members, w);
          const context = `${label}: ${name} ${JSON.stringify(w)} withTotal=${withTotal}`;
          expect(
            page!.rows.map((r) => r.userId),
            context,
          ).toEqual(want.rows);
          expect(page!.hasMore, context).toBe(want.hasMore);
          if (want.rows.length > 0) expect(page!.start, context).toBe(want.start);
          if (withTotal) expect(page!.total, context).toBe(org.members.length);
        }
      }
    }
  };

  it('answers every window alike for large, small and empty organizations before statistics exist', async () => {
    await check('no statistics');
  });

  it('answers every window alike once PostgreSQL has statistics on users', async () => {
    await db.prisma.$executeRawUnsafe('ANALYZE users');
    await db.prisma.$executeRawUnsafe('ANALYZE organization_members');
    await check('analyzed');
  });

  it('gives a caller restricted to its own row that row, or none, whatever the window', async () => {
    const member = orgs.small.members[2]!;
    for (const w of [WHOLE_LIST, window({ first: 1 }), window({ skip: 1 }), window({ last: 1 })]) {
      const [own, stranger] = await memberPages(db.sql, [
        { organizationId: orgs.small.id, onlyUserId: member, window: w, withTotal: true },
        { organizationId: orgs.small.id, onlyUserId: userIds[5]!, window: w, withTotal: true },
      ]);
      expect(own!.rows.map((r) => r.userId)).toEqual(expected([member], w).rows);
      expect(own!.total).toBe(1);
      expect(stranger!.rows).toEqual([]);
      expect(stranger!.total).toBe(0);
    }
  });

  it('answers a batch of pages of several organizations in the order asked', async () => {
    const requests = [orgs.small, orgs.large, orgs.none, orgs.large].map((org, i) => ({
      organizationId: org.id,
      onlyUserId: null,
      window: window({ first: [3, 50, 5, 400][i]! }),
      withTotal: false,
    }));
    const pages = await memberPages(db.sql, requests);
    expect(pages.map((p) => p.rows.map((r) => r.userId))).toEqual(
      requests.map((r, i) => expected([orgs.small, orgs.large, orgs.none, orgs.large][i]!.members, r.window).rows),
    );
  });

  it('reads the pages of organizations named by reference the same way, in one batch, ways of reading mixed', async () => {
    const organization = await db.prisma.organization.findUniqueOrThrow({ where: { id: orgs.small.id } });
    const windows = [WHOLE_LIST, window({ first: 2 }), window({ skip: 2, first: 1 }), window({ skip: 1500, first: 1 })];
    const pages = await memberPagesOf(db.sql, [
      ...windows.map((w) => ({ organization: { name: organization.name }, window: w, withTotal: false })),
      { organization: { name: 'no-such-organization' }, window: WHOLE_LIST, withTotal: true },
    ]);
    for (const [i, w] of windows.entries()) {
      expect(pages[i]!.organization.id).toBe(orgs.small.id);
      expect(pages[i]!.rows.map((r) => r.userId)).toEqual(expected(orgs.small.members, w).rows);
    }
    expect(pages[windows.length]).toBeUndefined();
  });
});
