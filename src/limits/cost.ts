// The cost of a document: an upper bound on the values its answer can hold,
// computed from the document, its variables and the schema, before anything
// runs. A list multiplies what is selected under it by its size: `first`,
// `last` or `limit` where the field takes one, otherwise the largest size the
// list is assumed to reach (a setting for members and organizations; for
// introspection, the schema's own sizes). graphql-query-complexity walks the
// document (fragments, inline fragments, @skip/@include, variables); the
// estimator below is what it does not know: which of our lists is how long.
import {
  type FieldNode,
  Kind,
  type GraphQLField,
  type GraphQLNamedType,
  type GraphQLSchema,
  getNamedType,
  getNullableType,
  isCompositeType,
  isEnumType,
  isInputObjectType,
  isInterfaceType,
  isListType,
  isObjectType,
  isUnionType,
} from 'graphql';
import { cursorToOffset } from '@pothos/plugin-relay';
import type { ComplexityEstimator } from 'graphql-query-complexity';
import { AUDIT_DEFAULT_PAGE, AUDIT_MAX_PAGE } from '../db/reads/audit-logs.js';

export interface ListSizes {
  /** The members an unbounded member list is assumed to hold (QUERY_COST_MEMBERS). */
  members: number;
  /** Organizations a list of them (or of a user's memberships) is assumed to hold (QUERY_COST_ORGANIZATIONS). */
  organizations: number;
}

/**
 * Lists whose size is not a setting. A member holds a handful of roles; an
 * organization's custom roles and a role's permissions are bounded in
 * practice by the RBAC vocabulary (a role listing every resource and action is
 * about that long).
 */
const ROLES_PER_MEMBER = 8;
/** A user belongs to a few organizations; a user in every one of QUERY_COST_ORGANIZATIONS is the exception. */
const MEMBERSHIPS_PER_USER = 10;
const ROLES_PER_ORGANIZATION = 50;
const PERMISSIONS_PER_ROLE = 100;

/**
 * A list's items, and the rows read only to reach them (a deep page's offset), which cost one each; an item costs
 * what is selected under it, and at least `leastPerItem`.
 */
interface ListSize {
  items: number;
  skipped?: number;
  leastPerItem?: number;
}

type SizeOf = (args: Record<string, unknown>, node: FieldNode) => ListSize;

const positive = (value: unknown): value is number => typeof value === 'number' && value > 0;

/** A cursor's offset (Relay's offset cursors, as Organization.members writes them); 0 for none or a bad one. */
function cursorIndex(cursor: unknown): number | undefined {
  if (typeof cursor !== 'string') return undefined;
  try {
    const offset = cursorToOffset(cursor);
    return Number.isSafeInteger(offset) && offset >= 0 ? offset : 0;
  } catch {
    return 0;
  }
}

/**
 * A page of `whole` at most, sized by first/last/limit. A page of members is
 * read from the list's start (`readFromStart`, src/db/reads/member-pages.ts),
 * so the rows before it (an offset, an `after` cursor; the whole list for
 * `last` alone) are read too, and count one each; audit pages are found by
 * their cursors' keys. A selection that reads neither the rows nor the page's
 * bounds (`listFields`: `edges` and `pageInfo`, `members`) reads no rows: a
 * connection asked only for its `totalCount` is one value.
 */
const pageSize =
  (whole: number, listFields: readonly string[], readFromStart: boolean): SizeOf =>
  (args, node) => {
    const readsList = node.selectionSet?.selections.some(
      (selection) => selection.kind !== Kind.FIELD || listFields.includes(selection.name.value),
    );
    if (!readsList) return { items: 1 };
    // The smaller of first/last/limit and the whole list; `limit: 0` means the whole list.
    const items = Math.min(whole, ...[args.first, args.last, args.limit].filter(positive));
    if (!readFromStart) return { items };
    const after = cursorIndex(args.after);
    const skip = (positive(args.offset) ? args.offset : 0) + (after === undefined ? 0 : after + 1);
    // Where reading stops: the window's end, or the list's.
    const ends = [cursorIndex(args.before), ...[args.first, args.limit].filter(positive).map((n) => skip + n)];
    const stop = Math.min(whole, ...ends.filter((end) => end !== undefined));
    return { items, skipped: Math.max(0, stop - items) };
  };

/** `size`, reading `rows` more to answer it (a count, a filter's walk). */
const readingMore = (size: ListSize, rows: number): ListSize => ({ ...size, skipped: (size.skipped ?? 0) + rows });

/**
 * A page whose selection counts the whole list (`countField`) reads every row of it once more, at
 * ROWS_COUNTED_PER_VALUE rows a value, and once: on the page's field, as the count is not one of its items.
 */
const withCount =
  (page: SizeOf, countField: string, whole: number): SizeOf =>
  (args, node) => {
    const size = page(args, node);
    // Any fragment counts as asking for the count, and @skip/@include are not read here: this errs towards dearer.
    const counts = node.selectionSet?.selections.some(
      (selection) => selection.kind !== Kind.FIELD || selection.name.value === countField,
    );
    return counts ? readingMore(size, Math.ceil(whole / ROWS_COUNTED_PER_VALUE)) : size;
  };

/**
 * An `_entities` representation counts as this many list items: each is looked up on its own key and resolved
 * through a promise chain of its own, and 1,000 member representations took twice the time and more memory than
 * a page of 1,000 members with the same fields (`npm run bench:hostile -- --attack entities`).
 */
const REPRESENTATION_WEIGHT = 2;

/**
 * What a representation costs at least, whatever its selection: one that names nothing the caller may read is a
 * NOT_FOUND error (SPEC C), its message, path, location and code, built and written by graphql-js and Yoga, far
 * more than the one field it may select (docs/security.md has the figures).
 */
const ERROR_VALUES = 10;

/**
 * Rows a count reads for the price of one value: a member count reads the whole list, which a price of one value
 * let many documents of hundreds of counts run at once, none of them ever waiting its turn.
 */
const ROWS_COUNTED_PER_VALUE = 20;

/** The entries of an organization's trail a filtered audit page is assumed to walk. */
const FILTERED_AUDIT_WALK = 1_250;

/**
 * A custom role's site or user permissions: none where Coder or the gateway wrote it, a few allowed for rows written
 * otherwise (the answer meter counts what is there).
 */
const PERMISSIONS_ROLES_SHOULD_NOT_HAVE = 8;

/** Every list field of the schema (and the fields whose arguments page a list below them), with its size. */
function listSizes(schema: GraphQLSchema, sizes: ListSizes): Map<string, SizeOf> {
  const fixed =
    (n: number): SizeOf =>
    () => ({ items: n });
  const members = withCount(pageSize(sizes.members, ['members'], true), 'count', sizes.members);
  const connectionPage = pageSize(sizes.members, ['edges', 'pageInfo'], false);
  const auditPage = pageSize(AUDIT_MAX_PAGE, ['edges', 'pageInfo'], false);
  const table = new Map<string, SizeOf>([
    ['Query.organizations', fixed(sizes.organizations)],
    ['User.organizationMemberships', fixed(Math.min(MEMBERSHIPS_PER_USER, sizes.organizations))],
    ['Query.organizationMembers', fixed(sizes.members)],
    // The page's size sits on the field with the arguments; the list itself is one level down.
    ['Query.paginatedOrganizationMembers', members],
    ['PaginatedMembers.members', fixed(1)],
    [
      'Organization.members',
      withCount(pageSize(sizes.members, ['edges', 'pageInfo'], true), 'totalCount', sizes.members),
    ],
    ['OrganizationMemberConnection.edges', fixed(1)],
    [
      'Query._entities',
      (args) => ({
        items: REPRESENTATION_WEIGHT * (Array.isArray(args.representations) ? args.representations.length : 1),
        leastPerItem: ERROR_VALUES,
      }),
    ],
    // A page of `first` or `last`, or of the default size. A filtered page walks the organization's trail until it
    // has its entries, the whole trail when few match (a user who was never a member): priced as one page, a few
    // such pages under aliases could take the pool; with the walk, eight make a heavy document.
    [
      'Organization.auditLogs',
      (args, node) => {
        const sized = args.first == null && args.last == null ? { ...args, first: AUDIT_DEFAULT_PAGE } : args;
        const page = auditPage(sized, node);
        if (args.user == null && args.resourceType == null) return page;
        return readingMore(page, FILTERED_AUDIT_WALK);
      },
    ],
    // An organization's custom role holds organization permissions only (Coder and the gateway refuse the others).
    ['Role.sitePermissions', fixed(PERMISSIONS_ROLES_SHOULD_NOT_HAVE)],
    ['Role.userPermissions', fixed(PERMISSIONS_ROLES_SHOULD_NOT_HAVE)],
  ]);
  // Any other Relay connection (audit logs, a future one): a page of `first`/`last`, or as long as a member list.
  for (const type of Object.values(schema.getTypeMap())) {
    if (!isObjectType(type) || type.name.startsWith('__')) continue;
    for (const field of Object.values(type.getFields())) {
      const connection = getNamedType(field.type);
      if (!isObjectType(connection) || !connection.getFields().edges) continue;
      const key = `${type.name}.${field.name}`;
      if (!table.has(key)) table.set(key, connectionPage);
      table.set(`${connection.name}.edges`, fixed(1));
    }
  }
  // Introspection: the schema's own sizes, so that one full introspection costs what it can return.
  const types = Object.values(schema.getTypeMap());
  const most = (count: (type: GraphQLNamedType) => number) => Math.max(1, ...types.map(count));
  const fieldsOf = (type: GraphQLNamedType) =>
    isObjectType(type) || isInterfaceType(type) ? Object.values(type.getFields()) : [];
  table.set('__Schema.types', fixed(types.length));
  table.set('__Schema.directives', fixed(schema.getDirectives().length));
  table.set('__Type.fields', fixed(most((type) => fieldsOf(type).length)));
  table.set('__Type.inputFields', fixed(most((t) => (isInputObjectType(t) ? Object.keys(t.getFields()).length : 0))));
  table.set('__Type.enumValues', fixed(most((type) => (isEnumType(type) ? type.getValues().length : 0))));
  table.set('__Type.interfaces', fixed(most((type) => (isObjectType(type) ? type.getInterfaces().length : 0))));
  table.set('__Type.possibleTypes', fixed(most((type) => (isUnionType(type) ? type.getTypes().length : 0))));
  const mostArgs = Math.max(
    1,
    ...types.flatMap((type) => fieldsOf(type).map((field) => field.args.length)),
    ...schema.getDirectives().map((directive) => directive.args.length),
  );
  table.set('__Field.args', fixed(mostArgs));
  table.set('__Directive.args', fixed(mostArgs));
  return table;
}

/** Lists of roles and permissions, by the type they hold. */
function sizeByItemType(itemType: string): number | undefined {
  if (itemType === 'SlimRole') return ROLES_PER_MEMBER;
  if (itemType === 'Role' || itemType === 'AssignableRole') return ROLES_PER_ORGANIZATION;
  if (itemType === 'Permission') return PERMISSIONS_PER_ROLE;
  return undefined;
}

/**
 * Each field costs 1, plus what is selected under it times its size. A list
 * no rule sizes is assumed as long as the longest (an unbounded member list),
 * so that a new list field is never free. `__typename` without an alias costs
 * nothing (freeTypename).
 */
export function costEstimator(schema: GraphQLSchema, sizes: ListSizes): ComplexityEstimator {
  const table = listSizes(schema, sizes);
  return ({ type, field, args, childComplexity, node }) => {
    if (freeTypename(node)) return 0;
    const sized = table.get(`${type.name}.${field.name}`);
    const itemType = getNamedType(field.type);
    const perItem = isCompositeType(itemType) ? childComplexity : 0;
    if (sized) {
      const { items, skipped = 0, leastPerItem = 1 } = sized(args, node);
      return 1 + skipped + items * Math.max(perItem, leastPerItem);
    }
    if (!isList(field)) return 1 + perItem;
    return 1 + (sizeByItemType(itemType.name) ?? sizes.members) * Math.max(perItem, 1);
  };
}

/**
 * A `__typename` without an alias: Apollo Client and urql's cache add one to every selection set, and it is one
 * constant per object of the answer, read from nothing. Counted, it made a document 24 to 36% dearer from those
 * clients than the same one from GraphiQL, and refused some that pass there. Aliased, each counts as any field:
 * thirty aliases of it would otherwise give each item thirty free values.
 */
export const freeTypename = (node: FieldNode) => node.name.value === '__typename' && !node.alias;

const isList = (field: GraphQLField<unknown, unknown>) => isListType(getNullableType(field.type));
