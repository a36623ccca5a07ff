// Allow-list mode (TRUSTED_DOCUMENTS): only documents listed in a file of
// trusted documents run, asked for by their hash; any other document is
// refused before it is parsed. Off by default. The file is the
// `persisted-documents.json` that GraphQL Code Generator's client preset
// writes (`{ "<sha256 hash>": "<document>" }`); see docs/operations.md.
import { usePersistedOperations } from '@graphql-yoga/plugin-persisted-operations';
import { createGraphQLError, type Plugin } from 'graphql-yoga';
import type { TrustedDocuments } from '../config.js';

/**
 * The request's `documentId`: in a POST body, or in a GET's query string, which Yoga's own parser leaves out of the
 * parameters (it reads query, operationName, variables and extensions).
 */
function documentIdOf(params: object, request: Request): string | undefined {
  const { documentId } = params as { documentId?: unknown };
  if (typeof documentId === 'string') return documentId;
  if (request.method !== 'GET') return undefined;
  return new URL(request.url).searchParams.get('documentId') ?? undefined;
}

export function onlyTrustedDocuments(documents: TrustedDocuments): Plugin {
  return usePersistedOperations({
    getPersistedOperation: (hash) => documents.get(hash) ?? null,
    // The GraphQL-over-HTTP trusted documents form (`documentId`, as codegen's
    // client preset sends it), or Apollo's persisted-query extension.
    extractPersistedOperationId: (params, request) => {
      const documentId = documentIdOf(params, request);
      if (documentId !== undefined) return documentId.replace(/^sha256:/, '');
      const hash = (params.extensions?.persistedQuery as { sha256Hash?: unknown } | undefined)?.sha256Hash;
      return typeof hash === 'string' ? hash : null;
    },
    // Listed documents were validated when they were generated, but the schema may have changed since.
    skipDocumentValidation: false,
    customErrors: {
      notFound: { message: 'Not a trusted document.', extensions: { code: 'PERSISTED_QUERY_NOT_FOUND' } },
      persistedQueryOnly: {
        message: 'This gateway runs only trusted documents: send a document id instead of a query.',
        extensions: { code: 'PERSISTED_QUERY_ONLY' },
      },
      keyNotFound: { message: 'No document id in the request.', extensions: { code: 'PERSISTED_QUERY_ONLY' } },
    },
  }) as Plugin;
}

/**
 * Without TRUSTED_DOCUMENTS, a request that names a document by hash alone (Apollo's automatic persisted
 * queries, a `documentId`) is refused with the code Apollo Client's persisted-query link looks for: it then
 * sends the whole query, and stops sending hashes. Yoga's own answer, "Must provide query string", is one it
 * takes for a failure.
 */
export function noPersistedDocuments(): Plugin {
  return {
    onParams({ params, request }) {
      if (params.query) return;
      if (documentIdOf(params, request) === undefined && !params.extensions?.persistedQuery) return;
      throw createGraphQLError('Persisted queries are not supported here: send the query.', {
        extensions: { code: 'PERSISTED_QUERY_NOT_SUPPORTED', http: { status: 400, spec: true } },
      });
    },
  };
}
