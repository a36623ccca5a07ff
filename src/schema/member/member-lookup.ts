// One member by organization and user references: the hottest single read
// (organizationMember, Organization.member), in one statement that finds the
// organization, the user, the membership with the member's own data, and the
// display names of the member's custom roles.
import { queryFromInfo } from '@pothos/plugin-prisma';
import type { GraphQLResolveInfo } from 'graphql';
import type { Context } from '../../context.js';
import { notFound } from '../../errors.js';
import type { Prisma } from '../../generated/prisma/client.js';
import { selectsField } from '../shared/selection.js';
import {
  canReadOrganization,
  organizationCondition,
  statementPerForm,
  unusableReference,
  userCondition,
  type Condition,
} from '../organization/lookup.js';
import { customRoles } from '../role/role.js';
import { canReadMember } from './member.js';
import type { MemberQuery, MemberRow } from './member-pages.js';

/** A member's own data, which is all most selections need. */
interface OwnDataRow {
  user_id: string;
  roles: string[];
  /** Epoch milliseconds. */
  created_ms: number;
  updated_ms: number;
  username: string;
  name: string;
  email: string;
  avatar_url: string;
  rbac_roles: string[];
}

/** The member's own data (membership `om`, user `u`); timestamps as epoch milliseconds, as the pages give them. */
const OWN_DATA_COLUMNS = `u.id AS user_id, om.roles,
  floor(extract(epoch FROM om.created_at) * 1000)::float8 AS created_ms,
  floor(extract(epoch FROM om.updated_at) * 1000)::float8 AS updated_ms,
  u.username, u.name, u.email, u.avatar_url, u.rbac_roles`;

interface LookupRow extends Partial<OwnDataRow> {
  organization_id: string;
  /** The display names of those of `roles` that are custom roles of the organization, by name; null if none is. */
  custom_role_names: Record<string, string> | null;
}

/**
 * Only the member's own roles are looked up, not the organization's whole
 * list with its permissions: with that list, PostgreSQL spent about 115 µs
 * of CPU on the statement rather than 85 (the bench's data, prepared).
 */
const lookupStatement = statementPerForm(
  (organization: Condition, user: Condition) => `SELECT o.id AS organization_id, ${OWN_DATA_COLUMNS},
         (SELECT json_object_agg(c.name, c.display_name) FROM custom_roles c
           WHERE c.organization_id = o.id AND c.name = ANY(om.roles)) AS custom_role_names
       FROM organizations o
       LEFT JOIN users u ON ${user.sql('u', 2)}
       LEFT JOIN organization_members om ON om.organization_id = o.id AND om.user_id = u.id
       WHERE ${organization.sql('o', 1)}`,
);

/**
 * The membership of the user `userRef` names in the organization
 * `organizationRef` names. The organization must be readable (NOT_FOUND
 * otherwise, as for every read by organization); an unknown user, a
 * non-member or a member the caller may not see is null.
 */
export async function readableMember(
  ctx: Context,
  organizationRef: string,
  userRef: string,
  info: GraphQLResolveInfo,
): Promise<MemberRow | null> {
  const organization = organizationCondition(organizationRef);
  if (!organization) throw unusableReference('organization', organizationRef);
  const user = userCondition(ctx, userRef);
  if (!user) throw unusableReference('user', userRef);

  const [[row], gate] = await Promise.all([
    ctx.sql.query<LookupRow>(lookupStatement(organization, user), [organization.value, user.value]),
    ctx.gate(),
  ]);
  if (!row || !canReadOrganization(gate, row.organization_id)) throw notFound();
  if (!row.user_id || !row.roles || !canReadMember(gate, row.organization_id, row.user_id)) return null;
  ctx.perRequest(customRoles).rememberDisplayNames(row.organization_id, row.roles, row.custom_role_names ?? {});
  if (!selectsRelation(info)) return memberRow(row.organization_id, row as OwnDataRow);
  // A selection that needs more (the organization, the whole user) is loaded by Prisma, as Pothos plans it.
  const query: MemberQuery = queryFromInfo({ context: ctx, info });
  const args: Prisma.OrganizationMemberFindUniqueArgs = {
    ...(query.select ? { select: query.select } : { include: query.include }),
    where: { organizationId_userId: { organizationId: row.organization_id, userId: row.user_id } },
  };
  return ctx.prisma.organizationMember.findUnique(args) as Promise<MemberRow | null>;
}

function memberRow(organizationId: string, row: OwnDataRow): MemberRow {
  return {
    organizationId,
    userId: row.user_id,
    roles: row.roles,
    createdAt: new Date(row.created_ms),
    updatedAt: new Date(row.updated_ms),
    user: {
      username: row.username,
      name: row.name,
      email: row.email,
      avatarUrl: row.avatar_url,
      rbacRoles: row.rbac_roles,
    },
  };
}

/**
 * Whether the selection reaches past the member's own data into its
 * organization or its whole user. Asked of the query document rather than of
 * Pothos's planned query: planning it was a tenth of the gateway's CPU for
 * this read (npm run bench, (c)), and most selections need no plan.
 */
const selectsRelation = (info: GraphQLResolveInfo) => selectsField(info, 'organization') || selectsField(info, 'user');
