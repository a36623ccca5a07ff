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
import { createRequestContext, type AuditLogMode, type RequestContext } from './context.js';
import { proxyTrust } from './http/request-info.js';
import type { DataAccess, Database } from './db/database.js';
import { checkDatabaseReady } from './db/readiness.js';
import { compressAnswers } from './http/compression.js';
import { readinessEndpoint } from './http/readiness.js';
import { onlyTrustedDocuments, type TrustedDocuments } from './http/trusted-documents.js';
import { requestIdsAndAccessLog } from './observability/access-log.js';
import { prometheusMetrics } from './observability/metrics.js';
import type { Tracing } from './observability/tracing.js';
import { schema } from './schema/index.js';

export interface GatewayOptions {
  /** Also its statements (for SQL spans) and pool (for metrics), where it has them. */
  database: DataAccess & Partial<Pick<Database, 'onStatement' | 'poolStats'>>;
  /** Where errors go, and with `accessLog` a line per request. */
  logger?: Logger;
  /** One JSON line per request on `logger` (ACCESS_LOG). */
  accessLog?: boolean;
  /** Prometheus metrics at /metrics (METRICS). */
  metrics?: boolean;
  /** brotli or gzip for answers (COMPRESSION); on by default. */
  compression?: boolean;
  /** Traces (OTEL_EXPORTER_OTLP_ENDPOINT): made by src/observability/tracing.ts, which loads only then. */
  tracing?: Tracing;
  /** Allow-list mode: only these documents run (TRUSTED_DOCUMENTS). */
  trustedDocuments?: TrustedDocuments;
  /** Readiness checks migrations (true, the default) or, for a Coder database, only the tables (MIGRATE=false). */
  migrate?: boolean;
  /** Reuse a session token's row for this long (SESSION_CACHE_MS); 0, the default, reads it on every request. */
  sessionCacheMs?: number;
  /** Serve a session's repeated query from memory for this long (RESPONSE_CACHE_MS); 0, the default, never. */
  responseCacheMs?: number;
  /** Audit rows: written (the default), only read (AUDIT=false), or absent from the database (src/app.ts decides). */
  auditLogs?: AuditLogMode;
  /** Slide session expiry (default true; DISABLE_SESSION_EXPIRY_REFRESH). */
  sessionExpiryRefresh?: boolean;
  /** PROXY_TRUSTED_ORIGINS and PROXY_TRUSTED_HEADERS: who may name the client's address. */
  proxyTrustedOrigins?: readonly string[];
  proxyTrustedHeaders?: readonly string[];
}

/** What the server gives each request besides the Request: Node's request, when it came over a socket. */
export interface ServerContext {
  req?: { socket?: { remoteAddress?: string | undefined } };
}

export type Gateway = YogaServerInstance<ServerContext, RequestContext>;

export function createGateway({
  database,
  logger,
  sessionCacheMs = 0,
  responseCacheMs = 0,
  auditLogs = 'write',
  sessionExpiryRefresh = true,
  proxyTrustedOrigins = [],
  proxyTrustedHeaders = [],
  accessLog = false,
  metrics = false,
  compression = true,
  tracing,
  trustedDocuments,
  migrate = true,
}: GatewayOptions): Gateway {
  if (tracing && database.onStatement) database.onStatement(tracing.onStatement);
  const sessionCache = sessionCacheMs > 0 ? new SessionCache<KeyRow>(sessionCacheMs) : undefined;
  const requestOptions = {
    sessionCache,
    auditLogs,
    sessionExpiryRefresh,
    proxyTrust: proxyTrustedHeaders.length ? proxyTrust(proxyTrustedOrigins, proxyTrustedHeaders) : undefined,
  };
  const responseCache = responseCacheMs > 0 ? createResponseCache(responseCacheMs) : undefined;
  return createYoga<ServerContext, RequestContext>({
    schema,
    graphqlEndpoint: '/graphql',
    // Our own limit, which reads Content-Length rather than counting every body (src/http/body-limit.ts).
    maxRequestBodySize: false,
    graphiql: {
      title: 'Coder members gateway',
      // Where the session token goes; the browser keeps what the user types.
      headers: JSON.stringify({ 'Coder-Session-Token': 'paste the session token here' }, null, 2),
      shouldPersistHeaders: true,
      defaultQuery: [
        '# The members of the default organization, with their roles.',
        '{',
        '  organization(organization: "default") {',
        '    displayName',
        '    members(first: 25) {',
        '      totalCount',
        '      edges { node { username email roles { name displayName } globalRoles { name } } }',
        '    }',
        '  }',
        '}',
        '',
      ].join('\n'),
    },
    // GraphiQL's page from the npm package itself: Yoga's default loads it from a CDN at run time.
    // Imported on the first visit: the bundle is 9 MB of JavaScript that API traffic never needs.
    renderGraphiQL: async (options) => (await import('@graphql-yoga/render-graphiql')).renderGraphiQL(options),
    landingPage: false,
    plugins: [
      // First: every response, refusals included, gets its request id, and is timed and logged.
      requestIdsAndAccessLog(accessLog ? logger : undefined),
      ...(metrics ? [prometheusMetrics(database.poolStats)] : []),
      readinessEndpoint(() => checkDatabaseReady(database, migrate)),
      limitRequestBodies(),
      ...(trustedDocuments ? [onlyTrustedDocuments(trustedDocuments)] : []),
      // Each distinct operation is compiled to JavaScript once (cached with the
      // parsed document): a page of 1,000 members costs half the CPU that
      // graphql-js's interpreter spends on it (npm run bench, README "Performance").
      useGraphQlJit(),
      // After jit, whose executor replaces the one before it: tracing wraps jit's, to run it inside the operation's span.
      ...(tracing?.plugins ?? []),
      codeRequestErrors(),
      // Compressed answers are bytes already; the others large enough are made bytes.
      ...(compression ? [compressAnswers()] : []),
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
    // `req` is Node's request when served over a socket (src/http/shutdown.ts); tests may pass one to `yoga.fetch`.
    context: ({ request, req }) => createRequestContext(database, request, req?.socket?.remoteAddress, requestOptions),
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
