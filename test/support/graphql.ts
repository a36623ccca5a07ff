// Typed documents for the tests: `graphql(...)` infers each document's result
// and variables from schema.graphql (through graphql-env.d.ts, which
// `npm run schema:print` regenerates), so `gw.gql(document, variables)`
// returns typed `data` and a misspelt field fails `tsc`.
import { initGraphQLTada } from 'gql.tada';
import { type DocumentNode, print } from 'graphql';
import type { introspection } from './graphql-env.js';

export const graphql = initGraphQLTada<{
  introspection: introspection;
  scalars: { DateTime: string; JSONObject: Record<string, unknown> };
}>();

export type { ResultOf, VariablesOf } from 'gql.tada';

/** The text of a document, as written, for a request body. */
export const sourceOf = (document: DocumentNode) => document.loc?.source.body ?? print(document);
