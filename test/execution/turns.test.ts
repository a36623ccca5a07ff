// Long lists are built a slice per turn of the event loop, and heavy answers
// are written in pieces, so that other clients' requests are served between
// them (src/execution/turns.ts, src/http/streamed-answers.ts).
import { describe, expect, it } from 'vitest';
import { inTurns, LONG_LIST } from '../../src/execution/turns.js';
import { jsonPieces } from '../../src/http/streamed-answers.js';

const turn = () => new Promise((resolve) => setImmediate(resolve));

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
