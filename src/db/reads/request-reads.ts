// What one request reads, batched and remembered. Every read of the API goes
// through these loaders: whatever shape a document has, each kind of row is
// read by one statement per level of nesting (the loaders batch what the
// resolvers of one level ask for), and a row already read in the request, by
// any statement, is not read again (each statement's rows are remembered for
// the loaders of what they carry: a page's users and memberships, a user's
// memberships, a lookup's organization).
import DataLoader from 'dataloader';
import type { BatchSchedule } from '../../execution/turns.js';
import { refKey, type OrganizationRef, type UserRef } from '../references.js';
import type { Sql } from '../sql.js';
import { AUDIT_BYTES_PER_REQUEST, findAuditPages, type AuditPage, type AuditPageRequest } from './audit-logs.js';
import { customRolesOf, siteCustomRoles, type StoredCustomRole } from './custom-roles.js';
import { memberPages, memberPagesOf, type MemberPage, type PageOfReference, type PageRequest } from './member-pages.js';
import {
  lookUpMembers,
  membershipsOfUsers,
  usersWithMembershipsByRef,
  type LimitedRead,
  type MemberFound,
  type MemberLookup,
  type Membership,
} from './members.js';
import { organizationsById, organizationsByRef, liveOrganizations } from './organizations.js';
import type { MemberRow, OrganizationRow, UserRow } from './rows.js';
import { usersByRef } from './users.js';

/**
 * The values the request's answer has room for (src/limits/answer-meter.ts): reads whose rows are not bounded by
 * the document (a user's memberships, as many as the site's organizations) read no more rows than that.
 */
export interface RowAllowance {
  remaining(): number;
  /** The refusal, which also stops the request. */
  refuse(): Error;
}

export class RequestReads {
  readonly #sql: Sql;
  readonly #allowance: RowAllowance | undefined;

  /**
   * Rows read by any statement of this request, by id. Plain maps rather
   * than primed loaders: a page of 1,000 members would otherwise cost a
   * promise per user, most of them never asked for.
   */
  readonly #knownOrganizations = new Map<string, OrganizationRow>();
  readonly #knownUsers = new Map<string, UserRow>();
  /** The ids of the known organizations, by lower-cased name (unique among live ones), and the default one. */
  readonly #knownOrganizationIds = new Map<string, string>();
  #knownDefaultOrganization: OrganizationRow | undefined;
  /** The ids of the known users, by lower-cased username. */
  readonly #knownUserIds = new Map<string, string>();
  /** Memberships read by any statement (pages, memberships, lookups), by `organizationId|userId`; no system user's. */
  readonly #knownMembers = new Map<string, MemberRow>();

  /** When a loader's batch is sent (the request's `scheduleBatch`); given to every loader. */
  readonly #scheduleBatch: BatchSchedule;
  readonly #batching = { batchScheduleFn: (dispatch: () => void) => this.#scheduleBatch(dispatch) };

  readonly #organizations = new DataLoader<string, OrganizationRow | undefined>(async (ids) => {
    // Every live organization, read at the same time (`organizations` beside `_entities`), holds these.
    if (this.#liveOrganizations) await this.#liveOrganizations;
    else for (const row of await inParts(this.#sql, ids, organizationsById)) this.#knowOrganization(row);
    return ids.map((id) => this.#knownOrganizations.get(id));
  }, this.#batching);

  readonly #organizationsByRef = new DataLoader<OrganizationRef, OrganizationRow | undefined, string>(
    async (refs) => {
      // As for #organizations (`organizations` beside `organization(organization: "default")`), where a miss is no
      // live organization. Else pages and member lookups under way read the organization they name (a page beside
      // `organization(organization:)` of the same one): as for users, wait for them rather than read it again.
      const everyLive = this.#liveOrganizations;
      await (everyLive ?? this.#readsUnderWaySettled());
      const found = refs.map((ref) => this.#knownOrganization(ref));
      if (everyLive) return found;
      return readMissing(refs, found, async (missing) => {
        const rows = await inParts(this.#sql, missing, organizationsByRef);
        for (const row of rows) if (row) this.#knowOrganization(row);
        return rows;
      });
    },
    { ...this.#batching, cacheKeyFn: refKey },
  );

  /** Every live organization, once read (or being read) by this request: then among the known ones. */
  #liveOrganizations: Promise<OrganizationRow[]> | undefined;

  /**
   * Users by id or by username, in one loader: `me`, user(user:), _entities and a member's user naming one user,
   * by either, are read in one statement, and not again once any read of this request brought them.
   */
  readonly #usersByRef = new DataLoader<UserRef, UserRow | undefined, string>(
    async (refs) => {
      // One asked for with its memberships at the same time (`me` beside `user(user: "me") { organizationMemberships
      // }`) is read by that statement; and pages and member lookups under way (`organizationMember` or a page beside
      // `user(user:)` of one of its members) may bring the others. Waiting for them costs the answer nothing: it
      // waits for them anyway, and below a user nothing reads without its memberships, which are read apart.
      const alongside = refs.map((ref) => this.#usersWithMembershipsAsked.get(refKey(ref)));
      await this.#readsUnderWaySettled();
      const found = refs.map((ref, i) => alongside[i] ?? this.#knownUser(ref));
      return Promise.all(
        await readMissing(refs, found, async (missing) => {
          const rows = await inParts(this.#sql, missing, usersByRef);
          for (const row of rows) if (row) this.#knowUser(row);
          return rows;
        }),
      );
    },
    { ...this.#batching, cacheKeyFn: refKey },
  );

  /** Loads of #usersWithMembershipsByRef, by the key of their reference. */
  readonly #usersWithMembershipsAsked = new Map<string, Promise<UserRow | undefined>>();

  /**
   * Pages, member lookups and memberships under way: they bring users, memberships, organizations and an
   * organization's custom roles, which loads asked for at the same time wait for rather than read again.
   */
  readonly #readsUnderWay = new Set<Promise<unknown>>();

  /**
   * Of #readsUnderWay, those that bring memberships whole (pages, a user's memberships), which member lookups wait
   * for. None of them waits for anything.
   */
  readonly #membershipsUnderWay = new Set<Promise<unknown>>();

  /** `read`, counted among #readsUnderWay (and, if it `bringsMemberships`, #membershipsUnderWay) until it settles. */
  #underWay<T>(read: Promise<T>, { bringsMemberships = false } = {}): Promise<T> {
    const sets = bringsMemberships ? [this.#readsUnderWay, this.#membershipsUnderWay] : [this.#readsUnderWay];
    for (const set of sets) set.add(read);
    const settled = () => {
      for (const set of sets) set.delete(read);
    };
    read.then(settled, settled);
    return read;
  }

  #readsUnderWaySettled = () => settled(this.#readsUnderWay);
  #membershipsUnderWaySettled = () => settled(this.#membershipsUnderWay);

  /**
   * The fewest values one membership of this request's answer holds (its fields selected), among the fields that
   * asked for memberships: how many of the answer's values a membership read is sure to take. A field whose caller
   * may not see every membership it reads says 1: what it does not see takes no room in the answer, and counts as
   * one value read (the limit bounds the gateway's work too).
   */
  #valuesPerMembership = Number.POSITIVE_INFINITY;

  #askedForMemberships(valuesEach: number) {
    this.#valuesPerMembership = Math.min(this.#valuesPerMembership, Math.max(1, valuesEach));
  }

  /**
   * `read` of `keys` in parts (inParts), reading in all no more memberships than the answer has room for (each is
   * #valuesPerMembership values of it at least); the refusal if they found more. The parts are read one after the
   * other, each with the room the ones before it left: each part given the whole room could read that many each.
   */
  async #withinAllowance<K, R extends LimitedRead>(
    keys: readonly K[],
    read: (sql: Sql, part: readonly K[], atMost: number | null) => Promise<R>,
  ): Promise<R[]> {
    const allowance = this.#allowance;
    if (!allowance) return inParts(this.#sql, keys, async (sql, part) => [await read(sql, part, null)]);
    const perMembership = Number.isFinite(this.#valuesPerMembership) ? this.#valuesPerMembership : 1;
    let room = Math.floor(allowance.remaining() / perMembership);
    const results: R[] = [];
    for (const part of partsOf(this.#sql, keys)) {
      const result = await read(this.#sql, part, room);
      if (result.overLimit) throw allowance.refuse();
      room -= result.membershipsRead;
      results.push(result);
    }
    return results;
  }

  readonly #members = new DataLoader<MemberLookup, MemberFound, string>(
    async (lookups) => {
      // Pages and memberships under way may bring these members (`organizationMember` beside a page of its
      // organization, or beside `user(user:) { organizationMemberships }`): wait for them rather than read the
      // memberships again. They never wait for a lookup, so this cannot wait on itself.
      await this.#membershipsUnderWaySettled();
      // Every lookup gets an answer (lookUpMembers answers each, found or not).
      const known = lookups.map((lookup) => this.#knownMemberOf(lookup));
      const found = (await readMissing(lookups, known, (missing) =>
        inParts(this.#sql, missing, lookUpMembers),
      )) as MemberFound[];
      for (const [i, lookup] of lookups.entries()) {
        // What was known already is remembered as its own statement read it (its roles' display names included).
        if (known[i]) continue;
        const { organization, member, customRoleNames } = found[i]!;
        if (organization) {
          this.#knowOrganization(organization);
          this.#knowReference(lookup.organization, organization);
          // A field below an organization looks its members up by the organization's id.
          this.#members.prime({ organization: { id: organization.id }, user: lookup.user }, found[i]!);
        }
        if (member) {
          this.#knowUser(member.user);
          if (!found[i]!.systemUser) this.#knowMember(member);
          this.#rememberDisplayNames(member.organizationId, member.roles, customRoleNames);
        }
      }
      return found;
    },
    { ...this.#batching, cacheKeyFn: ({ organization, user }) => `${refKey(organization)}|${refKey(user)}` },
  );

  readonly #memberships = new DataLoader<string, Membership[]>(async (userIds) => {
    const parts = await this.#withinAllowance(userIds, membershipsOfUsers);
    const byUser = new Map(parts.flatMap((part) => [...part.byUser]));
    for (const [userId, { memberships, systemUser }] of byUser)
      this.#knowMemberships(memberships, systemUser ? undefined : this.#knownUsers.get(userId));
    return userIds.map((id) => byUser.get(id)?.memberships ?? []);
  }, this.#batching);

  /** Users by reference with their memberships, which later `membershipsOf` calls find here. */
  readonly #usersWithMembershipsByRef = new DataLoader<UserRef, UserRow | undefined, string>(
    async (refs) => {
      const parts = await this.#withinAllowance(refs, usersWithMembershipsByRef);
      const found = parts.flatMap((part) => part.found);
      for (const [i, entry] of found.entries()) {
        if (!entry) continue;
        this.#knowUser(entry.user);
        this.#usersByRef.prime(refs[i]!, entry.user);
        this.#knowMemberships(entry.memberships, entry.systemUser ? undefined : entry.user);
        this.#memberships.prime(entry.user.id, entry.memberships);
      }
      return found.map((entry) => entry?.user);
    },
    { ...this.#batching, cacheKeyFn: refKey },
  );

  readonly #pages = new DataLoader<PageRequest, MemberPage, string>(
    async (requests) => {
      const pages = await memberPages(this.#sql, requests);
      for (const [i, page] of pages.entries()) this.#knowPage(requests[i]!.organizationId, page);
      return pages;
    },
    { ...this.#batching, cacheKeyFn: pageKey },
  );

  /** Pages of organizations named by reference, each with its organization: one statement for all of a level. */
  readonly #pagesOf = new DataLoader<PageOfReference, Awaited<ReturnType<typeof memberPagesOf>>[number], string>(
    async (requests) => {
      const pages = await memberPagesOf(this.#sql, requests);
      for (const [i, page] of pages.entries()) {
        if (!page) continue;
        const { organization, window, withTotal } = requests[i]!;
        this.#knowOrganization(page.organization);
        this.#knowReference(organization, page.organization);
        this.#knowPage(page.organization.id, page);
        this.#pages.prime({ organizationId: page.organization.id, onlyUserId: null, window, withTotal }, page);
      }
      return pages;
    },
    {
      ...this.#batching,
      cacheKeyFn: ({ organization, ...request }) =>
        `${refKey(organization)}|${pageKey({ organizationId: '', onlyUserId: null, ...request })}`,
    },
  );

  /** Each organization's whole list of custom roles, where a statement has read it. */
  readonly #customRoles = new Map<string, StoredCustomRole[]>();
  /** Display names of some of an organization's roles ('' for a name that is no custom role), from lookups. */
  readonly #displayNames = new Map<string, Map<string, string>>();
  readonly #customRolesLoader = new DataLoader<string, StoredCustomRole[]>(async (ids) => {
    // A page of the same organization asked for at the same time (a sibling `members` field) brings its roles.
    await this.#readsUnderWaySettled();
    const missing = ids.filter((id) => !this.#customRoles.has(id));
    if (missing.length) {
      const lists = await customRolesOf(this.#sql, missing);
      for (const [i, id] of missing.entries()) this.#customRoles.set(id, lists[i]!);
    }
    return ids.map((id) => this.#customRoles.get(id)!);
  }, this.#batching);
  #siteCustomRoles: Promise<StoredCustomRole[]> | undefined;

  /** What the request's audit pages may still carry of diffs (AUDIT_BYTES_PER_REQUEST). */
  #auditBytesLeft = AUDIT_BYTES_PER_REQUEST;
  /** The request's audit statements, one after another, so that each knows what the ones before it carried. */
  #auditStatements: Promise<unknown> = Promise.resolve();

  /** Every organization's audit page in one statement. */
  readonly #auditPages = new DataLoader<AuditPageRequest, AuditPage, string>(
    async (requests) => {
      const read = this.#auditStatements.then(async () => {
        const { pages, bytes } = await findAuditPages(this.#sql, requests, Math.max(0, this.#auditBytesLeft));
        this.#auditBytesLeft -= bytes;
        return pages;
      });
      this.#auditStatements = read.catch(() => {});
      return read;
    },
    { ...this.#batching, cacheKeyFn: (request) => JSON.stringify(request) },
  );

  constructor(sql: Sql, scheduleBatch: BatchSchedule, allowance?: RowAllowance) {
    this.#sql = sql;
    this.#scheduleBatch = scheduleBatch;
    this.#allowance = allowance;
  }

  organization(id: string): Promise<OrganizationRow | undefined> {
    const known = this.#knownOrganizations.get(id);
    return known ? Promise.resolve(known) : this.#organizations.load(id);
  }

  organizationByRef(ref: OrganizationRef): Promise<OrganizationRow | undefined> {
    return this.#organizationsByRef.load(ref);
  }

  async liveOrganizations(): Promise<OrganizationRow[]> {
    this.#liveOrganizations ??= liveOrganizations(this.#sql).then((rows) => {
      for (const row of rows) this.#knowOrganization(row);
      return rows;
    });
    return this.#liveOrganizations;
  }

  user(id: string): Promise<UserRow | undefined> {
    return this.userByRef({ id });
  }

  /**
   * With `withMemberships` (the values each of them answers, as valuesPerItemOf counts them; 0: not asked for), the
   * user's memberships are read in the same statement, for `membershipsOf`.
   */
  userByRef(ref: UserRef, { withMemberships = 0 } = {}): Promise<UserRow | undefined> {
    if (withMemberships) {
      this.#askedForMemberships(withMemberships);
      const load = this.#underWay(this.#usersWithMembershipsByRef.load(ref), { bringsMemberships: true });
      this.#usersWithMembershipsAsked.set(refKey(ref), load);
      return load;
    }
    const known = this.#knownUser(ref);
    return known ? Promise.resolve(known) : this.#usersByRef.load(ref);
  }

  /** One membership, with its organization (found or not) and its user: at once if a statement of this request read it. */
  member(lookup: MemberLookup): Promise<MemberFound> {
    const known = this.#knownMemberOf(lookup);
    return known ? Promise.resolve(known) : this.#underWay(this.#members.load(lookup));
  }

  /** A user's memberships of live organizations, by organization name; `valuesEach`: as for userByRef. */
  membershipsOf(userId: string, valuesEach = 1): Promise<Membership[]> {
    this.#askedForMemberships(valuesEach);
    return this.#underWay(this.#memberships.load(userId), { bringsMemberships: true });
  }

  page(request: PageRequest): Promise<MemberPage> {
    return this.#underWay(this.#pages.load(request), { bringsMemberships: true });
  }

  /**
   * A page of every member of the organization a reference names, found in the same statement (see
   * memberPagesOf); a later `page` of the same window by the organization's id is this one.
   */
  pageOf(organization: OrganizationRef, request: Pick<PageRequest, 'window' | 'withTotal'>) {
    return this.#underWay(this.#pagesOf.load({ organization, ...request }), { bringsMemberships: true });
  }

  /** An organization's custom roles: at once if a statement of this request has read them. */
  customRolesOf(organizationId: string): StoredCustomRole[] | Promise<StoredCustomRole[]> {
    return this.#customRoles.get(organizationId) ?? this.#customRolesLoader.load(organizationId);
  }

  siteCustomRoles(): Promise<StoredCustomRole[]> {
    this.#siteCustomRoles ??= siteCustomRoles(this.#sql);
    return this.#siteCustomRoles;
  }

  auditPage(request: AuditPageRequest): Promise<AuditPage> {
    return this.#auditPages.load(request);
  }

  /** A custom role's display name if this request has read it ('' for a name that is no custom role), else undefined. */
  knownDisplayName(organizationId: string, name: string): string | undefined {
    const all = this.#customRoles.get(organizationId);
    if (all) return all.find((role) => role.name === name)?.displayName ?? '';
    return this.#displayNames.get(organizationId)?.get(name);
  }

  /** The organizations this request has read, which no write of the API changes (SPEC: members and roles only). */
  knownOrganizations(): OrganizationRow[] {
    return [...this.#knownOrganizations.values()];
  }

  /** Organizations read before a write, known to this request's reads after it. */
  rememberOrganizations(rows: readonly OrganizationRow[]): void {
    for (const row of rows) this.#knowOrganization(row);
  }

  #knowOrganization(row: OrganizationRow) {
    this.#knownOrganizations.set(row.id, row);
    this.#knownOrganizationIds.set(row.name.toLowerCase(), row.id);
    if (row.isDefault) this.#knownDefaultOrganization = row;
  }

  /** The live organization `ref` names, if a statement of this request has read it (every read is of live ones). */
  #knownOrganization(ref: OrganizationRef): OrganizationRow | undefined {
    if ('id' in ref) return this.#knownOrganizations.get(ref.id);
    if ('name' in ref) return this.#knownOrganizations.get(this.#knownOrganizationIds.get(ref.name) ?? '');
    return this.#knownDefaultOrganization;
  }

  #knowReference(ref: OrganizationRef, row: OrganizationRow) {
    this.#organizationsByRef.prime(ref, row);
  }

  #knowUser(row: UserRow) {
    this.#knownUsers.set(row.id, row);
    this.#knownUserIds.set(row.username.toLowerCase(), row.id);
  }

  /** The user `ref` names, if a statement of this request has read it. */
  #knownUser(ref: UserRef): UserRow | undefined {
    return this.#knownUsers.get('id' in ref ? ref.id : (this.#knownUserIds.get(ref.username) ?? ''));
  }

  #knowMember(row: MemberRow) {
    this.#knownMembers.set(`${row.organizationId}|${row.userId}`, row);
  }

  /**
   * A lookup of an organization by id that a statement of this request has answered, as the lookup statement
   * would: the membership found (lookups find only what exists, so a miss is the statement's to answer).
   */
  #knownMemberOf({ organization, user }: MemberLookup): MemberFound | undefined {
    const found = this.#knownOrganization(organization);
    const userId = 'id' in user ? user.id : this.#knownUserIds.get(user.username);
    const member = found && userId && this.#knownMembers.get(`${found.id}|${userId}`);
    // The display names of its roles are remembered (knownDisplayName) by the statement that read it.
    return member ? { organization: found, member, customRoleNames: {}, systemUser: false } : undefined;
  }

  #knowPage(organizationId: string, page: MemberPage) {
    this.#customRoles.set(organizationId, page.customRoles);
    // Pages leave system users out.
    for (const member of page.rows) {
      this.#knowUser(member.user);
      this.#knowMember(member);
    }
  }

  /** Memberships of one user, and the user if it is to be known as their member (not a system user). */
  #knowMemberships(memberships: readonly Membership[], user?: UserRow) {
    for (const { organization, roles, createdAt, updatedAt, customRoleNames } of memberships) {
      this.#knowOrganization(organization);
      this.#rememberDisplayNames(organization.id, roles, customRoleNames);
      if (user) {
        this.#knowMember({ organizationId: organization.id, userId: user.id, roles, createdAt, updatedAt, user });
      }
    }
  }

  #rememberDisplayNames(organizationId: string, names: readonly string[], custom: Record<string, string>) {
    let known = this.#displayNames.get(organizationId);
    if (!known) this.#displayNames.set(organizationId, (known = new Map()));
    // hasOwn: a role may be named `constructor`.
    for (const name of names) known.set(name, Object.hasOwn(custom, name) ? custom[name]! : '');
  }
}

/** Once every read of `reads` has settled, failed or not. */
async function settled(reads: ReadonlySet<Promise<unknown>>): Promise<void> {
  if (reads.size) await Promise.allSettled([...reads]);
}

/** `found`, each key it lacks read by one call of `read` for all of them, in order. */
async function readMissing<K, V>(
  keys: readonly K[],
  found: readonly (V | undefined)[],
  read: (missing: K[]) => Promise<readonly (V | undefined)[]>,
): Promise<(V | undefined)[]> {
  const missing = keys.filter((_, i) => found[i] === undefined);
  const rows = missing.length ? await read(missing) : [];
  let next = 0;
  return found.map((row) => row ?? rows[next++]);
}

/**
 * `read` of `keys` in parts no larger than the database takes in one statement (Sql.keysPerStatement), in
 * order. DataLoader's own maxBatchSize would do it, but it is fixed when a loader is made, and these loaders are
 * fields made before the constructor has the request's database.
 */
async function inParts<K, V>(
  sql: Sql,
  keys: readonly K[],
  read: (sql: Sql, part: readonly K[]) => Promise<V[]>,
): Promise<V[]> {
  return (await Promise.all(partsOf(sql, keys).map((part) => read(sql, part)))).flat();
}

/** `keys` in parts of at most `sql.keysPerStatement` (all in one without it). */
function partsOf<K>(sql: Sql, keys: readonly K[]): (readonly K[])[] {
  const size = sql.keysPerStatement;
  if (!size || keys.length <= size) return [keys];
  const parts: K[][] = [];
  for (let start = 0; start < keys.length; start += size) parts.push(keys.slice(start, start + size));
  return parts;
}

/** What makes two page requests the same page. */
const pageKey = ({ organizationId, onlyUserId, window, withTotal }: PageRequest) =>
  `${organizationId}|${onlyUserId}|${window.skip}|${window.before}|${window.first}|${window.last}|${withTotal}`;

export type { MemberRow, OrganizationRow, UserRow };
