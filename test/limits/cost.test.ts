// The cost model (src/limits/cost.ts) against the default limits: the heavy
// reads a client may make pass, and every list, Relay connections included,
// is sized by its page or by the longest list it can be.
import { describe, expect, it } from 'vitest';
import { DEFAULT_LIMITS } from '../../src/config.js';
import { costOf } from '../support/cost.js';

const MEMBER = 'username email name avatarUrl createdAt updatedAt roles { name displayName } globalRoles { name }';
const USER = 'user { id username email name avatarUrl status createdAt updatedAt lastSeenAt globalRoles { name } }';
const AUDIT_ENTRY =
  'id time requestId actorId actorUsername ip userAgent resourceType resourceId action statusCode diff';
const wholeList = `organizationMembers(organization: "o") { ${MEMBER} ${USER} }`;

describe('the cost of a document under the default limits', () => {
  it('lets a whole member list with users and roles through, twice but not three times', () => {
    expect(costOf(`{ ${wholeList} }`)).toBeLessThanOrEqual(DEFAULT_LIMITS.maxCost);
    expect(costOf(`{ a: ${wholeList} b: ${wholeList} }`)).toBeLessThanOrEqual(DEFAULT_LIMITS.maxCost);
    expect(costOf(`{ a: ${wholeList} b: ${wholeList} c: ${wholeList} }`)).toBeGreaterThan(DEFAULT_LIMITS.maxCost);
  });

  it('lets every organization with 50 members, their users and roles through', () => {
    const query = `{ organizations { id members(first: 50) { edges { node { ${MEMBER} ${USER} } } } } }`;
    expect(costOf(query)).toBeLessThanOrEqual(DEFAULT_LIMITS.maxCost / 10);
  });

  it('sizes an audit-log page by first or last, in a literal or a variable', () => {
    const page = (n: number) =>
      costOf(`{ organizations { auditLogs(first: ${n}) { edges { node { ${AUDIT_ENTRY} } } } } }`);
    expect(page(20) * 10).toBeLessThan(page(200) * 1.01);
    expect(page(20)).toBeLessThan(DEFAULT_LIMITS.maxCost / 50);
    const last = costOf('query ($n: Int) { organizations { auditLogs(last: $n) { edges { node { id } } } } }', {
      n: 20,
    });
    expect(last).toBe(costOf('{ organizations { auditLogs(first: 20) { edges { node { id } } } } }'));
  });

  it('costs an audit-log page without a size as the longest list, and its pageInfo alone as a few values', () => {
    const unbounded = costOf('{ organizations { auditLogs { edges { node { id } } } } }');
    expect(unbounded).toBeGreaterThanOrEqual(DEFAULT_LIMITS.listSizes.organizations * DEFAULT_LIMITS.listSizes.members);
    expect(costOf('{ organizations { auditLogs { pageInfo { hasNextPage } } } }')).toBeLessThan(200);
  });
});
