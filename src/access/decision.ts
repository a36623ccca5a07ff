// What a policy answers (src/schema/<domain>/<domain>.policy.ts): allowed,
// with whatever the write needs, or refused with the error the client gets.
import { notFound, type ApiError } from '../errors.js';

export type Decision<T = undefined> =
  | { allowed: true; value: T }
  | {
      allowed: false;
      error: ApiError;
      /**
       * Whether Coder, refusing the same request, would have recorded it in
       * its audit trail: it does once the request has found its target (the
       * member, the role), and not when the target is hidden from the caller.
       */
      recorded: boolean;
    };

export const allow = <T = undefined>(value?: T): Decision<T> => ({ allowed: true, value: value as T });
/** Refused after the target was found: recorded with the error's status. */
export const refuse = (error: ApiError): Decision<never> => ({ allowed: false, error, recorded: true });
/** Refused before the target was found (or the target is not the caller's to see): nothing is recorded. */
export const refuseUnrecorded = (error: ApiError = notFound()): Decision<never> => ({
  allowed: false,
  error,
  recorded: false,
});

/** The allowed value, or the refusal thrown: for resolvers that act on a decision at once. */
export function enforce<T>(decision: Decision<T>): T {
  if (!decision.allowed) throw decision.error;
  return decision.value;
}
