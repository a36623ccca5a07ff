import type { YogaInitialContext } from 'graphql-yoga';
import { createGate, type Gate } from './access/gate.js';
import type { SessionCache } from './auth/session-cache.js';
import { authenticate, type Authentication, type KeyRow, type Session } from './auth/session.js';
import type { DataAccess } from './db/database.js';
import { RequestReads } from './db/reads/request-reads.js';
import { LongListsInTurns } from './execution/turns.js';
import { AnswerMeter } from './limits/answer-meter.js';
import type { AuditTrail } from './db/writes/audit.js';
import type { Sql } from './db/sql.js';
import type { PrismaClient } from './generated/prisma/client.js';
import { requestInfo, type ProxyTrust, type RequestInfo } from './http/request-info.js';

/**
 * Per-request state. Everything expensive is computed on first use, once.
 * A plain object of closures: Yoga copies the context's own properties into
 * its initial context, so class methods and getters would be lost.
 */
export interface RequestContext {
  prisma: PrismaClient;
  /** Fixed SQL statements on the driver (src/db/sql.ts): the reads, and the session. */
  sql: Sql;
  /** The client's address, user agent and the request's id: what audit rows and logs record of the request. */
  requestInfo: RequestInfo;
  /** Whether this gateway writes audit rows, reads them, or the database has no `audit_logs` (docs/audit.md). */
  auditLogs: AuditLogMode;
  /** Checks the session token on first call; introspection-only requests never call it. */
  authenticate(): Promise<Authentication>;
  /** Why the request is not authenticated, once `authenticate()` has said so. */
  authFailure(): { reason: string; forbidden?: true } | undefined;
  /** The caller's session. Fields behind the `authenticated` scope may rely on it. */
  session(): Session;
  /** The caller's permissions, loaded once per request. */
  gate(): Promise<Gate>;
  /** What this request reads, batched and remembered (src/db/reads/request-reads.ts). */
  reads(): RequestReads;
  /** The request's long lists being handed out in turns, which its reads wait for (src/execution/turns.ts). */
  longLists: LongListsInTurns;
  /** The values its answer may still hold (src/limits/answer-meter.ts); none without a limit. */
  answerMeter?: AnswerMeter | undefined;
  /**
   * Fires when the execution stops (its client left, its deadline passed, its answer grew past the meter's limit):
   * set by src/http/deadline.ts as it starts. What is left of the execution then builds nothing (list-fields.ts).
   */
  stopped?: AbortSignal;
  /** Who is changing things and from where, for the audit rows of a write; null when writes are not audited. */
  auditTrail(): AuditTrail | null;
  /** One instance per request of whatever `create` makes (dataloaders), keyed by `create` itself. */
  perRequest<T>(create: (ctx: RequestContext) => T): T;
  /** Drops the `perRequest` instances, and with them what they have read (but organizations): a write may have changed it. */
  forgetReads(): void;
  /**
   * Drops the session and permissions: the next `gate()` authenticates again, past the session cache. A write may
   * have changed the caller's own roles (a custom role it holds, updated or deleted; itself added to an
   * organization), which the next mutation field must see, as Coder's next REST call would.
   */
  forgetSession(): void;
}

export type Context = RequestContext & YogaInitialContext;

const createReads = (ctx: RequestContext) => new RequestReads(ctx.sql, ctx.longLists.scheduleBatch, ctx.answerMeter);

/**
 * `write`: changes are audited (the default); `read`: AUDIT=false, existing
 * rows are still served; `absent`: the database has no `audit_logs` table.
 */
export type AuditLogMode = 'write' | 'read' | 'absent';

/** What every request of one gateway shares. */
export interface RequestOptions {
  sessionCache?: SessionCache<KeyRow> | undefined;
  /** Who may name the client's address in a header (PROXY_TRUSTED_ORIGINS, PROXY_TRUSTED_HEADERS). */
  proxyTrust?: ProxyTrust | undefined;
  auditLogs?: AuditLogMode;
  /** Slide session expiry as Coder does (DISABLE_SESSION_EXPIRY_REFRESH turns it off). */
  sessionExpiryRefresh?: boolean;
  /** The audience OAuth2 provider-app tokens may be bound to (ACCESS_URL); unset, only unbound ones are accepted. */
  accessUrl?: string | undefined;
  /** The values an answer may hold, counted as it is built (QUERY_MAX_COST); no limit unless given. */
  maxAnswerValues?: number | undefined;
}

export function createRequestContext(
  { prisma, sql }: DataAccess,
  request: Request,
  /** The socket's peer address, when the request came over a socket. */
  remoteAddress: string | undefined,
  {
    sessionCache,
    proxyTrust,
    auditLogs = 'write',
    sessionExpiryRefresh = true,
    accessUrl,
    maxAnswerValues,
  }: RequestOptions = {},
): RequestContext {
  let authentication: Promise<Authentication> | undefined;
  let result: Authentication | undefined;
  let gate: Promise<Gate> | undefined;
  let sessionForgotten = false;
  const instances = new Map<unknown, unknown>();
  const info = requestInfo(request, remoteAddress, proxyTrust);
  const context: RequestContext = {
    prisma,
    sql,
    requestInfo: info,
    auditLogs,
    authenticate() {
      authentication ??= authenticate({ sql, prisma }, request.headers, {
        cache: sessionForgotten ? undefined : sessionCache,
        ip: info.ip,
        expiryRefresh: sessionExpiryRefresh,
        audited: auditLogs === 'write',
        // Coder's access URL. Without one, Coder takes the scheme and Host the request came with, which a client
        // chooses: here a token bound to an audience is then refused.
        audience: () => accessUrl ?? '',
      }).then((outcome) => (result = outcome));
      return authentication;
    },
    authFailure: () => (result && !result.ok ? result : undefined),
    session() {
      if (!result?.ok) throw new Error('session read before authentication');
      return result.session;
    },
    gate() {
      gate ??= context.authenticate().then(() => createGate(context.session()));
      return gate;
    },
    reads: () => context.perRequest(createReads),
    longLists: new LongListsInTurns(),
    answerMeter: maxAnswerValues === undefined ? undefined : new AnswerMeter(maxAnswerValues),
    auditTrail: () => (auditLogs === 'write' ? { actorId: context.session().user.id, request: info } : null),
    perRequest(create) {
      if (!instances.has(create)) instances.set(create, create(context));
      return instances.get(create) as ReturnType<typeof create>;
    },
    forgetReads() {
      // Members, users and roles may have changed; organizations, which no write of the API touches, are kept.
      const organizations = (instances.get(createReads) as RequestReads | undefined)?.knownOrganizations();
      instances.clear();
      if (organizations?.length) context.reads().rememberOrganizations(organizations);
    },
    forgetSession() {
      authentication = undefined;
      result = undefined;
      gate = undefined;
      sessionForgotten = true;
    },
  };
  return context;
}
