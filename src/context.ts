import type { YogaInitialContext } from 'graphql-yoga';
import { authenticate, type Authentication, type Session } from './auth/session.js';
import type { PrismaClient } from './generated/prisma/client.js';

/**
 * Per-request state. Everything expensive is computed on first use, once.
 * A plain object of closures: Yoga copies the context's own properties into
 * its initial context, so class methods and getters would be lost.
 */
export interface RequestContext {
  prisma: PrismaClient;
  /** Checks the session token on first call; introspection-only requests never call it. */
  authenticate(): Promise<Authentication>;
  /** Why the request is not authenticated, once `authenticate()` has said so. */
  authFailure(): string | undefined;
  /** The caller's session. Fields behind the `authenticated` scope may rely on it. */
  session(): Session;
}

export type Context = RequestContext & YogaInitialContext;

export function createRequestContext(prisma: PrismaClient, request: Request): RequestContext {
  let authentication: Promise<Authentication> | undefined;
  let result: Authentication | undefined;
  return {
    prisma,
    authenticate() {
      authentication ??= authenticate(prisma, request.headers).then((outcome) => (result = outcome));
      return authentication;
    },
    authFailure: () => (result && !result.ok ? result.reason : undefined),
    session() {
      if (!result?.ok) throw new Error('session read before authentication');
      return result.session;
    },
  };
}
