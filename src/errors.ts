// The errors a client can cause, each with the machine-readable
// `extensions.code` of SPEC C. Anything else thrown is masked by Yoga.
import { type ASTNode, GraphQLError, type GraphQLErrorExtensions } from 'graphql';

export type ErrorCode =
  | 'UNAUTHENTICATED'
  | 'NOT_FOUND'
  | 'FORBIDDEN'
  | 'BAD_USER_INPUT'
  | 'CONFLICT'
  | 'QUERY_TOO_COMPLEX'
  | 'SERVICE_UNAVAILABLE';

export interface FieldValidation {
  field: string;
  detail: string;
}

export interface ErrorDetails {
  /** A longer explanation than the message. */
  detail?: string;
  validations?: FieldValidation[];
}

/**
 * Where in the answer an error belongs, when the resolver places it itself (an item of a list): graphql-js then
 * keeps it as it is instead of wrapping it in a second error.
 */
export interface ErrorLocation {
  nodes: readonly ASTNode[];
  path: readonly (string | number)[];
}

export class ApiError extends GraphQLError {
  /**
   * `http` sets the answer's status where this error fails the whole request (Yoga reads `extensions.http` and
   * leaves it out of the answer); with `spec`, only for a client that accepts application/graphql-response+json,
   * as GraphQL over HTTP asks, and 200 for application/json, as Yoga answers a document that does not validate.
   */
  constructor(
    code: ErrorCode,
    message: string,
    details: ErrorDetails = {},
    http?: { http: { status: number; spec?: boolean } },
    at?: ErrorLocation,
  ) {
    // An answer to the client, not a fault: its stack is never shown or logged, yet graphql-js formats it each
    // time it places the error at a path, about 100 µs an error (14,000 NOT_FOUND representations took 2 s).
    const stackTraceLimit = Error.stackTraceLimit;
    Error.stackTraceLimit = 0;
    try {
      super(message, { extensions: { code, ...details, ...http }, nodes: at?.nodes, path: at?.path });
    } finally {
      Error.stackTraceLimit = stackTraceLimit;
    }
  }
}

/**
 * What `make` returns, its errors made without capturing a stack: answers to the client, not faults, whose stacks
 * nobody reads (V8 captures and formats one for each, tens of microseconds an error).
 */
export function withoutStacks<T>(make: () => T): T {
  const stackTraceLimit = Error.stackTraceLimit;
  Error.stackTraceLimit = 0;
  try {
    return make();
  } finally {
    Error.stackTraceLimit = stackTraceLimit;
  }
}

/** The most characters of a client's value an error quotes back. */
const QUOTED_LENGTH = 80;

const cut = (text: string) => (text.length > QUOTED_LENGTH ? `${text.slice(0, QUOTED_LENGTH - 1)}…` : text);

/**
 * A value the client sent, quoted (JSON) for an error's message, cut short: an error repeated under aliases would
 * otherwise send a long value back many times (a 1 MB `__typename` in 300 `_entities` representations made an
 * answer past what a string can hold).
 */
export function quoted(value: unknown): string {
  return cut(JSON.stringify(value) ?? String(value));
}

/** The longest parse or validation message of graphql-js's kept whole, its quotes already cut. */
const MAX_MESSAGE_LENGTH = 1_000;

const isSpace = (code: number) => code === 32 || code === 9 || code === 10 || code === 13;

/**
 * graphql-js's parse and validation messages quote the document's names, numbers and strings whole (a 900 KB field
 * name came back as a 900 KB message): each quoted part, and each run of characters without a space, is cut to as
 * much as `quoted` keeps, and the whole message to MAX_MESSAGE_LENGTH (a string literal of many short quoted parts
 * is cut by neither). One pass that stops at the limit: a message may be as long as the 1 MiB body.
 */
export function clippedMessage(message: string): string {
  if (message.length <= QUOTED_LENGTH) return message;
  let clipped = '';
  let at = 0;
  while (at < message.length && clipped.length <= MAX_MESSAGE_LENGTH) {
    if (message[at] === '"') {
      const close = message.indexOf('"', at + 1);
      const end = close === -1 ? message.length : close;
      clipped += `"${cut(message.slice(at + 1, end))}${close === -1 ? '' : '"'}`;
      at = end + 1;
    } else if (isSpace(message.charCodeAt(at))) {
      clipped += message[at++];
    } else {
      let end = at;
      while (end < message.length && message[end] !== '"' && !isSpace(message.charCodeAt(end))) end++;
      clipped += cut(message.slice(at, end));
      at = end;
    }
  }
  return clipped.length > MAX_MESSAGE_LENGTH ? `${clipped.slice(0, MAX_MESSAGE_LENGTH - 1)}…` : clipped;
}

/** `error` with another message or extensions, where in the document and the answer it was kept (errors are immutable). */
export function reworded(
  error: GraphQLError,
  { message = error.message, extensions = error.extensions }: { message?: string; extensions?: GraphQLErrorExtensions },
): GraphQLError {
  return new GraphQLError(message, {
    nodes: error.nodes,
    source: error.source,
    positions: error.positions,
    path: error.path,
    originalError: error.originalError,
    extensions,
  });
}

/** graphql-js's errors for an argument's value (getArgumentValues, for fields and directives alike). */
const ARGUMENT_VALUE =
  /^Argument "[^"]+" (of required type .* was not provided|of non-null type .* must not be null|has invalid value)/;

/**
 * The code of an error graphql-js made while fields ran, which carries none: the client's for an argument's value,
 * else the gateway's. For the answer (src/yoga.ts) and the metrics, which count errors before the answer is coded.
 */
export const codeOfUncoded = (error: { message: string }): 'BAD_USER_INPUT' | 'INTERNAL_SERVER_ERROR' =>
  ARGUMENT_VALUE.test(error.message) ? 'BAD_USER_INPUT' : 'INTERNAL_SERVER_ERROR';

export const unauthenticated = (message: string) => new ApiError('UNAUTHENTICATED', message);
export const notFound = (
  message = 'Resource not found or you do not have access to this resource.',
  at?: ErrorLocation,
) => new ApiError('NOT_FOUND', message, {}, undefined, at);
export const forbidden = (message = 'Forbidden.', details?: ErrorDetails) =>
  new ApiError('FORBIDDEN', message, details);
export const badUserInput = (message: string, details?: ErrorDetails, at?: ErrorLocation) =>
  new ApiError('BAD_USER_INPUT', message, details, undefined, at);
export const conflict = (message: string, details?: ErrorDetails) => new ApiError('CONFLICT', message, details);
/** Refused before it runs: the request fails whole. */
export const queryTooComplex = (message: string) =>
  new ApiError('QUERY_TOO_COMPLEX', message, {}, { http: { status: 400, spec: true } });
/** The database cannot serve now, or the request ran out of time: worth retrying later (HTTP 503). */
export const serviceUnavailable = (message: string) =>
  new ApiError('SERVICE_UNAVAILABLE', message, {}, { http: { status: 503 } });
