// One membership by organization and user references, and every membership of
// some users, by id or with the users that references name. (Pages of an
// organization's members are in member-pages.ts.)
import type { OrganizationRef, UserRef } from '../references.js';
import type { Sql } from '../sql.js';
import { organizationByRefLateral, organizationRefParameters } from './organizations.js';
import {
  MEMBER_TUPLE,
  epochMs,
  ORGANIZATION_TUPLE,
  memberFromTuple,
  organizationFromTuple,
  type MemberRow,
  type MemberTuple,
  type OrganizationRow,
  type OrganizationTuple,
  USER_TUPLE,
  userFromTuple,
  type UserRow,
  type UserTuple,
} from './rows.js';
import { USERS_BY_REF, userByRefLateral, userRefParameters } from './users.js';

export interface MemberLookup {
  organization: OrganizationRef;
  user: UserRef;
}

export interface MemberFound {
  /** The organization the reference names; undefined if none. */
  organization: OrganizationRow | undefined;
  /** The membership, with its user; undefined if the user does not exist or is no member. */
  member: MemberRow | undefined;
  /** The display names of the member's roles that are custom roles of the organization, by name. */
  customRoleNames: Record<string, string>;
  /**
   * The member is a system user (Coder's own accounts, such as `prebuilds`): reads leave such memberships out,
   * as Coder's do, while a write still finds them to refuse them as Coder does.
   */
  systemUser: boolean;
}

/**
 * Every lookup finds its organization, its user and the membership in one
 * statement, with the display names of the member's own custom roles (not the
 * organization's whole list, which costs more to build than the member).
 */
const LOOKUPS = `unnest($1::uuid[], $2::text[], $3::boolean[], $4::uuid[], $5::text[])
  WITH ORDINALITY AS p(org_id, org_name, org_default, user_id, username, ord)`;

/**
 * The display names of the custom roles among membership `om`'s roles, by name. Coder's `custom_roles` has no
 * index these can use, so each is a scan of the table: most members hold no role at all, and skip it.
 */
const customRoleDisplayNames = (organizationId: string) => `CASE WHEN cardinality(om.roles) > 0 THEN
    (SELECT json_object_agg(c.name, c.display_name) FROM custom_roles c
      WHERE c.organization_id = ${organizationId} AND c.name = ANY(om.roles)) END`;

/** The membership of user `u` in organization `o` (`om`), and its custom roles' display names. */
const MEMBER_COLUMNS = (o: string) => `
  CASE WHEN om.user_id IS NOT NULL THEN ${MEMBER_TUPLE('om', 'u')} END AS member, u.is_system AS system_user,
  ${customRoleDisplayNames(`${o}.id`)} AS custom_role_names`;

const LOOKUP_ONE = `
  SELECT p.ord, p.ord AS ref, ${ORGANIZATION_TUPLE('o')} AS organization, ${MEMBER_COLUMNS('o')}
  FROM ${LOOKUPS}
  CROSS JOIN LATERAL (${organizationByRefLateral('p')}) o
  LEFT JOIN LATERAL (${userByRefLateral('p')}) u ON true
  LEFT JOIN organization_members om ON om.organization_id = o.id AND om.user_id = u.id`;

/**
 * The same for a batch, where each distinct organization reference is looked
 * up and written once, on the row of its first lookup: a federation router's
 * batch of a thousand members of one organization would otherwise look it up
 * and send it a thousand times. For one lookup, LOOKUP_ONE is cheaper.
 */
const LOOKUP_BATCH = `
  WITH p AS MATERIALIZED (
    SELECT p.*, dense_rank() OVER (ORDER BY p.org_id, p.org_name, p.org_default) AS ref FROM ${LOOKUPS}),
  refs AS (SELECT DISTINCT ON (ref) ref, org_id, org_name, org_default, ord AS first_ord FROM p ORDER BY ref, ord),
  orgs AS MATERIALIZED (
    SELECT refs.ref, refs.first_ord, o.id, ${ORGANIZATION_TUPLE('o')} AS organization
    FROM refs CROSS JOIN LATERAL (${organizationByRefLateral('refs')}) o)
  SELECT p.ord, p.ref, CASE WHEN p.ord = orgs.first_ord THEN orgs.organization END AS organization,
    ${MEMBER_COLUMNS('orgs')}
  FROM p
  JOIN orgs ON orgs.ref = p.ref
  LEFT JOIN LATERAL (${userByRefLateral('p')}) u ON true
  -- A lookup by key per row (LIMIT keeps the planner from flattening it into a hash of every membership).
  LEFT JOIN LATERAL (SELECT * FROM organization_members om
    WHERE om.organization_id = orgs.id AND om.user_id = u.id LIMIT 1) om ON true`;

export async function lookUpMembers(sql: Sql, lookups: readonly MemberLookup[]): Promise<MemberFound[]> {
  const rows = await sql.query<{
    ord: string | number;
    ref: string | number;
    organization: OrganizationTuple | null;
    member: MemberTuple | null;
    custom_role_names: Record<string, string> | null;
    system_user: boolean | null;
  }>(lookups.length > 1 ? LOOKUP_BATCH : LOOKUP_ONE, [
    ...organizationRefParameters(lookups.map((l) => l.organization)),
    ...userRefParameters(lookups.map((l) => l.user)),
  ]);
  const organizations = new Map<string, OrganizationRow>();
  for (const row of rows)
    if (row.organization) organizations.set(String(row.ref), organizationFromTuple(row.organization));
  const found: MemberFound[] = lookups.map(() => ({
    organization: undefined,
    member: undefined,
    customRoleNames: {},
    systemUser: false,
  }));
  for (const row of rows) {
    const organization = organizations.get(String(row.ref))!;
    found[Number(row.ord) - 1] = {
      organization,
      member: row.member ? memberFromTuple(organization.id, row.member) : undefined,
      customRoleNames: row.custom_role_names ?? {},
      systemUser: row.system_user === true,
    };
  }
  return found;
}

export interface Membership {
  organization: OrganizationRow;
  roles: string[];
  createdAt: Date;
  updatedAt: Date;
  /** The display names of those of `roles` that are custom roles of the organization, by name. */
  customRoleNames: Record<string, string>;
}

/** A membership of `om` in the live organization `o`, with the display names of its custom roles. */
const MEMBERSHIP_TUPLE = `json_build_array(${ORGANIZATION_TUPLE('o')}, om.roles,
    ${epochMs('om.created_at')}, ${epochMs('om.updated_at')},
    ${customRoleDisplayNames('o.id')})`;

/** Memberships `om` of live organizations `o`. */
const LIVE_MEMBERSHIPS = `organization_members om
  JOIN organizations o ON o.id = om.organization_id AND NOT o.deleted`;

type MembershipTuple = [OrganizationTuple, string[], number, number, Record<string, string> | null];

const membershipsFromTuples = (tuples: readonly MembershipTuple[] | null): Membership[] =>
  (tuples ?? []).map(([organization, roles, createdMs, updatedMs, customRoleNames]) => ({
    organization: organizationFromTuple(organization),
    roles,
    createdAt: new Date(createdMs),
    updatedAt: new Date(updatedMs),
    customRoleNames: customRoleNames ?? {},
  }));

/** A user's memberships, and whether the user is a system user (whose memberships lookups leave out). */
export interface UserMemberships {
  memberships: Membership[];
  systemUser: boolean;
}

/**
 * `m`: the memberships of the users `users` names (a condition on `om.user_id`), at most `limit` in all, each with
 * what `MEMBERSHIPS_OF_M` orders them by.
 */
const limitedMemberships = (users: string, limit: string) => `m AS (
    SELECT om.user_id, ${MEMBERSHIP_TUPLE} AS membership, o.name, o.id
    FROM ${LIVE_MEMBERSHIPS}
    WHERE om.user_id ${users}
    LIMIT ${limit})`;

/** A user's memberships of `m`, by organization name. */
const MEMBERSHIPS_OF_M = 'json_agg(m.membership ORDER BY m.name, m.id)';

/**
 * Each user's memberships of live organizations, by organization name, with the organizations; at most $2 of them
 * in all (NULL: no limit).
 */
const MEMBERSHIPS = `
  WITH ${limitedMemberships('= ANY($1::uuid[])', '$2')}
  SELECT m.user_id, (SELECT u.is_system FROM users u WHERE u.id = m.user_id) AS system_user,
    ${MEMBERSHIPS_OF_M} AS memberships
  FROM m
  GROUP BY m.user_id`;

/** The LIMIT parameter of a read of at most `atMost` rows: one more, which tells that there were more. */
const limitOf = (atMost: number | null) => (atMost === null ? null : atMost + 1);

/** What a read of at most `atMost` memberships read: how many, and whether it found more (its `limitOf` rows). */
export interface LimitedRead {
  membershipsRead: number;
  /** More than `atMost` were found: the answer holds some of them only. */
  overLimit: boolean;
}

function limitedRead(rows: readonly { memberships: readonly unknown[] | null }[], atMost: number | null): LimitedRead {
  const membershipsRead = rows.reduce((sum, row) => sum + (row.memberships?.length ?? 0), 0);
  return { membershipsRead, overLimit: atMost !== null && membershipsRead > atMost };
}

export interface MembershipsOfUsers extends LimitedRead {
  byUser: Map<string, UserMemberships>;
}

/**
 * The memberships of `userIds`, at most `atMost` in all: a user has as many as the site has organizations, so a
 * level of thousands of users could otherwise read millions at once.
 */
export async function membershipsOfUsers(
  sql: Sql,
  userIds: readonly string[],
  atMost: number | null = null,
): Promise<MembershipsOfUsers> {
  const rows = await sql.query<{ user_id: string; system_user: boolean | null; memberships: MembershipTuple[] }>(
    MEMBERSHIPS,
    [userIds, limitOf(atMost)],
  );
  return {
    byUser: new Map(
      rows.map((row) => [
        row.user_id,
        { memberships: membershipsFromTuples(row.memberships), systemUser: row.system_user === true },
      ]),
    ),
    ...limitedRead(rows, atMost),
  };
}

/**
 * The user each reference names with its memberships (as membershipsOfUsers gives them), in one statement; at
 * most $3 memberships in all (NULL: no limit). The materialized users keep what their select list names: their
 * tuple, not the whole row (secrets included).
 */
const USERS_WITH_MEMBERSHIPS = `
  WITH u AS MATERIALIZED (SELECT p.ord, u.id, u.is_system, ${USER_TUPLE('u')} AS tuple FROM ${USERS_BY_REF}),
  ${limitedMemberships('IN (SELECT id FROM u)', '$3')},
  by_user AS (SELECT m.user_id, ${MEMBERSHIPS_OF_M} AS memberships FROM m GROUP BY m.user_id)
  SELECT u.ord, u.tuple AS user, u.is_system AS system_user, by_user.memberships
  FROM u LEFT JOIN by_user ON by_user.user_id = u.id`;

export interface UserWithMemberships extends UserMemberships {
  user: UserRow;
}

/**
 * The user each reference names, in order, with its memberships; undefined where none. At most `atMost`
 * memberships in all, as membershipsOfUsers reads them (`overLimit` when there were more).
 */
export async function usersWithMembershipsByRef(
  sql: Sql,
  refs: readonly UserRef[],
  atMost: number | null = null,
): Promise<{ found: (UserWithMemberships | undefined)[] } & LimitedRead> {
  const rows = await sql.query<{
    ord: string | number;
    user: UserTuple;
    system_user: boolean;
    memberships: MembershipTuple[] | null;
  }>(USERS_WITH_MEMBERSHIPS, [...userRefParameters(refs), limitOf(atMost)]);
  const found: (UserWithMemberships | undefined)[] = refs.map(() => undefined);
  for (const row of rows) {
    found[Number(row.ord) - 1] = {
      user: userFromTuple(row.user),
      memberships: membershipsFromTuples(row.memberships),
      systemUser: row.system_user === true,
    };
  }
  return { found, ...limitedRead(rows, atMost) };
}
