// Large GraphQL answers leave as bytes rather than as a string. Node's HTTP
// layer prepends the headers to a string body (`header + body`), so the
// socket then flattens that into a new copy of the whole answer, measures its
// UTF-8 length and encodes it into a third; a Buffer is encoded once, and
// written after the headers as it is (docs/performance.md). Node writes small
// strings from its stack, so smaller answers are left alone.
import type { Plugin } from 'graphql-yoga';

const LARGE = 16 * 1024;

const GRAPHQL_ANSWER = /^application\/(graphql-response\+)?json\b/;

export function sendLargeAnswersAsBytes(): Plugin {
  return {
    onResponse({ response, setResponse, fetchAPI }) {
      const length = Number(response.headers.get('content-length'));
      if (!(length > LARGE) || !GRAPHQL_ANSWER.test(response.headers.get('content-type') ?? '')) return;
      return response.arrayBuffer().then((bytes) => setResponse(new fetchAPI.Response(bytes, response)));
    },
  };
}
