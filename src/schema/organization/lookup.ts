import type { Gate } from '../../access/gate.js';
import type { Context } from '../../context.js';
import { badUserInput, notFound } from '../../errors.js';
import type { Organization, Prisma } from '../../generated/prisma/client.js';
import { isUuid, isValidName, organizationWhere } from '../../names.js';
import { rbacObjects } from '../../rbac/index.js';

/**
 * The refusal for an argument that can name nothing: not an id, a name, nor
 * `default` / `me`. Given before any query is made. As in Coder, an
 * organization that cannot exist is simply not found (its lookup answers 404
 * for any name), and only a missing one is bad input; a user is bad input
 * (Coder: 400 "must be an existing uuid or username").
 */
export function unusableReference(field: 'organization' | 'user', ref: string) {
  if (field === 'organization') {
    return ref === ''
      ? badUserInput('Organization must be an existing uuid or name, or "default".', {
          validations: [{ field, detail: 'is not an organization id, an organization name or "default"' }],
        })
      : notFound();
  }
  return badUserInput('User must be an existing uuid or username, or "me".', {
    validations: [{ field, detail: 'is not a user id, a username or "me"' }],
  });
}

/** A condition on `alias` (organizations) and its one parameter, $n: how a reference finds its row. */
export interface Condition {
  sql: (alias: string, n: number) => string;
  value: string;
}

/**
 * A statement built from reference conditions, with one text per combination
 * of their forms (id, name, `default`, `me`): built on first use rather than
 * on every request, and the same text each time, which pg prepares once.
 */
export function statementPerForm<C extends Condition[]>(
  build: (...conditions: C) => string,
): (...conditions: C) => string {
  const texts = new Map<string, string>();
  return (...conditions) => {
    const forms = conditions.map((condition, i) => condition.sql('x', i + 1)).join(' AND ');
    let text = texts.get(forms);
    if (text === undefined) texts.set(forms, (text = build(...conditions)));
    return text;
  };
}

/**
 * How an organization reference (an id, a name, or `default`) finds its
 * non-deleted row in SQL; undefined if it can name none. Names match through
 * Coder's unique index on lower(name).
 */
export function organizationCondition(ref: string): Condition | undefined {
  if (isUuid(ref)) return { sql: (a, n) => `${a}.id = $${n}::uuid AND NOT ${a}.deleted`, value: ref.toLowerCase() };
  // The parameter is unused but typed, so that every form takes one.
  if (ref === 'default')
    return { sql: (a, n) => `${a}.is_default AND $${n}::text IS NOT NULL AND NOT ${a}.deleted`, value: ref };
  if (isValidName(ref))
    return { sql: (a, n) => `lower(${a}.name) = lower($${n}::text) AND NOT ${a}.deleted`, value: ref };
  return undefined;
}

/**
 * How a user reference (an id, a username or `me`) finds its non-deleted row;
 * undefined if it can name none. Usernames match through Coder's unique index
 * on lower(username): Prisma's case-insensitive match is ILIKE, which reads
 * every user (5 ms at 20,000 users, against 0.1 ms).
 */
export function userCondition(ctx: Context, ref: string): Condition | undefined {
  const byId = (id: string): Condition => ({ sql: (a, n) => `${a}.id = $${n}::uuid AND NOT ${a}.deleted`, value: id });
  if (ref === 'me') return byId(ctx.session().user.id);
  if (isUuid(ref)) return byId(ref.toLowerCase());
  if (isValidName(ref))
    return { sql: (a, n) => `lower(${a}.username) = lower($${n}::text) AND NOT ${a}.deleted`, value: ref };
  return undefined;
}

/** Every column of an organization, named as Prisma names them, so that the row serves the Organization type. */
export const ORGANIZATION_COLUMNS = (a: string) =>
  `${a}.id, ${a}.name, ${a}.display_name AS "displayName", ${a}.description, ${a}.icon, ${a}.is_default AS "isDefault",
   ${a}.created_at AS "createdAt", ${a}.updated_at AS "updatedAt", ${a}.deleted`;

type OrganizationQuery = Omit<Prisma.OrganizationFindFirstArgs, 'where'>;

/**
 * The organization an argument names, if the caller may read it. An empty
 * argument is BAD_USER_INPUT; anything else is NOT_FOUND: a caller cannot
 * tell a hidden organization from none. A Pothos selection (`query`)
 * is loaded through Prisma; without one, the row comes by plain SQL.
 */
export async function readableOrganization(
  ctx: Context,
  ref: string,
  query: OrganizationQuery = {},
): Promise<Organization> {
  const condition = organizationCondition(ref);
  if (!condition) throw unusableReference('organization', ref);
  const find = Object.keys(query).length
    ? ctx.prisma.organization.findFirst({ ...query, where: organizationWhere(ref) })
    : ctx.sql
        .query<Organization>(
          `SELECT ${ORGANIZATION_COLUMNS('o')} FROM organizations o WHERE ${condition.sql('o', 1)}`,
          [condition.value],
        )
        .then(([row]) => row);
  const [organization, gate] = await Promise.all([find, ctx.gate()]);
  if (!organization || !canReadOrganization(gate, organization.id)) throw notFound();
  return organization;
}

export const canReadOrganization = (gate: Gate, organizationId: string) =>
  gate.can('read', rbacObjects.organization(organizationId));

/** The (non-deleted) user an argument names, or null; BAD_USER_INPUT if it can name no user. */
export async function findUser(ctx: Context, ref: string): Promise<{ id: string; username: string } | null> {
  const condition = userCondition(ctx, ref);
  if (!condition) throw unusableReference('user', ref);
  const [user] = await ctx.sql.query<{ id: string; username: string }>(
    `SELECT u.id, u.username FROM users u WHERE ${condition.sql('u', 1)}`,
    [condition.value],
  );
  return user ?? null;
}
