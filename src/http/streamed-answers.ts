// Heavy answers are written out a piece at a time. JSON.stringify of a whole
// 5,000-member list (several MB) holds the one serving thread for tens of
// milliseconds, and every other client's request waits behind it; as a stream
// of pieces, each a few tens of KB, other requests are served between them and
// no copy of the whole answer as one string is ever held.
//
// Our own rather than a streaming JSON library: those serialize value by value,
// several times slower than JSON.stringify, where a GraphQL answer only needs
// to be cut between its list items and objects, each small part still going
// through JSON.stringify at once.
import type { ExecutionResult } from 'graphql';
import type { Plugin } from 'graphql-yoga';
import { nextTurn } from '../execution/turns.js';
import { takeAdmission } from '../limits/admission.js';
import { costOfRequest } from '../limits/document-limits.js';
import { copyHeaders } from './headers.js';

/** Answers of a document at least this costly (src/limits/cost.ts) are streamed; a page of 1,000 members costs less. */
export const STREAMED_COST = 100_000;

/** Pieces are gathered into chunks of about this many characters before they are written. */
const CHUNK_CHARACTERS = 32 * 1024;

/** A value nesting no deeper than this, with lists no longer than SHORT_LIST, is written with one JSON.stringify. */
const SMALL_DEPTH = 4;
const SHORT_LIST = 16;

/** Scalars, and objects or short lists of them nested at most `depth` levels: a member with its user and roles. */
function isSmall(value: unknown, depth: number): boolean {
  if (value === null || typeof value !== 'object') return true;
  if (depth === 0) return false;
  if (Array.isArray(value)) {
    if (value.length > SHORT_LIST) return false;
    for (const item of value) if (!isSmall(item, depth - 1)) return false;
    return true;
  }
  for (const key in value) if (!isSmall((value as Record<string, unknown>)[key], depth - 1)) return false;
  return true;
}

/** The JSON text of a GraphQL answer's data (plain objects, lists and scalars), in pieces. */
export function* jsonPieces(value: unknown): Generator<string> {
  if (isSmall(value, SMALL_DEPTH)) {
    yield JSON.stringify(value) ?? 'null';
  } else if (Array.isArray(value)) {
    yield '[';
    for (let i = 0; i < value.length; i++) {
      if (i > 0) yield ',';
      // As JSON.stringify does: what has no JSON form is null in a list.
      yield* value[i] === undefined || typeof value[i] === 'function' ? ['null'] : jsonPieces(value[i]);
    }
    yield ']';
  } else {
    let separator = '{';
    for (const key in value as Record<string, unknown>) {
      const item = (value as Record<string, unknown>)[key];
      if (item === undefined || typeof item === 'function') continue;
      yield `${separator}${JSON.stringify(key)}:`;
      separator = ',';
      yield* jsonPieces(item);
    }
    yield separator === '{' ? '{}' : '}';
  }
}

/**
 * The bytes of `head`, the pieces and `tail`: a chunk per pull, each on a turn of its own (execution/turns.ts).
 * `finished` runs once the last chunk is written or the reader cancels.
 */
function streamOf(
  head: string,
  pieces: Iterator<string>,
  tail: string,
  finished: () => void,
): ReadableStream<Uint8Array> {
  const encoder = new TextEncoder();
  let first = true;
  let done = false;
  return new ReadableStream<Uint8Array>({
    async pull(controller) {
      if (done) {
        controller.close();
        finished();
        return;
      }
      if (!first) await nextTurn();
      let chunk = first ? head : '';
      first = false;
      while (chunk.length < CHUNK_CHARACTERS) {
        const next = pieces.next();
        if (next.done) {
          chunk += tail;
          done = true;
          break;
        }
        chunk += next.value;
      }
      controller.enqueue(encoder.encode(chunk));
    },
    cancel: finished,
  });
}

/** How a streamed request's answer starts once Yoga's processor has written it with a stand-in for its data. */
const OPENING = '{"data":0';

/** The media types of answers written as one JSON document, the only ones streamed here. */
const JSON_TYPES = ['application/graphql-response+json', 'application/json'];

/**
 * Whether Yoga answers `request` as JSON: when its Accept header (none is any
 * type) names a JSON type in UTF-8, wildcards included, Yoga prefers that to an
 * event stream or multipart, which write the stand-in their own way (and were
 * sent it for data). Mirrors Yoga's useResultProcessors, which exports none of
 * this; test/hostile/heavy-answers.test.ts holds the two to each other.
 */
function answeredAsJson(request: Request): boolean {
  const accepted = (request.headers.get('accept') || '*/*').replace(/\s/g, '').toLowerCase().split(',');
  return accepted.some((entry) => {
    const [type = '', ...parameters] = entry.split(';');
    const charset = parameters.find((parameter) => parameter.startsWith('charset='));
    if (charset && charset !== 'charset=utf-8') return false;
    const [group, subtype] = type.split('/');
    return JSON_TYPES.some((json) => {
      const [jsonGroup, jsonSubtype] = json.split('/');
      return (group === '*' || group === jsonGroup) && (subtype === '*' || subtype === jsonSubtype);
    });
  });
}

/**
 * Yoga's own result processor still writes the answer (status, media type,
 * errors without internals), with a stand-in for the data; the stand-in is
 * then replaced by the data, streamed. Answers in other media types are
 * written whole.
 */
export function streamHeavyAnswers(): Plugin {
  const streamedData = new WeakMap<Request, { data: unknown; finished: () => void }>();
  return {
    onResultProcess({ request, result, setResult }) {
      if (Array.isArray(result) || Symbol.asyncIterator in (result as object)) return;
      if ((costOfRequest(request) ?? 0) < STREAMED_COST || !answeredAsJson(request)) return;
      const { data } = result as ExecutionResult;
      if (!data) return;
      setResult({
        ...(result as ExecutionResult),
        stringify: (sanitized: ExecutionResult) => {
          // The stand-in first, whatever order the result's own keys have.
          const {
            data: _data,
            stringify: _stringify,
            ...rest
          } = sanitized as ExecutionResult & { stringify?: unknown };
          const shell = JSON.stringify({ data: 0, ...rest });
          if (!shell.startsWith(OPENING)) return JSON.stringify(sanitized);
          // The heavy document's admission is held until the last piece is written.
          streamedData.set(request, { data, finished: takeAdmission(request) ?? (() => {}) });
          return shell;
        },
      });
    },
    onResponse({ request, response, setResponse, fetchAPI }) {
      if (!streamedData.has(request)) return;
      const { data, finished } = streamedData.get(request)!;
      streamedData.delete(request);
      return response.text().then((shell) => {
        const headers = copyHeaders(response, fetchAPI, 'content-length');
        const body = streamOf('{"data":', jsonPieces(data), shell.slice(OPENING.length), finished);
        setResponse(new fetchAPI.Response(body, { status: response.status, headers }));
      });
    },
  };
}
