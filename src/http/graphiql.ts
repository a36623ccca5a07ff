// GraphiQL, served by the gateway itself (GET /graphql from a browser). The
// page bundles GraphiQL's 9 MB of JavaScript: it is rendered once, on the
// first visit, on a thread of its own (graphiql-thread.ts), compressed once per
// encoding (brotli, gzip), and served with an ETag, so that repeated visits
// cost neither memory nor CPU, and a browser that has the page gets a 304.
// Yoga's own GraphiQL renders it on every GET.
import { Readable } from 'node:stream';
import { createGunzip } from 'node:zlib';
import type { GraphiQLOptions, Plugin } from 'graphql-yoga';
import { shouldRenderGraphiQL } from 'graphql-yoga';
import type { Logger } from 'pino';
import { startThread } from '../execution/threads.js';
import { negotiateEncoding } from './compression.js';
import type { RenderedPage } from './graphiql-thread.js';

export interface GraphiQLSettings {
  /** Keep the headers typed into GraphiQL (the session token) in the browser's storage (GRAPHIQL_PERSIST_HEADERS). */
  persistHeaders: boolean;
}

const DEFAULT_QUERY = [
  '# The members of the default organization, with their roles.',
  '{',
  '  organization(organization: "default") {',
  '    displayName',
  '    members(first: 25) {',
  '      totalCount',
  '      edges { node { username email roles { name displayName } globalRoles { name } } }',
  '    }',
  '  }',
  '}',
  '',
].join('\n');

/** The page as served: compressed only (a client that takes neither gets the gzip form unpacked as it is sent). */
interface Page {
  etag: string;
  br: Buffer;
  gzip: Buffer;
}

const asBuffer = (bytes: Uint8Array) => Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);

function renderPage(endpoint: string, settings: GraphiQLSettings): Promise<Page> {
  const options: GraphiQLOptions = {
    title: 'Coder members gateway',
    endpoint,
    // Where the session token goes. Kept only if asked: a token in localStorage outlives the session.
    headers: JSON.stringify({ 'Coder-Session-Token': 'paste the session token here' }, null, 2),
    shouldPersistHeaders: settings.persistHeaders,
    defaultQuery: DEFAULT_QUERY,
  };
  return new Promise((resolve, reject) => {
    const thread = startThread(import.meta.url, 'graphiql-thread', { workerData: options });
    thread.once('message', (page: RenderedPage) =>
      resolve({ etag: page.etag, br: asBuffer(page.br), gzip: asBuffer(page.gzip) }),
    );
    thread.once('error', reject);
    // After the message, this changes nothing.
    thread.once('exit', (code) => reject(new Error(`the GraphiQL page's thread exited with ${code}`)));
  });
}

export function serveGraphiQL(endpoint: string, settings: GraphiQLSettings, logger?: Logger): Plugin {
  let page: Promise<Page> | undefined;
  return {
    onRequest({ request, url, fetchAPI, endResponse }) {
      if (url.pathname !== endpoint || !shouldRenderGraphiQL(request)) return;
      if (!page) {
        page = renderPage(endpoint, settings);
        // Rendered again on the next visit; this one is answered with a code, never the error itself.
        page.catch((error: unknown) => {
          logger?.error({ err: error }, 'GraphiQL could not be rendered');
          page = undefined;
        });
      }
      const unavailable = () =>
        endResponse(
          fetchAPI.Response.json(
            {
              errors: [
                { message: 'GraphiQL could not be rendered; try again.', extensions: { code: 'SERVICE_UNAVAILABLE' } },
              ],
            },
            { status: 503, headers: { 'cache-control': 'no-store' } },
          ),
        );
      return page.then((rendered) => {
        const headers: Record<string, string> = {
          'content-type': 'text/html; charset=utf-8',
          etag: rendered.etag,
          // The page changes only with the gateway's version; the browser checks with If-None-Match.
          'cache-control': 'public, max-age=0, must-revalidate',
          vary: 'Accept-Encoding',
        };
        if (request.headers.get('if-none-match') === rendered.etag) {
          endResponse(new fetchAPI.Response(null, { status: 304, headers }));
          return;
        }
        const encoding = negotiateEncoding(request.headers.get('accept-encoding'));
        if (encoding) headers['content-encoding'] = encoding;
        // The stored bytes themselves, not a copy; unpacked as it is sent, a piece at a time, for the rare client
        // that takes no compression, so that many such clients at once do not each hold a 9 MB page.
        const body = encoding
          ? (rendered[encoding] as unknown as BodyInit)
          : (Readable.toWeb(Readable.from([rendered.gzip]).pipe(createGunzip())) as unknown as BodyInit);
        endResponse(new fetchAPI.Response(body, { status: 200, headers }));
      }, unavailable);
    },
  };
}
