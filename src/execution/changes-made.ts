// Whether a request's mutations changed something, for an answer that cannot
// show it. A mutation's changes stand once its field has resolved; its answer
// may still be refused whole afterwards (the answer grew past QUERY_MAX_COST
// or 64 MiB, its deadline passed, its client left), which leaves `data` null:
// a client retrying such a create got CONFLICT, with nothing to tell it that
// its first attempt had worked. Such a refusal now says so.
import type { ExecutionResult } from 'graphql';
import type { Plugin } from 'graphql-yoga';
import { reworded } from '../errors.js';

const changed = new WeakSet<Request>();

/** Called once a mutation field of `request` has resolved: its changes are made. */
export function noteChangesMade(request: Request | undefined): void {
  if (request) changed.add(request);
}

/**
 * An answer without data, of a request whose mutations changed something, says so on each error: its message ends
 * with a sentence, and `extensions.changesMade` is true.
 */
export function sayWhenChangesWereMade(): Plugin {
  return {
    onResultProcess({ request, result, setResult }) {
      if (!changed.has(request) || Array.isArray(result) || Symbol.asyncIterator in (result as object)) return;
      const { data, errors } = result as ExecutionResult;
      if (data != null || !errors?.length) return;
      setResult({
        ...(result as ExecutionResult),
        errors: errors.map((error) =>
          reworded(error, {
            message: `${error.message} The mutations that ran before it made their changes: read them back.`,
            extensions: { ...error.extensions, changesMade: true },
          }),
        ),
      });
    },
  };
}
