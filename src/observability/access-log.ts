// One JSON line per request (pino, on stdout), and the request id returned in
// the `x-request-id` response header. Yoga has no access log of its own; its
// hooks give us the request, the operation and the response in one place.
import { getOperationAST } from 'graphql';
import type { Plugin } from 'graphql-yoga';
import type { Logger } from 'pino';
import { REQUEST_ID_HEADER, requestIdOf } from './request-id.js';

interface RequestRecord {
  started: number;
  operationName?: string;
  operationType?: string;
  errorCodes?: string[];
}

/** Sets `x-request-id` on every response; with a logger, also writes the access-log line. */
export function requestIdsAndAccessLog(logger?: Logger): Plugin {
  const records = new WeakMap<Request, RequestRecord>();
  return {
    onRequest({ request }) {
      if (logger) records.set(request, { started: performance.now() });
    },
    onExecute({ args }) {
      const record = logger && records.get((args.contextValue as { request: Request }).request);
      if (!record) return;
      const operation = getOperationAST(args.document, args.operationName);
      record.operationName = operation?.name?.value;
      record.operationType = operation?.operation;
      return {
        onExecuteDone({ result }) {
          if ('errors' in result && result.errors?.length) {
            record.errorCodes = result.errors.map((e) => String(e.extensions?.code ?? 'INTERNAL_SERVER_ERROR'));
          }
        },
      };
    },
    onResponse({ request, response }) {
      const requestId = requestIdOf(request);
      response.headers.set(REQUEST_ID_HEADER, requestId);
      const record = records.get(request);
      if (!logger || !record) return;
      logger.info(
        {
          requestId,
          method: request.method,
          path: new URL(request.url).pathname,
          status: response.status,
          durationMs: Math.round((performance.now() - record.started) * 100) / 100,
          operationName: record.operationName,
          operationType: record.operationType,
          errorCodes: record.errorCodes,
          userAgent: request.headers.get('user-agent') ?? undefined,
        },
        'request',
      );
    },
  };
}
