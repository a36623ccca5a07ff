// The values an answer holds, counted as its lists resolve. A document's cost
// (cost.ts) is judged before anything runs, from list sizes it can only
// assume: QUERY_COST_ORGANIZATIONS organizations, 10 memberships a user, 50
// custom roles an organization. A site larger than that answers more than the
// cost said: a cycle through 300 organizations ran the process out of memory.
// The meter holds the answer itself to QUERY_MAX_COST values: each list adds
// its length times the fields selected on its items (a list below them counts
// when it resolves), and the request stops with QUERY_TOO_COMPLEX, its
// statements in flight cancelled, as soon as the count passes the limit.
//
// Our own: graphql-query-complexity and the Envelop and Pothos complexity
// plugins price the document before it runs; none counts what it returns.
import {
  type FieldNode,
  getNamedType,
  getNullableType,
  type GraphQLNamedType,
  type GraphQLResolveInfo,
  type GraphQLSchema,
  isAbstractType,
  isInterfaceType,
  isListType,
  isObjectType,
  Kind,
  type SelectionSetNode,
} from 'graphql';
import { queryTooComplex } from '../errors.js';
import { afterListsResolve } from '../execution/list-fields.js';
import { freeTypename } from './cost.js';
import { included, selectionsOf } from '../schema/shared/selection.js';

export class AnswerMeter {
  #values = 0;
  #exceeded: Error | undefined;
  #stop: ((error: Error) => void) | undefined;
  /** Fields selected on a list's items, by the list's first field node: once per request and field. */
  readonly #widths = new WeakMap<FieldNode, number>();

  constructor(readonly limit: number) {}

  /** Called once, with the refusal, when the count passes the limit (the deadline's stop: src/http/deadline.ts). */
  onExceeded(stop: (error: Error) => void): void {
    this.#stop = stop;
  }

  /** Counts a resolved list's values; throws the refusal once past the limit. */
  count(list: readonly unknown[], info: GraphQLResolveInfo): void {
    if (this.#exceeded) throw this.#exceeded;
    this.#values += list.length * this.valuesPerItem(info);
    if (this.#values > this.limit) throw this.refuse();
  }

  /** The values each item of the list field at `info` adds (valuesPerItem, once per request and field). */
  valuesPerItem(info: GraphQLResolveInfo): number {
    let width = this.#widths.get(info.fieldNodes[0]!);
    if (width === undefined) {
      width = valuesPerItem(info);
      this.#widths.set(info.fieldNodes[0]!, width);
    }
    return width;
  }

  /** Values the answer may still hold. */
  remaining(): number {
    return Math.max(0, this.limit - this.#values);
  }

  /** The refusal, made once: the request stops (a read that would pass the limit refuses before it counts). */
  refuse(): Error {
    if (this.#exceeded) return this.#exceeded;
    this.#exceeded = queryTooComplex(
      `The answer grew past ${this.limit} values (QUERY_MAX_COST): the lists it reads are longer than its cost ` +
        'assumed (QUERY_COST_ORGANIZATIONS and QUERY_COST_MEMBERS). Ask for fewer rows, fields or levels.',
    );
    this.#stop?.(this.#exceeded);
    return this.#exceeded;
  }
}

/** What a request's context carries for the meter. */
interface Metered {
  answerMeter?: AnswerMeter;
}

export const answerMeterOf = (context: unknown): AnswerMeter | undefined => (context as Metered | null)?.answerMeter;

/** Every list field of the schema's own types counts its values on the request's meter, where it has one. */
export function meterListValues(schema: GraphQLSchema): void {
  afterListsResolve(schema, (list, context, info) => {
    answerMeterOf(context)?.count(list, info);
    return list;
  });
}

/**
 * The values each item of the list field being resolved adds to the answer: every field selected on it, and below
 * each that is not a list (a list below counts when it resolves), fragments spread (a fragment on another type
 * counts too: an upper bound) and @skip/@include applied; at least 1.
 */
export const valuesPerItem = (info: GraphQLResolveInfo): number =>
  Math.max(
    1,
    valuesOfItems(
      info,
      info.fieldNodes.map((node) => node.selectionSet),
      getNamedType(info.returnType),
    ),
  );

/**
 * valuesPerItem for the list field `field`, selected directly below the field being resolved (on `type`, its own
 * unless it returns several: `_entities`), before it resolves; 0 where it is not selected. Lets a read of rows that
 * the document does not bound (a user's memberships) stop at the rows the answer has room for.
 */
export function valuesPerItemOf(
  info: GraphQLResolveInfo,
  field: string,
  type: GraphQLNamedType | undefined = getNamedType(info.returnType),
): number {
  const selections = selectionsOf(info, field, type);
  if (!selections.length || !isObjectType(type)) return 0;
  const itemType = getNamedType(type.getFields()[field]!.type);
  return Math.max(
    1,
    valuesOfItems(
      info,
      selections.map(({ selectionSet }) => selectionSet),
      itemType,
    ),
  );
}

/** The values an item of `itemType` answers for the selections `selectionSets` (see valuesPerItem). */
function valuesOfItems(
  info: Pick<GraphQLResolveInfo, 'schema' | 'fragments' | 'variableValues'>,
  selectionSets: readonly (SelectionSetNode | undefined)[],
  itemType: GraphQLNamedType,
): number {
  const widthOf = (selectionSet: SelectionSetNode | undefined, type: GraphQLNamedType | undefined): number => {
    // Fragments on one of an abstract type's types (`_entities`' `... on User`, `... on Organization`) apply to
    // the items of that type only: an item answers the widest of them, not their sum.
    let width = 0;
    const byType = new Map<string, number>();
    const fragment = (set: SelectionSetNode, condition: string | undefined) => {
      const conditionType = condition === undefined ? undefined : info.schema.getType(condition);
      const fragmentWidth = widthOf(set, conditionType ?? type);
      if (condition === undefined || !isAbstractType(type) || condition === type.name) width += fragmentWidth;
      else byType.set(condition, (byType.get(condition) ?? 0) + fragmentWidth);
    };
    for (const selection of selectionSet?.selections ?? []) {
      if (!included(selection, info.variableValues)) continue;
      if (selection.kind === Kind.FIELD) {
        if (freeTypename(selection)) continue;
        width++;
        const field = isObjectType(type) || isInterfaceType(type) ? type.getFields()[selection.name.value] : undefined;
        if (field && !isListType(getNullableType(field.type)))
          width += widthOf(selection.selectionSet, getNamedType(field.type));
      } else if (selection.kind === Kind.INLINE_FRAGMENT) {
        fragment(selection.selectionSet, selection.typeCondition?.name.value);
      } else {
        const definition = info.fragments[selection.name.value];
        if (definition) fragment(definition.selectionSet, definition.typeCondition.name.value);
      }
    }
    return width + Math.max(0, ...byType.values());
  };
  return selectionSets.reduce((sum, set) => sum + widthOf(set, itemType), 0);
}
