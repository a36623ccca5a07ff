import type { YogaInitialContext } from 'graphql-yoga';
import { createGate, type Gate } from './access/gate.js';
import type { SessionCache } from './auth/session-cache.js';
import { authenticate, type Authentication, type KeyRow, type Session } from './auth/session.js';
import type { DataAccess } from './db/database.js';
import type { Sql } from './db/sql.js';
import type { PrismaClient } from './generated/prisma/client.js';
import { requestIdOf } from './observability/request-id.js';

/**
 * Per-request state. Everything expensive is computed on first use, once.
 * A plain object of closures: Yoga copies the context's own properties into
 * its initial context, so class methods and getters would be lost.
 */
export interface RequestContext {
  /** The request's id (src/observability/request-id.ts): in logs, traces and the `x-request-id` response header. */
  requestId: string;
  prisma: PrismaClient;
  /** Hand-written SQL for the hottest reads (src/db/sql.ts). */
  sql: Sql;
  /** Checks the session token on first call; introspection-only requests never call it. */
  authenticate(): Promise<Authentication>;
  /** Why the request is not authenticated, once `authenticate()` has said so. */
  authFailure(): string | undefined;
  /** The caller's session. Fields behind the `authenticated` scope may rely on it. */
  session(): Session;
  /** The caller's permissions, loaded once per request. */
  gate(): Promise<Gate>;
  /** One instance per request of whatever `create` makes (dataloaders), keyed by `create` itself. */
  perRequest<T>(create: (ctx: RequestContext) => T): T;
  /** Drops the `perRequest` instances, and with them what they have read: a write may have changed it. */
  forgetReads(): void;
}

export type Context = RequestContext & YogaInitialContext;

export function createRequestContext(
  { prisma, sql }: DataAccess,
  request: Request,
  sessionCache?: SessionCache<KeyRow>,
): RequestContext {
  let authentication: Promise<Authentication> | undefined;
  let result: Authentication | undefined;
  let gate: Promise<Gate> | undefined;
  const instances = new Map<unknown, unknown>();
  const context: RequestContext = {
    requestId: requestIdOf(request),
    prisma,
    sql,
    authenticate() {
      authentication ??= authenticate({ sql, prisma }, request.headers, { cache: sessionCache }).then(
        (outcome) => (result = outcome),
      );
      return authentication;
    },
    authFailure: () => (result && !result.ok ? result.reason : undefined),
    session() {
      if (!result?.ok) throw new Error('session read before authentication');
      return result.session;
    },
    gate() {
      gate ??= context.authenticate().then(() => createGate(context.session()));
      return gate;
    },
    perRequest(create) {
      if (!instances.has(create)) instances.set(create, create(context));
      return instances.get(create) as ReturnType<typeof create>;
    },
    forgetReads: () => instances.clear(),
  };
  return context;
}
