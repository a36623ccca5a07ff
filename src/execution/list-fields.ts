// One wrapper for what must happen to every list a field of the schema's own
// types resolves (introspection's lists are the executor's, not ours).
import {
  defaultFieldResolver,
  type GraphQLFieldResolver,
  type GraphQLResolveInfo,
  type GraphQLSchema,
  getNullableType,
  isListType,
  isObjectType,
} from 'graphql';

/** What becomes of a resolved list: the list itself, or what the executor gets instead. */
export type ListResolved = (list: unknown[], context: unknown, info: GraphQLResolveInfo) => unknown;

/** Runs `resolved` on each list the schema's list fields resolve, after their own resolvers, awaited or not. */
export function afterListsResolve(schema: GraphQLSchema, resolved: ListResolved): void {
  for (const type of Object.values(schema.getTypeMap())) {
    if (!isObjectType(type) || type.name.startsWith('__')) continue;
    for (const field of Object.values(type.getFields())) {
      if (!isListType(getNullableType(field.type))) continue;
      const resolve: GraphQLFieldResolver<unknown, unknown> = field.resolve ?? defaultFieldResolver;
      const after = (value: unknown, context: unknown, info: GraphQLResolveInfo) =>
        Array.isArray(value) ? resolved(value, context, info) : value;
      field.resolve = (source, args, context, info) => {
        const value = resolve(source, args, context, info);
        return value instanceof Promise
          ? value.then((list) => after(list, context, info))
          : after(value, context, info);
      };
    }
  }
}
