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

/** Characters of text an answer may hold: far past the largest list of members or page of audit entries. */
export const ANSWER_TEXT_LIMIT = 64 * 1024 * 1024;

/** What a number, boolean or null counts, at most, in an answer's text. */
const SCALAR = 24;

/**
 * Whether `value` (an answer's data: plain objects, lists and scalars) holds more than `limit` characters of
 * text. It stops as soon as it knows; iterative, as an answer may nest deep.
 */
export function holdsMoreText(value: unknown, limit: number): boolean {
  let total = 0;
  const stack: unknown[] = [value];
  while (stack.length > 0) {
    const item = stack.pop();
    if (typeof item === 'string') total += item.length;
    else if (item === null || typeof item !== 'object') total += SCALAR;
    else if (Array.isArray(item)) for (const element of item) stack.push(element);
    else
      for (const key in item) {
        total += key.length;
        stack.push((item as Record<string, unknown>)[key]);
      }
    if (total > limit) return true;
  }
  return false;
}

/** Whether an answer's data and errors (their messages, paths and extensions) hold more than `limit` characters. */
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
