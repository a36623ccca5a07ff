// `/ready`, beside Yoga's `/health` (liveness): 200 when the database answers
// and its schema is the one this gateway needs, 503 with the reason
// otherwise, so that a load balancer sends no traffic to a replica that
// could only answer errors.
import type { Plugin } from 'graphql-yoga';

export const READY_PATH = '/ready';

/** How long the check may take before the replica counts as not ready. */
const CHECK_TIMEOUT_MS = 2_000;

export function readinessEndpoint(check: () => Promise<void>): Plugin {
  return {
    async onRequest({ url, endResponse, fetchAPI }) {
      if (url.pathname !== READY_PATH) return;
      let timer: NodeJS.Timeout | undefined;
      const reason = await Promise.race([
        check().then(
          () => undefined,
          (error: unknown) => (error instanceof Error ? error.message : String(error)),
        ),
        new Promise<string>((resolve) => {
          timer = setTimeout(
            () => resolve(`the database did not answer within ${CHECK_TIMEOUT_MS} ms`),
            CHECK_TIMEOUT_MS,
          );
        }),
      ]);
      clearTimeout(timer);
      endResponse(
        fetchAPI.Response.json(reason === undefined ? { status: 'ready' } : { status: 'unavailable', reason }, {
          status: reason === undefined ? 200 : 503,
          headers: { 'cache-control': 'no-store' },
        }),
      );
    },
  };
}
