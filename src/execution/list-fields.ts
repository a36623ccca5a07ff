// One wrapper for what must happen to every list a field of the schema's own
// types resolves (introspection's lists are the executor's, not ours).
import {
  defaultFieldResolver,
  type GraphQLField,
  type GraphQLFieldResolver,
  type GraphQLResolveInfo,
  type GraphQLSchema,
  getNullableType,
  isListType,
  isObjectType,
} from 'graphql';

/** A step of what becomes of a resolved list: the list itself, or what the executor gets instead. */
export type ListResolved = (list: unknown[], context: unknown, info: GraphQLResolveInfo) => unknown;

/** What a request's context carries of its execution's end (src/context.ts). */
interface WithStop {
  stopped?: AbortSignal;
}

/** Whether the execution `context` belongs to has stopped: its answer is given already (src/http/deadline.ts). */
export const executionStopped = (context: unknown): boolean => (context as WithStop | null)?.stopped?.aborted === true;

/**
 * Wraps each list field of the schema's own types once: the list its resolver gives (awaited or not) goes through
 * `steps` in turn, each taking what the one before it gave. Once its execution has stopped, a list field resolves
 * to an empty list without running its resolver, and a list arriving later is not built either: the answer has
 * been given (a refusal, SERVICE_UNAVAILABLE), but graphql-jit's executor takes no signal, and graphql-js's stops
 * only between fields; without this, what was already loaded was still built, item by item, each list below
 * failing with an error of its own (seconds of CPU after a refusal, other requests waiting).
 */
export function resolveListFields(schema: GraphQLSchema, steps: readonly ListResolved[]): void {
  forEachListField(schema, (field) => {
    const resolve: GraphQLFieldResolver<unknown, unknown> = field.resolve ?? defaultFieldResolver;
    const after = (value: unknown, context: unknown, info: GraphQLResolveInfo) => {
      if (!Array.isArray(value)) return value;
      if (executionStopped(context)) return [];
      return steps.reduce<unknown>((list, step) => step(list as unknown[], context, info), value);
    };
    field.resolve = (source, args, context, info) => {
      if (executionStopped(context)) return [];
      const value = resolve(source, args, context, info);
      return value instanceof Promise ? value.then((list) => after(list, context, info)) : after(value, context, info);
    };
  });
}

function forEachListField(schema: GraphQLSchema, each: (field: GraphQLField<unknown, unknown>) => void): void {
  for (const type of Object.values(schema.getTypeMap())) {
    if (!isObjectType(type) || type.name.startsWith('__')) continue;
    for (const field of Object.values(type.getFields())) if (isListType(getNullableType(field.type))) each(field);
  }
}
