// The parsed documents Yoga keeps, so that a repeated request is not parsed and
// validated again. Yoga's own cache holds 1,024 documents whatever their size,
// and a parsed document takes about a hundred times its text: 2,000 variants of
// GraphiQL's introspection query (a new operation name each, no token) took
// the process from 205 to 409 MB, kept for an hour. Ours holds as many, within
// a budget of their text.
import type { DocumentNode } from 'graphql';
import { LRUCache } from 'lru-cache';

/** Characters of document text whose parsed documents are kept: a few hundred of a client's operations. */
export const PARSED_TEXT_BUDGET = 256 * 1024;

const DOCUMENTS = 1024;
const ONE_HOUR_MS = 60 * 60 * 1000;

/** Yoga's `parserAndValidationCache`: parsed documents kept by their text, within PARSED_TEXT_BUDGET. */
export function parsedDocuments() {
  return {
    documentCache: new LRUCache<string, DocumentNode>({
      max: DOCUMENTS,
      maxSize: PARSED_TEXT_BUDGET,
      // A document longer than the budget is not kept at all.
      sizeCalculation: (_document, text) => Math.max(1, text.length),
      ttl: ONE_HOUR_MS,
    }),
  };
}
