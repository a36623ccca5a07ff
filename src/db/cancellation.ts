// Statements run for a request stop when the request does (SPEC G): its
// client went away, or it passed REQUEST_TIMEOUT_MS. The HTTP layer runs each
// execution inside `asStatementRequest({ signal, heavy }, …)`; every statement the
// database module starts in it (the read layer's `sql.query` and Prisma's)
// reads the request from here, so the code that builds statements never passes
// it along, and keeps it when it is rewritten.
//
// - No new statement starts once the signal has fired.
// - PostgreSQL: a statement in flight is cancelled with the protocol's
//   CancelRequest (a short connection of its own, so a pool whose connections
//   are all busy can still cancel), and its connection is discarded rather
//   than reused. pg has no public cancel, and its pool takes no AbortSignal.
// - PGlite runs statements inside this process, one at a time, and cannot
//   interrupt one: a statement in flight finishes (docs/security.md).
import { AsyncLocalStorage } from 'node:async_hooks';
import { connect as connectTcp } from 'node:net';

/** What the database module knows of the request whose statements it runs. */
export interface StatementRequest {
  /** Fires when the request ends: its statements stop. */
  signal: AbortSignal;
  /** A heavy document's statements take turns for a few connections (postgres-pool.ts). */
  heavy: boolean;
}

const running = new AsyncLocalStorage<StatementRequest>();

/** Runs `work` as `request`: every statement it starts stops with the request's signal. */
export function asStatementRequest<T>(request: StatementRequest, work: () => T): T {
  return running.run(request, work);
}

/** The request whose work is running, if any. */
export const statementRequest = (): StatementRequest | undefined => running.getStore();

/** The signal of the request whose work is running, if any. */
export const statementSignal = (): AbortSignal | undefined => running.getStore()?.signal;

/** A statement was not run, or was cancelled, because its request ended. */
export class StatementCancelled extends Error {
  override name = 'StatementCancelled';
  constructor(reason?: unknown) {
    super('the request ended before its database work did', { cause: reason });
  }
}

/** Throws StatementCancelled if the running request has ended. */
export function throwIfRequestEnded(): void {
  const signal = statementSignal();
  if (signal?.aborted) throw new StatementCancelled(signal.reason);
}

/** What a CancelRequest needs: where the server is, and the backend's key (pg.Client's fields). */
export interface BackendKey {
  host?: string;
  port?: number;
  processID: number | null;
  secretKey: number | null;
}

/**
 * Asks the server to cancel whatever `backend` is running: the 16-byte
 * CancelRequest of PostgreSQL's protocol, on a new connection that the server
 * closes. Best effort: an error only means nothing more can be done.
 */
export function cancelBackend(backend: BackendKey, timeoutMs = 5000): void {
  if (backend.processID == null || backend.secretKey == null) return;
  const message = Buffer.alloc(16);
  message.writeInt32BE(16, 0);
  message.writeInt32BE(80877102, 4); // the CancelRequest code
  message.writeInt32BE(backend.processID, 8);
  message.writeInt32BE(backend.secretKey, 12);
  const host = backend.host ?? 'localhost';
  const port = backend.port ?? 5432;
  const socket = host.startsWith('/') ? connectTcp(`${host}/.s.PGSQL.${port}`) : connectTcp(port, host);
  socket.setTimeout(timeoutMs, () => socket.destroy());
  socket.on('error', () => socket.destroy());
  socket.on('connect', () => socket.end(message));
}
