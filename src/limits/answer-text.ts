// The text an answer may hold. A document's cost (cost.ts) bounds the values
// of its answer, not their length, and a few stored values can be long: a
// custom role's display name (Coder sets no limit), an audit entry's diff.
// Aliased and listed, one such value is written out again each time: 30
// aliases of an organization's 50 roles with a 1 MB display name made an
// answer past what a string can hold (HTTP 500) and took the process to
// 2.7 GB. The values themselves are shared, so the answer's objects stay
// small until they are written; they are measured before, errors included
// (whose messages quote what a client sent, cut short: errors.ts `quoted`).
// Our own: no Envelop or Yoga plugin bounds an answer's size.
import type { ExecutionResult } from 'graphql';
import type { Plugin } from 'graphql-yoga';
import { queryTooComplex } from '../errors.js';

/** Bytes of JSON an answer may be: far past the largest list of members or page of audit entries. */
export const ANSWER_TEXT_LIMIT = 64 * 1024 * 1024;

/** What a number, boolean or null counts, at most, in an answer's text. */
const SCALAR = 24;

/** Characters JSON writes as more than one byte: controls, quotes and backslashes escaped, all beyond ASCII. */
const WIDE = /[^\x20-\x7e]|["\\]/;

/**
 * The bytes `text` takes written as a JSON string, quotes included, or a few more: a control character is six (`\u0001`),
 * a quote or backslash two, a character beyond ASCII two or three in UTF-8, a surrogate pair four, a lone
 * surrogate six (escaped). Counted as characters, 170,000 `\u0001` in each of a dozen display names
 * passed for 58 M characters of a 64 MiB limit and were written as 252 MB.
 */
function jsonBytes(text: string): number {
  let bytes = text.length + 2;
  if (!WIDE.test(text)) return bytes;
  for (let i = 0; i < text.length; i++) {
    const code = text.charCodeAt(i);
    if (code >= 0xd800 && code <= 0xdbff && (text.charCodeAt(i + 1) & 0xfc00) === 0xdc00) {
      bytes += 2; // a surrogate pair: four bytes for its two characters
      i++;
    } else if (code < 0x20 || (code >= 0xd800 && code <= 0xdfff)) bytes += 5;
    else if (code === 0x22 || code === 0x5c || (code >= 0x80 && code < 0x800)) bytes += 1;
    else if (code >= 0x800) bytes += 2;
  }
  return bytes;
}

/**
 * Whether `value` (an answer's data: plain objects, lists and scalars) takes more than `limit` bytes written as
 * JSON. It stops as soon as it knows; iterative, as an answer may nest deep.
 */
export function holdsMoreText(value: unknown, limit: number): boolean {
  let total = 0;
  const stack: unknown[] = [value];
  while (stack.length > 0) {
    const item = stack.pop();
    if (typeof item === 'string') total += jsonBytes(item);
    else if (item === null || typeof item !== 'object') total += SCALAR;
    else if (Array.isArray(item)) for (const element of item) stack.push(element);
    else
      for (const key in item) {
        total += jsonBytes(key) + 1;
        stack.push((item as Record<string, unknown>)[key]);
      }
    if (total > limit) return true;
  }
  return false;
}

/** Whether an answer's data and errors (their messages, paths and extensions) take more than `limit` bytes of JSON. */
export function answerHoldsMoreText({ data, errors }: ExecutionResult, limit: number): boolean {
  const parts: unknown[] = [data ?? null];
  for (const error of errors ?? []) parts.push(error.message, error.path ?? null, error.extensions ?? null);
  return holdsMoreText(parts, limit);
}

export function limitAnswerText(limit = ANSWER_TEXT_LIMIT): Plugin {
  return {
    onResultProcess({ result, setResult }) {
      if (Array.isArray(result) || Symbol.asyncIterator in (result as object)) return;
      if (!answerHoldsMoreText(result as ExecutionResult, limit)) return;
      setResult({
        data: null,
        errors: [
          queryTooComplex(
            `The answer would hold more than ${limit / (1024 * 1024)} MiB of text (some values stored are long): ` +
              'ask for fewer fields, aliases or rows.',
          ),
        ],
      });
    },
  };
}
