// Long lists are built a slice per turn of the event loop, and heavy answers
// are written in pieces, so that other clients' requests are served between
// them (src/execution/turns.ts, src/http/streamed-answers.ts).
import { describe, expect, it } from 'vitest';
import DataLoader from 'dataloader';
import { inTurns, LONG_LIST, LongListsInTurns } from '../../src/execution/turns.js';
import { jsonPieces } from '../../src/http/streamed-answers.js';

const turn = () => new Promise((resolve) => setImmediate(resolve));

describe('LongListsInTurns', () => {
  // The loaders of a request send their batches through its LongListsInTurns (src/context.ts).
  const loader = (lists: LongListsInTurns, batches: number[][]) =>
    new DataLoader<number, number>(
      async (keys) => {
        batches.push([...keys]);
        return keys.map((key) => key * 2);
      },
      { batchScheduleFn: lists.scheduleBatch },
    );

  it("sends one batch for the loads of every slice of a request's long lists, once the last slice is out", async () => {
    const lists = new LongListsInTurns();
    const batches: number[][] = [];
    const load = loader(lists, batches);
    const items = Array.from({ length: 1_000 }, (_, i) => i);
    // Two long lists at once, as two fields of one request; each item asks for its row when its slice is out.
    const answers = Promise.all(
      [
        inTurns(items, lists),
        inTurns(
          items.map((i) => i + 1_000),
          lists,
        ),
      ].flatMap((slices) => slices.map((item) => Promise.resolve(item).then((key) => load.load(key)))),
    );
    expect((await answers).slice(0, 3)).toEqual([0, 2, 4]);
    expect(batches).toHaveLength(1);
    expect(batches[0]).toHaveLength(2_000);
  });

  it('sends batches as DataLoader does when no long list is being handed out', async () => {
    const lists = new LongListsInTurns();
    const batches: number[][] = [];
    const load = loader(lists, batches);
    expect(await Promise.all([load.load(1), load.load(2)])).toEqual([2, 4]);
    expect(await load.load(3)).toBe(6);
    expect(batches).toEqual([[1, 2], [3]]);
  });
});

describe('inTurns', () => {
  it('leaves a list of up to LONG_LIST items as it is', () => {
    const items = Array.from({ length: LONG_LIST }, (_, i) => i);
    expect(inTurns(items)).toBe(items);
  });

  it('makes a long list ready a slice at a time, other work running between slices, in order', async () => {
    const items = Array.from({ length: 1000 }, (_, i) => ({ i }));
    const slices = inTurns(items) as Promise<{ i: number }>[];
    const ready = new Set<number>();
    for (const [index, item] of slices.entries()) {
      void item.then(() => ready.add(index));
    }
    const readyAfterEachTurn: number[] = [];
    while (ready.size < items.length) {
      await turn();
      readyAfterEachTurn.push(ready.size);
    }
    // Several turns, each making at most a slice ready: nothing builds the whole list at once.
    expect(readyAfterEachTurn.length).toBeGreaterThanOrEqual(5);
    const steps = readyAfterEachTurn.map((size, n) => size - (readyAfterEachTurn[n - 1] ?? 0));
    expect(Math.max(...steps)).toBeLessThanOrEqual(LONG_LIST);
    expect(await Promise.all(slices)).toEqual(items);
  });

  it('answers an item that failed before its turn on its turn, without an unhandled rejection, which ends a process', async () => {
    const unhandled: unknown[] = [];
    const record = (reason: unknown) => unhandled.push(reason);
    process.on('unhandledRejection', record);
    try {
      const failure = new Error('lookup failed');
      const items: Promise<number>[] = Array.from({ length: LONG_LIST + 1 }, (_, i) =>
        i === LONG_LIST ? Promise.reject(failure) : Promise.resolve(i),
      );
      const slices = inTurns(items) as Promise<number>[];
      for (let i = 0; i < 3; i++) await turn();
      expect(unhandled).toEqual([]);
      await expect(slices[LONG_LIST]).rejects.toBe(failure);
      expect(await slices[0]).toBe(0);
    } finally {
      process.off('unhandledRejection', record);
    }
  });
});

describe('jsonPieces', () => {
  const values: [string, unknown][] = [
    ['scalars', [1, 'two', true, null, 0.5, -0]],
    ['an empty object and list', { a: {}, b: [] }],
    ['undefined and functions, as JSON.stringify leaves them', { a: undefined, b: [undefined, () => 1], c: () => 1 }],
    ['non-ASCII and escapes', { 'ключ"\n': 'значение \u2028 \ud83d\ude00', emoji: '"\\' }],
    [
      'a long list of nested members',
      {
        organizationMembers: Array.from({ length: 300 }, (_, i) => ({
          username: `user${i}`,
          roles: [{ name: 'organization-admin', displayName: null }],
          user: { id: String(i), globalRoles: i % 2 ? [] : [{ name: 'member' }], deep: { deeper: { deepest: [i] } } },
        })),
      },
    ],
    [
      'lists of long lists',
      { organizations: Array.from({ length: 20 }, (_, i) => ({ id: i, members: Array(40).fill({ i }) })) },
    ],
  ];
  it.each(values)('writes %s exactly as JSON.stringify does', (_, value) => {
    expect([...jsonPieces(value)].join('')).toBe(JSON.stringify(value));
  });

  it('cuts a long list into many pieces', () => {
    const pieces = [...jsonPieces({ list: Array.from({ length: 500 }, (_, i) => ({ i, nested: { a: [i] } })) })];
    expect(pieces.length).toBeGreaterThan(500);
  });
});
