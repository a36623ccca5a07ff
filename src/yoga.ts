// The GraphQL server object. It does not listen: tests call `yoga.fetch`
// directly, and src/server.ts puts it behind an HTTP server.
import { getOperationAST, type GraphQLError } from 'graphql';
import { createYoga, maskError, type Plugin, type YogaServerInstance } from 'graphql-yoga';
import type { Logger } from 'pino';
import { SessionCache } from './auth/session-cache.js';
import { sendLargeAnswersAsBytes } from './http/answer-bytes.js';
import { limitRequestBodies } from './http/body-limit.js';
import { writeErrorsWithoutCauses } from './http/error-answers.js';
import { createResponseCache } from './http/response-cache.js';
import type { KeyRow } from './auth/session.js';
import { createRequestContext, type AuditLogMode, type RequestContext } from './context.js';
import { proxyTrust } from './http/request-info.js';
import type { DataAccess, Database } from './db/database.js';
import { checkDatabaseReady } from './db/readiness.js';
import { compressAnswers } from './http/compression.js';
import { readinessEndpoint } from './http/readiness.js';
import { noPersistedDocuments, onlyTrustedDocuments } from './http/trusted-documents.js';
import { requestIdsAndAccessLog } from './observability/access-log.js';
import { prometheusMetrics } from './observability/metrics.js';
import type { Tracing } from './observability/tracing.js';
import { schema } from './schema/index.js';
import { DEFAULT_LIMITS, DEFAULT_REQUEST_TIMEOUT_MS } from './config.js';
import { StatementCancelled } from './db/cancellation.js';
import { DatabaseUnavailable, isUnavailable } from './db/postgres-pool.js';
import { isPrismaUnavailable } from './db/prisma-errors.js';
import { codeOfUncoded, reworded, serviceUnavailable } from './errors.js';
import { corsFor, preventCrossSiteRequests, varyByOrigin } from './http/cross-site.js';
import { requestDeadline } from './http/deadline.js';
import { streamHeavyAnswers } from './http/streamed-answers.js';
import { codeRequestRefusals } from './http/request-errors.js';
import { type GraphiQLSettings, serveGraphiQL } from './http/graphiql.js';
import { limitAnswerText } from './limits/answer-text.js';
import { parsedDocuments } from './limits/document-cache.js';
import { admitByCost } from './limits/admission.js';
import { SmallTraffic } from './limits/small-traffic.js';
import { type DocumentLimits, limitDocuments } from './limits/document-limits.js';
import { sayWhenChangesWereMade } from './execution/changes-made.js';
import { compileRepeatedOrHeavyDocuments } from './execution/jit.js';
import { type HeavyLane, heavyQueryLane } from './execution/heavy-lane.js';
import type { Config, TrustedDocuments } from './config.js';

export interface GatewayOptions {
  /** Also its statements (for SQL spans) and pool (for metrics), where it has them. */
  database: DataAccess & Partial<Pick<Database, 'onStatement' | 'poolStats' | 'smallTraffic'>>;
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
  /** Audit rows: written (the default), only read (AUDIT=false), or absent from the database (src/server.ts). */
  auditLogs?: AuditLogMode;
  /** Slide session expiry (default true; DISABLE_SESSION_EXPIRY_REFRESH). */
  sessionExpiryRefresh?: boolean;
  /** The audience OAuth2 provider-app tokens may be bound to (ACCESS_URL); unset, only unbound ones are accepted. */
  accessUrl?: string | undefined;
  /** PROXY_TRUSTED_ORIGINS and PROXY_TRUSTED_HEADERS: who may name the client's address. */
  proxyTrustedOrigins?: readonly string[];
  proxyTrustedHeaders?: readonly string[];
  /** What a document may ask for (QUERY_MAX_*); DEFAULT_LIMITS unless given. */
  limits?: DocumentLimits;
  /** How long an execution may run (REQUEST_TIMEOUT_MS). */
  requestTimeoutMs?: number;
  /** Origins allowed to call with credentials (CORS_ORIGINS); none by default. */
  corsOrigins?: readonly string[];
  /** GraphiQL on GET from a browser (GRAPHIQL), or false. */
  graphiql?: GraphiQLSettings | false;
  /** Where heavy queries run (HEAVY_QUERY_THREAD): src/execution/heavy-lane.ts. */
  heavyLane?: HeavyLane;
  /**
   * The heavy-query lane's own gateway, which serves larger documents only: they all run at once rather than
   * give way to small ones (src/limits/admission.ts).
   */
  servesOnlyLarger?: boolean;
  /** Plugins after ours (the heavy-query lane's thread reports its error codes with one). */
  plugins?: Plugin[];
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
  accessUrl,
  proxyTrustedOrigins = [],
  proxyTrustedHeaders = [],
  accessLog = false,
  metrics = false,
  compression = true,
  tracing,
  trustedDocuments,
  migrate = true,
  limits = DEFAULT_LIMITS,
  requestTimeoutMs = DEFAULT_REQUEST_TIMEOUT_MS,
  corsOrigins = [],
  graphiql = { persistHeaders: false },
  heavyLane,
  servesOnlyLarger = false,
  plugins = [],
}: GatewayOptions): Gateway {
  if (tracing && database.onStatement) database.onStatement(tracing.onStatement);
  const sessionCache = sessionCacheMs > 0 ? new SessionCache<KeyRow>(sessionCacheMs) : undefined;
  const requestOptions = {
    sessionCache,
    auditLogs,
    sessionExpiryRefresh,
    accessUrl,
    proxyTrust: proxyTrustedHeaders.length ? proxyTrust(proxyTrustedOrigins, proxyTrustedHeaders) : undefined,
    // What the cost could only assume, counted as the answer is built.
    maxAnswerValues: limits.maxCost,
  };
  const responseCache = responseCacheMs > 0 ? createResponseCache(responseCacheMs) : undefined;
  const lane = heavyLane ? heavyQueryLane(heavyLane) : undefined;
  return createYoga<ServerContext, RequestContext>({
    schema,
    graphqlEndpoint: '/graphql',
    // The schema takes no uploads, and a multipart body's map may place one file at any number of paths in the
    // variables: 1,500 references to 200 KB in a 226 KB body held the serving thread for 31 s.
    multipart: false,
    parserAndValidationCache: parsedDocuments(),
    // Our own limit, which reads Content-Length rather than counting every body (src/http/body-limit.ts).
    maxRequestBodySize: false,
    // GraphiQL is served by our own plugin (serveGraphiQL): rendered once, compressed, cached.
    graphiql: false,
    cors: corsFor(corsOrigins),
    landingPage: false,
    plugins: [
      // Before everything that reads the response: a heavy query's is the lane's.
      ...(lane ? [lane.answer] : []),
      // Before the access log, which logs the codes of the answer as written; and before anything writes it.
      limitAnswerText(),
      // After the refusals above, which leave an answer without data.
      sayWhenChangesWereMade(),
      // Every response, refusals included, gets its request id, and is timed and logged.
      requestIdsAndAccessLog(accessLog ? logger : undefined),
      ...(graphiql ? [serveGraphiQL('/graphql', graphiql, logger)] : []),
      ...(metrics ? [prometheusMetrics(database.poolStats)] : []),
      readinessEndpoint(() => checkDatabaseReady(database, migrate), logger),
      preventCrossSiteRequests(),
      ...(corsOrigins.length ? [varyByOrigin()] : []),
      limitRequestBodies(),
      // After limitRequestBodies, so that it wraps the reader of chunked bodies too.
      codeRequestRefusals(),
      trustedDocuments ? onlyTrustedDocuments(trustedDocuments) : noPersistedDocuments(),
      limitDocuments(limits),
      // After the limits, which price the document; a heavy query handed over runs none of the executors below here.
      ...(lane ? [lane.send] : []),
      // Repeated and heavy documents run as code compiled for them (src/execution/jit.ts).
      compileRepeatedOrHeavyDocuments(logger),
      // After jit, whose executor replaces the one before it: tracing wraps jit's, to run it in the operation's span.
      ...(tracing?.plugins ?? []),
      // After the executors above, so that it wraps whichever runs.
      admitByCost({
        capacity: limits.maxCostInFlight,
        smallTraffic: database.smallTraffic ?? new SmallTraffic(),
        largerGiveWay: !servesOnlyLarger,
      }),
      // After admission, so that the deadline counts the wait for a turn too.
      requestDeadline(requestTimeoutMs),
      codeRequestErrors(),
      // Before compression, which then reads the stream.
      streamHeavyAnswers(),
      // Compressed answers are bytes already; the others large enough are made bytes.
      ...(compression ? [compressAnswers()] : []),
      sendLargeAnswersAsBytes(),
      ...(responseCache ? [responseCache.plugin] : []),
      writeErrorsWithoutCauses(),
      // Any write may change someone's roles, keys or members: what was read before it is read again.
      ...(sessionCache || responseCache
        ? [
            afterWrites(() => {
              sessionCache?.clear();
              responseCache?.forgetAll();
            }),
          ]
        : []),
      ...plugins,
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
          // Yoga logs here each error it masks: ours logs those that are faults (maskedErrors above), once, with
          // their stack; the rest (a lost database answered SERVICE_UNAVAILABLE) are no fault of the gateway's.
          error: (...args) => logger.debug({ err: args[0] }, 'masked an error for the client'),
        }
      : false,
    // `req` is Node's request when served over a socket (src/http/node-server.ts); tests may pass one to `yoga.fetch`.
    context: ({ request, req }) => createRequestContext(database, request, req?.socket?.remoteAddress, requestOptions),
  });
}

/** What a gateway needs besides its configuration. */
export type GatewayParts = Pick<GatewayOptions, 'database' | 'logger' | 'auditLogs' | 'heavyLane'> &
  Partial<
    Pick<
      GatewayOptions,
      'sessionCacheMs' | 'responseCacheMs' | 'metrics' | 'graphiql' | 'accessLog' | 'servesOnlyLarger' | 'plugins'
    >
  >;

/**
 * The gateway `config` describes, on an open and prepared database: the serving thread's and the heavy-query
 * lane's (src/execution/heavy-thread.ts). `stopTracing` sends the spans still buffered.
 */
export async function gatewayFromConfig(
  config: Config,
  parts: GatewayParts,
): Promise<{ yoga: Gateway; stopTracing(): Promise<void> }> {
  let tracing: Tracing | undefined;
  let stopTracing = async () => {};
  if (config.otlpEndpoint) {
    const { createTracing, startOtlpTracing } = await import('./observability/tracing.js');
    const otlp = await startOtlpTracing(config.otlpEndpoint);
    stopTracing = otlp.stop;
    tracing = createTracing(otlp.provider);
  }
  const yoga = createGateway({
    sessionCacheMs: config.sessionCacheMs,
    responseCacheMs: config.responseCacheMs,
    sessionExpiryRefresh: config.sessionExpiryRefresh,
    accessUrl: config.accessUrl,
    proxyTrustedOrigins: config.proxyTrustedOrigins,
    proxyTrustedHeaders: config.proxyTrustedHeaders,
    accessLog: config.accessLog,
    metrics: config.metrics,
    compression: config.compression,
    tracing,
    trustedDocuments: config.trustedDocuments,
    migrate: config.migrate,
    limits: config.limits,
    requestTimeoutMs: config.requestTimeoutMs,
    corsOrigins: config.corsOrigins,
    graphiql: config.graphiql ? { persistHeaders: config.graphiqlPersistHeaders } : false,
    ...parts,
  });
  return { yoga, stopTracing };
}

/**
 * graphql-js's own errors carry no code. Those that stop a request before any
 * field runs (variables that do not fit their types, say
 * `$limit: 2147483648`, or a missing one; such a result has no `data`) and
 * those of an argument's value (`null` for a `String!` argument, through a
 * nullable variable with a default) are the client's: BAD_USER_INPUT, as in
 * Apollo Server. Any other (a non-null field that resolved to null) is the
 * gateway's: INTERNAL_SERVER_ERROR.
 */
function codeRequestErrors(): Plugin {
  return {
    onExecute: () => ({
      onExecuteDone({ result, setResult }) {
        if (!('errors' in result) || !result.errors?.some((error) => !error.extensions?.code)) return;
        const beforeAnyField = !('data' in result);
        setResult({
          ...result,
          errors: result.errors.map((error) =>
            error.extensions?.code
              ? error
              : reworded(error, {
                  extensions: { ...error.extensions, code: beforeAnyField ? 'BAD_USER_INPUT' : codeOfUncoded(error) },
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
    // The pool's own error, Prisma's rewrapping of it, or the driver's, where a transaction's connection failed.
    if (cause instanceof DatabaseUnavailable || isPrismaUnavailable(cause) || isUnavailable(cause))
      // Also a pool whose connections all stayed busy past the connect timeout: the database may be up.
      return serviceUnavailable('The database is unavailable or too busy; try again shortly.');
    if (cause instanceof StatementCancelled) return serviceUnavailable('The request ended before its database work.');
    const next = cause as { originalError?: unknown; cause?: unknown };
    cause = next.originalError ?? next.cause;
  }
  return undefined;
}
