// The largest request body the gateway reads. Yoga has this built in
// (`maxRequestBodySize`), but it pipes every body through a counting stream,
// and tearing that pipeline down builds an AbortError with a stack trace, a
// large part of a small read's CPU (docs/performance.md). A body with
// a Content-Length is exactly that long (Node's HTTP parser reads no more, and
// refuses a request that also says chunked), so the header is all that needs
// checking; only a chunked body is counted.
//
// A body is held in memory while it arrives, so one limit per body is not
// enough: many clients each sending a body of nearly 1 MiB, slowly, would
// hold that much each (500 of them took a gateway from 303 to 724 MB). Large
// bodies therefore share a budget of bytes being received at once; a request
// that would pass it is refused at once with 503. Small bodies (a GraphQL
// document with its variables) take nothing from it: a connection may hold as
// much in headers as Node allows anyway, and the server's receive timeout
// (src/http/node-server.ts) bounds how long any of them is held.
import { createGraphQLError, type FetchAPI, type Plugin } from 'graphql-yoga';

/** 1 MiB: a GraphQL operation with its variables is a few kilobytes. */
export const MAX_REQUEST_BODY_BYTES = 1024 * 1024;
/** Bodies up to this size (Node's own limit on a request's headers) are not counted against the budget. */
export const SMALL_BODY_BYTES = 16 * 1024;
/** The bytes of larger bodies a gateway receives at once: 32 bodies of the largest size. */
export const LARGE_BODY_BYTES_IN_FLIGHT = 32 * MAX_REQUEST_BODY_BYTES;
/**
 * The pieces a chunked body may arrive in: the largest body in pieces of 128 bytes on average (streaming clients
 * send kilobytes a chunk). Each piece costs the serving thread a few microseconds however small: 1 MiB sent a
 * byte a chunk took 4.5 s of its CPU.
 */
export const MAX_BODY_PIECES = 8 * 1024;

/** Bytes of request bodies being received, against a fixed budget. */
export class BodyBudget {
  #used = 0;
  constructor(readonly bytes: number) {}

  /** Takes `bytes` if the budget has them. */
  take(bytes: number): boolean {
    if (this.#used + bytes > this.bytes) return false;
    this.#used += bytes;
    return true;
  }

  give(bytes: number): void {
    this.#used -= bytes;
  }
}

const DIGITS = /^\d+$/;

export function limitRequestBodies(
  limit = MAX_REQUEST_BODY_BYTES,
  budget = new BodyBudget(LARGE_BODY_BYTES_IN_FLIGHT),
): Plugin {
  return {
    onRequestParse({ request, requestParser, setRequestParser, fetchAPI }) {
      // Bodies are read as sent: a compressed one would otherwise be refused as JSON that does not parse.
      const encoding = request.headers.get('content-encoding')?.trim().toLowerCase();
      if (request.body && encoding && encoding !== 'identity')
        throw requestError(415, 'BAD_REQUEST', 'Request bodies are read as sent: send them without Content-Encoding.');
      const length = request.headers.get('content-length');
      if (length !== null) {
        // One non-negative integer; anything else (a list, a sign) may be a smuggling attempt.
        if (!DIGITS.test(length)) throw requestError(400, 'BAD_REQUEST', 'Content-Length header is invalid.');
        const bytes = Number(length);
        if (bytes > limit) throw tooLarge(limit);
        if (bytes <= SMALL_BODY_BYTES || !requestParser) return;
        // Taken when the body is read, given back once it is read and parsed or its client has gone (the read fails).
        setRequestParser(async (sized) => {
          if (!budget.take(bytes)) throw busy();
          try {
            return await requestParser(sized);
          } finally {
            budget.give(bytes);
          }
        });
        return;
      }
      if (!request.body || !requestParser) return;
      setRequestParser(async (chunked) => requestParser(await readWithin(chunked, limit, budget, fetchAPI)));
    },
  };
}

/**
 * A chunked body read whole, refused as soon as it passes the limit. The rest
 * is left to Node, which discards it after the answer, so that the client
 * reads the 413 rather than a reset connection.
 */
async function readWithin(request: Request, limit: number, budget: BodyBudget, fetchAPI: FetchAPI): Promise<Request> {
  const reader = request.body!.getReader();
  const chunks: Uint8Array[] = [];
  let size = 0;
  // What this body has taken from the budget: everything past its first SMALL_BODY_BYTES.
  let taken = 0;
  try {
    for (let read = await reader.read(); !read.done; read = await reader.read()) {
      size += read.value.byteLength;
      if (size > limit) throw tooLarge(limit, true);
      if (chunks.length === MAX_BODY_PIECES) throw tooFragmented();
      const owed = Math.max(0, size - SMALL_BODY_BYTES) - taken;
      if (owed > 0) {
        if (!budget.take(owed)) throw busy(true);
        taken += owed;
      }
      chunks.push(read.value);
    }
  } finally {
    reader.releaseLock();
    budget.give(taken);
  }
  return new fetchAPI.Request(request.url, {
    method: request.method,
    headers: request.headers,
    body: Buffer.concat(chunks),
  });
}

/**
 * Refusals, each with its code. `midBody`: the body was partly read, so Node will not discard the rest (it only
 * does for a body nobody started reading), and the connection could serve nothing more: it is closed after the
 * answer, and the client opens a new one.
 */
const busy = (midBody = false) =>
  requestError(
    503,
    'SERVICE_UNAVAILABLE',
    'The gateway is receiving too many large request bodies at once: try again shortly, or send a smaller body.',
    { 'retry-after': '1', ...(midBody ? CLOSE : {}) },
  );

const tooLarge = (limit: number, midBody = false) =>
  requestError(
    413,
    'REQUEST_ENTITY_TOO_LARGE',
    `Request body too large: the limit is ${limit} bytes.`,
    midBody ? CLOSE : {},
  );

const tooFragmented = () =>
  requestError(
    400,
    'BAD_REQUEST',
    `The request body came in more than ${MAX_BODY_PIECES} chunks: send it with a Content-Length, or in larger chunks.`,
    CLOSE,
  );

const CLOSE = { connection: 'close' };

function requestError(status: number, code: string, message: string, headers: Record<string, string> = {}) {
  return createGraphQLError(message, { extensions: { code, http: { status, headers } } });
}
