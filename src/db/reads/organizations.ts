// Organizations, by id, by reference, or all of them. Deleted organizations
// are never returned.
import type { OrganizationRef } from '../references.js';
import type { Sql } from '../sql.js';
import { ORGANIZATION_TUPLE, organizationFromTuple, type OrganizationRow, type OrganizationTuple } from './rows.js';

/**
 * The organization each reference names, for references given as parallel
 * arrays ($1 ids, $2 lower-cased names, $3 `default` flags; one set per
 * reference). Each form has its own index probe (primary key, Coder's unique
 * lower(name) index, its single-default index), joined by UNION ALL so that
 * the planner never reads the table for an OR.
 */
export const organizationByRefLateral = (p: string) => `
  SELECT o.* FROM organizations o WHERE o.id = ${p}.org_id AND NOT o.deleted
  UNION ALL SELECT o.* FROM organizations o WHERE lower(o.name) = ${p}.org_name AND NOT o.deleted
  UNION ALL SELECT o.* FROM organizations o WHERE ${p}.org_default AND o.is_default AND NOT o.deleted`;

/** A reference as the three parallel parameters `organizationByRefLateral` reads. */
export const organizationRefParameters = (refs: readonly OrganizationRef[]) => [
  refs.map((ref) => ('id' in ref ? ref.id : null)),
  refs.map((ref) => ('name' in ref ? ref.name : null)),
  refs.map((ref) => 'isDefault' in ref),
];

const BY_REF = `
  SELECT p.ord, ${ORGANIZATION_TUPLE('o')} AS organization
  FROM unnest($1::uuid[], $2::text[], $3::boolean[]) WITH ORDINALITY AS p(org_id, org_name, org_default, ord)
  CROSS JOIN LATERAL (${organizationByRefLateral('p')}) o`;

const BY_ID = `SELECT ${ORGANIZATION_TUPLE('o')} AS organization FROM organizations o
  WHERE o.id = ANY($1::uuid[]) AND NOT o.deleted`;

const LIVE = `SELECT ${ORGANIZATION_TUPLE('o')} AS organization FROM organizations o
  WHERE NOT o.deleted ORDER BY o.name, o.id`;

/** The organization each reference names, in order; undefined where none. */
export async function organizationsByRef(
  sql: Sql,
  refs: readonly OrganizationRef[],
): Promise<(OrganizationRow | undefined)[]> {
  const rows = await sql.query<{ ord: string | number; organization: OrganizationTuple }>(
    BY_REF,
    organizationRefParameters(refs),
  );
  const found: (OrganizationRow | undefined)[] = refs.map(() => undefined);
  for (const row of rows) found[Number(row.ord) - 1] = organizationFromTuple(row.organization);
  return found;
}

export async function organizationsById(sql: Sql, ids: readonly string[]): Promise<OrganizationRow[]> {
  const rows = await sql.query<{ organization: OrganizationTuple }>(BY_ID, [ids]);
  return rows.map((row) => organizationFromTuple(row.organization));
}

/** Every live organization, by name. */
export async function liveOrganizations(sql: Sql): Promise<OrganizationRow[]> {
  const rows = await sql.query<{ organization: OrganizationTuple }>(LIVE, []);
  return rows.map((row) => organizationFromTuple(row.organization));
}
