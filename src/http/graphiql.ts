// GraphiQL, served by the gateway itself (GET /graphql from a browser). The
// page bundles GraphiQL's 9 MB of JavaScript: it is rendered once, on the
// first visit, compressed once per encoding (brotli, gzip), and served with an
// ETag, so that repeated visits cost neither memory nor CPU, and a browser
// that has the page gets a 304. Yoga's own GraphiQL renders it on every GET.
import { createHash } from 'node:crypto';
import { promisify } from 'node:util';
import { brotliCompress, constants, gzip } from 'node:zlib';
import type { GraphiQLOptions, Plugin } from 'graphql-yoga';
import { shouldRenderGraphiQL } from 'graphql-yoga';

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

interface Page {
  etag: string;
  identity: Buffer;
  br: Buffer;
  gzip: Buffer;
}

/** Brotli's quality 11 takes seconds on 9 MB; 5 gives most of its gain in a fraction of the time, once. */
const BROTLI_QUALITY = 5;

async function renderPage(endpoint: string, settings: GraphiQLSettings): Promise<Page> {
  const options: GraphiQLOptions = {
    title: 'Coder members gateway',
    endpoint,
    // Where the session token goes. Kept only if asked: a token in localStorage outlives the session.
    headers: JSON.stringify({ 'Coder-Session-Token': 'paste the session token here' }, null, 2),
    shouldPersistHeaders: settings.persistHeaders,
    defaultQuery: DEFAULT_QUERY,
  };
  // GraphiQL from the npm package itself (Yoga's default loads it from a CDN), imported on the first visit.
  const { renderGraphiQL } = await import('@graphql-yoga/render-graphiql');
  const identity = Buffer.from(renderGraphiQL(options));
  const [br, gz] = await Promise.all([
    promisify(brotliCompress)(identity, { params: { [constants.BROTLI_PARAM_QUALITY]: BROTLI_QUALITY } }),
    promisify(gzip)(identity),
  ]);
  return {
    etag: `"${createHash('sha256').update(identity).digest('base64url').slice(0, 27)}"`,
    identity,
    br,
    gzip: gz,
  };
}

/** Accept-Encoding's choice among ours: brotli, then gzip, else none (q=0 refuses one). */
function encodingFor(acceptEncoding: string | null): 'br' | 'gzip' | undefined {
  const accepted = new Set(
    (acceptEncoding ?? '')
      .split(',')
      .map((part) => part.trim().toLowerCase())
      .filter((part) => part && !/;\s*q=0(\.0*)?$/.test(part))
      .map((part) => part.split(';')[0]!.trim()),
  );
  if (accepted.has('br')) return 'br';
  if (accepted.has('gzip') || accepted.has('*')) return 'gzip';
  return undefined;
}

export function serveGraphiQL(endpoint: string, settings: GraphiQLSettings): Plugin {
  let page: Promise<Page> | undefined;
  return {
    onRequest({ request, url, fetchAPI, endResponse }) {
      if (url.pathname !== endpoint || !shouldRenderGraphiQL(request)) return;
      page ??= renderPage(endpoint, settings);
      page.catch(() => (page = undefined));
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
        const encoding = encodingFor(request.headers.get('accept-encoding'));
        if (encoding) headers['content-encoding'] = encoding;
        // The stored bytes themselves, not a copy.
        const body = encoding ? rendered[encoding] : rendered.identity;
        endResponse(new fetchAPI.Response(body as unknown as BodyInit, { status: 200, headers }));
      });
    },
  };
}
