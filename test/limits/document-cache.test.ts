// The parsed documents kept between requests are held to a budget of their
// text (src/limits/document-cache.ts): a client sending ever new documents,
// GraphiQL's introspection renamed each time, grew the process by 200 MB.
import { getIntrospectionQuery, parse } from 'graphql';
import { describe, expect, it } from 'vitest';
import { PARSED_TEXT_BUDGET, parsedDocuments } from '../../src/limits/document-cache.js';

describe('the parsed-document cache', () => {
  it('keeps documents within the text budget, the most recent first, and none longer than it', () => {
    const { documentCache } = parsedDocuments();
    const base = getIntrospectionQuery();
    const texts = Array.from({ length: 2_000 }, (_, i) => base.replace('IntrospectionQuery', `I${i}`));
    for (const text of texts) documentCache.set(text, parse(text));
    let kept = 0;
    for (const text of documentCache.keys()) kept += text.length;
    expect(kept).toBeLessThanOrEqual(PARSED_TEXT_BUDGET);
    expect(documentCache.get(texts.at(-1)!)).toBeDefined();
    expect(documentCache.get(texts[0]!)).toBeUndefined();

    const huge = `{ ${'__typename '.repeat(PARSED_TEXT_BUDGET / 10)} }`;
    documentCache.set(huge, parse(huge));
    expect(documentCache.get(huge)).toBeUndefined();
  });

  it('keeps a few hundred operations of ordinary size', () => {
    const { documentCache } = parsedDocuments();
    const texts = Array.from({ length: 200 }, (_, i) =>
      `query Q${i} { me { id username email } organizations { id name } }`.padEnd(1000),
    );
    for (const text of texts) documentCache.set(text, parse(text));
    expect(texts.every((text) => documentCache.get(text) !== undefined)).toBe(true);
  });
});
