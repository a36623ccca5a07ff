// Which documents graphql-jit compiles. Compiled code runs a document on less
// CPU than the interpreter, but compiling costs more than one small execution
// saves (docs/performance.md). So a document is compiled when it runs again (the
// compiled code is cached with the parsed document, which Yoga's parse cache
// keeps while it is in use) or at once when its answer is large. A stream of
// documents each sent once, as a hostile client sends them, compiles none of
// the small ones; what any document costs to compile is bounded by the limits
// on its size (src/limits).
import { useGraphQlJit } from '@envelop/graphql-jit';
import type { DocumentNode } from 'graphql';
import type { Plugin as EnvelopPlugin } from '@envelop/core';
import type { Logger } from 'pino';
import { isHeavyExecution } from '../limits/admission.js';

/** Executions of a document after which it is compiled, whatever its cost. */
const RUNS_BEFORE_COMPILING = 1;

export function compileRepeatedOrHeavyDocuments(logger?: Logger): EnvelopPlugin {
  const runs = new WeakMap<DocumentNode, number>();
  const worthCompiling = (args: { document: DocumentNode }) => {
    if (isHeavyExecution(args)) return true;
    const before = runs.get(args.document) ?? 0;
    if (before >= RUNS_BEFORE_COMPILING) return true;
    runs.set(args.document, before + 1);
    return false;
  };
  return useGraphQlJit(
    {},
    {
      enableIf: worthCompiling,
      onError: (result) => logger?.warn({ errors: result.errors }, 'graphql-jit could not compile a document'),
    },
  );
}
