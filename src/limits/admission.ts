// Heavy documents take turns. Each heavy execution (cost of at least
// HEAVY_COST, cost.ts) holds its cost while it runs, and one that would take
// the total past QUERY_COST_IN_FLIGHT waits for others to finish (its wait
// counts against REQUEST_TIMEOUT_MS); one always runs when no other heavy one
// does. Light documents (a member, a page) never wait. This bounds the memory
// that concurrent large answers take, and keeps light traffic out of their
// queue. Our own: Envelop and Yoga have no plugin that schedules executions
// by their cost.
import type { ExecutionArgs } from 'graphql';
import type { Plugin } from 'graphql-yoga';
import { costOfExecution } from './document-limits.js';

interface Waiting {
  cost: number;
  admit(): void;
}

/** From this cost a document is heavy: a few pages of members (a one-member read costs about 10). */
export const HEAVY_COST = 10_000;

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

  return {
    onExecute({ args, executeFn, setExecuteFn }) {
      const cost = costOfExecution(args) ?? 0;
      if (cost < HEAVY_COST) return;
      setExecuteFn(async (executeArgs: ExecutionArgs & { signal?: AbortSignal }) => {
        await acquire(cost, executeArgs.signal);
        try {
          return await executeFn(executeArgs);
        } finally {
          inFlight -= cost;
          admitWaiting();
        }
      });
    },
  };
}
