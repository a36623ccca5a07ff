// Every document is judged before it runs (SPEC G): its tokens while it is
// parsed, its depth, aliases and directives while it is validated (graphql-armor),
// and its cost, which needs the variables, just before execution. All of it
// comes before authentication, which runs lazily in the first resolver that
// needs it, so an anonymous client is refused as fast as an owner, and no SQL
// runs for a refused document.
import { EnvelopArmorPlugin } from '@escape.tech/graphql-armor';
import { maxDepthRule } from '@escape.tech/graphql-armor-max-depth';
import {
  BREAK,
  type DocumentNode,
  GraphQLError,
  type GraphQLSchema,
  Kind,
  getOperationAST,
  getVariableValues,
  type OperationDefinitionNode,
  type SelectionSetNode,
  type ValidationContext,
  type ValidationRule,
  visit,
} from 'graphql';
import { getComplexity } from 'graphql-query-complexity';
import type { Plugin } from 'graphql-yoga';
import { clippedMessage, queryTooComplex, reworded } from '../errors.js';
import { costEstimator, type ListSizes } from './cost.js';
import { mergeSelections, SelectionTooLarge } from './merged-selections.js';

export interface DocumentLimits {
  /** Nesting of fields, fragments flattened, introspection included (QUERY_MAX_DEPTH). */
  maxDepth: number;
  /** Aliased fields, `__typename` aside (QUERY_MAX_ALIASES). */
  maxAliases: number;
  /** Lexical tokens of the document (QUERY_MAX_TOKENS). */
  maxTokens: number;
  /** Directives used (QUERY_MAX_DIRECTIVES). */
  maxDirectives: number;
  /** The most values an answer may hold (QUERY_MAX_COST); see cost.ts. */
  maxCost: number;
  /** The summed cost of documents executing at once; one that would pass it waits its turn (QUERY_COST_IN_FLIGHT). */
  maxCostInFlight: number;
  listSizes: ListSizes;
}

const tooComplex = queryTooComplex;

/**
 * Fragments are expanded when a cost is computed (their fields merged by
 * response key, as the executor answers them: merged-selections.ts): a
 * document of nested fragments each spreading the next twice grows
 * exponentially, so the walk stops at this many selections and the document
 * is refused.
 */
const MAX_EXPANDED_SELECTIONS = 20_000;

/**
 * Depth of any document, introspection included, which QUERY_MAX_DEPTH leaves out: GraphiQL's introspection
 * query nests 15 deep, and an `ofType` chain 950 deep (cost 953, no token) took graphql-jit 2–5 s to compile, in
 * which the serving thread answered no one, and 140 MB that it kept.
 */
export const INTROSPECTION_MAX_DEPTH = 30;

/**
 * How deep a request's variables and extensions may nest. JSON.parse reads any
 * depth, but the code after it (the cost cache's key, graphql-js, plugins)
 * walks values recursively, and 200,000 nested lists in 400 KB overflowed the
 * stack. Our inputs nest a few levels (a representation, a permission).
 */
export const MAX_INPUT_DEPTH = 32;

/**
 * Representations one `_entities` call may name: a whole member list's worth (QUERY_COST_MEMBERS' default), what
 * a router sends for the longest list a client can ask of another subgraph. Each that names nothing is an error
 * of its own, and GraphQL and Yoga build errors at tens of microseconds each on the serving thread: the 1 MiB body
 * holds 28,000 of them, 14,000 took 2 s. Checked before the caller's session or any SQL (src/schema/shared/entity.ts).
 */
export const MAX_REPRESENTATIONS = 5_000;

/**
 * Values (lists, objects and scalars, each counted) a request's variables and extensions may hold together. Each is
 * coerced by graphql-js several times before a resolver can check a list's length or the caller's session (the
 * variables' check, the cost, execution): a list of 250,000 strings in 1 MiB cost 0.3 to 0.5 s of the serving
 * thread without a token. The largest legitimate input is a router's `_entities` call of MAX_REPRESENTATIONS
 * members (the variables, the list, and each member with its type and two keys: 20,002 values).
 */
export const MAX_INPUT_VALUES = 25_000;

/**
 * Why a request's `variables` or `extensions` (`value`) may not be read: nested deeper than MAX_INPUT_DEPTH, or
 * holding more than MAX_INPUT_VALUES values; undefined if it may. Iterative, so it cannot overflow itself; it reads
 * plain objects and lists only (a parsed JSON body holds nothing else), so a value that is neither is one value.
 */
export function inputProblem(value: unknown, part: string): string | undefined {
  const pending: [unknown, number][] = [[value, 0]];
  let values = 1;
  for (let next = pending.pop(); next; next = pending.pop()) {
    const [item, depth] = next;
    if (item === null || typeof item !== 'object' || !(Array.isArray(item) || isPlainObject(item))) continue;
    if (depth >= MAX_INPUT_DEPTH) return `The request's ${part} nest deeper than ${MAX_INPUT_DEPTH} levels.`;
    // A list's length is known before its items are copied out (a 1 MiB body holds 250,000 of them).
    values += Array.isArray(item) ? item.length : Object.keys(item).length;
    if (values > MAX_INPUT_VALUES) return `The request's ${part} hold more than ${MAX_INPUT_VALUES} values.`;
    const children = Array.isArray(item) ? item : Object.values(item);
    for (const child of children) pending.push([child, depth + 1]);
  }
  return undefined;
}

const isPlainObject = (value: object) => {
  const prototype = Object.getPrototypeOf(value);
  return prototype === Object.prototype || prototype === null;
};

/** Armor's messages start with "Syntax Error: " whatever the limit; ours say which limit. */
const armorMessage = (error: GraphQLError) => error.message.replace(/^Syntax Error: /, '');

const costs = new WeakMap<object, number>();

/** The cost computed for an execution's arguments (the object Envelop's onExecute hooks share), if any. */
export const costOfExecution = (args: object): number | undefined => costs.get(args);

const requestCosts = new WeakMap<Request, number>();

/** The cost computed for the document a request executed, if any. */
export const costOfRequest = (request: Request): number | undefined => requestCosts.get(request);

export function limitDocuments(limits: DocumentLimits): Plugin {
  // Armor's rejections carry no code: report our own error instead of letting armor throw its.
  const reject = {
    propagateOnRejection: false,
    onReject: [
      (context: ValidationContext | null, error: GraphQLError) => context?.reportError(tooComplex(armorMessage(error))),
    ],
  };
  // Only where armor's own depth left `__schema` out: a deep document without it is refused once, by armor.
  const deepIntrospection = maxDepthRule({
    n: Math.max(limits.maxDepth, INTROSPECTION_MAX_DEPTH),
    ignoreIntrospection: false,
    flattenFragments: true,
    ...reject,
  });
  const introspectionDepth: ValidationRule = (context) =>
    selectsSchemaIntrospection(context.getDocument()) ? deepIntrospection(context) : {};
  let estimator: ReturnType<typeof costEstimator> | undefined;
  let estimatorSchema: GraphQLSchema | undefined;
  // Costs of parsed documents (Yoga's parse cache shares them between requests), by operation and variables.
  let costsByDocument = new WeakMap<DocumentNode, Map<string, number>>();
  return {
    onPluginInit({ addPlugin }) {
      addPlugin(
        EnvelopArmorPlugin({
          // The parser has no validation context to report to: throwing is how a parse fails.
          maxTokens: {
            n: limits.maxTokens,
            propagateOnRejection: false,
            onReject: [
              (_context: unknown, error: GraphQLError) => {
                throw tooComplex(armorMessage(error));
              },
            ],
          },
          // Introspection has a depth of its own (INTROSPECTION_MAX_DEPTH): GraphiQL's query nests 15 deep.
          maxDepth: { n: limits.maxDepth, ignoreIntrospection: true, flattenFragments: true, ...reject },
          maxAliases: { n: limits.maxAliases, ...reject },
          maxDirectives: { n: limits.maxDirectives, ...reject },
          // Armor's cost does not multiply by list sizes; ours does (onExecute below).
          costLimit: { enabled: false },
          // Suggestions only name fields that introspection shows anyway.
          blockFieldSuggestion: { enabled: false },
        }) as Plugin,
      );
    },
    onParams({ params }) {
      for (const part of ['variables', 'extensions'] as const) {
        const problem = inputProblem(params[part], part);
        if (problem) throw tooComplex(problem);
      }
    },
    onParse:
      () =>
      ({ result, replaceParseResult }) => {
        if (result instanceof GraphQLError) return replaceParseResult(clipped(result));
        const { repeatedFields, spreads } = mostRepetition(result as DocumentNode);
        if (repeatedFields > MAX_REPEATED_FIELDS) {
          throw tooComplex(
            `A selection repeats fields more than ${MAX_REPEATED_FIELDS} times, counted through its fragments: ` +
              'ask for each field once.',
          );
        }
        if (spreads > MAX_FRAGMENT_SPREADS)
          throw tooComplex(
            `A selection spreads more than ${MAX_FRAGMENT_SPREADS} fragments, counted through its fragments.`,
          );
        return undefined;
      },
    onValidate({ addValidationRule }) {
      addValidationRule(introspectionDepth);
      addValidationRule(operationTypesOfTheSchema);
      addValidationRule(oneSchemaIntrospection);
      return ({ valid, result, setResult }) => {
        if (!valid)
          setResult(result.map((error) => (error instanceof GraphQLError ? ownValidationError(error) : error)));
      };
    },
    onExecute({ args, setResultAndStopExecution }) {
      if (estimatorSchema !== args.schema) {
        estimator = costEstimator(args.schema, limits.listSizes);
        estimatorSchema = args.schema;
        costsByDocument = new WeakMap();
      }
      const operation = getOperationAST(args.document, args.operationName);
      const badVariables = operation && variablesProblem(args.schema, operation, args.variableValues);
      if (badVariables) {
        setResultAndStopExecution({ errors: [badVariables] });
        return;
      }
      const cost = cachedCost(costsByDocument, args.document, args.operationName, args.variableValues, () =>
        documentCost(args.schema, args.document, args.operationName, args.variableValues, estimator!),
      );
      costs.set(args, cost);
      const request = (args.contextValue as { request?: Request }).request;
      if (request) requestCosts.set(request, cost);
      if (cost > limits.maxCost) {
        setResultAndStopExecution({
          errors: [
            tooComplex(
              cost === Number.POSITIVE_INFINITY
                ? `The document expands to more than ${MAX_EXPANDED_SELECTIONS} selections.`
                : `The document may cost ${cost}, over the limit of ${limits.maxCost} (QUERY_MAX_COST): ` +
                    'ask for smaller pages (first, last, limit) or fewer fields.',
            ),
          ],
        });
      }
    },
  };
}

/**
 * graphql-js gives up comparing a selection's fields past a budget of its own (800 `__typename`, or 500 `me { id }`,
 * in one selection): that is a limit, so QUERY_TOO_COMPLEX, saying which.
 */
const VALIDATION_ABORTED = 'Validation aborted.';

/**
 * What graphql-js compares pairwise as it validates one selection: the fields of a response name, to check they
 * merge, and the fragments spread in it. 400 `me { id }` in one selection took 0.28 s to validate, 740 of them
 * or 240 fragments each selecting `me { id }` 0.35–0.45 s before graphql-js gave up, without a token; a leaf
 * repeated costs little (1,400 `id`: 12 ms), 200 fragments of one leaf each 45–60 ms. Counted through inline
 * fragments and spreads, before validation.
 */
const MAX_REPEATED_FIELDS = 50;
const MAX_FRAGMENT_SPREADS = 100;

interface Repetition {
  /** Fields with a selection of their own whose response name is selected again. */
  repeatedFields: number;
  /** Fragment spreads, the same fragment again included. */
  spreads: number;
}

const repetitions = new WeakMap<DocumentNode, Repetition>();

/** The most of each in one selection set, fragments flattened; once per parsed document. */
function mostRepetition(document: DocumentNode): Repetition {
  const known = repetitions.get(document);
  if (known) return known;
  const fragments = new Map<string, SelectionSetNode>();
  for (const definition of document.definitions)
    if (definition.kind === Kind.FRAGMENT_DEFINITION) fragments.set(definition.name.value, definition.selectionSet);
  const most: Repetition = { repeatedFields: 0, spreads: 0 };
  visit(document, {
    SelectionSet(set) {
      const names = new Set<string>();
      const spread = new Set<string>();
      const count: Repetition = { repeatedFields: 0, spreads: 0 };
      const walk = (selections: SelectionSetNode) => {
        for (const selection of selections.selections) {
          if (count.repeatedFields > MAX_REPEATED_FIELDS || count.spreads > MAX_FRAGMENT_SPREADS) return;
          if (selection.kind === Kind.FIELD) {
            const name = selection.alias?.value ?? selection.name.value;
            if (!names.has(name)) names.add(name);
            else if (selection.selectionSet) count.repeatedFields++;
          } else if (selection.kind === Kind.INLINE_FRAGMENT) walk(selection.selectionSet);
          else {
            count.spreads++;
            // Each fragment expanded once a selection: a cycle (refused later, by validation) ends here too.
            if (spread.has(selection.name.value)) continue;
            spread.add(selection.name.value);
            const fragment = fragments.get(selection.name.value);
            if (fragment) walk(fragment);
          }
        }
      };
      walk(set);
      most.repeatedFields = Math.max(most.repeatedFields, count.repeatedFields);
      most.spreads = Math.max(most.spreads, count.spreads);
    },
  });
  repetitions.set(document, most);
  return most;
}

/** Whether `document` selects `__schema` anywhere (armor's depth leaves its selection out). */
function selectsSchemaIntrospection(document: DocumentNode): boolean {
  let found = false;
  visit(document, {
    Field(node) {
      if (node.name.value !== '__schema') return undefined;
      found = true;
      return BREAK;
    },
  });
  return found;
}

function ownValidationError(error: GraphQLError): GraphQLError {
  if (error.message === VALIDATION_ABORTED) {
    return tooComplex(
      'The document repeats fields too often to be checked (graphql-js compares the fields of each selection ' +
        'pairwise, within a budget): ask for each field once.',
    );
  }
  return clipped(error);
}

/** graphql-js's error with its message's quotes of the document cut short (errors.ts). */
function clipped(error: GraphQLError): GraphQLError {
  const message = clippedMessage(error.message);
  return message === error.message ? error : reworded(error, { message });
}

/** Distinct operation-and-variables pairs kept per document: a client varying its variables keeps few of them. */
const COSTS_PER_DOCUMENT = 16;

/**
 * A document's cost depends only on the schema, the operation and the
 * variables, so a repeated request reuses it instead of walking the document
 * again. Variables too large to be worth a key are not kept.
 */
function cachedCost(
  costsByDocument: WeakMap<DocumentNode, Map<string, number>>,
  document: DocumentNode,
  operationName: string | null | undefined,
  variables: Record<string, unknown> | null | undefined,
  compute: () => number,
): number {
  const variablesKey = variables ? JSON.stringify(variables) : '';
  if (variablesKey.length > 1024) return compute();
  const key = `${operationName ?? ''}\n${variablesKey}`;
  let known = costsByDocument.get(document);
  const kept = known?.get(key);
  if (kept !== undefined) return kept;
  const cost = compute();
  if (!known) costsByDocument.set(document, (known = new Map()));
  if (known.size >= COSTS_PER_DOCUMENT) known.clear();
  known.set(key, cost);
  return cost;
}

/** The longest message a refusal of variables keeps: it quotes the value, which may be most of a 1 MiB body. */
const MAX_VARIABLES_MESSAGE = 2_000;

/**
 * The first of the request's variables that does not fit its type, as BAD_USER_INPUT (HTTP 400); undefined if all
 * fit. graphql-js's executor would build up to 50 such errors before any resolver, each quoting the whole value:
 * an input object with 4,000 unknown fields took 5 s and answered 2.5 MB, a list of 150,000 wrong items 16 s, and
 * 30,000 fields ran the process out of memory, all without a session token. Here the second error ends the walk.
 */
function variablesProblem(
  schema: GraphQLSchema,
  operation: OperationDefinitionNode,
  variables: Record<string, unknown> | null | undefined,
): GraphQLError | undefined {
  const { errors } = getVariableValues(schema, operation.variableDefinitions ?? [], variables ?? {}, {
    maxErrors: 1,
  });
  const first = errors?.[0];
  if (!first) return undefined;
  const message =
    first.message.length > MAX_VARIABLES_MESSAGE
      ? `${first.message.slice(0, MAX_VARIABLES_MESSAGE / 2)} … ${first.message.slice(-MAX_VARIABLES_MESSAGE / 4)}`
      : first.message;
  return new GraphQLError(message, {
    nodes: first.nodes,
    extensions: { code: 'BAD_USER_INPUT', http: { status: 400 } },
  });
}

/**
 * The estimated cost of the operation that will run; Infinity when its
 * fragments expand past MAX_EXPANDED_SELECTIONS. Its variables fit their
 * types (variablesProblem).
 */
export function documentCost(
  schema: GraphQLSchema,
  document: DocumentNode,
  operationName: string | null | undefined,
  variables: Record<string, unknown> | null | undefined,
  estimator: ReturnType<typeof costEstimator>,
): number {
  const operation = getOperationAST(document, operationName);
  const root = operation && schema.getRootType(operation.operation);
  if (!operation || !root) return 0;
  const fragments = Object.fromEntries(
    document.definitions.flatMap((definition) =>
      definition.kind === Kind.FRAGMENT_DEFINITION ? [[definition.name.value, definition] as const] : [],
    ),
  );
  const complexity = (values: Record<string, unknown>) => {
    // @skip and @include read variables as the executor has them: defaults applied.
    const coerced = getVariableValues(schema, operation.variableDefinitions ?? [], values);
    const variableValues = coerced.coerced ?? values;
    const scope = { schema, fragments, variableValues, budget: MAX_EXPANDED_SELECTIONS };
    const merged: OperationDefinitionNode = {
      ...operation,
      selectionSet: mergeSelections(scope, root, [operation.selectionSet]),
    };
    return getComplexity({
      schema,
      query: { kind: Kind.DOCUMENT, definitions: [merged] },
      estimators: [estimator],
      variables: values,
      operationName: operation.name?.value,
      maxQueryNodes: MAX_EXPANDED_SELECTIONS,
    });
  };
  try {
    return complexity(variables ?? {});
  } catch (error) {
    if (error instanceof SelectionTooLarge) return Number.POSITIVE_INFINITY;
    if ((error as Error).message !== TOO_MANY_NODES && variables) {
      // A null given for a variable whose default lets it stand where null may not (`$o: String = "default"` as a
      // `String!` argument): execution answers that argument's error; the cost counts the default in its place.
      try {
        return complexity(Object.fromEntries(Object.entries(variables).filter(([, value]) => value !== null)));
      } catch {}
    }
    return Number.POSITIVE_INFINITY;
  }
}

/** graphql-query-complexity's error for a document that expands past `maxQueryNodes`. */
const TOO_MANY_NODES = 'Query exceeds the maximum allowed number of nodes.';

/**
 * A `subscription` (or `mutation`) where the schema has no such root type is
 * refused as a bad document, as graphql-js 17 does, rather than reaching the
 * executor.
 */
const operationTypesOfTheSchema: ValidationRule = (context) => ({
  OperationDefinition(node) {
    if (context.getSchema().getRootType(node.operation)) return;
    // Placed at the operation and left without a code: Yoga codes validation errors GRAPHQL_VALIDATION_FAILED.
    context.reportError(new GraphQLError(`This API has no ${node.operation} operations.`, { nodes: node }));
  },
});

/**
 * One `__schema` per document: GraphiQL and code generators ask once, and the
 * same introspection under many aliases is only a way to make the gateway
 * repeat its largest answer.
 */
const oneSchemaIntrospection: ValidationRule = (context) => {
  const keys = new Set<string>();
  return {
    Field(node) {
      if (node.name.value !== '__schema') return;
      keys.add(node.alias?.value ?? node.name.value);
      if (keys.size === 2) context.reportError(tooComplex('A document may introspect the schema (__schema) once.'));
    },
  };
};
