import { type GraphQLFieldResolver, GraphQLUnionType, type GraphQLSchema, responsePathAsArray } from 'graphql';
import type { RequestContext } from '../../context.js';
import { authenticationRefused } from '../../auth/session.js';
import { badUserInput, notFound, queryTooComplex, quoted } from '../../errors.js';
import { MAX_REPRESENTATIONS } from '../../limits/document-limits.js';

/**
 * Federation's `_entities` field is added by the plugin, outside the Query
 * type's auth scope, so entity resolvers authenticate the caller themselves.
 */
export async function requireAuthenticated(ctx: RequestContext): Promise<void> {
  const authentication = await ctx.authenticate();
  if (!authentication.ok) throw authenticationRefused(authentication);
}

/** Representations each request's `_entities` fields have asked for so far. */
const representationsAsked = new WeakMap<object, number>();

interface Representation {
  __typename?: unknown;
}

/**
 * Gives `_entities` SPEC C's answers, one representation at a time, around
 * the resolver @apollo/subgraph builds (which fails the whole field for an
 * unknown `__typename` and answers a silent null for what the caller may not
 * read): no valid session fails the field with UNAUTHENTICATED; an unknown
 * type is BAD_USER_INPUT and an entity that `resolveReference` does not
 * return is NOT_FOUND, each at its own index (`_entities.3`), so the router
 * keeps the others. The type resolvers are still called in the same tick, so
 * their loaders batch as before.
 */
export function answerEntitiesOneByOne(schema: GraphQLSchema): void {
  const field = schema.getQueryType()?.getFields()._entities;
  const entityUnion = schema.getType('_Entity');
  if (!field?.resolve || !(entityUnion instanceof GraphQLUnionType)) return;
  const entityTypes = new Set(entityUnion.getTypes().map((type) => type.name));
  const resolveAll = field.resolve as GraphQLFieldResolver<unknown, RequestContext, { representations: unknown[] }>;
  field.resolve = async (root, args: { representations: Representation[] }, ctx: RequestContext, info) => {
    // Per request, all of its `_entities` fields together: 30 aliases of 5,000 that name nothing were 150,000
    // errors, 15 s of the serving thread and 1.45 GB.
    const asked = (representationsAsked.get(ctx) ?? 0) + args.representations.length;
    representationsAsked.set(ctx, asked);
    if (asked > MAX_REPRESENTATIONS)
      throw queryTooComplex(
        `_entities takes at most ${MAX_REPRESENTATIONS} representations a request, all its _entities fields ` +
          `together; this one asks for ${asked}.`,
      );
    const authentication = await ctx.authenticate();
    if (!authentication.ok) throw authenticationRefused(authentication);
    const answers: unknown[] = new Array(args.representations.length);
    // Each error is made at its index: a batch of thousands that name nothing is as many errors, and graphql-js
    // would otherwise make each a second time to place it.
    const field = responsePathAsArray(info.path);
    const at = (index: number) => ({ nodes: info.fieldNodes, path: [...field, index] });
    const known: Representation[] = [];
    const knownAt: number[] = [];
    args.representations.forEach((representation, index) => {
      const typename = representation?.__typename;
      if (typeof typename === 'string' && entityTypes.has(typename)) {
        known.push(representation);
        knownAt.push(index);
      } else {
        answers[index] = badUserInput(
          `Unknown entity type ${quoted(typename)}.`,
          {
            validations: [
              { field: 'representations', detail: `${quoted(typename)} is not an entity of this subgraph` },
            ],
          },
          at(index),
        );
      }
    });
    // Every known type at once: the plugin's resolver then fails nothing, and maps one result to each.
    const found = resolveAll(root, { representations: known }, ctx, info) as unknown[];
    found.forEach((entity, k) => {
      const index = knownAt[k]!;
      answers[index] = Promise.resolve(entity).then((value) => value ?? notFound(undefined, at(index)));
    });
    return answers;
  };
}
