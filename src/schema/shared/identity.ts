// The `id` of each type a client may see twice, so that Apollo Client's and
// urql graphcache's default normalisation (`__typename` + `id`) keeps one
// copy of it, which every mutation that returns it brings up to date (SPEC C).
// Each is derived from what identifies the thing in Coder, never from a row id:
// a role deleted and created again under its name is the same role to a cache.
import type { Permission } from '../../rbac/index.js';

/** `<organizationId>:<userId>`: one per membership, the same after the member is removed and added again. */
export const memberId = (organizationId: string, userId: string) => `${organizationId}:${userId}`;

/** `<organizationId>:<name>` for an organization role, `site:<name>` for a site role; built-in roles too. */
export const roleId = (organizationId: string | null, name: string) => `${organizationId ?? 'site'}:${name}`;

/** `<resource>:<action>`, with a leading `-` when negated: a permission is a value, named by its content. */
export const permissionId = ({ resourceType, action, negate }: Permission) =>
  `${negate ? '-' : ''}${resourceType}:${action}`;

/** A page of `paginatedOrganizationMembers`: `<organizationId>:<limit>:<offset>`. */
export const memberPageId = (organizationId: string, limit: number, offset: number) =>
  `${organizationId}:${limit}:${offset}`;
