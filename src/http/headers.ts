// A response's headers, for a plugin that answers with a new body in its place.
import type { FetchAPI } from 'graphql-yoga';

/**
 * `response`'s headers but `without`, copied one by one: whatwg-node's Headers built from another keeps its
 * names' case and then fails a lower-case get('content-type').
 */
export function copyHeaders(response: Response, fetchAPI: FetchAPI, without?: string): Headers {
  const headers = new fetchAPI.Headers();
  response.headers.forEach((value, name) => {
    if (name.toLowerCase() !== without) headers.set(name, value);
  });
  return headers;
}
