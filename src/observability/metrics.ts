// Prometheus metrics at /metrics: requests and their durations by operation
// name (@graphql-yoga/plugin-prometheus), errors by `extensions.code`, the
// database pool's connections in use and callers waiting, and the process's
// memory and CPU (prom-client's default metrics). Each gateway has a registry
// of its own, so that tests and WORKERS never share counters by accident.
import {
  createCounter,
  createHistogram,
  type FillLabelsFnParams,
  usePrometheus,
} from '@graphql-yoga/plugin-prometheus';
import type { Plugin } from 'graphql-yoga';
import { collectDefaultMetrics, Gauge, Registry } from 'prom-client';
import type { PoolStats } from '../db/database.js';
import { codeOfUncoded } from '../errors.js';

export const METRICS_PATH = '/metrics';

export function prometheusMetrics(poolStats?: () => PoolStats | undefined): Plugin {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry });
  if (poolStats) {
    new Gauge({
      name: 'gateway_database_pool_connections',
      help: 'Connections to PostgreSQL held by the pool, by state (in_use, idle).',
      labelNames: ['state'],
      registers: [registry],
      collect() {
        const stats = poolStats();
        if (!stats) return;
        this.set({ state: 'in_use' }, stats.total - stats.idle);
        this.set({ state: 'idle' }, stats.idle);
      },
    });
    new Gauge({
      name: 'gateway_database_pool_waiting',
      help: 'Queries waiting for a free connection of the pool.',
      registers: [registry],
      collect() {
        const stats = poolStats();
        if (stats) this.set(stats.waiting);
      },
    });
  }
  const operationNames = new OperationNameLabels(MAX_OPERATION_NAMES);
  // Our own labels rather than the plugin's, which add the request's whole URL (a series per query string: any
  // client could grow the registry without end with `GET /graphql?query=…&x=1, 2, 3…`).
  const requests = createHistogram<'request', 'operationName' | 'operationType' | 'method' | 'statusCode'>({
    registry,
    phases: ['request'],
    histogram: {
      name: 'graphql_yoga_http_duration',
      help: 'GraphQL requests over HTTP and their duration in seconds, by operation, method and status.',
      labelNames: ['operationName', 'operationType', 'method', 'statusCode'],
    },
    fillLabelsFn: (params, context) => ({
      operationName: operationNames.label(params.operationName),
      operationType: params.operationType ?? 'unknown',
      method: context.request.method,
      statusCode: context.response.status,
    }),
  });
  const errors = createCounter<
    'parse' | 'validate' | 'context' | 'execute' | 'subscribe',
    'operationName' | 'operationType' | 'phase' | 'code',
    FillLabelsFnParams & { error: unknown; errorPhase: 'parse' | 'validate' | 'context' | 'execute' | 'subscribe' }
  >({
    registry,
    phases: ['parse', 'validate', 'execute'],
    counter: {
      name: 'graphql_envelop_error_result',
      help: 'Errors in GraphQL answers, by operation, phase and extensions.code.',
      // No `path` label (the plugin's default): `_entities.N` alone would make a series per index.
      labelNames: ['operationName', 'operationType', 'phase', 'code'],
    },
    fillLabelsFn: (params) => ({
      operationName: operationNames.label(params.operationName),
      operationType: params.operationType ?? 'unknown',
      phase: params.errorPhase,
      code: String(
        (params.error as { extensions?: { code?: unknown } } | undefined)?.extensions?.code ??
          PHASE_CODES[params.errorPhase] ??
          (params.error instanceof Error ? codeOfUncoded(params.error) : 'INTERNAL_SERVER_ERROR'),
      ),
    }),
  });
  return usePrometheus({
    registry,
    endpoint: METRICS_PATH,
    metrics: {
      graphql_yoga_http_duration: requests,
      graphql_envelop_error_result: errors,
      // The rest cost hooks on every request and tell an operator little more: the envelop request counter and
      // histogram repeat graphql_yoga_http_duration (whose _count counts requests); dropping them, with the
      // per-phase timings, gave a one-member read 14 to 19% more requests per second (docs/operations.md).
      graphql_envelop_request: false,
      graphql_envelop_request_duration: false,
      graphql_envelop_deprecated_field: false,
      graphql_envelop_request_time_summary: false,
      graphql_envelop_phase_parse: false,
      graphql_envelop_phase_validate: false,
      graphql_envelop_phase_context: false,
      graphql_envelop_phase_execute: false,
      graphql_envelop_phase_subscribe: false,
      graphql_envelop_schema_change: false,
      graphql_envelop_execute_resolver: false,
    },
  });
}

/**
 * Distinct operation names a gateway gives a series of their own; later ones count as `other`. The name is
 * the client's to choose: without a bound, a client sending a new name each time would grow every metric it
 * labels, in memory and in each scrape, without end.
 */
export const MAX_OPERATION_NAMES = 200;
/** Names longer than this count as `other` too: a name's length is bounded only by the document's. */
const MAX_OPERATION_NAME_LENGTH = 100;

/** Operation names as metric labels: the first `limit` distinct ones as they are, then `other`. */
class OperationNameLabels {
  private readonly seen = new Set<string>();
  constructor(private readonly limit: number) {}

  label(name: string | undefined): string {
    if (name === undefined) return 'Anonymous';
    if (this.seen.has(name)) return name;
    if (this.seen.size >= this.limit || name.length > MAX_OPERATION_NAME_LENGTH) return 'other';
    this.seen.add(name);
    return name;
  }
}

/** Yoga's codes for documents refused before they run, which reach the counter without their error. */
const PHASE_CODES: Record<string, string> = {
  parse: 'GRAPHQL_PARSE_FAILED',
  validate: 'GRAPHQL_VALIDATION_FAILED',
};
