// Executions take turns by their cost (cost.ts), so that small reads stay
// fast whatever else clients send:
// - Small documents (under SMALL_COST: a member, a short page) never wait;
//   each marks the small-traffic clock (small-traffic.ts).
// - While small documents are being served, larger ones run one at a time on
//   this thread (on PostgreSQL most go to the heavy-query lane instead); with
//   no small traffic, as many as come.
// - Heavy documents (from HEAVY_COST) also hold their cost while they run, and
//   one that would take the total past QUERY_COST_IN_FLIGHT waits for others
//   to finish; one always runs when no other heavy one does. This bounds the
//   memory that concurrent large answers take.
// Every wait counts against REQUEST_TIMEOUT_MS, and a client that leaves
// leaves its line. A larger document leaves the larger ones' line when its
// execution ends; a heavy one holds its cost until its answer is written:
// when the answer is streamed (src/http/streamed-answers.ts), until the
// stream ends.
// Our own: Envelop and Yoga have no plugin that schedules executions by their
// cost.
import type { ExecutionArgs } from 'graphql';
import type { Plugin } from 'graphql-yoga';
import { costOfExecution } from './document-limits.js';
import type { SmallTraffic } from './small-traffic.js';
import { Slots } from './slots.js';

/** Releases a request's admission, once; a second call does nothing. */
type Release = () => void;

/** Admissions still held after execution, by request, until the answer is written. */
const held = new WeakMap<Request, { release: Release; handedOver: boolean }>();

/**
 * Takes over the admission `request` holds, if any: the caller releases it
 * (when the streamed answer ends) instead of the answer's being written.
 */
export function takeAdmission(request: Request): Release | undefined {
  const admission = held.get(request);
  if (!admission) return undefined;
  admission.handedOver = true;
  return admission.release;
}

interface Waiting {
  cost: number;
  admit(): void;
}

/** From this cost a document is heavy: a few pages of members (a one-member read costs about 10). */
export const HEAVY_COST = 10_000;

/** Under this cost a document is small: a member, a page of about 20 (its cost is about 50 a member with its user). */
export const SMALL_COST = 1_000;

/**
 * Larger documents (from SMALL_COST) running at once on a thread while small ones are being served
 * (small-traffic.ts); the others wait their turn. One: two at once left a bystander's p99 at 46 ms under a flood
 * of pages of 100, one at 26 ms, for 30% fewer pages (docs/performance.md).
 */
const LARGER_WHILE_SMALL = 1;

/** Whether an execution's document is heavy (its cost, priced by document-limits.ts, is at least HEAVY_COST). */
export const isHeavyExecution = (args: object): boolean => (costOfExecution(args) ?? 0) >= HEAVY_COST;

export interface AdmissionOptions {
  /** QUERY_COST_IN_FLIGHT: the total cost of heavy executions at once. */
  capacity: number;
  /** When a small document last started: marked here, read by every thread that makes larger ones give way. */
  smallTraffic: SmallTraffic;
  /**
   * Whether larger documents run one at a time here while small ones are being served. The heavy-query lane's
   * thread, which serves larger documents only, keeps them all going.
   */
  largerGiveWay: boolean;
}

export function admitByCost({ capacity, smallTraffic, largerGiveWay }: AdmissionOptions): Plugin {
  let inFlight = 0;
  const queue: Waiting[] = [];

  const fits = (cost: number) => inFlight === 0 || inFlight + cost <= capacity;

  function admitWaiting() {
    for (let i = 0; i < queue.length; ) {
      const waiting = queue[i]!;
      if (!fits(waiting.cost)) {
        i++;
        continue;
      }
      queue.splice(i, 1);
      inFlight += waiting.cost;
      waiting.admit();
    }
  }

  function acquire(cost: number, signal: AbortSignal | undefined): Promise<void> {
    if (signal?.aborted) return Promise.reject(signal.reason);
    if (queue.length === 0 && fits(cost)) {
      inFlight += cost;
      return Promise.resolve();
    }
    return new Promise((resolve, reject) => {
      const waiting: Waiting = {
        cost,
        admit: () => {
          signal?.removeEventListener('abort', leave);
          resolve();
        },
      };
      const leave = () => {
        const index = queue.indexOf(waiting);
        if (index >= 0) queue.splice(index, 1);
        reject(signal!.reason);
      };
      signal?.addEventListener('abort', leave, { once: true });
      queue.push(waiting);
    });
  }

  function release(cost: number): Release {
    let released = false;
    return () => {
      if (released) return;
      released = true;
      inFlight -= cost;
      admitWaiting();
    };
  }

  // Larger documents build their answers in stretches of milliseconds that a small read would wait behind.
  const larger = new Slots(() =>
    largerGiveWay && smallTraffic.recent ? LARGER_WHILE_SMALL : Number.POSITIVE_INFINITY,
  );

  return {
    onExecute({ args, executeFn, setExecuteFn }) {
      const cost = costOfExecution(args) ?? 0;
      if (cost < SMALL_COST) {
        smallTraffic.mark();
        return;
      }
      const request = (args.contextValue as { request?: Request }).request;
      setExecuteFn(async (executeArgs: ExecutionArgs & { signal?: AbortSignal }) => {
        // The line is left once the execution ends: a client slow to read a streamed answer holds no one up.
        const leaveLine = await larger.take(executeArgs.signal);
        let done: Release = () => {};
        try {
          if (cost >= HEAVY_COST) {
            await acquire(cost, executeArgs.signal);
            done = release(cost);
            if (request) {
              held.set(request, { release: done, handedOver: false });
              // A client that leaves frees its place at once, whatever holds it.
              request.signal?.addEventListener('abort', done, { once: true });
            }
          }
          const result = await executeFn(executeArgs);
          // Without a request there is no answer to wait for (onResponse releases the others).
          if (!request) done();
          return result;
        } catch (error) {
          done();
          throw error;
        } finally {
          leaveLine();
        }
      });
    },
    onResponse({ request }) {
      // Written at once (not streamed): the answer is complete.
      const admission = held.get(request);
      if (admission && !admission.handedOver) admission.release();
    },
  };
}
