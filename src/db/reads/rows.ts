// The rows every read returns, and how statements encode them. A row carries
// every column the API can show of its table and none it cannot (no password
// hash, no one-time passcode), so whatever a document selects of a user, a
// member or an organization is answered from the row that was read, never by a
// second statement for more columns.
//
// Statements that return many rows encode each as a JSON array (a tuple) in
// the order below: PostgreSQL builds it and the gateway parses it for less
// than an object with a key per value, or the driver's per-column parsers.
// Timestamps travel as epoch milliseconds: `new Date(ms)` is far cheaper than
// parsing timestamp text on a long member list.

export type UserStatus = 'active' | 'dormant' | 'suspended';

export interface UserRow {
  id: string;
  username: string;
  name: string;
  email: string;
  avatarUrl: string;
  status: UserStatus;
  /** Site roles as stored (bare names). */
  rbacRoles: string[];
  createdAt: Date;
  updatedAt: Date;
  lastSeenAt: Date;
}

export interface OrganizationRow {
  id: string;
  name: string;
  displayName: string;
  description: string;
  icon: string;
  isDefault: boolean;
  createdAt: Date;
  updatedAt: Date;
}

export interface MemberRow {
  organizationId: string;
  userId: string;
  /** Organization roles as stored (bare names, the implicit organization-member not among them). */
  roles: string[];
  createdAt: Date;
  updatedAt: Date;
  user: UserRow;
}

/**
 * A timestamp with time zone as epoch milliseconds. date_part is float8 and
 * several times cheaper than extract's numeric; rounding to whole
 * microseconds first makes the floor exact (a float8 product can land a hair
 * under a whole millisecond), for any timestamp between the years 1685 and
 * 2255, beyond which microseconds no longer fit a float8's mantissa.
 */
export const epochMs = (column: string) => `floor(round(date_part('epoch', ${column}) * 1e6) / 1000)`;

/** `users.last_seen_at` is a timestamp without time zone kept in UTC, as Coder writes it. */
export const USER_TUPLE = (u: string) =>
  `json_build_array(${u}.id, ${u}.username, ${u}.name, ${u}.email, ${u}.avatar_url, ${u}.status, ${u}.rbac_roles,
    ${epochMs(`${u}.created_at`)}, ${epochMs(`${u}.updated_at`)}, ${epochMs(`${u}.last_seen_at AT TIME ZONE 'UTC'`)})`;

export type UserTuple = [
  id: string,
  username: string,
  name: string,
  email: string,
  avatarUrl: string,
  status: UserStatus,
  rbacRoles: string[],
  createdMs: number,
  updatedMs: number,
  lastSeenMs: number,
];

export const userFromTuple = ([
  id,
  username,
  name,
  email,
  avatarUrl,
  status,
  rbacRoles,
  createdMs,
  updatedMs,
  lastSeenMs,
]: UserTuple): UserRow => ({
  id,
  username,
  name,
  email,
  avatarUrl,
  status,
  rbacRoles,
  createdAt: new Date(createdMs),
  updatedAt: new Date(updatedMs),
  lastSeenAt: new Date(lastSeenMs),
});

export const ORGANIZATION_TUPLE = (o: string) =>
  `json_build_array(${o}.id, ${o}.name, ${o}.display_name, ${o}.description, ${o}.icon, ${o}.is_default,
    ${epochMs(`${o}.created_at`)}, ${epochMs(`${o}.updated_at`)})`;

export type OrganizationTuple = [
  id: string,
  name: string,
  displayName: string,
  description: string,
  icon: string,
  isDefault: boolean,
  createdMs: number,
  updatedMs: number,
];

export const organizationFromTuple = ([
  id,
  name,
  displayName,
  description,
  icon,
  isDefault,
  createdMs,
  updatedMs,
]: OrganizationTuple): OrganizationRow => ({
  id,
  name,
  displayName,
  description,
  icon,
  isDefault,
  createdAt: new Date(createdMs),
  updatedAt: new Date(updatedMs),
});

/** The columns a member's tuple is built from: the membership's, then its user's. */
export const MEMBER_COLUMNS = {
  om: ['roles', 'created_at', 'updated_at'],
  u: [
    'id',
    'username',
    'name',
    'email',
    'avatar_url',
    'status',
    'rbac_roles',
    'created_at',
    'updated_at',
    'last_seen_at',
  ],
} as const;

type MemberColumn = (table: keyof typeof MEMBER_COLUMNS, column: string) => string;

/**
 * A membership with its user: the membership's own columns, then the user's
 * tuple's. `column` names each column where the statement has it: `om.roles`
 * from the tables, or a subquery's own names for them.
 */
export const memberTupleOf = (column: MemberColumn) => {
  const [om, u] = [(c: string) => column('om', c), (c: string) => column('u', c)];
  return `json_build_array(${om('roles')}, ${epochMs(om('created_at'))}, ${epochMs(om('updated_at'))},
    ${u('id')}, ${u('username')}, ${u('name')}, ${u('email')}, ${u('avatar_url')}, ${u('status')}, ${u('rbac_roles')},
    ${epochMs(u('created_at'))}, ${epochMs(u('updated_at'))}, ${epochMs(`${u('last_seen_at')} AT TIME ZONE 'UTC'`)})`;
};

/** A membership `om` with its user `u`. */
export const MEMBER_TUPLE = (om: string, u: string) =>
  memberTupleOf((table, column) => `${table === 'om' ? om : u}.${column}`);

export type MemberTuple = [roles: string[], createdMs: number, updatedMs: number, ...user: UserTuple];

export function memberFromTuple(organizationId: string, t: MemberTuple): MemberRow {
  return {
    organizationId,
    userId: t[3],
    roles: t[0],
    createdAt: new Date(t[1]),
    updatedAt: new Date(t[2]),
    user: {
      id: t[3],
      username: t[4],
      name: t[5],
      email: t[6],
      avatarUrl: t[7],
      status: t[8],
      rbacRoles: t[9],
      createdAt: new Date(t[10]),
      updatedAt: new Date(t[11]),
      lastSeenAt: new Date(t[12]),
    },
  };
}
