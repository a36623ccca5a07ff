// Answers over real HTTP: a large answer leaves as bytes (src/http/answer-bytes.ts),
// and must arrive exactly as a small one would, whatever characters it holds.
import { request } from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DEFAULT_LIMITS } from '../src/config.js';
import type { Database } from '../src/db/database.js';
import { freshDatabase } from './support/databases.js';
import { serveOverHttp, type HttpGateway } from './support/http.js';
import { makeUser } from './support/gateway.js';

let database: Database;
let gateway: HttpGateway;
let token: string;
const NAME = 'Zoë Ōtsuka 名前 🚀';

beforeAll(async () => {
  database = await freshDatabase('pglite');
  await database.migrate();
  ({ token } = await makeUser(database, { name: NAME }));
  // 2,000 aliases is the flood QUERY_MAX_ALIASES refuses by default; here it is only a way to a large answer.
  gateway = await serveOverHttp(database, { limits: { ...DEFAULT_LIMITS, maxAliases: 2_000, maxTokens: 20_000 } });
});

afterAll(async () => {
  await gateway?.close();
  await database?.close();
});

/** POSTs a query; the answer's raw bytes and headers. */
function post(
  query: string,
  accept: string,
): Promise<{ status: number; headers: Record<string, unknown>; bytes: Buffer }> {
  return new Promise((resolve, reject) => {
    const body = JSON.stringify({ query });
    const req = request(
      {
        host: '127.0.0.1',
        port: gateway.port,
        path: '/graphql',
        method: 'POST',
        headers: {
          'content-type': 'application/json',
          accept,
          'coder-session-token': token,
          'content-length': Buffer.byteLength(body),
        },
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (chunk: Buffer) => chunks.push(chunk));
        res.on('end', () => resolve({ status: res.statusCode!, headers: res.headers, bytes: Buffer.concat(chunks) }));
      },
    );
    req.on('error', reject);
    req.end(body);
  });
}

/** `me { name }` under `count` aliases: about 40 bytes an alias. */
const names = (count: number) => `{ ${Array.from({ length: count }, (_, i) => `n${i}: me { name }`).join(' ')} }`;

describe('answers over HTTP', () => {
  it.each([
    ['application/json', 10],
    ['application/json', 2_000],
    ['application/graphql-response+json', 2_000],
  ])(
    'as %s with %i names (small and large answers): the declared length, UTF-8, every character intact',
    async (accept, count) => {
      const answer = await post(names(count), accept);
      expect(answer.status).toBe(200);
      expect(answer.headers['content-type']).toBe(`${accept}; charset=utf-8`);
      expect(Number(answer.headers['content-length'])).toBe(answer.bytes.length);
      if (count > 1_000) expect(answer.bytes.length).toBeGreaterThan(16 * 1024);
      const { data, errors } = JSON.parse(answer.bytes.toString('utf8')) as {
        data: Record<string, { name: string }>;
        errors?: unknown;
      };
      expect(errors).toBeUndefined();
      expect(Object.keys(data)).toHaveLength(count);
      for (const value of Object.values(data)) expect(value).toEqual({ name: NAME });
    },
  );
});
