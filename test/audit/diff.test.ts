// The audit diff in Coder's stored form, case by case after Coder's
// Test_diffValues and Test_diff (enterprise/audit/diff_internal_test.go):
// Go's field names Old/New/Secret, zero values for the side that does not
// exist, a nil slice unequal to an empty one, times as encoding/json writes them.
import { describe, expect, it } from 'vitest';
import { GO_ZERO_TIME, goTime, memberDiff, roleDiff, type AuditableMember } from '../../src/audit/diff.js';

const member: AuditableMember = {
  userId: '7c60d51f-b44e-4682-87d6-449835ea4de6',
  username: 'colin',
  createdAt: '2025-07-15T10:11:12.123456Z',
  updatedAt: '2025-07-15T10:11:12Z',
  roles: ['organization-admin'],
};
const changed = (Old: unknown, New: unknown) => ({ Old, New, Secret: false });

describe('goTime: a time as Go encodes it', () => {
  it.each([
    ['2025-07-15T10:11:12.000Z', '2025-07-15T10:11:12Z'],
    ['2025-07-15T10:11:12.100Z', '2025-07-15T10:11:12.1Z'],
    ['2025-07-15T10:11:12.120Z', '2025-07-15T10:11:12.12Z'],
    ['2025-07-15T10:11:12.123Z', '2025-07-15T10:11:12.123Z'],
    ['2025-07-15T10:11:10.000Z', '2025-07-15T10:11:10Z'],
  ])('%s → %s', (iso, go) => expect(goTime(new Date(iso))).toBe(go));
});

describe('memberDiff (database.AuditableOrganizationMember)', () => {
  it('Test_diff/Create: every tracked field against the zero value, nil roles included', () => {
    expect(memberDiff(null, { ...member, roles: [] })).toEqual({
      created_at: changed(GO_ZERO_TIME, member.createdAt),
      roles: changed(null, []),
      updated_at: changed(GO_ZERO_TIME, member.updatedAt),
      user_id: changed('', member.userId),
      username: changed('', 'colin'),
    });
  });

  it('Test_diffValues/RightEmpty: a removed member against the zero value', () => {
    expect(memberDiff(member, null)).toEqual({
      created_at: changed(member.createdAt, GO_ZERO_TIME),
      roles: changed(['organization-admin'], null),
      updated_at: changed(member.updatedAt, GO_ZERO_TIME),
      user_id: changed(member.userId, ''),
      username: changed('colin', ''),
    });
  });

  it('Test_diffValues/NoChange: nothing', () => {
    expect(memberDiff(member, { ...member, roles: [...member.roles] })).toEqual({});
  });

  it('Test_diffValues/SingleFieldChange: the roles alone, in order', () => {
    expect(memberDiff(member, { ...member, roles: ['organization-auditor', 'organization-admin'] })).toEqual({
      roles: changed(['organization-admin'], ['organization-auditor', 'organization-admin']),
    });
    expect(memberDiff({ ...member, roles: ['a', 'b'] }, { ...member, roles: ['b', 'a'] })).toEqual({
      roles: changed(['a', 'b'], ['b', 'a']),
    });
  });

  it('leaves organization_id out: it never changes (ActionIgnore)', () => {
    expect(Object.keys(memberDiff(null, member))).not.toContain('organization_id');
  });
});

describe('roleDiff (database.CustomRole)', () => {
  const role = {
    name: 'release-manager',
    displayName: 'Release Manager',
    sitePermissions: [],
    orgPermissions: [
      { negate: false, resource_type: 'template', action: 'read' },
      { negate: true, resource_type: 'workspace', action: 'ssh' },
    ],
    userPermissions: [],
  };

  it('Test_diff/Create: permissions as CustomRolePermission.String(), empty lists left out as unchanged', () => {
    expect(roleDiff(null, role)).toEqual({
      name: changed('', 'release-manager'),
      display_name: changed('', 'Release Manager'),
      org_permissions: changed([], ['template.read', '-workspace.ssh']),
    });
  });

  it('leaves out an unchanged display name, and id, organization_id and the timestamps (ActionIgnore)', () => {
    expect(roleDiff(role, { ...role, orgPermissions: [] })).toEqual({
      org_permissions: changed(['template.read', '-workspace.ssh'], []),
    });
  });

  it('Test_diffValues/RightEmpty: a deleted role against the zero value', () => {
    expect(roleDiff({ ...role, displayName: '' }, null)).toEqual({
      name: changed('release-manager', ''),
      org_permissions: changed(['template.read', '-workspace.ssh'], []),
    });
  });
});
