// Who may see an organization's members (SPEC B.3, D), and who may add,
// remove and change the roles of members (SPEC D), in Coder's order.
// Coder records in its audit trail no refusal to add (no target until the
// member exists), and every refusal to remove or change roles once the
// membership was found visible (coderd/members.go, dbauthz's
// DeleteOrganizationMember and UpdateMemberRoles).
import type { Gate } from '../../access/gate.js';
import type { OrganizationRef } from '../../db/references.js';
import { allow, refuse, refuseUnrecorded, type Decision } from '../../access/decision.js';
import { badUserInput, forbidden, notFound, quoted } from '../../errors.js';
import { canReadOrganization } from '../organization/organization.policy.js';
import { builtInOrgRole, isSiteRoleName, rbacObjects, ROLE } from '../../rbac/index.js';

export const canReadMember = (gate: Gate, organizationId: string, userId: string) =>
  gate.can('read', rbacObjects.organizationMember(organizationId, userId));

/** Whether the caller may read every member (read on organization_member with no owner): the pages need it. */
export const canReadEveryMember = (gate: Gate, organizationId: string) =>
  gate.can('read', { type: 'organization_member', orgOwner: organizationId });

/**
 * Whether the caller may read every member of some organization: site-wide, or in one it belongs to (the only
 * places its roles reach). A read that would fetch a page before it knows the organization skips it otherwise.
 */
export const mayReadEveryMemberSomewhere = (gate: Gate) =>
  canReadEveryMember(gate, NO_ORGANIZATION) ||
  [...gate.subject.memberOrganizationIds].some((id) => canReadEveryMember(gate, id));

/**
 * Whether the caller may read every member of the organization `ref` names, known before it is looked up: with a
 * site-wide permission, or for an id of an organization whose members its roles there let it read. A read that
 * fetches a whole list with its organization does so only then: another caller would have it read a list it may
 * not see, or of which it sees one row.
 */
export const mayReadEveryMemberOf = (gate: Gate, ref: OrganizationRef) =>
  canReadEveryMember(gate, NO_ORGANIZATION) || ('id' in ref && canReadEveryMember(gate, ref.id));

/**
 * Whether the caller sees every membership of every user (a site-wide permission): then each membership read is
 * one in the answer, at the values its fields hold. Others see some of them only, and what a read brings counts
 * one value a row (src/db/reads/request-reads.ts).
 */
export const seesEveryMembership = (gate: Gate) => canReadEveryMember(gate, NO_ORGANIZATION);

/** An organization id no organization has: what a site-wide permission covers, and nothing else. */
const NO_ORGANIZATION = '00000000-0000-0000-0000-000000000000';

/**
 * Which of an organization's members the caller may list: all of them (an
 * admin, an auditor), only itself (a plain member), or none. Decided once, so
 * that the rows can be fetched already filtered instead of one check per row.
 */
export function memberVisibility(gate: Gate, organizationId: string): { onlyUserId: string | null } | undefined {
  if (canReadEveryMember(gate, organizationId)) return { onlyUserId: null };
  if (canReadMember(gate, organizationId, gate.userId)) return { onlyUserId: gate.userId };
  return undefined;
}

/** Paging every member (`Organization.members`): NOT_FOUND unless the caller may read every member. */
export function everyMemberReading(gate: Gate, organizationId: string): Decision {
  return canReadEveryMember(gate, organizationId) ? allow() : refuseUnrecorded(notFound());
}

/**
 * Paging an organization's members by reference (`paginatedOrganizationMembers`):
 * the organization must be found and readable, and every member readable;
 * a caller cannot tell which of these failed.
 */
export function memberPageReading<P extends { organization: { id: string } }>(
  gate: Gate,
  page: P | undefined,
): Decision<P> {
  if (!page || !canReadOrganization(gate, page.organization.id) || !canReadEveryMember(gate, page.organization.id)) {
    return refuseUnrecorded(notFound());
  }
  return allow(page);
}

/**
 * Reading one membership: NOT_FOUND unless the organization is found and
 * readable; then the member, or null for no member or one the caller may not see.
 */
export function memberReading<M extends { organizationId: string; userId: string }>(
  gate: Gate,
  organizationId: string | undefined,
  member: M | undefined | null,
): Decision<M | null> {
  if (organizationId === undefined || !canReadOrganization(gate, organizationId)) return refuseUnrecorded(notFound());
  return allow(member && canReadMember(gate, member.organizationId, member.userId) ? member : null);
}

/** Longer than any role name can be (custom ones are at most 32 characters). */
const MAX_ROLE_NAME_LENGTH = 64;

export interface UserRef {
  id: string;
  username: string;
}

export interface MemberFacts {
  organizationId: string;
  userId: string;
  isSystem: boolean;
  /** The stored roles. */
  roles: string[];
}

/** Adding `user` (null: no such user) to the organization. */
export function memberAddition<U extends UserRef>(gate: Gate, organizationId: string, user: U | null): Decision<U> {
  if (!user || !gate.can('read', rbacObjects.user(user.id))) {
    return refuseUnrecorded(
      badUserInput('User must be an existing uuid or username.', {
        validations: [{ field: 'user', detail: 'no such user that you can see' }],
      }),
    );
  }
  const mayAdd =
    gate.can('assign', rbacObjects.assignOrgRole(organizationId)) &&
    gate.canAssign(ROLE.orgMember, organizationId) &&
    gate.can('create', rbacObjects.organizationMember(organizationId, user.id));
  return mayAdd ? allow(user) : refuseUnrecorded(notFound());
}

/**
 * Removing a membership. A system user's membership is never removable and
 * answers NOT_FOUND, as in Coder, where its lookup for the delete leaves
 * system users out; Coder records that refusal, as it found the member first.
 */
export function memberRemoval(gate: Gate, member: MemberFacts): Decision {
  if (!canReadMember(gate, member.organizationId, member.userId)) return refuseUnrecorded(notFound());
  if (member.userId === gate.userId) return refuse(badUserInput('Cannot remove self from an organization.'));
  if (member.isSystem) return refuse(notFound());
  if (!gate.can('delete', rbacObjects.organizationMember(member.organizationId, member.userId))) {
    return refuse(notFound());
  }
  return allow();
}

/**
 * Replacing a member's explicit roles with `requested`. Allowed, it gives the
 * roles to store: de-duplicated in request order, without the implicit
 * organization-member. `customRoleNames` are the organization's custom roles.
 */
export function memberRoleChange(
  gate: Gate,
  member: MemberFacts,
  requested: readonly string[],
  customRoleNames: ReadonlySet<string>,
): Decision<string[]> {
  const { organizationId, userId } = member;
  if (!canReadMember(gate, organizationId, userId)) return refuseUnrecorded(notFound());
  if (userId === gate.userId) return refuse(badUserInput('You cannot change your own organization roles.'));
  // Coder's UpdateMemberRoles looks the member up without system users, and answers that miss with 403.
  if (member.isSystem) return refuse(forbidden('The roles of a system user cannot be changed.'));

  const wanted = [...new Set(requested)];
  // organization-member is implied, as in Coder's UpdateMemberRoles: always in the new set (counted as added unless
  // stored, which Coder does when a request names it), so never removed; and never stored here.
  const kept = new Set([...wanted, ROLE.orgMember]);
  const added = [...kept].filter((name) => !member.roles.includes(name));
  const removed = member.roles.filter((name) => !kept.has(name));
  // As Coder's canAssignRoles, only the roles that change must exist: a stored role since deleted (or never
  // valid) may stay, and may not be taken away by a request that does not know it. A scoped name
  // (`name:org`) is refused wherever it appears, stored or asked for, as Coder refuses to convert it.
  const unsupported = [
    ...new Set([...member.roles, ...wanted].filter((name) => name.includes(':'))),
    ...[...added, ...removed].filter(
      (name) =>
        !name.includes(':') &&
        (name === '' ||
          name.length > MAX_ROLE_NAME_LENGTH ||
          isSiteRoleName(name) ||
          !(builtInOrgRole(name, organizationId) || customRoleNames.has(name))),
    ),
  ];
  if (unsupported.length) {
    return refuse(
      badUserInput(`Not a supported role: ${unsupported.map(quoted).join(', ')}.`, {
        detail:
          'Give bare organization role names: built-in ones (organization-admin, …) or custom roles of this organization.',
        validations: unsupported.map((name) => ({ field: 'roles', detail: `${quoted(name)} is not a supported role` })),
      }),
    );
  }

  const roles = rbacObjects.assignOrgRole(organizationId);
  if (added.length && !gate.can('assign', roles)) {
    return refuse(forbidden('You may not assign roles in this organization.'));
  }
  if (removed.length && !gate.can('unassign', roles)) {
    return refuse(forbidden('You may not unassign roles in this organization.'));
  }
  const refused = [...added, ...removed].filter((name) => !gate.canAssign(name, organizationId));
  if (refused.length) {
    return refuse(
      badUserInput(`Not authorized to assign role ${refused.map(quoted).join(', ')}.`, {
        validations: refused.map((name) => ({
          field: 'roles',
          detail: `you may not assign or unassign ${quoted(name)}`,
        })),
      }),
    );
  }
  return allow(wanted.filter((name) => name !== ROLE.orgMember));
}
