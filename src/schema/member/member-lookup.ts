// One member by organization and user references: the hottest single read
// (organizationMember, Organization.member), in one statement that finds the
// organization, the user, the membership with the member's own data, and the
// organization's custom roles (for role display names).
import type { Context } from '../../context.js';
import { notFound } from '../../errors.js';
import type { Prisma } from '../../generated/prisma/client.js';
import { canReadOrganization, organizationCondition, unusableReference, userCondition } from '../organization/lookup.js';
import { organizationCustomRolesJson, type StoredCustomRole } from '../../db/custom-roles.js';
import { customRoles } from '../role/role.js';
import { canReadMember } from './member.js';
import { isOwnData, memberRow, OWN_DATA_COLUMNS, type MemberQuery, type MemberRow, type OwnDataRow } from './member-pages.js';

interface LookupRow extends Partial<OwnDataRow> {
  organization_id: string;
  custom_roles: StoredCustomRole[];
}

/**
 * The membership of the user `userRef` names in the organization
 * `organizationRef` names. The organization must be readable (NOT_FOUND
 * otherwise, as for every read by organization); an unknown user, a
 * non-member or a member the caller may not see is null.
 */
export async function readableMember(ctx: Context, organizationRef: string, userRef: string, query: MemberQuery): Promise<MemberRow | null> {
  // Decided first: it reads the whole planned query, which tells Pothos that it was used.
  const ownData = isOwnData(query);
  const organization = organizationCondition(organizationRef);
  if (!organization) throw unusableReference('organization');
  const user = userCondition(ctx, userRef);
  if (!user) throw unusableReference('user');

  const [[row], gate] = await Promise.all([
    ctx.sql.query<LookupRow>(
      `SELECT o.id AS organization_id, ${OWN_DATA_COLUMNS},
              ${organizationCustomRolesJson('o.id')} AS custom_roles
       FROM organizations o
       LEFT JOIN users u ON ${user.sql('u', 2)}
       LEFT JOIN organization_members om ON om.organization_id = o.id AND om.user_id = u.id
       WHERE ${organization.sql('o', 1)}`,
      [organization.value, user.value],
    ),
    ctx.gate(),
  ]);
  if (!row || !canReadOrganization(gate, row.organization_id)) throw notFound();
  // Loaded anyway: the members' role names need them, and later reads of this organization's roles reuse them.
  ctx.perRequest(customRoles).remember(row.organization_id, row.custom_roles);
  if (!row.user_id || !row.roles || !canReadMember(gate, row.organization_id, row.user_id)) return null;
  if (ownData) return memberRow(row.organization_id, row as OwnDataRow);
  // A selection that needs more (the organization, the whole user) is loaded by Prisma.
  const args: Prisma.OrganizationMemberFindUniqueArgs = {
    ...(query.select ? { select: query.select } : { include: query.include }),
    where: { organizationId_userId: { organizationId: row.organization_id, userId: row.user_id } },
  };
  return ctx.prisma.organizationMember.findUnique(args) as Promise<MemberRow | null>;
}
