import { readFileSync } from 'node:fs';
import { isIP } from 'node:net';
import { resolve } from 'node:path';
import { z } from 'zod';
import type { DocumentLimits } from './limits/document-limits.js';

const booleanSetting = z.enum(['true', 'false', '1', '0']).transform((value) => value === 'true' || value === '1');

/** A comma-separated list; blanks around items are dropped. */
const listSetting = (item: z.ZodString) =>
  z
    .string()
    .transform((value) => value.split(',').map((part) => part.trim()))
    .pipe(z.array(item));

/** An address with an optional prefix length: `10.0.0.0/8`, `::1/128`, `192.0.2.7`. */
const CIDR = z.string().refine((value) => {
  const [address = '', prefix, extra] = value.split('/');
  const family = isIP(address);
  if (!family || extra !== undefined) return false;
  return prefix === undefined || (/^\d{1,3}$/.test(prefix) && Number(prefix) <= (family === 4 ? 32 : 128));
}, 'each item must be an IP address or CIDR range, such as 10.0.0.0/8');
/** Allow-list mode's documents by hash: the `persisted-documents.json` that GraphQL Code Generator's client preset writes. */
export type TrustedDocuments = ReadonlyMap<string, string>;

/**
 * TRUSTED_DOCUMENTS names a file that is read as the configuration is, so that a file that is missing or malformed
 * stops start-up as any bad value does, before the database is opened.
 */
const TRUSTED_DOCUMENTS_FILE = z
  .string()
  .min(1)
  .transform((path, context): TrustedDocuments => {
    try {
      return trustedDocumentsIn(readFileSync(resolve(path), 'utf8'));
    } catch (error) {
      context.addIssue({ code: 'custom', message: error instanceof Error ? error.message : String(error) });
      return z.NEVER;
    }
  });

function trustedDocumentsIn(text: string): TrustedDocuments {
  const parsed: unknown = JSON.parse(text);
  if (!parsed || typeof parsed !== 'object' || Array.isArray(parsed)) {
    throw new Error('must hold a JSON object of document hashes to documents');
  }
  const documents = new Map<string, string>();
  for (const [hash, document] of Object.entries(parsed)) {
    if (typeof document !== 'string') throw new Error(`the document of "${hash}" is not a string`);
    documents.set(hash, document);
  }
  return documents;
}

const HEADER_NAME = z.string().regex(/^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/, 'each item must be an HTTP header name');
/**
 * What a document may ask for (SPEC G; docs/security.md). Each passes every
 * query of the README and the tests, an owner's 20 organizations × 50 members
 * with their users and roles, and a whole list of 5,000 members.
 */
export const DEFAULT_LIMITS: DocumentLimits = {
  maxDepth: 12,
  maxAliases: 30,
  maxTokens: 3000,
  maxDirectives: 30,
  maxCost: 600_000,
  // Three whole lists of 5,000 members with a few fields (cost 60,001 each) at once: at 500,000, eight ran at
  // once on the serving thread and took the process to 329 MB under 16 clients, for no more answers.
  maxCostInFlight: 200_000,
  listSizes: { members: 5000, organizations: 20 },
};

/**
 * QUERY_COST_IN_FLIGHT's default on the embedded database. PGlite runs one statement at a time on the gateway's
 * thread, so heavy documents at once add no throughput there, only memory: with 16 clients each asking for 20
 * organizations' members, 100,000 held the process 20 MB lower, at a higher rate (docs/performance.md).
 */
export const EMBEDDED_COST_IN_FLIGHT = 100_000;

/** PostgreSQL's connection and statement bounds (src/db/postgres-pool.ts). */
export const DEFAULT_REQUEST_TIMEOUT_MS = 30_000;

/** HTTP connections a process holds open at once (src/http/node-server.ts). */
export const DEFAULT_MAX_CONNECTIONS = 1024;

/**
 * DATABASE_HEAVY_STATEMENTS' default: a flood of heavy documents keeps at most this many of a pool's connections
 * and of the server's CPUs, so a light read finds both free. From `npm run bench:hostile` (docs/performance.md).
 */
export const DEFAULT_HEAVY_STATEMENTS = 2;

export const DEFAULT_DATABASE_TIMEOUTS = { connectTimeoutMs: 5000, statementTimeoutMs: 30_000 };

/**
 * A whole number from `min` to `max`, written in decimal digits: `z.coerce.number()` would take `' '` for 0 (no
 * limit, for some settings), and `0x50`, `1e3` or `+80` for numbers.
 */
const wholeNumber = (min: number, max: number) =>
  z
    .string()
    .trim()
    .regex(/^[0-9]+$/, 'must be a whole number, in digits')
    .transform(Number)
    .pipe(z.number().int().min(min).max(max));

const settings = z.object({
  PORT: wholeNumber(0, 65535).default(4000),
  HOST: z.string().min(1).default('127.0.0.1'),
  DATABASE_URL: z
    .string()
    .regex(/^postgres(ql)?:\/\/\S+$/, 'must start with postgres:// or postgresql://')
    .optional(),
  DATA_DIR: z.string().min(1).default('.data'),
  MIGRATE: booleanSetting.default(true),
  DATABASE_POOL_SIZE: wholeNumber(1, 1000).default(10),
  DATABASE_CONNECT_TIMEOUT_MS: wholeNumber(1, 600_000).default(DEFAULT_DATABASE_TIMEOUTS.connectTimeoutMs),
  DATABASE_STATEMENT_TIMEOUT_MS: wholeNumber(1, 86_400_000).default(DEFAULT_DATABASE_TIMEOUTS.statementTimeoutMs),
  DATABASE_HEAVY_STATEMENTS: wholeNumber(0, 1000).default(DEFAULT_HEAVY_STATEMENTS),
  REQUEST_TIMEOUT_MS: wholeNumber(1, 86_400_000).default(DEFAULT_REQUEST_TIMEOUT_MS),
  MAX_CONNECTIONS: wholeNumber(1, 1_000_000).default(DEFAULT_MAX_CONNECTIONS),
  CORS_ORIGINS: z
    .string()
    .transform((value) =>
      value
        .split(',')
        .map((origin) => origin.trim())
        .filter(Boolean),
    )
    .pipe(z.array(z.string().refine(isOrigin, 'each must be an origin, scheme://host[:port]')))
    .default([]),
  GRAPHIQL: booleanSetting.default(true),
  GRAPHIQL_PERSIST_HEADERS: booleanSetting.default(false),
  WORKERS: wholeNumber(1, 64).default(1),
  HEAVY_QUERY_THREAD: booleanSetting.optional(),
  SESSION_CACHE_MS: wholeNumber(0, 60_000).default(1000),
  RESPONSE_CACHE_MS: wholeNumber(0, 3_600_000).default(0),
  SHUTDOWN_TIMEOUT_MS: wholeNumber(0, 600_000).default(10_000),
  QUERY_MAX_DEPTH: wholeNumber(1, 1000).default(DEFAULT_LIMITS.maxDepth),
  QUERY_MAX_ALIASES: wholeNumber(0, 100_000).default(DEFAULT_LIMITS.maxAliases),
  QUERY_MAX_TOKENS: wholeNumber(1, 1_000_000).default(DEFAULT_LIMITS.maxTokens),
  QUERY_MAX_DIRECTIVES: wholeNumber(0, 100_000).default(DEFAULT_LIMITS.maxDirectives),
  QUERY_MAX_COST: wholeNumber(1, 1e12).default(DEFAULT_LIMITS.maxCost),
  // Its default depends on the database (EMBEDDED_COST_IN_FLIGHT).
  QUERY_COST_IN_FLIGHT: wholeNumber(1, 1e12).optional(),
  QUERY_COST_MEMBERS: wholeNumber(1, 10_000_000).default(DEFAULT_LIMITS.listSizes.members),
  QUERY_COST_ORGANIZATIONS: wholeNumber(1, 1_000_000).default(DEFAULT_LIMITS.listSizes.organizations),
  LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
  AUDIT: booleanSetting.default(true),
  DISABLE_SESSION_EXPIRY_REFRESH: booleanSetting.default(false),
  PROXY_TRUSTED_ORIGINS: listSetting(CIDR).default([]),
  PROXY_TRUSTED_HEADERS: listSetting(HEADER_NAME).default([]),
  ACCESS_LOG: booleanSetting.default(true),
  METRICS: booleanSetting.default(true),
  COMPRESSION: booleanSetting.default(true),
  OTEL_EXPORTER_OTLP_ENDPOINT: z
    .string()
    .regex(/^https?:\/\/\S+$/, 'must be an http:// or https:// URL')
    .optional(),
  TRUSTED_DOCUMENTS: TRUSTED_DOCUMENTS_FILE.optional(),
  ACCESS_URL: z
    .string()
    .refine(
      (value) => URL.canParse(value) && /^https?:$/.test(new URL(value).protocol),
      'must be an http:// or https:// URL',
    )
    .optional(),
});

export type Config = {
  port: number;
  host: string;
  /** A PostgreSQL server, or `undefined` for the embedded PGlite in `dataDir`. */
  databaseUrl: string | undefined;
  dataDir: string;
  migrate: boolean;
  databasePoolSize: number;
  /** How long to wait for a PostgreSQL connection, new or free, before SERVICE_UNAVAILABLE. */
  databaseConnectTimeoutMs: number;
  /** PostgreSQL's statement_timeout on every connection. */
  databaseStatementTimeoutMs: number;
  /**
   * Statements of heavy documents (cost of at least HEAVY_COST) running at once on each pool while light ones
   * run too; the others wait their turn, and light documents' statements never do (0: no limit).
   * src/db/postgres-pool.ts.
   */
  databaseHeavyStatements: number;
  /** How long a request may run; past it, its execution and statements stop (SERVICE_UNAVAILABLE). */
  requestTimeoutMs: number;
  /** HTTP connections open at once, per process; past it, new ones are closed as they come. */
  maxConnections: number;
  /** Origins whose browser pages may call the API with credentials (CORS); none by default. */
  corsOrigins: string[];
  /** Serve GraphiQL on GET /graphql from a browser. */
  graphiql: boolean;
  /** Let GraphiQL keep the headers typed into it (a session token) in the browser's storage. */
  graphiqlPersistHeaders: boolean;
  /** Gateway processes sharing the port (PostgreSQL only: the embedded database serves one process). */
  workers: number;
  /**
   * Run heavy queries on a thread of their own (src/execution/heavy-lane.ts): by default on PostgreSQL; on the
   * embedded database only if asked, as it then runs on a thread of its own too and the process needs more memory.
   */
  heavyQueryThread: boolean;
  /** How long a session token's row may be reused (0: read it on every request); see src/auth/session-cache.ts. */
  sessionCacheMs: number;
  /** How long a session's answer to a query may be served again from memory (0: never); src/http/response-cache.ts. */
  responseCacheMs: number;
  /** On SIGTERM, how long requests in progress may take to finish before their connections are cut. */
  shutdownTimeoutMs: number;
  /** What a document may ask for before it is refused with QUERY_TOO_COMPLEX (src/limits/). */
  limits: DocumentLimits;
  logLevel: z.infer<typeof settings>['LOG_LEVEL'];
  /** Write an `audit_logs` row for each change made through the API, where the table exists (docs/audit.md). */
  audit: boolean;
  /** Slide a used session's expiry, as Coder does unless its deployment sets the same flag. */
  sessionExpiryRefresh: boolean;
  /** Peers whose `proxyTrustedHeaders` name the client's address (Coder's --proxy-trusted-origins). */
  proxyTrustedOrigins: string[];
  /** Headers that carry the client's address when a trusted proxy sends them (Coder's --proxy-trusted-headers). */
  proxyTrustedHeaders: string[];
  /** One JSON line per request on stdout (at level info). */
  accessLog: boolean;
  /** Prometheus metrics at /metrics. */
  metrics: boolean;
  /** brotli or gzip for GraphQL answers of 1 KB or more, when the client accepts them. */
  compression: boolean;
  /** Where OpenTelemetry traces go (OTLP over HTTP); undefined: no tracing. */
  otlpEndpoint: string | undefined;
  /** The URL OAuth2 provider-app tokens bound to an audience must name (Coder's access URL); unset: none may be. */
  accessUrl: string | undefined;
  /** The documents of TRUSTED_DOCUMENTS's file: when set, only those run (allow-list mode). */
  trustedDocuments: TrustedDocuments | undefined;
};

export class ConfigError extends Error {
  override name = 'ConfigError';
}

/** Reads the configuration from the environment; an empty variable counts as unset. */
export function loadConfig(env: NodeJS.ProcessEnv = process.env): Config {
  const present = Object.fromEntries(Object.entries(env).filter(([, value]) => value !== undefined && value !== ''));
  const parsed = settings.safeParse(present);
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    const setting = String(issue.path[0]);
    // DATABASE_URL may hold a password: name it, never echo it.
    const shown = setting === 'DATABASE_URL' ? '' : `=${JSON.stringify(env[setting])}`;
    throw new ConfigError(`invalid configuration: ${setting}${shown}: ${issue.message}`);
  }
  const s = parsed.data;
  if (s.WORKERS > 1 && !s.DATABASE_URL) {
    throw new ConfigError(
      `invalid configuration: WORKERS=${s.WORKERS}: more than one worker needs DATABASE_URL ` +
        '(the embedded database serves one process)',
    );
  }
  if (s.PROXY_TRUSTED_ORIGINS.length && !s.PROXY_TRUSTED_HEADERS.length) {
    throw new ConfigError(
      'invalid configuration: PROXY_TRUSTED_ORIGINS is set but PROXY_TRUSTED_HEADERS is not: ' +
        'name the header your proxies set (such as X-Forwarded-For)',
    );
  }
  return {
    port: s.PORT,
    host: s.HOST,
    databaseUrl: s.DATABASE_URL,
    dataDir: s.DATA_DIR.startsWith('memory://') ? s.DATA_DIR : resolve(s.DATA_DIR),
    migrate: s.MIGRATE,
    databasePoolSize: s.DATABASE_POOL_SIZE,
    databaseConnectTimeoutMs: s.DATABASE_CONNECT_TIMEOUT_MS,
    databaseStatementTimeoutMs: s.DATABASE_STATEMENT_TIMEOUT_MS,
    databaseHeavyStatements: s.DATABASE_HEAVY_STATEMENTS,
    requestTimeoutMs: s.REQUEST_TIMEOUT_MS,
    maxConnections: s.MAX_CONNECTIONS,
    corsOrigins: s.CORS_ORIGINS,
    graphiql: s.GRAPHIQL,
    graphiqlPersistHeaders: s.GRAPHIQL_PERSIST_HEADERS,
    workers: s.WORKERS,
    heavyQueryThread: s.HEAVY_QUERY_THREAD ?? Boolean(s.DATABASE_URL),
    sessionCacheMs: s.SESSION_CACHE_MS,
    responseCacheMs: s.RESPONSE_CACHE_MS,
    shutdownTimeoutMs: s.SHUTDOWN_TIMEOUT_MS,
    limits: {
      maxDepth: s.QUERY_MAX_DEPTH,
      maxAliases: s.QUERY_MAX_ALIASES,
      maxTokens: s.QUERY_MAX_TOKENS,
      maxDirectives: s.QUERY_MAX_DIRECTIVES,
      maxCost: s.QUERY_MAX_COST,
      maxCostInFlight:
        s.QUERY_COST_IN_FLIGHT ?? (s.DATABASE_URL ? DEFAULT_LIMITS.maxCostInFlight : EMBEDDED_COST_IN_FLIGHT),
      listSizes: { members: s.QUERY_COST_MEMBERS, organizations: s.QUERY_COST_ORGANIZATIONS },
    },
    logLevel: s.LOG_LEVEL,
    audit: s.AUDIT,
    sessionExpiryRefresh: !s.DISABLE_SESSION_EXPIRY_REFRESH,
    proxyTrustedOrigins: s.PROXY_TRUSTED_ORIGINS,
    proxyTrustedHeaders: s.PROXY_TRUSTED_HEADERS,
    accessLog: s.ACCESS_LOG,
    metrics: s.METRICS,
    compression: s.COMPRESSION,
    otlpEndpoint: s.OTEL_EXPORTER_OTLP_ENDPOINT,
    trustedDocuments: s.TRUSTED_DOCUMENTS,
    accessUrl: s.ACCESS_URL,
  };
}

/** `https://coder.example.com` or `http://localhost:3000`: what a browser sends as Origin, nothing more. */
function isOrigin(value: string): boolean {
  return URL.canParse(value) && new URL(value).origin === value;
}
