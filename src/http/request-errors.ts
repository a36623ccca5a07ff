// No input gives HTTP 500 or an error without a code (SPEC G). Yoga reads a
// request's parameters itself; some malformed ones (GET variables or
// extensions that are not JSON) escape it as a plain exception, which becomes
// HTTP 500, and others (a multipart body's bad `map`) come back without a
// code. Both are the client's: BAD_REQUEST, HTTP 400, as Yoga answers a POST
// body that is not JSON.
import { GraphQLError } from 'graphql';
import { createGraphQLError, type Plugin } from 'graphql-yoga';

const BAD_REQUEST = 'BAD_REQUEST';

function asBadRequest(error: unknown): GraphQLError {
  if (error instanceof GraphQLError) {
    if (error.extensions?.code) return error;
    return createGraphQLError(error.message, {
      extensions: { ...error.extensions, code: BAD_REQUEST, http: { status: 400, ...error.extensions?.http } },
    });
  }
  const detail = error instanceof Error ? `: ${error.message}` : '';
  return createGraphQLError(`The request's parameters could not be read${detail}`, {
    extensions: { code: BAD_REQUEST, http: { status: 400 } },
  });
}

export function codeRequestParseErrors(): Plugin {
  return {
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
