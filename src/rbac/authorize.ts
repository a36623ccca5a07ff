// Pure RBAC decisions (SPEC B.3): who the subject is, whether it may do an
// action on an object, and which roles it may hand out.

import { WILDCARD } from './policy.js';
import {
  ROLE,
  builtInOrgRole,
  builtInSiteRole,
  isBuiltInRoleName,
  isOrgRoleName,
  isSiteRoleName,
  type Permission,
  type RoleDefinition,
} from './roles.js';

export interface RBACObject {
  type: string;
  id?: string;
  /** The organization the object belongs to. */
  orgOwner?: string;
  /** The user who owns the object. */
  owner?: string;
}

export interface CustomRoleRecord {
  name: string;
  displayName: string;
  /** null for a site-wide custom role. */
  organizationId: string | null;
  sitePermissions: Permission[];
  orgPermissions: Permission[];
  userPermissions: Permission[];
}

export type Score = 'allow' | 'deny' | 'none';

/** One level's permissions, indexed by resource then action, so a check is four lookups. */
export class PermissionLevel {
  /** resource → action → whether any permission for that pair is negated. */
  readonly #negated = new Map<string, Map<string, boolean>>();

  constructor(permissions: Iterable<Permission> = []) {
    for (const p of permissions) this.add(p);
  }

  add({ resourceType, action, negate }: Permission): void {
    let actions = this.#negated.get(resourceType);
    if (!actions) this.#negated.set(resourceType, (actions = new Map()));
    actions.set(action, (actions.get(action) ?? false) || negate);
  }

  /** Deny if a matching permission is negated, allow if any matches, else none. */
  score(resourceType: string, action: string): Score {
    let matched = false;
    for (const resource of [resourceType, WILDCARD]) {
      const actions = this.#negated.get(resource);
      for (const a of [action, WILDCARD]) {
        const negated = actions?.get(a);
        if (negated === true) return 'deny';
        if (negated === false) matched = true;
      }
    }
    return matched ? 'allow' : 'none';
  }
}

/** An API key's scope (`api_keys.scope`). */
export type ApiKeyScope = 'all' | 'application_connect';

/**
 * What a key's scope lets its roles do at all, as Coder's rbac/scopes.go has
 * it: `all` anything the roles allow, `application_connect` only connecting to
 * workspace applications, which no operation here does.
 */
function scopeAllows(scope: ApiKeyScope, resourceType: string, action: string): boolean {
  return scope === 'all' || (resourceType === 'workspace' && action === 'application_connect');
}

export interface Subject {
  readonly userId: string;
  /** The scope of the key the subject authenticated with. */
  readonly scope: ApiKeyScope;
  /** Resolved site roles, the implicit `member` included. */
  readonly siteRoleNames: readonly string[];
  readonly memberOrganizationIds: ReadonlySet<string>;
  readonly site: PermissionLevel;
  readonly org: ReadonlyMap<string, PermissionLevel>;
  readonly user: PermissionLevel;
  /** Resolved roles in that organization, the implicit `organization-member` included; [] when not a member. */
  orgRoleNames(organizationId: string): readonly string[];
}

export interface SubjectInput {
  userId: string;
  /** Stored site roles (`users.rbac_roles`). */
  siteRoles: string[];
  /** Stored org roles per membership (`organization_members.roles`). */
  memberships: { organizationId: string; roles: string[] }[];
  /** Custom roles that the names above may refer to; others are harmless. */
  customRoles: CustomRoleRecord[];
  /** The key's scope; `all` when not given. */
  scope?: ApiKeyScope;
}

function fromCustom(record: CustomRoleRecord): RoleDefinition {
  return {
    name: record.name,
    displayName: record.displayName,
    organizationId: record.organizationId,
    site: record.sitePermissions,
    // Org permissions mean nothing without an organization to scope them to.
    org: record.organizationId === null ? [] : record.orgPermissions,
    user: record.userPermissions,
    builtIn: false,
  };
}

function customKey(name: string, organizationId: string | null): string {
  // A uuid never contains '/', so the key cannot collide across organizations.
  return `${organizationId ?? ''}/${name}`;
}

export function buildSubject(input: SubjectInput): Subject {
  const customs = new Map<string, CustomRoleRecord>();
  for (const record of input.customRoles) customs.set(customKey(record.name, record.organizationId), record);
  const custom = (name: string, organizationId: string | null): RoleDefinition | undefined => {
    const record = customs.get(customKey(name, organizationId));
    return record && fromCustom(record);
  };

  const site = new PermissionLevel();
  const user = new PermissionLevel();
  const org = new Map<string, PermissionLevel>();
  const orgRoles = new Map<string, string[]>();
  const grant = (role: RoleDefinition, orgLevel?: PermissionLevel): void => {
    for (const p of role.site) site.add(p);
    for (const p of role.user) user.add(p);
    if (orgLevel) for (const p of role.org) orgLevel.add(p);
  };

  // Built-in names win; custom roles cannot take them anyway.
  const siteRoleNames: string[] = [];
  for (const name of new Set([ROLE.member, ...input.siteRoles])) {
    const role = builtInSiteRole(name) ?? custom(name, null);
    if (!role) continue;
    siteRoleNames.push(name);
    grant(role);
  }

  for (const { organizationId, roles } of input.memberships) {
    const level = org.get(organizationId) ?? new PermissionLevel();
    org.set(organizationId, level);
    const names = orgRoles.get(organizationId) ?? [];
    orgRoles.set(organizationId, names);
    for (const name of [ROLE.orgMember, ...roles]) {
      if (names.includes(name)) continue;
      const role = builtInOrgRole(name, organizationId) ?? custom(name, organizationId);
      if (!role) continue;
      names.push(name);
      grant(role, level);
    }
  }

  return {
    userId: input.userId,
    scope: input.scope ?? 'all',
    siteRoleNames,
    memberOrganizationIds: new Set(org.keys()),
    site,
    org,
    user,
    orgRoleNames: (organizationId) => orgRoles.get(organizationId) ?? [],
  };
}

function ownedBySubject(subject: Subject, object: RBACObject): boolean {
  return !!object.owner && object.owner === subject.userId;
}

/**
 * SPEC B.3 steps 1–2: site, then org, then user level; a deny at a level
 * blocks the levels below. The key's scope bounds all of them.
 */
export function authorize(subject: Subject, action: string, object: RBACObject): boolean {
  if (!scopeAllows(subject.scope, object.type, action)) return false;
  const site = subject.site.score(object.type, action);
  if (site !== 'none') return site === 'allow';

  const orgId = object.orgOwner || undefined;
  const org = orgId === undefined ? 'none' : (subject.org.get(orgId)?.score(object.type, action) ?? 'none');
  if (org !== 'none') return org === 'allow';

  if (!ownedBySubject(subject, object)) return false;
  if (orgId !== undefined && !subject.memberOrganizationIds.has(orgId)) return false;
  return subject.user.score(object.type, action) === 'allow';
}

export interface Authorizer {
  readonly subject: Subject;
  can(action: string, object: RBACObject): boolean;
  /** How many decisions were computed rather than served from the memo. */
  readonly evaluations: number;
}

/** One per request: memoises decisions, since resolvers ask the same question per row. */
export function createAuthorizer(subject: Subject): Authorizer {
  const decisions = new Map<string, boolean>();
  let evaluations = 0;
  return {
    subject,
    get evaluations() {
      return evaluations;
    },
    can(action, object) {
      // The key holds only what authorize reads (never the id, and the owner
      // only as "is it the subject"), so every row of a list shares one entry.
      const key = [action, object.type, object.orgOwner ?? '', ownedBySubject(subject, object) ? 'self' : ''].join(
        '\u0000',
      );
      let decision = decisions.get(key);
      if (decision === undefined) {
        evaluations++;
        decision = authorize(subject, action, object);
        decisions.set(key, decision);
      }
      return decision;
    },
  };
}

/**
 * The "who may assign which role" table of SPEC B.3, by role name only, so no
 * custom permission (such as assign_org_role assign) widens it. A name that is
 * not built in is taken to be a custom role: callers check that it exists.
 * `organizationId` is null for site roles.
 */
export function canAssignRole(subject: Subject, roleName: string, organizationId: string | null): boolean {
  const siteRole = isSiteRoleName(roleName);
  const orgRole = isOrgRoleName(roleName);
  // A case variant of a built-in name is neither that role nor a custom one (the names are reserved).
  if (!siteRole && !orgRole && isBuiltInRoleName(roleName)) return false;
  // A built-in role is only ever assigned at its own scope.
  if ((siteRole && organizationId !== null) || (orgRole && organizationId === null)) return false;

  const site = subject.siteRoleNames;
  if (site.includes(ROLE.owner)) return true;
  if (site.includes(ROLE.userAdmin) && (roleName === ROLE.member || roleName === ROLE.orgMember)) return true;

  // Org roles of the caller count only inside their own organization.
  if (organizationId === null) return false;
  const mine = subject.orgRoleNames(organizationId);
  if (mine.includes(ROLE.orgAdmin)) return true;
  return mine.includes(ROLE.orgUserAdmin) && roleName === ROLE.orgMember;
}

/** The RBAC objects the members API checks against (SPEC B.3 "Objects"). */
export const rbacObjects = {
  organization: (id: string): RBACObject => ({ type: 'organization', id, orgOwner: id }),
  organizationMember: (organizationId: string, userId: string): RBACObject => ({
    type: 'organization_member',
    id: userId,
    orgOwner: organizationId,
    owner: userId,
  }),
  user: (id: string): RBACObject => ({ type: 'user', id, owner: id }),
  /** Roles in an organization. */
  assignOrgRole: (organizationId: string): RBACObject => ({ type: 'assign_org_role', orgOwner: organizationId }),
  /** Site roles. */
  assignRole: (): RBACObject => ({ type: 'assign_role' }),
};
