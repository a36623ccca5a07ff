// The read decisions of src/schema/*/*.policy.ts without a database: who
// sees an organization, its members, a user, the roles and the audit trail.
import { randomUUID } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { auditLogReading } from '../../src/schema/audit/audit.policy.js';
import {
  everyMemberReading,
  memberPageReading,
  memberReading,
  memberVisibility,
} from '../../src/schema/member/member.policy.js';
import { canReadOrganization, organizationReading } from '../../src/schema/organization/organization.policy.js';
import { organizationRolesReading, siteRolesReading, withAssignability } from '../../src/schema/role/role.policy.js';
import { canReadUser, userReading } from '../../src/schema/user/user.policy.js';
import { callers, gateOf, ORG, OTHER_ORG, summary } from './gates.js';

const c = callers();
const all = Object.entries(c);
/** The callers a decision allows, by name. */
const allowedBy = (decide: (gate: (typeof c)['owner']) => boolean) =>
  all.filter(([, gate]) => decide(gate)).map(([name]) => name);

describe('canReadOrganization', () => {
  it('lets site readers and the organization members read it; an outsider does not', () => {
    expect(allowedBy((gate) => canReadOrganization(gate, ORG))).toEqual([
      'owner',
      'siteAuditor',
      'siteUserAdmin',
      'admin',
      'userAdmin',
      'auditor',
      'member',
    ]);
  });
});

describe('organizationReading', () => {
  it('gives back a readable organization; none and a hidden one are both NOT_FOUND, unrecorded', () => {
    const organization = { id: ORG, name: 'acme' };
    expect(organizationReading(c.member, organization)).toEqual({ allowed: true, value: organization });
    expect(summary(organizationReading(c.outsider, organization))).toEqual(['NOT_FOUND', 'unrecorded']);
    expect(summary(organizationReading(c.owner, undefined))).toEqual(['NOT_FOUND', 'unrecorded']);
  });
});

describe('memberVisibility', () => {
  it('is every member for admins and auditors, only itself for a plain member, nothing for an outsider', () => {
    expect(memberVisibility(c.admin, ORG)).toEqual({ onlyUserId: null });
    expect(memberVisibility(c.auditor, ORG)).toEqual({ onlyUserId: null });
    expect(memberVisibility(c.member, ORG)).toEqual({ onlyUserId: c.member.userId });
    expect(memberVisibility(c.outsider, ORG)).toBeUndefined();
  });
});

describe('everyMemberReading and memberPageReading', () => {
  const page = { organization: { id: ORG }, rows: [] };

  it('allow those who may read every member, giving back the page', () => {
    expect(allowedBy((gate) => everyMemberReading(gate, ORG).allowed)).toEqual(
      allowedBy((gate) => memberPageReading(gate, page).allowed),
    );
    expect(memberPageReading(c.admin, page)).toEqual({ allowed: true, value: page });
  });

  it('refuse a plain member, an outsider and a missing organization alike: NOT_FOUND, unrecorded', () => {
    for (const gate of [c.member, c.outsider]) {
      expect(summary(everyMemberReading(gate, ORG))).toEqual(['NOT_FOUND', 'unrecorded']);
      expect(summary(memberPageReading(gate, page))).toEqual(['NOT_FOUND', 'unrecorded']);
    }
    expect(summary(memberPageReading(c.owner, undefined))).toEqual(['NOT_FOUND', 'unrecorded']);
  });
});

describe('memberReading', () => {
  const member = { organizationId: ORG, userId: randomUUID() };

  it('gives the member to those who may see it, null to others in the organization', () => {
    expect(memberReading(c.admin, ORG, member)).toEqual({ allowed: true, value: member });
    expect(memberReading(c.member, ORG, member)).toEqual({ allowed: true, value: null });
    expect(memberReading(c.member, ORG, { organizationId: ORG, userId: c.member.userId })).toEqual({
      allowed: true,
      value: { organizationId: ORG, userId: c.member.userId },
    });
    expect(memberReading(c.owner, ORG, undefined)).toEqual({ allowed: true, value: null });
  });

  it('is NOT_FOUND when the organization is missing or hidden', () => {
    expect(summary(memberReading(c.owner, undefined, member))).toEqual(['NOT_FOUND', 'unrecorded']);
    expect(summary(memberReading(c.outsider, ORG, member))).toEqual(['NOT_FOUND', 'unrecorded']);
  });
});

describe('canReadUser', () => {
  it('lets everyone read itself; site readers and organization admins read anyone; members and auditors do not', () => {
    for (const [, gate] of all) expect(canReadUser(gate, gate.userId)).toBe(true);
    expect(allowedBy((gate) => canReadUser(gate, randomUUID()))).toEqual([
      'owner',
      'siteAuditor',
      'siteUserAdmin',
      'admin',
      'userAdmin',
      'outsider',
    ]);
  });
});

describe('userReading', () => {
  it('gives back a readable user; none and a hidden one are both NOT_FOUND, unrecorded', () => {
    const user = { id: randomUUID(), username: 'someone' };
    expect(userReading(c.owner, user)).toEqual({ allowed: true, value: user });
    expect(summary(userReading(c.member, user))).toEqual(['NOT_FOUND', 'unrecorded']);
    expect(summary(userReading(c.owner, undefined))).toEqual(['NOT_FOUND', 'unrecorded']);
  });
});

describe('organizationRolesReading and siteRolesReading', () => {
  it('NOT_FOUND, unrecorded, for those who may not read the roles', () => {
    expect(summary(organizationRolesReading(c.outsider, ORG))).toEqual(['NOT_FOUND', 'unrecorded']);
    expect(organizationRolesReading(c.admin, ORG).allowed).toBe(true);
    expect(organizationRolesReading(c.outsider, OTHER_ORG).allowed).toBe(true);
    expect(siteRolesReading(c.owner).allowed).toBe(true);
  });

  it('organization roles: anyone in the organization or reading the site; site roles: everyone', () => {
    const inOrg = ['owner', 'siteAuditor', 'siteUserAdmin', 'admin', 'userAdmin', 'auditor', 'member'];
    expect(allowedBy((gate) => organizationRolesReading(gate, ORG).allowed)).toEqual(inOrg);
    expect(allowedBy((gate) => siteRolesReading(gate).allowed)).toEqual([...inOrg, 'outsider']);
  });
});

describe('withAssignability', () => {
  it('marks each role with whether the caller may assign it, keeping its other fields', () => {
    const roles = [
      { name: 'organization-admin', builtIn: true },
      { name: 'organization-auditor', builtIn: true },
    ];
    expect(withAssignability(c.owner, roles, ORG).map((r) => r.assignable)).toEqual([true, true]);
    expect(withAssignability(c.userAdmin, roles, ORG)).toEqual([
      { name: 'organization-admin', builtIn: true, assignable: false },
      { name: 'organization-auditor', builtIn: true, assignable: false },
    ]);
    expect(withAssignability(c.owner, [{ name: 'auditor' }], null)).toEqual([{ name: 'auditor', assignable: true }]);
    expect(withAssignability(gateOf(), [{ name: 'auditor' }], null)).toEqual([{ name: 'auditor', assignable: false }]);
  });
});

describe('auditLogReading', () => {
  it('allows owners, site and organization auditors and organization admins; others NOT_FOUND, unrecorded', () => {
    expect(allowedBy((gate) => auditLogReading(gate, ORG).allowed)).toEqual([
      'owner',
      'siteAuditor',
      'admin',
      'auditor',
    ]);
    expect(summary(auditLogReading(c.member, ORG))).toEqual(['NOT_FOUND', 'unrecorded']);
  });
});
