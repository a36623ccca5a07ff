// Renders GraphiQL's page and compresses it, on a thread of its own that then exits: the renderer's module (9 MB
// of JavaScript, kept by V8 once imported) and the rendering's copies of the page are freed with the thread,
// where on the serving thread they would stay for the process's life (docs/security.md has the figures).
import { createHash } from 'node:crypto';
import { promisify } from 'node:util';
import { parentPort, workerData } from 'node:worker_threads';
import { brotliCompress, constants, gzip } from 'node:zlib';
import type { GraphiQLOptions } from 'graphql-yoga';

/** What the thread sends back: the page's ETag and its compressed forms. */
export interface RenderedPage {
  etag: string;
  br: Uint8Array;
  gzip: Uint8Array;
}

/** Brotli's quality 11 takes seconds on 9 MB; 5 gives most of its gain in a fraction of the time, once. */
const BROTLI_QUALITY = 5;

const options = workerData as GraphiQLOptions;
// GraphiQL from the npm package itself (Yoga's default loads it from a CDN).
const { renderGraphiQL } = await import('@graphql-yoga/render-graphiql');
const identity = Buffer.from(renderGraphiQL(options));
const [br, gz] = await Promise.all([
  promisify(brotliCompress)(identity, { params: { [constants.BROTLI_PARAM_QUALITY]: BROTLI_QUALITY } }),
  promisify(gzip)(identity),
]);
const page: RenderedPage = {
  etag: `"${createHash('sha256').update(identity).digest('base64url').slice(0, 27)}"`,
  br,
  gzip: gz,
};
parentPort!.postMessage(page);
