// The GraphQL server object. It does not listen: tests call `yoga.fetch`
// directly, and src/server.ts puts it behind an HTTP server.
import { useGraphQlJit } from '@envelop/graphql-jit';
import { getOperationAST, GraphQLError } from 'graphql';
import { createYoga, maskError, type Plugin, type YogaServerInstance } from 'graphql-yoga';
import type { Logger } from 'pino';
import { SessionCache } from './auth/session-cache.js';
import { sendLargeAnswersAsBytes } from './http/answer-bytes.js';
import { limitRequestBodies } from './http/body-limit.js';
import { createResponseCache } from './http/response-cache.js';
import type { KeyRow } from './auth/session.js';
import { createRequestContext, type RequestContext } from './context.js';
import type { DataAccess } from './db/database.js';
import { schema } from './schema/index.js';
import { DEFAULT_LIMITS, DEFAULT_REQUEST_TIMEOUT_MS } from './config.js';
import { StatementCancelled } from './db/cancellation.js';
import { DatabaseUnavailable } from './db/postgres-pool.js';
import { serviceUnavailable } from './errors.js';
import { corsFor, preventCrossSiteRequests } from './http/cross-site.js';
import { requestDeadline } from './http/deadline.js';
import { codeRequestParseErrors } from './http/request-errors.js';
import { type GraphiQLSettings, serveGraphiQL } from './http/graphiql.js';
import { admitByCost, HEAVY_COST } from './limits/admission.js';
import { costOfExecution, type DocumentLimits, limitDocuments } from './limits/document-limits.js';

/** The cost (src/limits/cost.ts) from which a document is compiled with graphql-jit rather than interpreted. */
const JIT_MIN_COST = HEAVY_COST;

export interface GatewayOptions {
  database: DataAccess;
  logger?: Logger;
  /** Reuse a session token's row for this long (SESSION_CACHE_MS); 0, the default, reads it on every request. */
  sessionCacheMs?: number;
  /** Serve a session's repeated query from memory for this long (RESPONSE_CACHE_MS); 0, the default, never. */
  responseCacheMs?: number;
  /** What a document may ask for (QUERY_MAX_*); DEFAULT_LIMITS unless given. */
  limits?: DocumentLimits;
  /** How long an execution may run (REQUEST_TIMEOUT_MS). */
  requestTimeoutMs?: number;
  /** Origins allowed to call with credentials (CORS_ORIGINS); none by default. */
  corsOrigins?: readonly string[];
  /** GraphiQL on GET from a browser (GRAPHIQL), or false. */
  graphiql?: GraphiQLSettings | false;
}

export type Gateway = YogaServerInstance<Record<string, never>, RequestContext>;

export function createGateway({
  database,
  logger,
  sessionCacheMs = 0,
  responseCacheMs = 0,
  limits = DEFAULT_LIMITS,
  requestTimeoutMs = DEFAULT_REQUEST_TIMEOUT_MS,
  corsOrigins = [],
  graphiql = { persistHeaders: false },
}: GatewayOptions): Gateway {
  const sessionCache = sessionCacheMs > 0 ? new SessionCache<KeyRow>(sessionCacheMs) : undefined;
  const responseCache = responseCacheMs > 0 ? createResponseCache(responseCacheMs) : undefined;
  return createYoga<Record<string, never>, RequestContext>({
    schema,
    graphqlEndpoint: '/graphql',
    // Our own limit, which reads Content-Length rather than counting every body (src/http/body-limit.ts).
    maxRequestBodySize: false,
    // GraphiQL is served by our own plugin (serveGraphiQL): rendered once, compressed, cached.
    graphiql: false,
    cors: corsFor(corsOrigins),
    landingPage: false,
    plugins: [
      ...(graphiql ? [serveGraphiQL('/graphql', graphiql)] : []),
      preventCrossSiteRequests(),
      limitRequestBodies(),
      // After limitRequestBodies, so that it wraps the reader of chunked bodies too.
      codeRequestParseErrors(),
      limitDocuments(limits),
      // Large answers are executed by code compiled for their document: 20
      // organizations × 50 members took a quarter less CPU than the interpreter,
      // while compiling costs more than it saves on small answers
      // (docs/performance-notes.md). Compiled documents are kept beside the
      // parsed ones, whose cache Yoga bounds; compile errors go to the log.
      useGraphQlJit(
        {},
        {
          enableIf: (args) => (costOfExecution(args) ?? 0) >= JIT_MIN_COST,
          onError: (result) => logger?.warn({ errors: result.errors }, 'graphql-jit could not compile a document'),
        },
      ),
      // After the JIT plugin, so that it wraps whichever executor runs.
      admitByCost(limits.maxCostInFlight),
      // After admission, so that the deadline counts the wait for a turn too.
      requestDeadline(requestTimeoutMs),
      codeRequestErrors(),
      sendLargeAnswersAsBytes(),
      ...(responseCache ? [responseCache.plugin] : []),
      // Any write may change someone's roles, keys or members: what was read before it is read again.
      ...(sessionCache || responseCache
        ? [
            afterWrites(() => {
              sessionCache?.clear();
              responseCache?.forgetAll();
            }),
          ]
        : []),
    ],
    // Unexpected errors reach the client as INTERNAL_SERVER_ERROR with no internals; log them here.
    maskedErrors: {
      maskError: (error, message, isDev) => {
        const unavailable = databaseUnavailable(error);
        if (unavailable) return unavailable;
        const masked = maskError(error, message, isDev);
        if ((masked as GraphQLError).extensions?.code === 'INTERNAL_SERVER_ERROR') {
          logger?.error({ err: error }, 'unexpected error while executing a request');
        }
        return masked;
      },
    },
    logging: logger
      ? {
          debug: (...args) => logger.debug(args),
          info: (...args) => logger.info(args),
          warn: (...args) => logger.warn(args),
          error: (...args) => logger.error(args),
        }
      : false,
    context: ({ request }) => createRequestContext(database, request, sessionCache),
  });
}

/**
 * Errors that stop a request before any field runs (variables that do not
 * fit their types, say `$limit: 2147483648`, or a missing one) come from
 * GraphQL with no code; they are the client's, so they get BAD_USER_INPUT,
 * as in Apollo Server. Such a result has no `data` at all.
 */
function codeRequestErrors(): Plugin {
  return {
    onExecute: () => ({
      onExecuteDone({ result, setResult }) {
        if (!('errors' in result) || !result.errors?.length || 'data' in result) return;
        setResult({
          ...result,
          errors: result.errors.map((error) =>
            error.extensions?.code
              ? error
              : new GraphQLError(error.message, {
                  nodes: error.nodes,
                  source: error.source,
                  positions: error.positions,
                  path: error.path,
                  originalError: error.originalError,
                  extensions: { ...error.extensions, code: 'BAD_USER_INPUT' },
                }),
          ),
        });
      },
    }),
  };
}

/** Calls `done` after each mutation, whether or not it succeeded. */
function afterWrites(done: () => void): Plugin {
  return {
    onExecute({ args }) {
      const operation = getOperationAST(args.document, args.operationName);
      if (operation?.operation === 'mutation') return { onExecuteDone: done };
    },
  };
}

/**
 * SERVICE_UNAVAILABLE for an error caused by a database that cannot be
 * reached (or a statement stopped with its request), wherever it was wrapped
 * (a resolver's error, Prisma's driver error); undefined for any other.
 */
function databaseUnavailable(error: unknown): GraphQLError | undefined {
  const seen = new Set<unknown>();
  for (let cause = error; cause && typeof cause === 'object' && !seen.has(cause); ) {
    seen.add(cause);
    if (cause instanceof DatabaseUnavailable)
      return serviceUnavailable('The database is unavailable; try again shortly.');
    if (cause instanceof StatementCancelled) return serviceUnavailable('The request ended before its database work.');
    const next = cause as { originalError?: unknown; cause?: unknown };
    cause = next.originalError ?? next.cause;
  }
  return undefined;
}
