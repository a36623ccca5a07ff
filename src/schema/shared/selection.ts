import {
  type FieldNode,
  getArgumentValues,
  getDirectiveValues,
  GraphQLIncludeDirective,
  GraphQLSkipDirective,
  getNamedType,
  type GraphQLNamedType,
  isObjectType,
  Kind,
  type GraphQLResolveInfo,
  type SelectionNode,
  type SelectionSetNode,
} from 'graphql';

/**
 * Whether `set` selects `field` directly (through fragments too), as the executor will: what @skip or @include
 * leaves out is not selected (a page asked for its count, its members skipped, reads no member).
 */
export function selectsIn(
  set: SelectionSetNode | undefined,
  field: string,
  info: Pick<GraphQLResolveInfo, 'fragments' | 'variableValues'>,
) {
  const visit = (set: SelectionSetNode | undefined): boolean =>
    !!set?.selections.some((selection) => {
      if (!included(selection, info.variableValues)) return false;
      if (selection.kind === Kind.FIELD) return selection.name.value === field;
      if (selection.kind === Kind.INLINE_FRAGMENT) return visit(selection.selectionSet);
      return visit(info.fragments[selection.name.value]?.selectionSet);
    });
  return visit(set);
}

/**
 * Whether the query selects `field` directly under the field being resolved
 * (through fragments too, @skip and @include applied). Lets a resolver skip work nobody asked for, such
 * as counting every member of an organization.
 */
export function selectsField(info: GraphQLResolveInfo, field: string): boolean {
  return info.fieldNodes.some((node) => selectsIn(node.selectionSet, field, info));
}

/**
 * Whether the query selects any of `fields` anywhere below the field being
 * resolved, at any depth (through fragments too). Errs towards yes: a field of
 * that name on a nested object counts as well.
 */
export function selectsFieldBelow(info: GraphQLResolveInfo, fields: readonly string[]): boolean {
  const visit = (set: SelectionSetNode | undefined): boolean =>
    !!set?.selections.some((selection) => {
      if (!included(selection, info.variableValues)) return false;
      if (selection.kind === Kind.FIELD) return fields.includes(selection.name.value) || visit(selection.selectionSet);
      if (selection.kind === Kind.INLINE_FRAGMENT) return visit(selection.selectionSet);
      return visit(info.fragments[selection.name.value]?.selectionSet);
    });
  return info.fieldNodes.some((node) => visit(node.selectionSet));
}

/** Whether @skip and @include let a selection through, as the executor decides it. */
export function included(selection: SelectionNode, variables: GraphQLResolveInfo['variableValues']): boolean {
  if (getDirectiveValues(GraphQLSkipDirective, selection, variables)?.if === true) return false;
  return getDirectiveValues(GraphQLIncludeDirective, selection, variables)?.if !== false;
}

export interface Selected {
  /** Its alias, or its name: selections with one key are merged into one field of the answer. */
  responseKey: string;
  args: Record<string, unknown>;
  selectionSet: SelectionSetNode | undefined;
}

/**
 * The arguments (variables resolved) and selection of every selection of `field` directly
 * under the field being resolved: each alias, through fragments, leaving out
 * what @skip or @include leaves out. Lets a resolver start the reads its
 * children will ask for in the statement of its own. Arguments the executor
 * would refuse make no entry: the child field reports them.
 */
export function selectionsOf(
  info: GraphQLResolveInfo,
  field: string,
  /** The type whose field it is: the field's own, unless it returns several (`_entities`). */
  type: GraphQLNamedType | undefined = getNamedType(info.returnType),
): Selected[] {
  const definition = isObjectType(type) ? type.getFields()[field] : undefined;
  if (!definition) return [];
  const found: Selected[] = [];
  const visit = (set: SelectionSetNode | undefined) => {
    for (const selection of set?.selections ?? []) {
      if (!included(selection, info.variableValues)) continue;
      if (selection.kind === Kind.FIELD) {
        if (selection.name.value === field) {
          try {
            const args = getArgumentValues(definition, selection as FieldNode, info.variableValues);
            found.push({
              responseKey: selection.alias?.value ?? field,
              args,
              selectionSet: selection.selectionSet,
            });
          } catch {
            // A bad argument is the child field's error to report.
          }
        }
      } else if (selection.kind === Kind.INLINE_FRAGMENT) visit(selection.selectionSet);
      else visit(info.fragments[selection.name.value]?.selectionSet);
    }
  };
  for (const node of info.fieldNodes) visit(node.selectionSet);
  return found;
}
