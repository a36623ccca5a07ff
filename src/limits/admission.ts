// Heavy documents take turns. Each heavy execution (cost of at least
// HEAVY_COST, cost.ts) holds its cost while it runs, and one that would take
// the total past QUERY_COST_IN_FLIGHT waits for others to finish (its wait
// counts against REQUEST_TIMEOUT_MS); one always runs when no other heavy one
// does. Light documents (a member, a page) never wait. A heavy answer holds
// its cost until it is written: when its answer is streamed (src/http/
// streamed-answers.ts), until the stream ends. This bounds the memory that
// concurrent large answers take, and keeps light traffic out of their queue.
// Our own: Envelop and Yoga have no plugin that schedules executions by their
// cost.
import type { ExecutionArgs } from 'graphql';
import type { Plugin } from 'graphql-yoga';
import { costOfExecution } from './document-limits.js';

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

/** Whether an execution's document is heavy (its cost, priced by document-limits.ts, is at least HEAVY_COST). */
export const isHeavyExecution = (args: object): boolean => (costOfExecution(args) ?? 0) >= HEAVY_COST;

export function admitByCost(capacity: number): Plugin {
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

  return {
    onExecute({ args, executeFn, setExecuteFn }) {
      const cost = costOfExecution(args) ?? 0;
      if (cost < HEAVY_COST) return;
      const request = (args.contextValue as { request?: Request }).request;
      setExecuteFn(async (executeArgs: ExecutionArgs & { signal?: AbortSignal }) => {
        await acquire(cost, executeArgs.signal);
        const done = release(cost);
        if (request) {
          held.set(request, { release: done, handedOver: false });
          // A client that leaves frees its place at once, whatever holds it.
          request.signal?.addEventListener('abort', done, { once: true });
        }
        let result: Awaited<ReturnType<typeof executeFn>>;
        try {
          result = await executeFn(executeArgs);
        } catch (error) {
          done();
          throw error;
        }
        // Without a request there is no answer to wait for (onResponse releases the others).
        if (!request) done();
        return result;
      });
    },
    onResponse({ request }) {
      // Written at once (not streamed): the answer is complete.
      const admission = held.get(request);
      if (admission && !admission.handedOver) admission.release();
    },
  };
}
