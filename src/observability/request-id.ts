// Each request's id: a new UUID, as Coder makes one for every request
// (coderd/httpmw/requestid.go) and never takes the client's. Audit rows record
// it (a uuid column): an id a client could choose would let two requests share
// one on the audit trail, or pass for a background event (the nil UUID). A
// client's or proxy's own `x-request-id` is kept beside it in the access log
// (clientRequestIdOf), to follow a request through both logs. The one place
// it is decided; the request context, audit rows, the access log, traces and
// the response header read it here.
import { randomUUID } from 'node:crypto';

export const REQUEST_ID_HEADER = 'x-request-id';

/** What of a client's `x-request-id` the access log keeps: its length is the client's to choose. */
const MAX_CLIENT_ID = 100;

const ids = new WeakMap<Request, string>();

/**
 * Set on the heavy-query lane's thread only, whose requests all come from the serving thread with that
 * thread's id in the header (src/execution/heavy-lane.ts): the lane answers under the same id.
 */
let forwarded = false;

export function trustForwardedRequestIds(): void {
  forwarded = true;
}

export function requestIdOf(request: Request): string {
  let id = ids.get(request);
  if (id === undefined) {
    id = (forwarded && request.headers.get(REQUEST_ID_HEADER)) || randomUUID();
    ids.set(request, id);
  }
  return id;
}

/** The id the client (or a proxy) sent, for the access log; undefined if none. */
export function clientRequestIdOf(request: Request): string | undefined {
  return request.headers.get(REQUEST_ID_HEADER)?.slice(0, MAX_CLIENT_ID) || undefined;
}
