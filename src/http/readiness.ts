// `/ready`, beside Yoga's `/health` (liveness): 200 when the database answers
// and its schema is the one this gateway needs, 503 with the reason
// otherwise, so that a load balancer sends no traffic to a replica that
// could only answer errors.
import type { Plugin } from 'graphql-yoga';
import type { Logger } from 'pino';
import { MigrationError } from '../db/migrate.js';
import { DatabaseUnavailable } from '../db/postgres-pool.js';

export const READY_PATH = '/ready';

/** How long the check may take before the replica counts as not ready. */
const CHECK_TIMEOUT_MS = 2_000;

/**
 * What the answer says of a failed check. Anyone who reaches `/ready` reads it, and a driver's message may name the
 * database's host, port or user: those stay in the log. The gateway's own reasons (migrations, tables) are shown.
 */
function publicReason(error: unknown): string {
  if (error instanceof DatabaseUnavailable) return 'the database is unavailable';
  if (error instanceof MigrationError || (error instanceof Error && error.name === 'Error')) return error.message;
  return 'the database check failed';
}

export function readinessEndpoint(check: () => Promise<void>, logger?: Logger): Plugin {
  return {
    async onRequest({ request, url, endResponse, fetchAPI }) {
      if (url.pathname !== READY_PATH) return;
      // A check runs a statement: only what a probe sends runs it (the refusal gets its body from request-errors.ts).
      if (request.method !== 'GET' && request.method !== 'HEAD') {
        endResponse(new fetchAPI.Response(null, { status: 405, headers: { allow: 'GET, HEAD' } }));
        return;
      }
      let timer: NodeJS.Timeout | undefined;
      const reason = await Promise.race([
        check().then(
          () => undefined,
          (error: unknown) => {
            logger?.warn({ err: error }, 'not ready');
            return publicReason(error);
          },
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
