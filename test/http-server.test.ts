// The HTTP server over real sockets (Node's parser is part of the argument in
// src/http/body-limit.ts and src/http/node-server.ts): bodies that say how long
// they are, and chunked bodies that do not; the budget that large bodies being
// received share; the time and the connections a client may hold; and the
// requests that never reach Yoga, answered with a code all the same.
import { request, type RequestListener, type Server } from 'node:http';
import { type AddressInfo, connect, type Socket } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Database } from '../src/db/database.js';
import { LARGE_BODY_BYTES_IN_FLIGHT, MAX_REQUEST_BODY_BYTES, MAX_BODY_PIECES } from '../src/http/body-limit.js';
import {
  type ClientLimits,
  createStoppableServer,
  MAX_REQUESTS_IN_PROGRESS_PER_CONNECTION,
} from '../src/http/node-server.js';
import { freshDatabase } from './support/databases.js';
import { serveOverHttp, type HttpGateway } from './support/http.js';

let database: Database;
let gateway: HttpGateway;

beforeAll(async () => {
  database = await freshDatabase('pglite');
  await database.migrate();
  gateway = await serveOverHttp(database);
});

afterAll(async () => {
  await gateway?.close();
  await database?.close();
});

interface Answer {
  status: number;
  body: { data?: unknown; errors?: { message: string; extensions?: { code?: string } }[] };
}

/**
 * POSTs `chunks` as the body: with a Content-Length, or chunked when
 * `chunked`. Stops sending once the server has answered, as a client would
 * when a refusal arrives mid-upload.
 */
function post(chunks: string[], { chunked = false } = {}): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const length = chunks.reduce((sum, chunk) => sum + Buffer.byteLength(chunk), 0);
    let answered = false;
    const req = request(
      {
        host: '127.0.0.1',
        port: gateway.port,
        path: '/graphql',
        method: 'POST',
        // A connection of its own: the server reads connections in the order they came (see the budget's test).
        agent: false,
        headers: {
          'content-type': 'application/json',
          accept: 'application/json',
          ...(chunked ? {} : { 'content-length': length }),
        },
      },
      (res) => {
        answered = true;
        let text = '';
        res.setEncoding('utf8');
        res.on('data', (piece: string) => (text += piece));
        res.on('end', () => resolve({ status: res.statusCode!, body: JSON.parse(text) }));
      },
    );
    req.on('error', (error) => (answered ? undefined : reject(error)));
    const send = (i: number) => {
      if (answered || i === chunks.length) return void req.end();
      if (req.write(chunks[i])) setImmediate(send, i + 1);
      else req.once('drain', () => send(i + 1));
    };
    send(0);
  });
}

/** `{ __typename }` (no token needed), padded with spaces to exactly `bytes`. */
function typenameQuery(bytes: number) {
  const bare = JSON.stringify({ query: '{ __typename }' });
  return JSON.stringify({ query: `{ __typename }${' '.repeat(bytes - bare.length)}` });
}

/** The same body cut into pieces of 64 KiB, as a streaming client sends it. */
const pieces = (body: string) => body.match(/[\s\S]{1,65536}/g)!;

describe('request body limit', () => {
  it('serves a body under the limit, with a Content-Length or chunked', async () => {
    const body = typenameQuery(MAX_REQUEST_BODY_BYTES);
    for (const chunked of [false, true]) {
      const answer = await post(pieces(body), { chunked });
      expect(answer).toEqual({ status: 200, body: { data: { __typename: 'Query' } } });
    }
  });

  it('refuses a Content-Length over the limit with 413 and REQUEST_ENTITY_TOO_LARGE', async () => {
    const answer = await post([typenameQuery(MAX_REQUEST_BODY_BYTES + 1)]);
    expect(answer.status).toBe(413);
    expect(answer.body.errors).toEqual([
      expect.objectContaining({
        message: `Request body too large: the limit is ${MAX_REQUEST_BODY_BYTES} bytes.`,
        extensions: expect.objectContaining({ code: 'REQUEST_ENTITY_TOO_LARGE' }),
      }),
    ]);
  });

  it('refuses a body over the limit that asks to be invited (Expect: 100-continue) before it is sent', async () => {
    const socket = connect(gateway.port, '127.0.0.1');
    socket.on('error', () => {});
    let text = '';
    socket.on('data', (piece) => (text += piece));
    socket.write(
      'POST /graphql HTTP/1.1\r\nhost: x\r\ncontent-type: application/json\r\nexpect: 100-continue\r\n' +
        `content-length: ${5 * MAX_REQUEST_BODY_BYTES}\r\n\r\n`,
    );
    await untilClosed(socket, 5_000);
    expect(text).not.toMatch(/100 Continue/);
    expect(parseRaw(text).status).toBe(413);
  });

  it('invites a body under the limit (100 Continue), and serves it', async () => {
    const body = JSON.stringify({ query: '{ __typename }' });
    const socket = connect(gateway.port, '127.0.0.1');
    socket.on('error', () => {});
    let text = '';
    const invited = new Promise<void>((resolve) =>
      socket.on('data', (piece) => {
        text += piece;
        if (text.includes('100 Continue')) resolve();
      }),
    );
    socket.write(
      'POST /graphql HTTP/1.1\r\nhost: x\r\ncontent-type: application/json\r\naccept: application/json\r\n' +
        `expect: 100-continue\r\nconnection: close\r\ncontent-length: ${body.length}\r\n\r\n`,
    );
    await invited;
    socket.write(body);
    await untilClosed(socket, 5_000);
    expect(text).toMatch(/^HTTP\/1\.1 100 Continue\r\n\r\nHTTP\/1\.1 200/);
    expect(text).toContain('"__typename":"Query"');
  });

  it('refuses a chunked body that comes in too many small chunks, and serves one in fewer', async () => {
    const body = typenameQuery(2 * MAX_BODY_PIECES);
    const bytes = await post(body.match(/[\s\S]{1,1}/g)!, { chunked: true });
    expect(bytes.status).toBe(400);
    expect(bytes.body.errors?.[0]).toMatchObject({
      message: expect.stringContaining('chunks'),
      extensions: { code: 'BAD_REQUEST' },
    });
    const fewer = await post(body.match(/[\s\S]{1,8}/g)!, { chunked: true });
    expect(fewer).toEqual({ status: 200, body: { data: { __typename: 'Query' } } });
  });

  // A GET, a path not served, a refusal: answered without reading the body, which Node would read and discard.
  it('answers a request whose body it does not read, then closes the connection rather than read the rest', async () => {
    const chunks = '1\r\n \r\n'.repeat(2 * MAX_BODY_PIECES);
    for (const head of ['GET /graphql?query=%7B__typename%7D', 'POST /nothing-here']) {
      const socket = connect(gateway.port, '127.0.0.1');
      socket.on('error', () => {});
      socket.write(
        `${head} HTTP/1.1\r\nhost: x\r\naccept: application/json\r\nx-graphql-yoga-csrf: 1\r\n` +
          `transfer-encoding: chunked\r\n\r\n${chunks}`,
      );
      // The last chunk never comes: without the bound, the connection would wait for the rest of the body.
      const { text, closedAfterMs } = await untilClosed(socket, 5_000);
      expect(text).toMatch(/^HTTP\/1\.1 (200|404)/);
      // Said in the answer, so that a client does not send its next request on a connection about to close.
      expect(text.slice(0, text.indexOf('\r\n\r\n'))).toMatch(/\r\nconnection: close\r\n/i);
      expect(closedAfterMs).toBeDefined();
    }
  });

  it('refuses a chunked body once it passes the limit', async () => {
    const answer = await post(pieces(typenameQuery(2 * MAX_REQUEST_BODY_BYTES)), { chunked: true });
    expect(answer.status).toBe(413);
    expect(answer.body.errors?.[0]?.extensions?.code).toBe('REQUEST_ENTITY_TOO_LARGE');
  });
});

/** A client that sends its headers and the first byte of a body of `bytes`, then nothing more. */
function stalledUpload(port: number, bytes: number): Promise<Socket> {
  return new Promise((resolve, reject) => {
    const socket = connect(port, '127.0.0.1', () => {
      socket.write(
        `POST /graphql HTTP/1.1\r\nhost: 127.0.0.1\r\ncontent-type: application/json\r\ncontent-length: ${bytes}\r\n\r\n{`,
        () => resolve(socket),
      );
    });
    socket.on('error', reject);
  });
}

/** What the server sends a raw socket until it closes it (or `ms` pass), and how long that took. */
function untilClosed(socket: Socket, ms: number): Promise<{ text: string; closedAfterMs: number | undefined }> {
  const started = Date.now();
  let text = '';
  socket.on('data', (piece) => (text += piece));
  return new Promise((resolve) => {
    const timer = setTimeout(() => resolve({ text, closedAfterMs: undefined }), ms);
    socket.once('close', () => {
      clearTimeout(timer);
      resolve({ text, closedAfterMs: Date.now() - started });
    });
  });
}

/** Sends `raw` on a new socket; what the server answers until it closes the connection. */
async function rawExchange(raw: string): Promise<string> {
  const socket = connect(gateway.port, '127.0.0.1');
  socket.on('error', () => {});
  socket.write(raw);
  const { text } = await untilClosed(socket, 10_000);
  return text;
}

/** The status and the JSON body of a raw HTTP answer. */
function parseRaw(text: string): Answer {
  const [head, body] = text.split('\r\n\r\n', 2) as [string, string];
  return { status: Number(head.split(' ')[1]), body: JSON.parse(body) };
}

describe('requests that never reach Yoga', () => {
  // The last ones would move the path: `x/metrics?` makes http://x/metrics?/graphql, which a proxy saw as /graphql.
  it.each(['[::1', 'x:abc', 'a@b:99999', '%', 'ex ample', '127.0.0.1/metrics?', 'x/ready#', 'x\\y', 'user@x'])(
    'answers a Host of %j with 400 and BAD_REQUEST, no stack trace',
    async (host) => {
      const text = await rawExchange(`GET /graphql?query=%7B__typename%7D HTTP/1.1\r\nhost: ${host}\r\n\r\n`);
      expect(text).not.toMatch(/TypeError|node_modules|at /);
      expect(parseRaw(text)).toEqual({
        status: 400,
        body: { errors: [{ message: expect.stringContaining('Host'), extensions: { code: 'BAD_REQUEST' } }] },
      });
    },
  );

  it('serves a request of 200 header lines', async () => {
    const text = await rawExchange(
      'GET /graphql?query=%7B__typename%7D HTTP/1.1\r\nhost: x\r\naccept: application/json\r\nx-graphql-yoga-csrf: 1\r\n' +
        `${'a: b\r\n'.repeat(196)}connection: close\r\n\r\n`,
    );
    expect(parseRaw(text)).toEqual({ status: 200, body: { data: { __typename: 'Query' } } });
  });

  it.each([
    ['headers over 16 KiB', `GET /graphql HTTP/1.1\r\nhost: x\r\nx-pad: ${'a'.repeat(20_000)}\r\n\r\n`, 431],
    ['a URL over 16 KiB', `GET /graphql?query=${'a'.repeat(60_000)} HTTP/1.1\r\nhost: x\r\n\r\n`, 431],
    // Node would keep the first 2,000 and drop the others, a proxy's own last among them.
    [
      'more header lines than a client sends',
      `GET /graphql HTTP/1.1\r\nhost: x\r\n${'a: b\r\n'.repeat(2_100)}\r\n`,
      431,
    ],
    // Host past the 200th line: refused for the count, not taken for a request without Host.
    ['201 header lines, Host the last', `GET /graphql HTTP/1.1\r\n${'a: b\r\n'.repeat(200)}host: x\r\n\r\n`, 431],
    ['not HTTP', 'HELLO\r\n\r\n', 400],
    ['an HTTP/1.1 request without Host', 'GET /graphql?query=%7B__typename%7D HTTP/1.1\r\n\r\n', 400],
    [
      'an Expect other than 100-continue',
      'POST /graphql HTTP/1.1\r\nhost: x\r\nexpect: teapot\r\ncontent-type: application/json\r\ncontent-length: 2\r\n\r\n{}',
      417,
    ],
    ['CONNECT (no proxy here)', 'CONNECT example.com:443 HTTP/1.1\r\nhost: example.com:443\r\n\r\n', 405],
    [
      // Node hands the body on still gzipped: read as it came, it would be taken for the request.
      'a Transfer-Encoding other than chunked',
      'POST /graphql HTTP/1.1\r\nhost: x\r\ncontent-type: application/json\r\ntransfer-encoding: gzip, chunked\r\n\r\n' +
        '14\r\n{"query":"{me{id}}"}\r\n0\r\n\r\n',
      501,
    ],
  ])('answers %s with its status and a code', async (_name, raw, status) => {
    expect(parseRaw(await rawExchange(raw))).toEqual({
      status,
      body: { errors: [{ message: expect.any(String), extensions: { code: 'BAD_REQUEST' } }] },
    });
  });

  it('answers a CONNECT after an answered request on the same connection, and closes it', async () => {
    const socket = connect(gateway.port, '127.0.0.1');
    socket.on('error', () => {});
    socket.write('GET /graphql?query=%7B__typename%7D HTTP/1.1\r\nhost: x\r\naccept: application/json\r\n\r\n');
    await new Promise((resolve) => socket.once('data', resolve));
    socket.write('CONNECT example.com:443 HTTP/1.1\r\nhost: example.com:443\r\n\r\n');
    // Once Node has handed the socket over, no HTTP timeout would ever close it.
    const { text, closedAfterMs } = await untilClosed(socket, 5_000);
    expect(closedAfterMs).toBeDefined();
    expect(text).toMatch(/^HTTP\/1\.1 405 /);
    expect(text).toContain('"code":"BAD_REQUEST"');
  });

  it.each([
    '/graphql/../metrics',
    '/graphql/%2e%2e/ready',
    '/x/./graphql',
    '/graphql\\..\\metrics',
    '//metrics',
    'http://x/graphql/../metrics',
  ])(
    'answers a path the URL would rewrite (%s) with 400, as it would reach another endpoint than a proxy saw',
    async (path) => {
      const text = await rawExchange(`GET ${path} HTTP/1.1\r\nhost: x\r\n\r\n`);
      expect(parseRaw(text)).toEqual({
        status: 400,
        body: { errors: [{ message: expect.stringContaining('path'), extensions: { code: 'BAD_REQUEST' } }] },
      });
    },
  );

  it('serves a request whose target is in absolute form, as HTTP/1.1 servers must', async () => {
    const text = await rawExchange(
      `GET http://127.0.0.1:${gateway.port}/graphql?query=%7B__typename%7D HTTP/1.1\r\nhost: 127.0.0.1:${gateway.port}\r\n` +
        'accept: application/json\r\nx-graphql-yoga-csrf: 1\r\nconnection: close\r\n\r\n',
    );
    expect(parseRaw(text)).toEqual({ status: 200, body: { data: { __typename: 'Query' } } });
  });

  it('serves an HTTP/1.0 request without Host, which that version allows', async () => {
    const text = await rawExchange(
      'GET /graphql?query=%7B__typename%7D HTTP/1.0\r\naccept: application/json\r\nx-graphql-yoga-csrf: 1\r\n\r\n',
    );
    expect(parseRaw(text)).toEqual({ status: 200, body: { data: { __typename: 'Query' } } });
  });

  it('serves the next request on the same server after such refusals', async () => {
    expect(await post([JSON.stringify({ query: '{ __typename }' })])).toEqual({
      status: 200,
      body: { data: { __typename: 'Query' } },
    });
  });
});

describe('large bodies being received at once', () => {
  const fills = LARGE_BODY_BYTES_IN_FLIGHT / MAX_REQUEST_BODY_BYTES;

  it('refuses one more large body with 503 while slow clients hold the budget, and takes small ones', async () => {
    const stalled = await Promise.all(
      Array.from({ length: fills }, () => stalledUpload(gateway.port, MAX_REQUEST_BODY_BYTES)),
    );
    try {
      // The small request's answer comes after the server has read the stalled ones' headers.
      const small = await post([typenameQuery(200)]);
      expect(small).toEqual({ status: 200, body: { data: { __typename: 'Query' } } });

      for (const chunked of [false, true]) {
        const large = await post(pieces(typenameQuery(MAX_REQUEST_BODY_BYTES / 2)), { chunked });
        expect(large.status).toBe(503);
        expect(large.body.errors?.[0]?.extensions?.code).toBe('SERVICE_UNAVAILABLE');
      }
      // A small body sent chunked is not counted either.
      expect(await post(pieces(typenameQuery(8 * 1024)), { chunked: true })).toMatchObject({ status: 200 });
    } finally {
      for (const socket of stalled) socket.destroy();
    }

    // The clients that left gave their share back.
    let large: Answer | undefined;
    for (let attempt = 0; attempt < 50 && large?.status !== 200; attempt++) {
      if (attempt) await new Promise((resolve) => setTimeout(resolve, 50));
      large = await post(pieces(typenameQuery(MAX_REQUEST_BODY_BYTES)));
    }
    expect(large).toEqual({ status: 200, body: { data: { __typename: 'Query' } } });
  });
});

describe('the time and the connections a client may hold', () => {
  const TIMEOUTS = { receiveMs: 1_000, answerMs: 2_000, stallMs: 60_000, maxConnections: 100 };
  // Node checks the receive timeout once a second, so a 408 may come up to a second late: the answer's own
  // timeout, which would close the connection without one, is kept out of its way here.
  const RECEIVE_ONLY = { ...TIMEOUTS, answerMs: 60_000 };

  /** Runs `client` against a server of `handle` with `limits` on a free port, then stops the server. */
  async function serving(
    handle: RequestListener,
    limits: ClientLimits,
    client: (port: number, server: Server) => Promise<void>,
    options: { inClusterWorker?: boolean } = {},
  ) {
    const { server, stop } = createStoppableServer(handle, limits, options);
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    try {
      await client((server.address() as AddressInfo).port, server);
    } finally {
      await stop(0);
    }
  }

  it('answers 408 and closes the connection of a client that stops sending its body', async () => {
    const readWhole: RequestListener = (request, response) => {
      request.resume();
      request.on('end', () => response.end('read'));
    };
    await serving(readWhole, RECEIVE_ONLY, async (port) => {
      const { text, closedAfterMs } = await untilClosed(await stalledUpload(port, 1_000), 10_000);
      expect(text).toMatch(/^HTTP\/1\.1 408/);
      // The timeout, plus up to the one-second interval at which Node checks.
      expect(closedAfterMs).toBeGreaterThanOrEqual(900);
      expect(closedAfterMs).toBeLessThan(5_000);
    });
  });

  it('closes the connection of a client that does not read its answer, and lets it go', async () => {
    let closed: (() => void) | undefined;
    const responseClosed = new Promise<void>((resolve) => (closed = resolve));
    const answerLarge: RequestListener = (_request, response) => {
      response.on('close', closed!);
      // 64 MiB: more than the kernel's socket buffers hold, so most of it waits in this process.
      response.end(Buffer.alloc(64 * 1024 * 1024, 'x'));
    };
    await serving(answerLarge, TIMEOUTS, async (port) => {
      const socket = connect(port, '127.0.0.1');
      socket.pause(); // never reads
      socket.on('error', () => {});
      socket.write('GET / HTTP/1.1\r\nhost: 127.0.0.1\r\n\r\n');
      const started = Date.now();
      await responseClosed;
      const closedAfterMs = Date.now() - started;
      expect(closedAfterMs).toBeGreaterThanOrEqual(TIMEOUTS.answerMs - 200);
      expect(closedAfterMs).toBeLessThan(TIMEOUTS.answerMs + 3_000);
      // The client, reading at last, finds its connection closed before the answer's end.
      const drained = untilClosed(socket, 5_000);
      socket.resume();
      const { text, closedAfterMs: drainedAfterMs } = await drained;
      expect(drainedAfterMs).toBeDefined();
      expect(text.length).toBeLessThan(64 * 1024 * 1024);
    });
  });

  it('resets the connection of a client that stops reading its answer after stallMs, dropping what is queued', async () => {
    let closed: (() => void) | undefined;
    const responseClosed = new Promise<void>((resolve) => (closed = resolve));
    const answerLarge: RequestListener = (_request, response) => {
      response.on('close', closed!);
      response.end(Buffer.alloc(64 * 1024 * 1024, 'x'));
    };
    await serving(answerLarge, { ...TIMEOUTS, answerMs: 60_000, stallMs: 500 }, async (port) => {
      const socket = connect(port, '127.0.0.1');
      socket.pause();
      socket.on('error', () => {});
      socket.write('GET / HTTP/1.1\r\nhost: 127.0.0.1\r\n\r\n');
      const started = Date.now();
      await responseClosed;
      const closedAfterMs = Date.now() - started;
      expect(closedAfterMs).toBeGreaterThanOrEqual(500);
      expect(closedAfterMs).toBeLessThan(5_000);
      // Reset, not closed in order: what the kernel had queued for the client (megabytes) is dropped, not sent.
      let received = 0;
      socket.on('data', (chunk: Buffer) => (received += chunk.length));
      const gone = new Promise<void>((resolve) => socket.on('close', () => resolve()));
      socket.resume();
      await gone;
      expect(received).toBeLessThan(1024 * 1024);
    });
  });

  it('lets a client that reads slowly, but reads, take its whole answer past stallMs', async () => {
    const SIZE = 16 * 1024 * 1024;
    await serving(
      (_request, response) => response.end(Buffer.alloc(SIZE, 'x')),
      { ...TIMEOUTS, answerMs: 60_000, stallMs: 2_000 },
      async (port) => {
        const socket = connect(port, '127.0.0.1');
        socket.on('error', () => {});
        let received = 0;
        let burst = 0;
        socket.on('data', (chunk: Buffer) => {
          received += chunk.length;
          burst += chunk.length;
          // A megabyte, then a pause shorter than stallMs (the kernel wakes a writer once a good part of its buffer
          // is free: progress is seen in steps of about a megabyte on loopback).
          if (burst < 1024 * 1024) return;
          burst = 0;
          socket.pause();
          setTimeout(() => socket.resume(), 300);
        });
        socket.write('GET / HTTP/1.1\r\nhost: 127.0.0.1\r\nconnection: close\r\n\r\n');
        await new Promise<void>((resolve) => socket.on('close', () => resolve()));
        expect(received).toBeGreaterThan(SIZE);
      },
    );
  });

  it('closes a connection that pipelines more requests than it may have in progress, and serves the others', async () => {
    let handled = 0;
    const slow: RequestListener = (_request, response) => {
      handled++;
      setTimeout(() => response.end('ok'), 20);
    };
    await serving(slow, TIMEOUTS, async (port) => {
      const socket = connect(port, '127.0.0.1');
      socket.on('error', () => {});
      // 2,000 requests in one write: Node hands every one it has read to the handler at once.
      socket.write('GET / HTTP/1.1\r\nhost: x\r\n\r\n'.repeat(2_000));
      const { closedAfterMs } = await untilClosed(socket, 5_000);
      expect(closedAfterMs).toBeDefined();
      expect(handled).toBeLessThanOrEqual(MAX_REQUESTS_IN_PROGRESS_PER_CONNECTION);
      // A client that waits for its answers, on a connection of its own, is served as before.
      const answers = await Promise.all(
        Array.from({ length: 20 }, () => fetch(`http://127.0.0.1:${port}/`).then((r) => r.text())),
      );
      expect(answers).toEqual(Array.from({ length: 20 }, () => 'ok'));
    });
  });

  it('serves pipelined requests up to the limit in order', async () => {
    await serving(
      (request, response) => response.end(`${request.url};`),
      TIMEOUTS,
      async (port) => {
        const socket = connect(port, '127.0.0.1');
        socket.on('error', () => {});
        const count = MAX_REQUESTS_IN_PROGRESS_PER_CONNECTION;
        socket.write(
          Array.from({ length: count - 1 }, (_, i) => `GET /${i} HTTP/1.1\r\nhost: x\r\n\r\n`).join('') +
            'GET /last HTTP/1.1\r\nhost: x\r\nconnection: close\r\n\r\n',
        );
        const { text } = await untilClosed(socket, 5_000);
        const bodies = [...text.matchAll(/\r\n\r\n(\/\w+);/g)].map((m) => m[1]);
        expect(bodies).toEqual([...Array.from({ length: count - 1 }, (_, i) => `/${i}`), '/last']);
      },
    );
  });

  it('leaves a client that reads its answer alone, however long the connection lives', async () => {
    await serving(
      (_request, response) => response.end('ok'),
      TIMEOUTS,
      async (port) => {
        const first = await fetch(`http://127.0.0.1:${port}/`);
        expect(await first.text()).toBe('ok');
        // Past answerMs since the first request, on the same kept-alive connection pool.
        await new Promise((resolve) => setTimeout(resolve, TIMEOUTS.answerMs + 500));
        const second = await fetch(`http://127.0.0.1:${port}/`);
        expect(await second.text()).toBe('ok');
      },
    );
  });

  // In a cluster worker (WORKERS > 1) the gateway counts connections itself: Node's own cap has the primary offer a
  // refused connection to each worker in turn, for as long as the client waits.
  it.each([
    ['in one process', false],
    ['in a cluster worker', true],
  ])(
    '%s: closes connections past maxConnections as they come, and serves those it holds',
    async (_, inClusterWorker) => {
      const opened: Socket[] = [];
      const open = (port: number) =>
        new Promise<Socket>((resolve) => {
          const socket = connect(port, '127.0.0.1', () => resolve(socket));
          // The server may reset a connection it closes at once.
          socket.on('error', () => {});
          opened.push(socket);
        });
      const ask = (socket: Socket) =>
        new Promise<string>((resolve) => {
          let text = '';
          socket.on('data', (piece) => {
            text += piece;
            if (text.endsWith('ok')) resolve(text);
          });
          socket.write('GET / HTTP/1.1\r\nhost: 127.0.0.1\r\n\r\n');
        });
      await serving(
        (_request, response) => response.end('ok'),
        { ...TIMEOUTS, maxConnections: 3 },
        async (port, server) => {
          let dropped = 0;
          server.on('drop', () => dropped++);
          try {
            const held = [await open(port), await open(port), await open(port)];
            const { text, closedAfterMs } = await untilClosed(await open(port), 5_000);
            expect(text).toBe('');
            expect(closedAfterMs).toBeDefined();
            expect(dropped).toBe(1);
            for (const socket of held) expect(await ask(socket)).toMatch(/^HTTP\/1\.1 200/);
            // One leaves: a new client gets its place.
            held[0]!.destroy();
            let answer: string | undefined;
            for (let attempt = 0; attempt < 50 && answer === undefined; attempt++) {
              await new Promise((resolve) => setTimeout(resolve, 20));
              answer = await fetch(`http://127.0.0.1:${port}/`, { headers: { connection: 'close' } }).then(
                (response) => response.text(),
                () => undefined,
              );
            }
            expect(answer).toBe('ok');
          } finally {
            for (const socket of opened) socket.destroy();
          }
        },
        { inClusterWorker },
      );
    },
  );
});
