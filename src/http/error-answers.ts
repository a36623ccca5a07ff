// Yoga writes every error of an answer anew, without its internals (its result
// processor's omitInternalsFromError), and a GraphQLError made anew captures a
// stack and formats its cause's: about 60 µs an error, on the serving thread.
// An answer of 5,000 `_entities` that name nobody (5,000 NOT_FOUND, a document
// the limits accept) held the thread 0.4 to 1.3 s. Those errors are answers to
// the client, not faults (src/errors.ts makes ours without a stack for the same
// reason), and nothing reads their stacks: Yoga writes them with none.
//
// Our own, as no Yoga option or plugin leaves the stacks out.
import type { ExecutionResult } from 'graphql';
import type { Plugin } from 'graphql-yoga';

export function writeErrorsWithoutStacks(): Plugin {
  return {
    onResultProcess({ result }) {
      if (Array.isArray(result) || !(result as ExecutionResult).errors?.length) return;
      const stackTraceLimit = Error.stackTraceLimit;
      Error.stackTraceLimit = 0;
      // Yoga's processor runs right after the last of these hooks, in the same turn while they answer at once (ours
      // do): the limit is back before anything else runs. Were it to run later, it would only capture stacks again.
      queueMicrotask(() => {
        Error.stackTraceLimit = stackTraceLimit;
      });
    },
  };
}
