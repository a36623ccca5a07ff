// Users, by id or by reference. Deleted users are never returned.
import type { UserRef } from '../references.js';
import type { Sql } from '../sql.js';
import { USER_TUPLE, userFromTuple, type UserRow, type UserTuple } from './rows.js';

/**
 * The user a reference names, for references given as parallel arrays (ids,
 * lower-cased usernames): the primary key or Coder's unique lower(username)
 * index, one probe each, never an OR over the table.
 */
export const userByRefLateral = (p: string) => `
  SELECT u.* FROM users u WHERE u.id = ${p}.user_id AND NOT u.deleted
  UNION ALL SELECT u.* FROM users u WHERE lower(u.username) = ${p}.username AND NOT u.deleted`;

export const userRefParameters = (refs: readonly UserRef[]) => [
  refs.map((ref) => ('id' in ref ? ref.id : null)),
  refs.map((ref) => ('username' in ref ? ref.username : null)),
];

/** Each reference ($1 ids, $2 lower-cased usernames; userRefParameters) as `p.ord` with the user `u` it names. */
export const USERS_BY_REF = `unnest($1::uuid[], $2::text[]) WITH ORDINALITY AS p(user_id, username, ord)
  CROSS JOIN LATERAL (${userByRefLateral('p')}) u`;

const BY_REF = `SELECT p.ord, ${USER_TUPLE('u')} AS user FROM ${USERS_BY_REF}`;

/** The user each reference names, in order; undefined where none. */
export async function usersByRef(sql: Sql, refs: readonly UserRef[]): Promise<(UserRow | undefined)[]> {
  const rows = await sql.query<{ ord: string | number; user: UserTuple }>(BY_REF, userRefParameters(refs));
  const found: (UserRow | undefined)[] = refs.map(() => undefined);
  for (const row of rows) found[Number(row.ord) - 1] = userFromTuple(row.user);
  return found;
}
