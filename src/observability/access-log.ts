// One JSON line per request (pino, on stdout), and the request id returned in
// the `x-request-id` response header. Yoga has no access log of its own; its
// hooks give us the request, the operation and the response in one place.
import { getOperationAST } from 'graphql';
import type { Plugin } from 'graphql-yoga';
import type { Logger } from 'pino';
import { clientRequestIdOf, REQUEST_ID_HEADER, requestIdOf } from './request-id.js';

interface RequestRecord {
  started: number;
  operationName?: string;
  operationType?: string;
  errorCodes?: string[];
  errorCount?: number;
}

const MAX_LOGGED_NAME = 100;

/** The codes of an answer's errors, an error with none counting as an internal one (as it is masked); undefined for none. */
export function errorCodesOf(result: object): string[] | undefined {
  const { errors } = result as { errors?: readonly { extensions?: { code?: unknown } }[] };
  return errors?.length ? errors.map((error) => String(error.extensions?.code ?? 'INTERNAL_SERVER_ERROR')) : undefined;
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
      // A name is the client's to choose, of any length: the line keeps its first 100 characters.
      record.operationName = operation?.name?.value.slice(0, MAX_LOGGED_NAME);
      record.operationType = operation?.operation;
    },
    // The answer as every execution hook left it (codeRequestErrors in src/yoga.ts codes graphql-js's errors after
    // this plugin's turn), refusals before execution included.
    onResultProcess({ request, result }) {
      const record = logger && records.get(request);
      if (!record || Array.isArray(result) || Symbol.asyncIterator in (result as object)) return;
      const codes = errorCodesOf(result as object);
      if (codes) {
        // Each code once, and how many errors there were: an answer may hold thousands.
        record.errorCodes = [...new Set(codes)];
        record.errorCount = codes.length;
      }
    },
    onResponse({ request, response }) {
      const requestId = requestIdOf(request);
      response.headers.set(REQUEST_ID_HEADER, requestId);
      const record = records.get(request);
      if (!logger || !record) return;
      logger.info(
        {
          requestId,
          clientRequestId: clientRequestIdOf(request),
          method: request.method,
          path: new URL(request.url).pathname,
          status: response.status,
          durationMs: Math.round((performance.now() - record.started) * 100) / 100,
          operationName: record.operationName,
          operationType: record.operationType,
          errorCodes: record.errorCodes,
          errorCount: record.errorCount,
          userAgent: request.headers.get('user-agent') ?? undefined,
        },
        'request',
      );
    },
  };
}
