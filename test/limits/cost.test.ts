// The cost model (src/limits/cost.ts) against the default limits: the heavy
// reads a client may make pass, and every list, Relay connections included,
// is sized by its page or by the longest list it can be.
import { offsetToCursor } from '@pothos/plugin-relay';
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

  // Colocated fragments (a row's, a menu's, a role editor's) each ask again for the fields they need: the executor
  // answers each response key once, and the cost prices it once (a members screen of three such fragments cost
  // 600,001 and was refused, where the same answer selected once cost 310,001).
  it('prices a field repeated by several fragments once, as it is answered', () => {
    const flattened = `query ($o: String!) { organizationMembers(organization: $o) {
      id username name email roles { name displayName } user { id avatarUrl status lastSeenAt } } }`;
    const colocated = `query ($o: String!) { organizationMembers(organization: $o) { id ...Row ...Menu ...EditRoles } }
      fragment Row on OrganizationMember { id ...Avatar username name email roles { name displayName } }
      fragment Avatar on OrganizationMember { id username user { id avatarUrl } }
      fragment Menu on OrganizationMember { id username roles { name } user { id status } }
      fragment EditRoles on OrganizationMember { id roles { name displayName } user { id lastSeenAt } }`;
    const o = { o: 'default' };
    expect(costOf(colocated, o)).toBe(costOf(flattened, o));
    expect(costOf(colocated, o)).toBeLessThan(DEFAULT_LIMITS.maxCost);
    // Aliases are keys of their own, and a fragment @skip leaves out adds nothing.
    const aliased = `query ($o: String!) { organizationMembers(organization: $o) { id again: id } }`;
    expect(costOf(aliased, o)).toBeGreaterThan(
      costOf('query ($o: String!) { organizationMembers(organization: $o) { id } }', o),
    );
    const skipped = `query ($o: String!, $s: Boolean!) { organizationMembers(organization: $o) { id ...R @skip(if: $s) } }
      fragment R on OrganizationMember { roles { name } }`;
    expect(costOf(skipped, { ...o, s: true })).toBe(
      costOf('query ($o: String!) { organizationMembers(organization: $o) { id } }', o),
    );
    // A variable left out takes its default, as the executor gives it: it was read as missing, and refused.
    const defaulted =
      'query ($i: Boolean = true) { me { username organizationMemberships @include(if: $i) { organizationId } } }';
    const withMemberships = costOf('{ me { username organizationMemberships { organizationId } } }');
    expect(costOf(defaulted)).toBe(withMemberships);
    expect(costOf(defaulted, { i: null })).toBe(withMemberships);
    expect(costOf(defaulted.replace('= true', '= false'))).toBe(costOf('{ me { username } }'));
  });

  // Every selection the merge walks counts, fragments' included: a fragment of 1,800 repeated leaves spread at every
  // level of a tree under 30 aliases took 1 to 1.7 s to price, without a token, before it was refused.
  it('refuses a document whose fragments make the merge walk more than 20,000 selections', () => {
    const leaves = Array.from({ length: 200 }, () => 'userId username email name roles { name }').join(' ');
    let fragments = `fragment G on OrganizationMember { ${leaves} }`;
    for (let depth = 0; depth < 5; depth++)
      fragments += ` fragment M${depth} on OrganizationMember { ...G organization { members { edges { node { ...${depth ? `M${depth - 1}` : 'G'} } } } } }`;
    const document = `{ ${Array.from({ length: 30 }, (_, i) => `a${i}: organizationMembers(organization: "default") { ...M4 }`).join(' ')} } ${fragments}`;
    expect(costOf(document)).toBe(Number.POSITIVE_INFINITY);
  });

  it('costs the __typename a client cache adds to every selection set nothing, and an aliased one as a field', () => {
    const plain = `{ organizations { id members(first: 50) { edges { node { ${MEMBER} ${USER} } } } } }`;
    // As Apollo Client and urql send it: a __typename in every selection set.
    const typed = plain.replace(/\{ /g, '{ __typename ');
    expect(typed.match(/__typename/g)).toHaveLength(9);
    expect(costOf(typed)).toBe(costOf(plain));
    const aliased = plain.replace('edges { node { ', 'edges { node { a: __typename b: __typename ');
    expect(costOf(aliased)).toBe(costOf(plain) + 2 * 50 * DEFAULT_LIMITS.listSizes.organizations);
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

  it('costs an audit-log page without a size as the default page it holds, and its pageInfo alone as the page it reads', () => {
    // 50 entries a page unless asked otherwise, at most 1,000: every organization's default page is not refused.
    const unsized = costOf('{ organizations { auditLogs { edges { node { id } } } } }');
    expect(unsized).toBe(costOf('{ organizations { auditLogs(first: 50) { edges { node { id } } } } }'));
    expect(unsized).toBeLessThan(DEFAULT_LIMITS.maxCost / 10);
    expect(costOf('{ organizations { auditLogs(first: 5000) { edges { node { id } } } } }')).toBe(
      costOf('{ organizations { auditLogs(first: 1000) { edges { node { id } } } } }'),
    );
    // Its bounds come from the entries read: asking for them alone reads them all the same.
    const bounds = costOf('{ organizations { auditLogs(first: 1000) { pageInfo { hasNextPage } } } }');
    expect(bounds).toBeGreaterThanOrEqual(DEFAULT_LIMITS.listSizes.organizations * 1000);
  });

  it("prices a custom role's site and user permissions as the few it may hold, its organization ones as a role's", () => {
    const lists = (fields: string) => costOf(`{ organizations { customRoles { name ${fields} } } }`);
    const organization = lists('organizationPermissions { resourceType action }');
    const siteAndUser = lists('sitePermissions { resourceType action } userPermissions { resourceType action }');
    expect(siteAndUser).toBeLessThan(organization / 5);
    // A shared fragment of all three lists, over every organization, is not refused.
    expect(
      lists(
        'organizationPermissions { resourceType action negate } sitePermissions { resourceType action negate } ' +
          'userPermissions { resourceType action negate }',
      ),
    ).toBeLessThan(DEFAULT_LIMITS.maxCost);
  });

  // A page of members is read from the list's start: what it reads to reach the page costs, whatever it returns.
  describe('a member page costs the rows it reads', () => {
    const members = DEFAULT_LIMITS.listSizes.members;

    it('a deep offset or cursor costs the members before the page, up to a whole list', () => {
      const near = costOf('{ paginatedOrganizationMembers(organization: "o", limit: 1) { members { username } } }');
      const deep = costOf(
        '{ paginatedOrganizationMembers(organization: "o", limit: 1, offset: 2147483000) { members { username } } }',
      );
      expect(near).toBeLessThan(10);
      expect(deep).toBeGreaterThanOrEqual(members);
      const pageAfter = (offset: number) =>
        costOf(`{ organization(organization: "o") { members(first: 1, after: "${offsetToCursor(offset)}") {
          edges { node { username } } } } }`);
      expect(pageAfter(0)).toBeLessThan(10);
      expect(pageAfter(999)).toBeGreaterThanOrEqual(1000);
      expect(pageAfter(2147483000)).toBeGreaterThanOrEqual(members);
      // `last` alone reads the whole list to find its end.
      expect(
        costOf('{ organization(organization: "o") { members(last: 1) { edges { node { username } } } } }'),
      ).toBeGreaterThanOrEqual(members);
    });

    it('pageInfo alone reads the page; totalCount or count alone reads no member, but counts them all', () => {
      const connection = (selection: string) => costOf(`{ organizations { members(first: 5000) { ${selection} } } }`);
      expect(connection('pageInfo { hasNextPage }')).toBeGreaterThanOrEqual(20 * members);
      // A count reads the whole list, 20 rows for a value, once for the page: not once per member of it.
      const count = members / 20;
      expect(connection('totalCount')).toBe(1 + 20 * (1 + count + 1));
      expect(connection('totalCount pageInfo { hasNextPage }')).toBeGreaterThanOrEqual(
        connection('pageInfo { hasNextPage }') + 20 * count,
      );
      expect(costOf('{ paginatedOrganizationMembers(organization: "o") { count } }')).toBe(1 + count + 1);
      // 24 aliases of every organization's count, 480 counts: a heavy document, which waits its turn.
      const counts = Array.from({ length: 24 }, (_, i) => `c${i}: organizations { members { totalCount } }`);
      expect(costOf(`{ ${counts.join(' ')} }`)).toBeGreaterThan(100_000);
    });

    it('prices each _entities representation at least as the NOT_FOUND error it may answer', () => {
      const entities = (n: number, selection: string) =>
        costOf(`query ($r: [_Any!]!) { _entities(representations: $r) { ... on Organization { ${selection} } } }`, {
          r: Array.from({ length: n }, () => ({
            __typename: 'Organization',
            id: '00000000-0000-4000-8000-000000000000',
          })),
        });
      expect(entities(5000, 'id')).toBe(1 + 2 * 5000 * 10);
      // A selection worth more than an error is priced as it was.
      const wide = 'id name displayName description icon createdAt updatedAt isDefault a: id b: name c: id';
      expect(entities(100, wide)).toBe(1 + 2 * 100 * 11);
    });

    it('prices a filtered audit page as a walk of the trail, an unfiltered one as its page', () => {
      const page = (args: string) =>
        costOf(`{ organization(organization: "o") { auditLogs(${args}) { edges { node { id } } } } }`);
      expect(page('first: 1')).toBeLessThan(10);
      // Two or three filtered tabs of a screen stay light enough; eight such pages make a heavy document.
      expect(page('first: 1, user: "nobody"')).toBeGreaterThan(1_000);
      expect(page('first: 1, resourceType: CUSTOM_ROLE')).toBe(page('first: 1, user: "nobody"'));
      expect(3 * page('first: 20, user: "nobody"')).toBeLessThan(10_000);
      expect(8 * page('first: 1, user: "nobody"')).toBeGreaterThanOrEqual(10_000);
    });
  });
});
