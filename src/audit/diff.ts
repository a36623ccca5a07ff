// Audit diffs in the form Coder stores them (enterprise/audit/diff.go at the
// reference commit): a JSON object keyed by the changed field's JSON name,
// each value `{"Old": …, "New": …, "Secret": false}` (Go's field names, as
// coderd/audit.OldNew has no JSON tags). A created resource is diffed against
// Go's zero value of its type, a deleted one against it the other way; values
// are compared as Go's reflect.DeepEqual would, so a nil slice (the zero
// value) differs from an empty one (what the database returns).

/** One changed field. No field of the two audited types is secret, so `Secret` is always false. */
export interface OldNew {
  Old: unknown;
  New: unknown;
  Secret: false;
}

export type AuditDiff = Record<string, OldNew>;

/** A Go time as encoding/json writes it: RFC 3339 with trailing zeros of the fraction dropped. */
export type GoTime = string;

/** Go's zero time.Time, as encoding/json writes it. */
export const GO_ZERO_TIME: GoTime = '0001-01-01T00:00:00Z';

/** A JavaScript date (millisecond precision) as Go writes the same instant in UTC. */
export function goTime(date: Date): GoTime {
  return date.toISOString().replace(/\.?0*Z$/, 'Z');
}

/**
 * database.AuditableOrganizationMember's tracked fields (enterprise/audit/table.go):
 * username, user_id, created_at, updated_at and roles; organization_id is ignored.
 */
export interface AuditableMember {
  userId: string;
  username: string;
  createdAt: GoTime;
  updatedAt: GoTime;
  roles: string[];
}

/** database.CustomRole's tracked fields: name, display_name and the three permission lists. */
export interface AuditableRole {
  name: string;
  displayName: string;
  sitePermissions: StoredPermission[];
  orgPermissions: StoredPermission[];
  userPermissions: StoredPermission[];
}

/** A permission as `custom_roles` stores it. */
export interface StoredPermission {
  negate?: boolean;
  resource_type: string;
  action: string;
}

/** `null` stands for Go's zero value: the member before it was added, or after it was removed. */
export function memberDiff(before: AuditableMember | null, after: AuditableMember | null): AuditDiff {
  const fields = (m: AuditableMember | null) => ({
    created_at: m?.createdAt ?? GO_ZERO_TIME,
    roles: m ? m.roles : null,
    updated_at: m?.updatedAt ?? GO_ZERO_TIME,
    user_id: m?.userId ?? '',
    username: m?.username ?? '',
  });
  return diffFields(fields(before), fields(after));
}

/** `null` stands for Go's zero value: the role before it was created, or after it was deleted. */
export function roleDiff(before: AuditableRole | null, after: AuditableRole | null): AuditDiff {
  // Coder diffs permission lists as strings ("template.read", "-workspace.ssh"), a zero list as [].
  const permissions = (list: StoredPermission[] | undefined) =>
    (list ?? []).map((p) => `${p.negate ? '-' : ''}${p.resource_type}.${p.action}`);
  const fields = (r: AuditableRole | null) => ({
    display_name: r?.displayName ?? '',
    name: r?.name ?? '',
    org_permissions: permissions(r?.orgPermissions),
    site_permissions: permissions(r?.sitePermissions),
    user_permissions: permissions(r?.userPermissions),
  });
  return diffFields(fields(before), fields(after));
}

function diffFields<T extends Record<string, unknown>>(before: T, after: T): AuditDiff {
  const diff: AuditDiff = {};
  for (const key of Object.keys(after)) {
    if (!deepEqual(before[key], after[key])) diff[key] = { Old: before[key], New: after[key], Secret: false };
  }
  return diff;
}

/** reflect.DeepEqual for the values above: strings, and string slices where nil is not empty. */
function deepEqual(a: unknown, b: unknown): boolean {
  if (Array.isArray(a) && Array.isArray(b)) return a.length === b.length && a.every((item, i) => item === b[i]);
  return a === b;
}
