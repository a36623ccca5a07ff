// Each request's id: the caller's `x-request-id` when it is a UUID (a proxy
// or client that set one can follow its request through our logs and audit
// rows), a new UUID otherwise, and for the nil UUID, which on Coder's audit
// rows marks a background event (the dormancy job's, say), not a request. A
// UUID, as Coder's request ids are: audit rows keep it in a uuid column. The
// one place it is decided; the request context, audit rows, the access log,
// traces and the response header read it here.
import { randomUUID } from 'node:crypto';
import { NIL_UUID } from '../audit/entry.js';
import { isUuid } from '../db/references.js';

export const REQUEST_ID_HEADER = 'x-request-id';

const ids = new WeakMap<Request, string>();

export function requestIdOf(request: Request): string {
  let id = ids.get(request);
  if (id === undefined) {
    const given = request.headers.get(REQUEST_ID_HEADER)?.trim();
    id = given && isUuid(given) && given !== NIL_UUID ? given.toLowerCase() : randomUUID();
    ids.set(request, id);
  }
  return id;
}
