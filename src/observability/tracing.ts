// OpenTelemetry traces, only when an OTLP endpoint is configured
// (OTEL_EXPORTER_OTLP_ENDPOINT): a span per HTTP request, the GraphQL
// operation's span under it (@envelop/opentelemetry), and a span per SQL
// statement under whatever span is active when the statement starts. The SDK
// is imported only then, so a gateway without tracing loads none of it.
import { useOpenTelemetry, setCurrentOtelContext } from '@envelop/opentelemetry';
import {
  context,
  propagation,
  ROOT_CONTEXT,
  type Span,
  SpanKind,
  SpanStatusCode,
  trace,
  type TextMapGetter,
  type TracerProvider,
} from '@opentelemetry/api';
import type { Plugin } from 'graphql-yoga';
import type { StatementListener } from '../db/statement-counter.js';
import { requestIdOf } from './request-id.js';

export const SERVICE_NAME = 'coder-members-gateway';

/** A tracer provider exporting to `endpoint` over OTLP/HTTP, registered as the process's own. */
export async function startOtlpTracing(endpoint: string): Promise<{ provider: TracerProvider; stop(): Promise<void> }> {
  const [{ NodeTracerProvider }, { BatchSpanProcessor }, { OTLPTraceExporter }, { Resource }] = await Promise.all([
    import('@opentelemetry/sdk-trace-node'),
    import('@opentelemetry/sdk-trace-base'),
    import('@opentelemetry/exporter-trace-otlp-http'),
    import('@opentelemetry/resources'),
  ]);
  const provider = new NodeTracerProvider({
    resource: new Resource({ 'service.name': process.env.OTEL_SERVICE_NAME || SERVICE_NAME }),
    spanProcessors: [
      new BatchSpanProcessor(new OTLPTraceExporter({ url: `${endpoint.replace(/\/+$/, '')}/v1/traces` })),
    ],
  });
  provider.register();
  return { provider, stop: () => provider.shutdown() };
}

const headerGetter: TextMapGetter<Headers> = {
  keys: (headers) => [...headers.keys()],
  get: (headers, key) => headers.get(key) ?? undefined,
};

/** What a gateway traces with: its Yoga plugins, and a statement listener for SQL spans. */
export interface Tracing {
  plugins: Plugin[];
  onStatement: StatementListener;
}

export function createTracing(provider: TracerProvider): Tracing {
  return { plugins: tracingPlugins(provider), onStatement: sqlSpans(provider) };
}

/** The Yoga plugins that make the request and operation spans. */
function tracingPlugins(provider: TracerProvider): Plugin[] {
  const tracer = provider.getTracer(SERVICE_NAME);
  const spans = new WeakMap<Request, Span>();
  const requestSpans: Plugin = {
    onRequest({ request, url }) {
      // A caller's traceparent (W3C) makes this request a part of its trace.
      const parent = propagation.extract(ROOT_CONTEXT, request.headers, headerGetter);
      const span = tracer.startSpan(
        `${request.method} ${url.pathname}`,
        {
          kind: SpanKind.SERVER,
          attributes: {
            'http.request.method': request.method,
            'url.path': url.pathname,
            'gateway.request_id': requestIdOf(request),
          },
        },
        parent,
      );
      spans.set(request, span);
    },
    onExecute({ args }) {
      // The operation's span (made next, by @envelop/opentelemetry) goes under the request's.
      const span = spans.get((args.contextValue as { request: Request }).request);
      if (span) setCurrentOtelContext(args.contextValue, trace.setSpan(context.active(), span));
    },
    onResponse({ request, response }) {
      const span = spans.get(request);
      if (!span) return;
      span.setAttribute('http.response.status_code', response.status);
      if (response.status >= 500) span.setStatus({ code: SpanStatusCode.ERROR });
      span.end();
    },
  };
  return [
    requestSpans,
    useOpenTelemetry(
      // The document, never the variables or the result: they may hold personal data.
      { resolvers: false, variables: false, result: false, document: true },
      provider as Parameters<typeof useOpenTelemetry>[1],
      SpanKind.INTERNAL,
      {},
      SERVICE_NAME,
    ) as Plugin,
  ];
}

/** A statement listener (`database.onStatement`) that makes a span of each statement run under an active span. */
function sqlSpans(provider: TracerProvider): StatementListener {
  const tracer = provider.getTracer(SERVICE_NAME);
  return (sql) => {
    const active = context.active();
    if (!trace.getSpan(active)) return;
    const span = tracer.startSpan(
      'SQL',
      { kind: SpanKind.CLIENT, attributes: { 'db.system': 'postgresql', 'db.query.text': sql } },
      active,
    );
    return () => span.end();
  };
}
