// src/schema/role/role.policy.ts without a database: who may create, update
// and delete custom roles and grant which permissions, and which refusals
// Coder's audit trail records.
import { describe, expect, it } from 'vitest';
import { grantProblem, roleCreation, roleDeletion, roleUpdate } from '../../src/schema/role/role.policy.js';
import { callers, ORG, summary } from './gates.js';

const c = callers();
const readTemplates = [{ resourceType: 'template', action: 'read', negate: false }];

describe('roleCreation', () => {
  it('allows owners and organization admins; everyone else is NOT_FOUND, never recorded', () => {
    expect(roleCreation(c.owner, ORG, readTemplates).allowed).toBe(true);
    expect(roleCreation(c.admin, ORG, readTemplates).allowed).toBe(true);
    for (const gate of [c.member, c.auditor, c.userAdmin, c.siteAuditor, c.outsider]) {
      expect(summary(roleCreation(gate, ORG, readTemplates))).toEqual(['NOT_FOUND', 'unrecorded']);
    }
    expect(summary(roleCreation(c.admin, ORG, [{ resourceType: 'workspace', action: 'ssh', negate: false }]))).toEqual([
      'BAD_USER_INPUT',
      'unrecorded',
    ]);
  });
});

describe('roleUpdate', () => {
  it('refusals are recorded for callers who can read the roles (and so find the role), not for others', () => {
    expect(summary(roleUpdate(c.member, ORG, readTemplates))).toEqual(['NOT_FOUND', 'recorded']);
    expect(summary(roleUpdate(c.siteAuditor, ORG, readTemplates))).toEqual(['NOT_FOUND', 'recorded']);
    expect(summary(roleUpdate(c.outsider, ORG, readTemplates))).toEqual(['NOT_FOUND', 'unrecorded']);
    expect(summary(roleUpdate(c.admin, ORG, [{ resourceType: 'workspace', action: 'ssh', negate: false }]))).toEqual([
      'BAD_USER_INPUT',
      'recorded',
    ]);
    expect(roleUpdate(c.admin, ORG, readTemplates).allowed).toBe(true);
  });
});

describe('roleDeletion', () => {
  it('enterprise/coderd/roles.go deleteOrgRole: found by those who read roles, then FORBIDDEN (recorded) without delete', () => {
    expect(roleDeletion(c.owner, ORG).allowed).toBe(true);
    expect(roleDeletion(c.admin, ORG).allowed).toBe(true);
    for (const gate of [c.member, c.auditor, c.userAdmin, c.siteAuditor]) {
      expect(summary(roleDeletion(gate, ORG))).toEqual(['FORBIDDEN', 'recorded']);
    }
    expect(summary(roleDeletion(c.outsider, ORG))).toEqual(['NOT_FOUND', 'unrecorded']);
  });
});

describe('grantProblem (dbauthz customRoleEscalationCheck)', () => {
  it.each([
    ['a wildcard', { resourceType: '*', action: 'read' }, /wildcard/],
    ['an action the resource lacks', { resourceType: 'template', action: 'ssh' }, /invalid permission/i],
    ['a negated permission', { resourceType: 'template', action: 'read', negate: true }, /negative/],
    ['one the caller does not hold', { resourceType: 'workspace', action: 'ssh' }, /not allowed to grant/i],
  ])('refuses %s, naming it', (_what, permission, message) => {
    const problem = grantProblem(c.admin, ORG, [...readTemplates, { negate: false, ...permission }]);
    expect(problem?.extensions.code).toBe('BAD_USER_INPUT');
    expect(problem?.message).toMatch(message);
    expect(problem?.extensions.validations).toEqual([
      { field: 'organizationPermissions[1]', detail: expect.any(String) },
    ]);
  });

  it('lets an owner grant what it holds', () => {
    expect(grantProblem(c.owner, ORG, [{ resourceType: 'workspace', action: 'ssh', negate: false }])).toBeUndefined();
  });
});
