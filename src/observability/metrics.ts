// Prometheus metrics at /metrics: requests and their durations by operation
// name (@graphql-yoga/plugin-prometheus), errors by `extensions.code`, the
// database pool's connections in use and callers waiting, and the process's
// memory and CPU (prom-client's default metrics). Each gateway has a registry
// of its own, so that tests and WORKERS never share counters by accident.
import { createCounter, type FillLabelsFnParams, usePrometheus } from '@graphql-yoga/plugin-prometheus';
import type { Plugin } from 'graphql-yoga';
import { collectDefaultMetrics, Gauge, Registry } from 'prom-client';
import type { PoolStats } from '../db/database.js';

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
      operationName: params.operationName ?? 'Anonymous',
      operationType: params.operationType ?? 'unknown',
      phase: params.errorPhase,
      code: String(
        (params.error as { extensions?: { code?: unknown } } | undefined)?.extensions?.code ??
          PHASE_CODES[params.errorPhase] ??
          'INTERNAL_SERVER_ERROR',
      ),
    }),
  });
  return usePrometheus({
    registry,
    endpoint: METRICS_PATH,
    metrics: {
      graphql_envelop_request: true,
      graphql_envelop_request_duration: true,
      graphql_envelop_error_result: errors,
      graphql_yoga_http_duration: true,
      // Per-phase timings and the rest cost a hook each on every request and tell an operator little more.
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

/** Yoga's codes for documents refused before they run, which reach the counter without their error. */
const PHASE_CODES: Record<string, string> = {
  parse: 'GRAPHQL_PARSE_FAILED',
  validate: 'GRAPHQL_VALIDATION_FAILED',
};
