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
  type GraphQLCompositeType,
  type GraphQLNamedType,
  type GraphQLResolveInfo,
  type GraphQLSchema,
  isCompositeType,
  isListType,
  isObjectType,
  Kind,
  type SelectionSetNode,
} from 'graphql';
import { queryTooComplex } from '../errors.js';
import type { ListResolved } from '../execution/list-fields.js';
import { freeTypename } from './cost.js';
import { mergeSelections } from './merged-selections.js';
import { selectionsOf } from '../schema/shared/selection.js';

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

/** A list's step (src/execution/list-fields.ts): its values counted on the request's meter, where it has one. */
export const countListValues: ListResolved = (list, context, info) => {
  answerMeterOf(context)?.count(list, info);
  return list;
};

/**
 * The values each item of the list field being resolved adds to the answer: every field selected on it, and below
 * each that is not a list (a list below counts when it resolves), fields merged by response key across
 * fragments and @skip/@include applied; at least 1.
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

/**
 * The values an item of `itemType` answers for the selections `selectionSets` (see valuesPerItem): their fields
 * merged by response key, as the executor answers them (a field repeated by several fragments is one value); an
 * item of an abstract type answers what its own type's fragments select, so the widest of them.
 */
function valuesOfItems(
  info: Pick<GraphQLResolveInfo, 'schema' | 'fragments' | 'variableValues'>,
  selectionSets: readonly (SelectionSetNode | undefined)[],
  itemType: GraphQLNamedType,
): number {
  if (!isCompositeType(itemType)) return 0;
  const scope = { ...info, budget: Number.POSITIVE_INFINITY };
  const widthOf = (set: SelectionSetNode, type: GraphQLCompositeType): number => {
    if (!isObjectType(type))
      return Math.max(
        0,
        ...set.selections.map((selection) =>
          selection.kind === Kind.INLINE_FRAGMENT
            ? widthOf(
                selection.selectionSet,
                info.schema.getType(selection.typeCondition!.name.value) as GraphQLCompositeType,
              )
            : 0,
        ),
      );
    let width = 0;
    for (const selection of set.selections) {
      if (selection.kind !== Kind.FIELD || freeTypename(selection)) continue;
      width++;
      const field = type.getFields()[selection.name.value];
      const fieldType = field && getNamedType(field.type);
      if (selection.selectionSet && fieldType && isCompositeType(fieldType) && !isListType(getNullableType(field.type)))
        width += widthOf(selection.selectionSet, fieldType);
    }
    return width;
  };
  return widthOf(mergeSelections(scope, itemType, selectionSets), itemType);
}
