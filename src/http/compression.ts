// Compressed GraphQL answers (brotli or gzip, as the client's Accept-Encoding
// prefers). Our own rather than @whatwg-node/server's useContentEncoding: that
// one takes the first encoding listed without trimming or weighing it (so
// `gzip, br` is always gzip, and `br;q=0` still brotli), compresses answers of
// a few bytes, and also inflates request bodies, which the body limit of
// src/http/body-limit.ts then no longer bounds. Compression runs on libuv's
// thread pool (zlib's async API), not on the thread that serves requests.
import { promisify } from 'node:util';
import { brotliCompress, constants, gzip } from 'node:zlib';
import type { Plugin } from 'graphql-yoga';

/** Smaller answers gain too little to be worth the CPU and the latency. */
const MIN_BYTES = 1024;
const GRAPHQL_ANSWER = /^application\/(graphql-response\+)?json\b/;

const compressors = {
  // Quality 5: most of brotli's gain on JSON for a fraction of its top quality's CPU.
  br: (bytes: Uint8Array) =>
    promisify(brotliCompress)(bytes, {
      params: { [constants.BROTLI_PARAM_QUALITY]: 5, [constants.BROTLI_PARAM_SIZE_HINT]: bytes.byteLength },
    }),
  gzip: (bytes: Uint8Array) => promisify(gzip)(bytes, { level: 6 }),
};

type Encoding = keyof typeof compressors;

/** The encoding to answer in: the client's highest weighted of ours, brotli on a tie; undefined for none. */
export function negotiateEncoding(acceptEncoding: string | null): Encoding | undefined {
  if (!acceptEncoding) return undefined;
  let best: { encoding: Encoding; q: number } | undefined;
  for (const part of acceptEncoding.split(',')) {
    const [name = '', ...params] = part.trim().toLowerCase().split(';');
    const qParam = params.map((p) => p.trim()).find((p) => p.startsWith('q='));
    const q = qParam ? Number(qParam.slice(2)) : 1;
    if (!(q > 0)) continue;
    const candidates: Encoding[] = name === '*' ? ['br', 'gzip'] : name === 'br' || name === 'gzip' ? [name] : [];
    for (const encoding of candidates) {
      if (!best || q > best.q || (q === best.q && encoding === 'br' && best.encoding !== 'br')) best = { encoding, q };
    }
  }
  return best?.encoding;
}

export function compressAnswers(): Plugin {
  return {
    onResponse({ request, response, setResponse, fetchAPI }) {
      if (!GRAPHQL_ANSWER.test(response.headers.get('content-type') ?? '')) return;
      if (response.headers.has('content-encoding')) return;
      const encoding = negotiateEncoding(request.headers.get('accept-encoding'));
      if (!encoding) return;
      const length = response.headers.get('content-length');
      if (length !== null && Number(length) < MIN_BYTES) return;
      return response.arrayBuffer().then(async (buffer) => {
        const headers = new fetchAPI.Headers(response.headers);
        headers.append('vary', 'accept-encoding');
        if (buffer.byteLength < MIN_BYTES) {
          setResponse(new fetchAPI.Response(buffer, { status: response.status, headers }));
          return;
        }
        const compressed = await compressors[encoding](new Uint8Array(buffer));
        headers.set('content-encoding', encoding);
        headers.set('content-length', String(compressed.byteLength));
        setResponse(new fetchAPI.Response(compressed, { status: response.status, headers }));
      });
    },
  };
}
