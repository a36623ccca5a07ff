// Stopping without dropping requests. A replica that gets SIGTERM (a rolling
// deploy, a scale-down) finishes what it was asked before it closes its
// database: a request still executing would otherwise fail on a closed pool,
// and every client of the old replica would see an error.
import { createServer, type RequestListener, type Server, type ServerResponse } from 'node:http';

export interface StoppableServer {
  server: Server;
  /**
   * Takes no more connections, lets the requests in progress finish for at
   * most `timeoutMs`, then closes every connection that is left.
   */
  stop(timeoutMs: number): Promise<void>;
}

/** How long a client may take to send its request's headers. */
const HEADERS_TIMEOUT_MS = 10_000;

/**
 * `receiveTimeoutMs` bounds how long a client may take to send its whole request (headers and body): a client
 * that trickles its body would otherwise hold a connection, and the body received so far, for Node's default of
 * five minutes. Node answers 408 and closes the connection; it checks every second.
 */
export function createStoppableServer(handle: RequestListener, receiveTimeoutMs: number): StoppableServer {
  const handling = new Map<Promise<void>, ServerResponse>();
  let stopping = false;
  const options = {
    requestTimeout: receiveTimeoutMs,
    headersTimeout: Math.min(HEADERS_TIMEOUT_MS, receiveTimeoutMs),
    connectionsCheckingInterval: 1_000,
  };
  const server = createServer(options, (request, response) => {
    // Asked on a kept-alive connection while stopping: answered, and the client told to reconnect (elsewhere).
    if (stopping) response.setHeader('connection', 'close');
    // Settles when the handler is done, never rejecting: the handler reports its own errors (Yoga logs them).
    const untrack = () => void handling.delete(handled);
    const handled: Promise<void> = Promise.resolve(handle(request, response)).then(untrack, untrack);
    handling.set(handled, response);
  });

  async function stop(timeoutMs: number) {
    stopping = true;
    const closed = new Promise<void>((resolve) => server.close(() => resolve()));
    server.closeIdleConnections();
    for (const response of handling.values()) {
      if (!response.headersSent) response.setHeader('connection', 'close');
    }
    const deadline = Date.now() + timeoutMs;
    while (handling.size > 0 && Date.now() < deadline) {
      let timer: NodeJS.Timeout | undefined;
      await Promise.race([
        Promise.all(handling.keys()),
        new Promise<void>((resolve) => (timer = setTimeout(resolve, deadline - Date.now()))),
      ]);
      clearTimeout(timer);
    }
    server.closeAllConnections();
    await closed;
  }

  return { server, stop };
}
