// The errors a client can cause, each with the machine-readable
// `extensions.code` of SPEC C. Anything else thrown is masked by Yoga.
import { GraphQLError } from 'graphql';

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

export class ApiError extends GraphQLError {
  /** `http` sets the answer's status where this error fails the whole request (Yoga reads `extensions.http`). */
  constructor(code: ErrorCode, message: string, details: ErrorDetails = {}, http?: { http: { status: number } }) {
    super(message, { extensions: { code, ...details, ...http } });
  }
}

export const unauthenticated = (message: string) => new ApiError('UNAUTHENTICATED', message);
export const notFound = (message = 'Resource not found or you do not have access to this resource.') =>
  new ApiError('NOT_FOUND', message);
export const forbidden = (message = 'Forbidden.', details?: ErrorDetails) =>
  new ApiError('FORBIDDEN', message, details);
export const badUserInput = (message: string, details?: ErrorDetails) =>
  new ApiError('BAD_USER_INPUT', message, details);
export const conflict = (message: string, details?: ErrorDetails) => new ApiError('CONFLICT', message, details);
export const queryTooComplex = (message: string) => new ApiError('QUERY_TOO_COMPLEX', message);
/** The database cannot serve now, or the request ran out of time: worth retrying later (HTTP 503). */
export const serviceUnavailable = (message: string) =>
  new ApiError('SERVICE_UNAVAILABLE', message, {}, { http: { status: 503 } });
