// src/schema/member/member.policy.ts without a database: who may add,
// remove and change the roles of members, in SPEC D's order, and which
// refusals Coder's audit trail records.
import { randomUUID } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import {
  memberAddition,
  memberRemoval,
  memberRoleChange,
  type MemberFacts,
} from '../../src/schema/member/member.policy.js';
import { callers, gateOf, ORG, summary } from './gates.js';

const c = callers();
const someone = (extra: Partial<MemberFacts> = {}): MemberFacts => ({
  organizationId: ORG,
  userId: randomUUID(),
  isSystem: false,
  roles: [],
  ...extra,
});
const noCustomRoles = new Set<string>();

describe('memberAddition', () => {
  const user = { id: randomUUID(), username: 'newcomer' };

  it('allows owners, organization admins and user admins, and gives back the user', () => {
    for (const gate of [c.owner, c.admin, c.userAdmin, c.siteUserAdmin]) {
      expect(memberAddition(gate, ORG, user)).toEqual({ allowed: true, value: user });
    }
  });

  it('is BAD_USER_INPUT for no user or one the caller cannot read, then NOT_FOUND without the right; never recorded', () => {
    expect(summary(memberAddition(c.owner, ORG, null))).toEqual(['BAD_USER_INPUT', 'unrecorded']);
    expect(summary(memberAddition(c.member, ORG, user))).toEqual(['BAD_USER_INPUT', 'unrecorded']);
    expect(summary(memberAddition(c.siteAuditor, ORG, user))).toEqual(['NOT_FOUND', 'unrecorded']);
    expect(summary(memberAddition(c.outsider, ORG, user))).toEqual(['NOT_FOUND', 'unrecorded']);
  });
});

describe('memberRemoval', () => {
  it('allows those who may delete memberships', () => {
    for (const gate of [c.owner, c.admin, c.userAdmin, c.siteUserAdmin]) {
      expect(memberRemoval(gate, someone())).toEqual({ allowed: true, value: undefined });
    }
  });

  it('hides a membership the caller cannot see: NOT_FOUND, not recorded', () => {
    expect(summary(memberRemoval(c.member, someone()))).toEqual(['NOT_FOUND', 'unrecorded']);
    expect(summary(memberRemoval(c.outsider, someone()))).toEqual(['NOT_FOUND', 'unrecorded']);
  });

  it('refuses, recorded: yourself (BAD_USER_INPUT), a system user (NOT_FOUND), no right to delete (NOT_FOUND)', () => {
    const self = gateOf([], { [ORG]: ['organization-admin'] });
    expect(summary(memberRemoval(self, someone({ userId: self.userId })))).toEqual(['BAD_USER_INPUT', 'recorded']);
    expect(summary(memberRemoval(c.owner, someone({ isSystem: true })))).toEqual(['NOT_FOUND', 'recorded']);
    expect(summary(memberRemoval(c.auditor, someone()))).toEqual(['NOT_FOUND', 'recorded']);
    expect(summary(memberRemoval(c.siteAuditor, someone()))).toEqual(['NOT_FOUND', 'recorded']);
  });
});

describe('memberRoleChange', () => {
  it('allows, giving the roles to store de-duplicated in order without organization-member', () => {
    const decision = memberRoleChange(
      c.owner,
      someone({ roles: ['organization-auditor'] }),
      ['organization-admin', 'organization-member', 'release', 'organization-admin'],
      new Set(['release']),
    );
    expect(decision).toEqual({ allowed: true, value: ['organization-admin', 'release'] });
  });

  it('checks in Coder order: visibility, self, system user, names, then the rights to assign', () => {
    const self = gateOf([], { [ORG]: ['organization-admin'] });
    // Hidden first, whatever else is wrong.
    expect(summary(memberRoleChange(c.member, someone({ isSystem: true }), ['owner'], noCustomRoles))).toEqual([
      'NOT_FOUND',
      'unrecorded',
    ]);
    expect(
      summary(memberRoleChange(self, someone({ userId: self.userId, isSystem: true }), ['owner'], noCustomRoles)),
    ).toEqual(['BAD_USER_INPUT', 'recorded']);
    expect(summary(memberRoleChange(c.owner, someone({ isSystem: true }), ['owner'], noCustomRoles))).toEqual([
      'FORBIDDEN',
      'recorded',
    ]);
    expect(summary(memberRoleChange(c.auditor, someone(), ['owner'], noCustomRoles))).toEqual([
      'BAD_USER_INPUT',
      'recorded',
    ]);
    expect(summary(memberRoleChange(c.auditor, someone(), ['organization-auditor'], noCustomRoles))).toEqual([
      'FORBIDDEN',
      'recorded',
    ]);
    expect(summary(memberRoleChange(c.userAdmin, someone(), ['organization-admin'], noCustomRoles))).toEqual([
      'BAD_USER_INPUT',
      'recorded',
    ]);
  });

  it.each([
    ['a suffixed name', 'organization-admin:abc'],
    ['a site role', 'auditor'],
    ['an empty name', ''],
    ['an unknown name', 'no-such-role'],
    ['another case of a built-in name', 'Organization-Admin'],
    ['a name longer than any role', 'r'.repeat(65)],
  ])('refuses %s as not a supported role', (_what, name) => {
    const decision = memberRoleChange(c.owner, someone(), [name], new Set(['no-such-other']));
    expect(summary(decision)).toEqual(['BAD_USER_INPUT', 'recorded']);
    expect(decision.allowed || decision.error.message).toMatch(/not a supported role/i);
  });

  // Coder's canAssignRoles checks the roles added and removed, not those a member keeps.
  describe('a stored role that no longer exists (a custom role deleted, or a name Coder no longer knows)', () => {
    const holder = () => someone({ roles: ['ghost'] });

    it('may stay while other roles change', () => {
      expect(memberRoleChange(c.owner, holder(), ['ghost', 'organization-auditor'], noCustomRoles)).toEqual({
        allowed: true,
        value: ['ghost', 'organization-auditor'],
      });
    });

    it('is refused when a request would take it away, as an unknown removed role', () => {
      const decision = memberRoleChange(c.owner, holder(), ['organization-auditor'], noCustomRoles);
      expect(summary(decision)).toEqual(['BAD_USER_INPUT', 'recorded']);
      expect(decision.allowed || decision.error.message).toMatch(/not a supported role: "ghost"/i);
    });

    it('does not make a suffixed name acceptable: that is refused wherever it appears', () => {
      const suffixed = someone({ roles: ['organization-admin:abc'] });
      const decision = memberRoleChange(c.owner, suffixed, ['organization-admin:abc'], noCustomRoles);
      expect(summary(decision)).toEqual(['BAD_USER_INPUT', 'recorded']);
      // Stored, and not in the request: Coder converts the stored roles first, and refuses the whole change.
      for (const request of [[], ['organization-auditor'], ['ghost']]) {
        const kept = memberRoleChange(
          c.owner,
          someone({ roles: ['organization-admin:abc', 'ghost'] }),
          request,
          noCustomRoles,
        );
        expect(summary(kept), request.join()).toEqual(['BAD_USER_INPUT', 'recorded']);
        expect(kept.allowed || kept.error.message).toMatch(/not a supported role: "organization-admin:abc"/i);
      }
    });
  });

  it('needs unassign to take a role away, even with assign', () => {
    const assigner = gateOf([], { [ORG]: ['assigner'] }, [
      {
        name: 'assigner',
        displayName: '',
        organizationId: ORG,
        sitePermissions: [],
        orgPermissions: [
          { negate: false, resource_type: 'assign_org_role', action: 'assign' },
          { negate: false, resource_type: 'organization_member', action: 'read' },
        ],
        userPermissions: [],
      },
    ]);
    const decision = memberRoleChange(assigner, someone({ roles: ['organization-auditor'] }), [], noCustomRoles);
    expect(summary(decision)).toEqual(['FORBIDDEN', 'recorded']);
    expect(decision.allowed || decision.error.message).toMatch(/unassign/);
  });
});
