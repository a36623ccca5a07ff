// Which documents graphql-jit compiles. Compiled code runs a document on less
// CPU than the interpreter, but compiling costs more than one small execution
// saves (docs/performance.md). So a document is compiled when it runs again (the
// compiled code is cached with the parsed document, which Yoga's parse cache
// keeps while it is in use) or at once when its answer is large. A stream of
// documents each sent once, as a hostile client sends them, compiles none of
// the small ones; what any document costs to compile is bounded by the limits
// on its size (src/limits).
//
// A request whose variables do not fit their types runs on the interpreter: its
// answer (HTTP 400, the client's own variable names, "did you mean") must not
// depend on whether the document happened to be compiled, and graphql-jit
// reports such variables in its own words, under names of its own, on HTTP 200.
//
// Introspection always runs on the interpreter: a tool loads it once, its
// compiled code is large (GraphiQL's query: about 0.4 MB, each variant of it
// kept as long as its parsed document; 3,700 of them took the process from 207
// to 579 MB), and it may nest deeper than other documents
// (INTROSPECTION_MAX_DEPTH), which graphql-jit's compile time grows steeply with.
//
// A document of several operations runs on the interpreter: @envelop/graphql-jit
// keeps one compiled operation per document, whichever `operationName` compiled
// it, and would answer every later request of that document with it (a query's
// name running the document's mutation, past Yoga's "mutations only by POST").
//
// graphql-jit (0.8.7) also answers three kinds of document wrongly, which run
// on the interpreter every time: a non-null variable with a default, left out
// of the request (jit reports it missing); a variable inside the literal of a
// custom scalar, `_entities(representations: [{ ..., id: $id }])` (jit drops
// it, so the entity is not found); and a field under @skip or @include with a
// selection of its own (jit answered what a skipped copy reached through a
// fragment when another copy of the field was not skipped: a document priced
// 12 answered every member of every organization).
//
// A compiled document's errors are made answer-for-answer the interpreter's:
// graphql-jit's carry their `locations` only as numbers, which Yoga drops when
// it rebuilds each error for the answer (from nodes or source positions), and
// its result puts `data` before `errors`.
import { useGraphQlJit } from '@envelop/graphql-jit';
import {
  BREAK,
  type DocumentNode,
  type ExecutionResult,
  getNamedType,
  getOperationAST,
  getVariableValues,
  GraphQLError,
  type GraphQLSchema,
  isScalarType,
  isSpecifiedScalarType,
  Kind,
  type ListValueNode,
  type ObjectValueNode,
  type Source,
  TypeInfo,
  type ValueNode,
  visit,
  visitWithTypeInfo,
} from 'graphql';
import type { Plugin as EnvelopPlugin } from '@envelop/core';
import type { Logger } from 'pino';
import { withoutStacks } from '../errors.js';
import { isHeavyExecution } from '../limits/admission.js';

/** Executions of a document after which it is compiled, whatever its cost. */
const RUNS_BEFORE_COMPILING = 1;

interface ExecutionArgs {
  schema: GraphQLSchema;
  document: DocumentNode;
  operationName?: string | null;
  variableValues?: Record<string, unknown> | null;
}

function variablesFit({ schema, document, operationName, variableValues }: ExecutionArgs): boolean {
  const definitions = getOperationAST(document, operationName)?.variableDefinitions;
  if (!definitions?.length) return true;
  return !getVariableValues(schema, definitions, variableValues ?? {}, { maxErrors: 1 }).errors;
}

const CONDITIONS = new Set(['skip', 'include']);

/** Whether graphql-jit answers `document` as graphql-js does, and is to compile it (see the top of this file). */
function compilesFaithfully(schema: GraphQLSchema, document: DocumentNode): boolean {
  if (document.definitions.filter((definition) => definition.kind === Kind.OPERATION_DEFINITION).length !== 1)
    return false;
  let faithful = true;
  const typeInfo = new TypeInfo(schema);
  const literal = (node: ListValueNode | ObjectValueNode) => {
    const type = getNamedType(typeInfo.getInputType());
    if (isScalarType(type) && !isSpecifiedScalarType(type) && holdsVariable(node)) {
      faithful = false;
      return BREAK;
    }
    return undefined;
  };
  visit(
    document,
    visitWithTypeInfo(typeInfo, {
      Field(node) {
        const conditional = node.selectionSet && node.directives?.some(({ name }) => CONDITIONS.has(name.value));
        if (conditional || node.name.value === '__schema' || node.name.value === '__type') {
          faithful = false;
          return BREAK;
        }
        return undefined;
      },
      VariableDefinition(node) {
        if (node.type.kind === Kind.NON_NULL_TYPE && node.defaultValue) {
          faithful = false;
          return BREAK;
        }
        return undefined;
      },
      ListValue: literal,
      ObjectValue: literal,
    }),
  );
  return faithful;
}

function holdsVariable(node: ValueNode): boolean {
  if (node.kind === Kind.VARIABLE) return true;
  if (node.kind === Kind.LIST) return node.values.some(holdsVariable);
  if (node.kind === Kind.OBJECT) return node.fields.some((field) => holdsVariable(field.value));
  return false;
}

export function compileRepeatedOrHeavyDocuments(logger?: Logger): EnvelopPlugin {
  const runs = new WeakMap<DocumentNode, number>();
  const faithful = new WeakMap<DocumentNode, boolean>();
  const compilable = (args: ExecutionArgs) => {
    let known = faithful.get(args.document);
    if (known === undefined) faithful.set(args.document, (known = compilesFaithfully(args.schema, args.document)));
    return known && variablesFit(args);
  };
  const worthCompiling = (args: ExecutionArgs) => {
    if (isHeavyExecution(args)) return compilable(args);
    const before = runs.get(args.document) ?? 0;
    if (before >= RUNS_BEFORE_COMPILING) return compilable(args);
    runs.set(args.document, before + 1);
    return false;
  };
  const compile = useGraphQlJit(
    // An error keeps its own stack (ours have none: src/errors.ts); capturing one for each error graphql-jit
    // places costs tens of microseconds, and a batch of thousands of missing entities is as many errors.
    { disablingCapturingStackErrors: true },
    {
      enableIf: worthCompiling,
      onError: (result) => logger?.warn({ errors: result.errors }, 'graphql-jit could not compile a document'),
    },
  );
  return {
    onPluginInit: ({ addPlugin }) => addPlugin(compile),
    onExecute: ({ args }) => ({
      onExecuteDone({ result, setResult }) {
        const source = args.document.loc?.source;
        if (source && 'errors' in result && result.errors?.some(placedByNumbers)) {
          setResult(asInterpreted(result as ExecutionResult, source));
        }
      },
    }),
  };
}

/** An error graphql-jit placed: `locations` without the nodes or source positions graphql-js keeps them by. */
const placedByNumbers = (error: GraphQLError) => Boolean(error.locations?.length) && !error.nodes && !error.positions;

/** `result` as graphql-js answers it: `errors` first, each placed by its positions in the document's source. */
function asInterpreted({ errors = [], ...rest }: ExecutionResult, source: Source): ExecutionResult {
  const lineStarts = [0];
  for (const match of source.body.matchAll(/\r\n|[\n\r]/g)) lineStarts.push(match.index + match[0].length);
  // Answers to the client, not faults: no stack to capture.
  const located = withoutStacks(() =>
    errors.map((error) =>
      placedByNumbers(error)
        ? new GraphQLError(error.message, {
            source,
            positions: error.locations!.map(({ line, column }) => lineStarts[line - 1]! + column - 1),
            path: error.path,
            originalError: error.originalError,
            extensions: error.extensions,
          })
        : error,
    ),
  );
  return { errors: located, ...rest };
}
