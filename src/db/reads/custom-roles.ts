// How statements read `custom_roles`: each role as one JSON object keyed by
// the names the code uses (StoredCustomRole), so that the session, member
// pages, the one-member lookup and the roles loader agree on them.
import type { CustomRole } from '../../generated/prisma/client.js';
import type { Sql } from '../sql.js';

/** What the API and authorization use of a stored custom role. */
export type StoredCustomRole = Pick<
  CustomRole,
  'name' | 'displayName' | 'organizationId' | 'sitePermissions' | 'orgPermissions' | 'userPermissions'
>;

/** The custom role row `c` as a JSON object; its display name '' unless asked for (authorization has no use for it). */
export const customRoleJson = (c: string, { displayName = true } = {}) => `json_build_object(
  'name', ${c}.name, 'displayName', ${displayName ? `${c}.display_name` : "''"}, 'organizationId', ${c}.organization_id,
  'sitePermissions', ${c}.site_permissions, 'orgPermissions', ${c}.org_permissions,
  'userPermissions', ${c}.user_permissions)`;

/** An organization's custom roles, by name, as one JSON array: `organizationId` is an SQL expression. */
export const organizationCustomRolesJson = (organizationId: string) => `
  (SELECT coalesce(json_agg(${customRoleJson('c')} ORDER BY c.name), '[]'::json)
     FROM custom_roles c WHERE c.organization_id = ${organizationId})`;

const OF_ORGANIZATIONS = `SELECT ${customRoleJson('c')} AS role FROM custom_roles c
  WHERE c.organization_id = ANY($1::uuid[]) ORDER BY c.name`;

const SITE_WIDE = `SELECT ${customRoleJson('c')} AS role FROM custom_roles c WHERE c.organization_id IS NULL ORDER BY c.name`;

/** The custom roles of each organization, by name. */
export async function customRolesOf(sql: Sql, organizationIds: readonly string[]): Promise<StoredCustomRole[][]> {
  const roles = (await sql.query<{ role: StoredCustomRole }>(OF_ORGANIZATIONS, [organizationIds])).map((r) => r.role);
  return organizationIds.map((id) => roles.filter((role) => role.organizationId === id));
}

/** Site-wide custom roles (organization_id null), by name. */
export async function siteCustomRoles(sql: Sql): Promise<StoredCustomRole[]> {
  return (await sql.query<{ role: StoredCustomRole }>(SITE_WIDE, [])).map((r) => r.role);
}
