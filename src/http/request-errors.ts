// No input gives HTTP 500 or an error without a code (SPEC G). Yoga reads a
// request's parameters itself; some malformed ones (GET variables or
// extensions that are not JSON) escape it as a plain exception, which becomes
// HTTP 500, and others (a multipart body's bad `map`) come back without a
// code. Both are the client's: BAD_REQUEST, HTTP 400, as Yoga answers a POST
// body that is not JSON. Yoga refuses a path, a method, a media type or an
// Accept it does not serve (404, 405, 415, 406) with no body at all: those get
// one too.
import { GraphQLError } from 'graphql';
import { createGraphQLError, type Plugin } from 'graphql-yoga';
import { copyHeaders } from './headers.js';

const BAD_REQUEST = 'BAD_REQUEST';

/** The parser's own words (JSON.parse quotes the body it could not read) are kept to this many characters. */
const MAX_DETAIL = 200;

const clip = (text: string) => (text.length > MAX_DETAIL ? `${text.slice(0, MAX_DETAIL)}…` : text);

/** The body of a refusal with BAD_REQUEST, as Yoga writes its errors: for what Yoga answers with none. */
export const badRequestBody = (message: string) =>
  JSON.stringify({ errors: [{ message, extensions: { code: BAD_REQUEST } }] });

function asBadRequest(error: unknown): GraphQLError {
  if (error instanceof GraphQLError) {
    if (error.extensions?.code) return withClippedOriginal(error);
    return createGraphQLError(error.message, {
      extensions: { ...error.extensions, code: BAD_REQUEST, http: { status: 400, ...error.extensions?.http } },
    });
  }
  const detail = error instanceof Error ? `: ${clip(error.message)}` : '';
  return createGraphQLError(`The request's parameters could not be read${detail}`, {
    extensions: { code: BAD_REQUEST, http: { status: 400 } },
  });
}

/** A coded error whose original error quotes too much: a 1 MiB body that is not JSON, quoted by JSON.parse. */
function withClippedOriginal(error: GraphQLError): GraphQLError {
  const original = error.extensions.originalError as { message?: unknown } | undefined;
  if (typeof original?.message !== 'string' || original.message.length <= MAX_DETAIL) return error;
  return createGraphQLError(error.message, {
    extensions: { ...error.extensions, originalError: { ...original, message: clip(original.message) } },
  });
}

/** Yoga's refusals that come with no body: their statuses, and what each means to the client. */
const BODILESS_REFUSALS = new Map([
  [404, 'Nothing is served at this path: the API is at /graphql.'],
  [405, 'This method is not served here: use one that its Allow header names (GET or POST for /graphql).'],
  [406, 'None of the media types the request accepts can be served: accept application/json.'],
  [415, 'The body is not of a media type served here: send application/json.'],
]);

export function codeRequestRefusals(): Plugin {
  return {
    onResponse({ response, setResponse, fetchAPI }) {
      const message = BODILESS_REFUSALS.get(response.status);
      if (!message || response.headers.has('content-type')) return;
      const headers = copyHeaders(response, fetchAPI);
      headers.set('content-type', 'application/json; charset=utf-8');
      setResponse(new fetchAPI.Response(badRequestBody(message), { status: response.status, headers }));
    },
    onRequestParse({ requestParser, setRequestParser }) {
      if (!requestParser) return;
      setRequestParser(async (request) => {
        try {
          return await requestParser(request);
        } catch (error) {
          throw asBadRequest(error);
        }
      });
    },
  };
}
