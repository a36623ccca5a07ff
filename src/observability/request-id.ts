// Each request's id: the caller's `x-request-id` when it is a sane token (a
// proxy or client that set one can follow its request through our logs), a
// new UUID otherwise. The one place it is decided; the request context, the
// access log, traces and the response header all read it from here.
import { randomUUID } from 'node:crypto';

export const REQUEST_ID_HEADER = 'x-request-id';

/** What we accept from a caller: short, printable, nothing a log line or header could be broken by. */
const SANE = /^[A-Za-z0-9._:@/+=-]{1,128}$/;

const ids = new WeakMap<Request, string>();

export function requestIdOf(request: Request): string {
  let id = ids.get(request);
  if (id === undefined) {
    const given = request.headers.get(REQUEST_ID_HEADER);
    id = given !== null && SANE.test(given) ? given : randomUUID();
    ids.set(request, id);
  }
  return id;
}
