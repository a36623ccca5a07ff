// The request body limit over real HTTP (Node's parser is part of the
// argument in src/http/body-limit.ts): bodies that say how long they are, and
// chunked bodies that do not.
import { request } from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Database } from '../src/db/database.js';
import { MAX_REQUEST_BODY_BYTES } from '../src/http/body-limit.js';
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

  it('refuses a chunked body once it passes the limit', async () => {
    const answer = await post(pieces(typenameQuery(2 * MAX_REQUEST_BODY_BYTES)), { chunked: true });
    expect(answer.status).toBe(413);
    expect(answer.body.errors?.[0]?.extensions?.code).toBe('REQUEST_ENTITY_TOO_LARGE');
  });
});
