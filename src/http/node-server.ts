// The gateway's HTTP server: what a client may hold (time, connections); the
// requests that cannot reach Yoga answered as Yoga answers, with a code; and
// stopping without dropping requests. A replica that gets SIGTERM (a rolling
// deploy, a scale-down) finishes what it was asked before it closes its
// database: a request still executing would otherwise fail on a closed pool,
// and every client of the old replica would see an error.
import cluster from 'node:cluster';
import {
  createServer,
  type IncomingMessage,
  type RequestListener,
  type Server,
  type ServerResponse,
  STATUS_CODES,
} from 'node:http';
import type { Socket } from 'node:net';
import type { Duplex } from 'node:stream';
import { MAX_REQUEST_BODY_BYTES } from './body-limit.js';
import { badRequestBody } from './request-errors.js';

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

export interface ClientLimits {
  /**
   * How long a client may take to send its whole request (headers and body): one that trickles its body would
   * otherwise hold a connection, and the body received so far, for Node's default of five minutes. Node answers
   * 408 and closes the connection; it checks every second.
   */
  receiveMs: number;
  /**
   * How long, from its arrival, a request may take until its answer has been read. A client that asks and then
   * does not read keeps its answer in this process's memory, and a heavy document's place in admission
   * (src/limits/admission.ts) until it is written, for as long as the connection lasts: past this (checked every
   * second), the connection is reset.
   */
  answerMs: number;
  /**
   * How long an answer being written may wait for its client to read any of it. A client that stops reading a
   * large answer holds it (and a heavy document's place in admission, which every other heavy document then waits
   * for) until `answerMs`; past this the connection is reset, which also drops what the kernel still queues for it.
   * Reading is seen when the kernel takes more of the answer, about a third of the socket's send buffer at a time:
   * a client must read that much within this time.
   */
  stallMs: number;
  /**
   * Connections open at once. Each may hold a file descriptor, 16 KiB of headers and 16 KiB of body (a larger
   * body is counted in body-limit.ts) for as long as the timeouts above let it; unbounded, a client that keeps
   * opening them runs the process out of memory, or out of the file descriptors its database needs too. Node
   * closes each new connection past it as it comes (docs/security.md has the measurements).
   */
  maxConnections: number;
}

/** How long an answer may wait for its client to read any of it (`stallMs`), as `npm start` serves. */
export const ANSWER_STALL_MS = 10_000;

/**
 * Header lines a request may have. Node keeps the first 2,000 and drops the rest without a word: a header a proxy
 * adds after the client's own (the client's address, a session token) could be pushed out by 2,000 of the client's.
 * Browsers send a few dozen; past this a request is refused.
 */
export const MAX_HEADER_LINES = 200;

/** How often answers being written are checked for a client that stopped reading. */
const STALL_CHECK_MS = 1_000;

/**
 * Closes the connection at once, discarding what is queued for it: closed gracefully, the kernel keeps up to
 * megabytes of unsent answer for a client that does not read, for as long as that client keeps the connection.
 */
function reset(response: ServerResponse): void {
  const socket = response.socket;
  try {
    if (socket && !socket.destroyed) return void socket.resetAndDestroy();
  } catch {
    // Not a TCP socket (Node refuses to reset one): closed as usual.
  }
  response.destroy();
}

/**
 * Resets the connections whose answer is not read: past `answerMs` from its request's arrival, or once it has
 * waited `stallMs` without the client reading any of it (bytes queued in this process, their count unchanged since
 * the last check). Polled rather than timed per request: one timer for every answer, and a socket's idle timeout
 * would also fire while an answer is still being computed.
 */
function resetUnreadAnswers(
  answers: Map<ServerResponse, number>,
  { answerMs, stallMs }: Pick<ClientLimits, 'answerMs' | 'stallMs'>,
): NodeJS.Timeout {
  const seen = new WeakMap<ServerResponse, { queued: number; since: number }>();
  return setInterval(
    () => {
      const now = Date.now();
      for (const [response, arrived] of answers) {
        if (now - arrived >= answerMs) {
          reset(response);
          continue;
        }
        // Node's count of a write handed to libuv stays whole until all of it is written; libuv's shrinks as it goes.
        const handle = (response.socket as { _handle?: { writeQueueSize?: number } } | null)?._handle;
        const queued = response.writableLength + (handle?.writeQueueSize ?? 0);
        const last = seen.get(response);
        if (queued === 0 || last?.queued !== queued) seen.set(response, { queued, since: now });
        else if (now - last.since >= stallMs) reset(response);
      }
    },
    Math.min(STALL_CHECK_MS, stallMs, answerMs),
  ).unref();
}

function refuse(response: ServerResponse, status: number, message: string): void {
  const body = badRequestBody(message);
  response.writeHead(status, {
    'content-type': 'application/json; charset=utf-8',
    'content-length': Buffer.byteLength(body),
    connection: 'close',
  });
  response.end(body);
}

/** What Node's parser refuses, by its error's code: the status Node itself would send, and why. */
const UNREADABLE: Record<string, [status: number, message: string]> = {
  HPE_HEADER_OVERFLOW: [431, "The request's headers are larger than 16 KiB."],
  HPE_CHUNK_EXTENSIONS_OVERFLOW: [413, "The request's chunk extensions are too large."],
  ERR_HTTP_REQUEST_TIMEOUT: [
    408,
    `The request was not received in time: its headers within ${HEADERS_TIMEOUT_MS / 1000} s, the whole of it ` +
      'within REQUEST_TIMEOUT_MS.',
  ],
};

/**
 * Node answers a request its parser refuses (headers over 16 KiB, a URL too long, not HTTP, too slow) with a
 * bare status line. The same statuses here, with a body that carries a code (SPEC G), written where Node's
 * own handler would write (nothing answered yet on the socket).
 */
function answerUnreadable(error: NodeJS.ErrnoException, socket: Duplex & { bytesWritten?: number }): void {
  if (socket.writable && !socket.bytesWritten) {
    const [status, message] = UNREADABLE[error.code ?? ''] ?? [400, 'The request is not valid HTTP.'];
    socket.write(rawAnswer(status, message));
  }
  socket.destroy(error);
}

/** An answer written on the socket itself, where Node's response is not there to write it. */
function rawAnswer(status: number, message: string): string {
  const body = badRequestBody(message);
  return (
    `HTTP/1.1 ${status} ${STATUS_CODES[status]}\r\nconnection: close\r\n` +
    `content-type: application/json; charset=utf-8\r\ncontent-length: ${Buffer.byteLength(body)}\r\n\r\n${body}`
  );
}

/**
 * A Transfer-Encoding other than chunked (`gzip, chunked`): Node's parser takes it and hands the body on still
 * encoded, which would be read as if it were not. Refused, as RFC 9112 has a server refuse a coding it does not know.
 */
const codedTransfer = (request: IncomingMessage) => {
  const codings = request.headers['transfer-encoding'];
  return !!codings?.split(',').some((coding) => coding.trim().toLowerCase() !== 'chunked');
};

/**
 * At most `max` connections open; each one past it is closed as it comes, and the server emits 'drop'. Node's own
 * `maxConnections` does it before a connection costs anything, but not in a cluster worker (WORKERS > 1): there a
 * full worker hands the connection back, and the primary offers it to each worker in turn for as long as the client
 * waits, every process spinning. So a worker counts its connections here, and closes one past the cap itself.
 */
function capConnections(server: Server, max: number, inClusterWorker: boolean): void {
  if (!inClusterWorker) {
    server.maxConnections = max;
    return;
  }
  let open = 0;
  // Before the HTTP server's own listener, so that a connection past the cap is never read.
  server.prependListener('connection', (socket: Socket) => {
    if (open >= max) {
      socket.destroy();
      server.emit('drop', { remoteAddress: socket.remoteAddress, remotePort: socket.remotePort });
      return;
    }
    open++;
    socket.once('close', () => open--);
  });
}

/**
 * A body still arriving when its answer has been written (a GET or a path not served carries one, or a refusal
 * came first) is read and discarded by Node for the connection's next request, however long it is and in however
 * many chunks: 6 million one-byte chunks cost 8.8 s of CPU. A client that sends a body nobody reads gets its
 * answer, then the connection is closed; it opens a new one for its next request.
 */
function closeAfterUnreadBody(request: IncomingMessage): void {
  // The socket is gone from the request once its connection has closed, or moved on.
  const socket = request.socket as IncomingMessage['socket'] | null;
  if (request.complete || !socket || socket.destroyed) return;
  // Stop reading now; close once the answer has had a moment to leave (closing with unread input resets the
  // connection, which may drop what is still on its way).
  socket.pause();
  setTimeout(() => socket.destroy(), UNREAD_BODY_GRACE_MS).unref();
}

/**
 * An answer written while its request's body is still arriving says `connection: close` (closeAfterUnreadBody
 * closes it): said keep-alive, a client may send its next request on a connection about to close.
 */
function sayCloseIfBodyUnread(request: IncomingMessage, response: ServerResponse): void {
  const writeHead = response.writeHead;
  response.writeHead = ((...args: Parameters<typeof writeHead>) => {
    if (!request.complete) response.setHeader('connection', 'close');
    return writeHead.apply(response, args);
  }) as typeof writeHead;
}

/** How long an answer to a request whose body was not read has to leave before its connection is closed. */
const UNREAD_BODY_GRACE_MS = 1_000;

/**
 * Requests one connection may have in progress at once. HTTP/1.1 lets a client send requests without waiting for
 * answers (pipelining), and Node hands every request of a chunk it reads to the handler in one go: one connection
 * sending `{ __typename }` 2,000 times a write held the serving thread for 0.7–1.7 s at a time, a bystander's p99
 * 1.6 s. Browsers and HTTP libraries do not pipeline; a connection past this is closed, and what it has not been
 * answered is not served.
 */
export const MAX_REQUESTS_IN_PROGRESS_PER_CONNECTION = 16;

/**
 * A request target in origin form (`/graphql?…`): an absolute-form one (`http://host/graphql`, which HTTP/1.1
 * servers must accept, as proxies send it) as its path.
 */
function originForm(target: string): string {
  const rest = target.replace(/^https?:\/\/[^/?#]*/i, '');
  if (rest === target) return target;
  return rest.startsWith('/') ? rest : `/${rest}`;
}

/** A Host that would move the path the gateway sees (`x/metrics?`, `x#`) away from the one a proxy checked. */
const HOST_WITH_PATH = /[/?#@\\]/;

export function createStoppableServer(
  handle: RequestListener,
  limits: ClientLimits,
  { inClusterWorker = cluster.isWorker } = {},
): StoppableServer {
  const handling = new Map<Promise<void>, ServerResponse>();
  /** Answers not yet written, by their request's arrival. */
  const answering = new Map<ServerResponse, number>();
  const unread = resetUnreadAnswers(answering, limits);
  let stopping = false;
  const options = {
    requestTimeout: limits.receiveMs,
    headersTimeout: Math.min(HEADERS_TIMEOUT_MS, limits.receiveMs),
    connectionsCheckingInterval: 1_000,
    // Node would answer an HTTP/1.1 request without Host with a bare 400: refused below, with a code.
    requireHostHeader: false,
  };
  const inProgress = new WeakMap<Socket, number>();
  const server = createServer(options, (request, response) => {
    const socket = request.socket;
    // The rest of a chunk of a connection closed below.
    if (socket.destroyed) return;
    const requests = (inProgress.get(socket) ?? 0) + 1;
    if (requests > MAX_REQUESTS_IN_PROGRESS_PER_CONNECTION) return void socket.destroy();
    inProgress.set(socket, requests);
    response.once('close', () => inProgress.set(socket, (inProgress.get(socket) ?? 1) - 1));
    // Node gives no more than maxHeadersCount: as many as that may mean some were left out (Host among them).
    if (request.rawHeaders.length / 2 > MAX_HEADER_LINES) {
      request.resume();
      return refuse(response, 431, `The request has more than ${MAX_HEADER_LINES} header lines.`);
    }
    if (request.headers.host === undefined && request.httpVersion === '1.1') {
      request.resume();
      return refuse(response, 400, 'An HTTP/1.1 request needs a Host header.');
    }
    // The fetch adapter builds the request's URL from Host and the path, and a Host that makes no URL
    // (`[::1`, `x:abc`) throws there: HTTP 500 with its stack trace as the body. A Host holding a path, or a
    // path the URL rewrites (`/graphql/../metrics`), would reach another endpoint than a proxy in front saw.
    const host = request.headers.host ?? 'localhost';
    const path = originForm(request.url ?? '/');
    const url = URL.parse(`http://${host}${path}`);
    if (!url || HOST_WITH_PATH.test(host) || path.startsWith('//') || !path.startsWith(url.pathname)) {
      request.resume();
      return refuse(response, 400, "The request's Host header and path do not make a URL in normal form.");
    }
    if (codedTransfer(request)) {
      request.resume();
      return refuse(response, 501, 'A Transfer-Encoding other than chunked is not served; send the body as is.');
    }
    // The fetch adapter builds the URL from Host and the path: an absolute-form target is served by its path.
    if (path !== request.url) request.url = path;
    // Asked on a kept-alive connection while stopping: answered, and the client told to reconnect (elsewhere).
    if (stopping) response.setHeader('connection', 'close');
    answering.set(response, Date.now());
    // 'close': the answer is written in full, or the connection is gone.
    response.once('close', () => answering.delete(response));
    response.once('finish', () => closeAfterUnreadBody(request));
    if (request.headers['transfer-encoding'] || Number(request.headers['content-length'] ?? 0) > 0)
      sayCloseIfBodyUnread(request, response);
    // Settles when the handler is done, never rejecting: the handler reports its own errors (Yoga logs them).
    const untrack = () => void handling.delete(handled);
    const handled: Promise<void> = Promise.resolve(handle(request, response)).then(untrack, untrack);
    handling.set(handled, response);
  });
  server.maxHeadersCount = MAX_HEADER_LINES + 1;
  capConnections(server, limits.maxConnections, inClusterWorker);
  server.on('clientError', answerUnreadable);
  // Node closes a CONNECT's socket without a word unless someone listens: the gateway is no proxy. Node hands the
  // socket over (on a kept-alive connection too, after answers already written), and no HTTP timeout applies to it
  // any more: answered, then closed, whether or not the client reads.
  server.on('connect', (_request: IncomingMessage, socket: Duplex) => {
    socket.on('error', () => {});
    socket.end(rawAnswer(405, 'CONNECT is not served: this is not a proxy.'), () => socket.destroy());
    setTimeout(() => socket.destroy(), UNREAD_BODY_GRACE_MS).unref();
  });
  // An Expect other than 100-continue, which Node would answer with a bare 417.
  server.on('checkExpectation', (request, response) => {
    request.resume();
    refuse(response, 417, 'Only "Expect: 100-continue" is served.');
  });
  // Node would invite every such body with 100 Continue; one over the limit is refused (413) before it is sent.
  server.on('checkContinue', (request, response) => {
    if (Number(request.headers['content-length'] ?? 0) <= MAX_REQUEST_BODY_BYTES) response.writeContinue();
    server.emit('request', request, response);
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
    clearInterval(unread);
    await closed;
  }

  return { server, stop };
}
