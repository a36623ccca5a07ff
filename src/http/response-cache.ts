// Whole answers kept for RESPONSE_CACHE_MS (off by default), through Yoga's
// response-cache plugin: a repeated query with the same variables from the
// same session token is answered from memory, without authentication,
// GraphQL execution or SQL.
//
// - One session token never sees another's answers: the token (as
//   authentication reads it: cookie, Coder header or bearer) is part of the
//   key, so an answer is served only to a request carrying the same token.
// - A write through this process makes every earlier answer unreachable: the
//   key also holds a generation that each mutation bumps, so a read that began
//   before the write and finishes after it stores its answer under a key that
//   no later request computes. A write elsewhere (another replica, the
//   operator CLI) is seen within RESPONSE_CACHE_MS, as is a revoked token.
// - Answers with errors are never kept (the plugin's default).
// - An ETag revalidates (304) only for the session it was given to: the
//   plugin looks an If-None-Match up across the whole cache, so another
//   session (or none) sending it would learn that the answer is still kept.
import { useResponseCache, type Cache } from '@graphql-yoga/plugin-response-cache';
import type { ExecutionResult } from 'graphql';
import type { Plugin } from 'graphql-yoga';
import { LRUCache } from 'lru-cache';
import { sessionTokenFrom } from '../auth/session.js';
import { holdsMoreText } from '../limits/answer-text.js';

/**
 * Memory kept for answers, counted in bytes of their JSON: the plugin's own
 * cache counts entries, and one answer may be a few hundred bytes or a few
 * megabytes.
 */
const MAX_CACHED_JSON_BYTES = 16 * 1024 * 1024;

export interface ResponseCache {
  plugin: Plugin;
  /** Called after every write: nothing cached before it is served again. */
  forgetAll(): void;
}

/** ETags given out, whose sessions are remembered for revalidation: as many as answers are kept, about. */
const MAX_ETAGS = 10_000;

export function createResponseCache(ttlMs: number): ResponseCache {
  let generation = 0;
  const sessionOf = (request: Request) => `${generation}:${sessionTokenFrom(request.headers) ?? ''}`;
  const etagSessions = new LRUCache<string, string>({ max: MAX_ETAGS, ttl: ttlMs });
  const answers = new LRUCache<string, ExecutionResult>({
    maxSize: MAX_CACHED_JSON_BYTES,
    sizeCalculation: (answer) => Math.max(JSON.stringify(answer).length, 1),
    ttl: ttlMs,
  });
  // The plugin's Cache interface over a cache bounded in bytes. Writes are
  // handled by the generation, not by entity: `invalidate` forgets everything.
  const cache: Cache = {
    get: (key) => answers.get(key),
    // An answer larger than the whole cache is not kept, and not measured by writing it out: it runs before the
    // answer's own text limit (src/limits/answer-text.ts), and may be far past what a string can hold.
    set: (key, answer, _entities, ttl) => {
      if (!holdsMoreText(answer, MAX_CACHED_JSON_BYTES)) answers.set(key, answer, { ttl });
    },
    invalidate: () => answers.clear(),
  };
  const plugin: Plugin = {
    onPluginInit({ addPlugin }) {
      addPlugin(
        useResponseCache({
          ttl: ttlMs,
          cache,
          session: sessionOf,
          // Entities are not tracked: every mutation forgets everything (forgetAll).
          invalidateViaMutation: false,
        }),
      );
    },
    // Before the plugin's own: an ETag of another session's answer is not looked up, and the request is answered.
    onRequest({ request }) {
      const etag = request.headers.get('if-none-match');
      if (etag && etagSessions.get(etag) !== sessionOf(request)) request.headers.delete('if-none-match');
    },
    // Answers carry an ETag and depend on the session: no shared HTTP cache
    // may keep them, and a browser asks again (with If-None-Match) each time.
    onResponse({ request, response }) {
      response.headers.set('cache-control', 'private, no-cache');
      const etag = response.headers.get('etag');
      if (etag) etagSessions.set(etag, sessionOf(request));
    },
  };
  return {
    plugin,
    forgetAll() {
      generation++;
      answers.clear();
    },
  };
}
