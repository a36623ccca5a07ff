// The largest request body the gateway reads. Yoga has this built in
// (`maxRequestBodySize`), but it pipes every body through a counting stream,
// and tearing that pipeline down builds an AbortError with a stack trace, a
// large part of a small read's CPU (docs/performance.md). A body with
// a Content-Length is exactly that long (Node's HTTP parser reads no more, and
// refuses a request that also says chunked), so the header is all that needs
// checking; only a chunked body is counted.
import { createGraphQLError, type FetchAPI, type Plugin } from 'graphql-yoga';

/** 1 MiB: a GraphQL operation with its variables is a few kilobytes. */
export const MAX_REQUEST_BODY_BYTES = 1024 * 1024;

const DIGITS = /^\d+$/;

export function limitRequestBodies(limit = MAX_REQUEST_BODY_BYTES): Plugin {
  return {
    onRequestParse({ request, requestParser, setRequestParser, fetchAPI }) {
      const length = request.headers.get('content-length');
      if (length !== null) {
        // One non-negative integer; anything else (a list, a sign) may be a smuggling attempt.
        if (!DIGITS.test(length)) throw requestError(400, 'BAD_REQUEST', 'Content-Length header is invalid.');
        if (Number(length) > limit) throw tooLarge(limit);
        return;
      }
      if (!request.body || !requestParser) return;
      setRequestParser(async (chunked) => requestParser(await readWithin(chunked, limit, fetchAPI)));
    },
  };
}

/**
 * A chunked body read whole, refused as soon as it passes the limit. The rest
 * is left to Node, which discards it after the answer, so that the client
 * reads the 413 rather than a reset connection.
 */
async function readWithin(request: Request, limit: number, fetchAPI: FetchAPI): Promise<Request> {
  const reader = request.body!.getReader();
  const chunks: Uint8Array[] = [];
  let size = 0;
  try {
    for (let read = await reader.read(); !read.done; read = await reader.read()) {
      size += read.value.byteLength;
      if (size > limit) throw tooLarge(limit);
      chunks.push(read.value);
    }
  } finally {
    reader.releaseLock();
  }
  return new fetchAPI.Request(request.url, {
    method: request.method,
    headers: request.headers,
    body: Buffer.concat(chunks),
  });
}

const tooLarge = (limit: number) =>
  requestError(413, 'REQUEST_ENTITY_TOO_LARGE', `Request body too large: the limit is ${limit} bytes.`);

function requestError(status: number, code: string, message: string) {
  return createGraphQLError(message, { extensions: { code, http: { status } } });
}
