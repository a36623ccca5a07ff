// A selection as the executor answers it: one field per response key, however
// many fragments repeat it. Clients colocate fragments (a row's, a menu's, a
// role editor's), each asking again for `id`, `username` or `roles { … }`;
// graphql-query-complexity prices each copy, so a screen of three such
// fragments cost 600,001 and was refused, where the same answer selected
// once cost 310,001. The cost (document-limits.ts) and the answer meter
// (answer-meter.ts) measure the merged selection instead.
//
// Our own: graphql-js merges fields only while executing (its collectFields is
// internal), and neither graphql-query-complexity nor the Envelop and Pothos
// complexity plugins merge them.
import {
  type FieldNode,
  type FragmentDefinitionNode,
  getNamedType,
  type GraphQLCompositeType,
  type GraphQLField,
  type GraphQLObjectType,
  type GraphQLSchema,
  type InlineFragmentNode,
  isAbstractType,
  isCompositeType,
  isObjectType,
  Kind,
  SchemaMetaFieldDef,
  type SelectionNode,
  type SelectionSetNode,
  TypeMetaFieldDef,
  TypeNameMetaFieldDef,
  typeFromAST,
} from 'graphql';
import { included } from '../schema/shared/selection.js';

export interface MergeScope {
  schema: GraphQLSchema;
  fragments: Record<string, FragmentDefinitionNode>;
  variableValues: Record<string, unknown>;
  /** Selections the merge may walk in all, fragments' included; past it, `mergeSelections` throws SelectionTooLarge. */
  budget: number;
}

export class SelectionTooLarge extends Error {
  override name = 'SelectionTooLarge';
}

/**
 * `sets`, all selected on `type`, as one selection set with a field per response key (their selections merged,
 * fragments that apply spread into it, @skip and @include applied and dropped). On an abstract type, an inline
 * fragment per possible type holds what an item of that type answers.
 */
export function mergeSelections(
  scope: MergeScope,
  type: GraphQLCompositeType,
  sets: readonly (SelectionSetNode | undefined)[],
): SelectionSetNode {
  if (isObjectType(type)) return { kind: Kind.SELECTION_SET, selections: mergeFields(scope, type, sets) };
  const selections: InlineFragmentNode[] = scope.schema.getPossibleTypes(type).map((possible) => ({
    kind: Kind.INLINE_FRAGMENT,
    typeCondition: { kind: Kind.NAMED_TYPE, name: { kind: Kind.NAME, value: possible.name } },
    directives: [],
    selectionSet: { kind: Kind.SELECTION_SET, selections: mergeFields(scope, possible, sets) },
  }));
  return { kind: Kind.SELECTION_SET, selections };
}

function mergeFields(
  scope: MergeScope,
  type: GraphQLObjectType,
  sets: readonly (SelectionSetNode | undefined)[],
): FieldNode[] {
  const byKey = new Map<string, FieldNode[]>();
  // As graphql-js: a fragment is spread once per selection set it is collected into.
  const spread = new Set<string>();
  const collect = (selections: readonly SelectionNode[]) => {
    for (const selection of selections) {
      // Every selection walked counts, merged or not: a fragment of 700 repeated leaves, spread at every level,
      // is walked at each (pricing took a second before it was refused).
      if (--scope.budget < 0) throw new SelectionTooLarge();
      if (!included(selection, scope.variableValues)) continue;
      if (selection.kind === Kind.FIELD) {
        const key = selection.alias?.value ?? selection.name.value;
        const nodes = byKey.get(key);
        if (nodes) nodes.push(selection);
        else byKey.set(key, [selection]);
      } else if (selection.kind === Kind.INLINE_FRAGMENT) {
        if (applies(scope.schema, selection.typeCondition?.name.value, type))
          collect(selection.selectionSet.selections);
      } else {
        const name = selection.name.value;
        const fragment = scope.fragments[name];
        if (spread.has(name) || !fragment) continue;
        spread.add(name);
        if (applies(scope.schema, fragment.typeCondition.name.value, type)) collect(fragment.selectionSet.selections);
      }
    }
  };
  for (const set of sets) if (set) collect(set.selections);
  return [...byKey.values()].map((nodes) => {
    const first = nodes[0]!;
    const definition = fieldOf(scope.schema, type, first.name.value);
    const returned = definition && getNamedType(definition.type);
    const selectionSet =
      returned && isCompositeType(returned)
        ? mergeSelections(
            scope,
            returned,
            nodes.map((node) => node.selectionSet),
          )
        : undefined;
    return { ...first, directives: [], selectionSet };
  });
}

/** Whether a fragment on `condition` (none: the parent's own) applies to an object of `type`. */
function applies(schema: GraphQLSchema, condition: string | undefined, type: GraphQLObjectType): boolean {
  if (condition === undefined || condition === type.name) return true;
  const conditionType = typeFromAST(schema, { kind: Kind.NAMED_TYPE, name: { kind: Kind.NAME, value: condition } });
  return !!conditionType && isAbstractType(conditionType) && schema.isSubType(conditionType, type);
}

/** `type`'s field `name`, the introspection fields included. */
function fieldOf(
  schema: GraphQLSchema,
  type: GraphQLObjectType,
  name: string,
): GraphQLField<unknown, unknown> | undefined {
  if (name === TypeNameMetaFieldDef.name) return TypeNameMetaFieldDef;
  if (type === schema.getQueryType()) {
    if (name === SchemaMetaFieldDef.name) return SchemaMetaFieldDef;
    if (name === TypeMetaFieldDef.name) return TypeMetaFieldDef;
  }
  return type.getFields()[name];
}
