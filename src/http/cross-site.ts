// Requests from a browser on another site must not act with a user's cookie
// (SPEC G). A browser sends a cross-site request without asking first (no
// CORS preflight) only when it is "simple": GET or POST, no header beyond a
// few, and a body that is a form, multipart or text/plain. So a GraphQL
// request runs only if it is a POST of JSON, which a browser preflights, or
// carries a header that no simple request may carry; anything else is refused
// before it is parsed. CORS then allows credentials only for the origins of
// CORS_ORIGINS, and reflects no other.
//
// Our own rule rather than @graphql-yoga/plugin-csrf-prevention: that plugin
// lets every body type it does not list through (application/graphql
// included), and its refusal carries no `extensions.code`.
import type { CORSOptions } from 'graphql-yoga';
import { createGraphQLError, type Plugin } from 'graphql-yoga';

/** Headers a simple request cannot carry; any one of them proves the browser asked first (or it is no browser). */
export const NON_SIMPLE_HEADERS = [
  'coder-session-token',
  'authorization',
  'x-graphql-yoga-csrf',
  'apollo-require-preflight',
] as const;

const JSON_BODY = /^application\/(graphql-response\+)?json\s*(;|$)/i;

export function preventCrossSiteRequests(): Plugin {
  return {
    onRequestParse({ request }) {
      // No other method can be sent across sites without asking first; Yoga refuses the others (405).
      if (request.method !== 'GET' && request.method !== 'POST') return;
      if (NON_SIMPLE_HEADERS.some((header) => request.headers.has(header))) return;
      if (request.method === 'POST' && JSON_BODY.test(request.headers.get('content-type') ?? '')) return;
      throw createGraphQLError(
        'This request could come from a form or page on another site: send a JSON POST, or one of the headers ' +
          `${NON_SIMPLE_HEADERS.join(', ')}.`,
        { extensions: { code: 'FORBIDDEN', http: { status: 403 } } },
      );
    },
  };
}

/** Yoga's CORS setting: credentials for the listed origins only, and no CORS headers for any other. */
export function corsFor(origins: readonly string[]): (request: Request) => CORSOptions {
  const allowed = new Set(origins);
  return (request) => {
    const origin = request.headers.get('origin');
    if (!origin || !allowed.has(origin)) return false;
    return {
      origin: [origin],
      credentials: true,
      methods: ['GET', 'POST', 'OPTIONS'],
      allowedHeaders: ['content-type', 'accept', ...NON_SIMPLE_HEADERS],
      maxAge: 600,
    };
  };
}

/**
 * With CORS_ORIGINS, an answer's CORS headers depend on the request's Origin: `Vary: Origin` on every answer, so
 * that a shared cache does not give one origin's answer (its `Access-Control-Allow-Origin`) to another.
 */
export function varyByOrigin(): Plugin {
  return {
    onResponse({ response }) {
      const vary = response.headers.get('vary');
      if (
        !vary
          ?.toLowerCase()
          .split(/\s*,\s*/)
          .includes('origin')
      )
        response.headers.set('vary', vary ? `${vary}, Origin` : 'Origin');
    },
  };
}
