// Long answers are built in turns. The rows of a 5,000-member list arrive at
// once, and graphql-js (or graphql-jit) would then build every member's fields
// in one synchronous stretch: hundreds of milliseconds in which the serving
// thread reads no other request. A long list is instead handed to the executor
// as items that become ready a slice at a time, one slice per turn of the
// event loop, so that other clients' requests are read and answered between
// slices. Turns are shared by every request in FIFO order, so several heavy
// answers in progress still give other work a turn after each slice.
//
// Our own: no scheduler among the executor's plugins yields between list items.
import type { GraphQLSchema } from 'graphql';
import type { ListResolved } from './list-fields.js';

/** Lists up to this long are left as they are: their items take less than a millisecond to build. */
export const LONG_LIST = 200;
/** Items built in one turn. */
const SLICE = 100;

const waiting: Array<() => void> = [];
let scheduled = false;

function runNextTurn() {
  scheduled = false;
  waiting.shift()?.();
  // Scheduled from within a turn, the next runs on the event loop's next round, after its I/O.
  if (waiting.length > 0) {
    scheduled = true;
    setImmediate(runNextTurn);
  }
}

/** Resolves on a turn of its own, after the turns asked for before it and after the I/O that is ready. */
export function nextTurn(): Promise<void> {
  return new Promise((resolve) => {
    waiting.push(resolve);
    if (!scheduled) {
      scheduled = true;
      setImmediate(runNextTurn);
    }
  });
}

/** DataLoader's `batchScheduleFn`: calls `dispatch` when the batch is to be sent. */
export type BatchSchedule = (dispatch: () => void) => void;

/**
 * DataLoader's own schedule (which it does not export): after the promise jobs of the current tick, when a level's
 * resolvers have all asked.
 */
const dataLoadersOwnSchedule: BatchSchedule = (dispatch) => {
  Promise.resolve().then(() => process.nextTick(dispatch));
};

/**
 * A request's long lists still being handed out, slice by slice. Its loaders send their batches through
 * `scheduleBatch`, which waits until no list is.
 */
export class LongListsInTurns {
  #handingOut = 0;
  #held: (() => void)[] = [];

  /** DataLoader's `batchScheduleFn`: its own schedule, once no long list of the request is being handed out. */
  readonly scheduleBatch: BatchSchedule = (dispatch) => {
    if (this.#handingOut === 0) dataLoadersOwnSchedule(dispatch);
    else this.#held.push(dispatch);
  };

  started(): void {
    this.#handingOut++;
  }

  /** After the last slice's items: on its tick, so that their loads join the batches sent now. */
  finished(): void {
    if (--this.#handingOut > 0) return;
    const held = this.#held;
    this.#held = [];
    for (const dispatch of held) dataLoadersOwnSchedule(dispatch);
  }
}

/** A long list as items that become ready a slice per turn; a short one as it is. */
export function inTurns<T>(items: readonly T[], lists?: LongListsInTurns): readonly T[] | Promise<T>[] {
  if (items.length <= LONG_LIST) return items;
  // An item may be a promise that has already failed (an entity's lookup): it is answered on its turn, and until
  // then it must not count as an unhandled rejection, which ends the process.
  for (const item of items) if (item instanceof Promise) item.catch(() => {});
  const slices: Promise<T>[] = new Array(items.length);
  let turn: Promise<void> = Promise.resolve();
  lists?.started();
  for (let start = 0; start < items.length; start += SLICE) {
    turn = turn.then(nextTurn);
    for (let i = start; i < Math.min(start + SLICE, items.length); i++) slices[i] = turn.then(() => items[i] as T);
  }
  if (lists) void turn.then(() => lists.finished());
  return slices;
}

/** What a request's context carries for its long lists (src/context.ts). */
interface WithLongLists {
  longLists?: LongListsInTurns;
}

/** A list's step (src/execution/list-fields.ts): a long list handed out in turns. */
export const handOutInTurns: ListResolved = (list, context) =>
  inTurns(list, (context as WithLongLists | null)?.longLists);
