// An entry of Coder's audit trail, as Organization.auditLogs shows it: one
// row of `audit_logs` about a member or a custom role of the organization.
import { JSONObjectResolver } from 'graphql-scalars';
import { builder } from '../../builder.js';
import { AUDIT_ACTIONS, type AuditLogRow } from '../../db/reads/audit-logs.js';

builder.addScalarType('JSONObject', JSONObjectResolver);

export const AuditAction = builder.enumType('AuditAction', {
  description: "What an audited request did (Coder's `audit_action`).",
  values: Object.fromEntries(
    AUDIT_ACTIONS.map((action) => [action.toUpperCase(), { value: action, description: `Coder's "${action}".` }]),
  ),
});

export const AuditResourceType = builder.enumType('AuditResourceType', {
  description: 'What an audit entry of an organization is about.',
  values: {
    ORGANIZATION_MEMBER: {
      value: 'organization_member',
      description: 'A membership: added, its roles changed, removed.',
    },
    CUSTOM_ROLE: { value: 'custom_role', description: 'A custom organization role: created, updated, deleted.' },
  } as const,
});

export const AuditLog = builder.objectRef<AuditLogRow>('AuditLog').implement({
  description:
    "One entry of the organization's audit trail, as Coder's `audit_logs` stores it (changes made through Coder " +
    'and through this gateway alike). See docs/audit.md.',
  fields: (t) => ({
    id: t.exposeID('id', { description: 'The entry id.' }),
    time: t.field({
      type: 'DateTime',
      description: 'When the change was made.',
      resolve: (entry) => new Date(entry.time),
    }),
    requestId: t.exposeID('requestId', { description: 'The request that made it (shared by its entries).' }),
    organizationId: t.exposeID('organizationId', { description: 'The organization.' }),
    actorId: t.exposeID('actorId', { description: 'The user who made the request.' }),
    actorUsername: t.exposeString('actorUsername', {
      nullable: true,
      description: "That user's username now; null if the user no longer exists.",
    }),
    ip: t.exposeString('ip', { nullable: true, description: "The client's IP address, if known." }),
    userAgent: t.exposeString('userAgent', { nullable: true, description: "The client's User-Agent header." }),
    resourceType: t.field({
      type: AuditResourceType,
      description: 'What the entry is about.',
      resolve: (entry) => entry.resourceType as 'organization_member' | 'custom_role',
    }),
    resourceId: t.exposeID('resourceId', { description: "The member's user id, or the custom role's id." }),
    resourceTarget: t.exposeString('resourceTarget', {
      description: "The member's username, or the role's name, when the change was made.",
    }),
    action: t.field({
      type: AuditAction,
      description: 'What was done.',
      resolve: (entry) => entry.action as (typeof AUDIT_ACTIONS)[number],
    }),
    statusCode: t.exposeInt('statusCode', {
      description:
        'The HTTP status Coder answers such a request with: 200 or 204 when it was made, 400, 403 or 404 when refused.',
    }),
    diff: t.field({
      type: 'JSONObject',
      description:
        'The changed fields, each `{"Old": …, "New": …, "Secret": false}`, in Coder\'s form; `{}` for a refusal.',
      resolve: (entry) => entry.diff,
    }),
    additionalFields: t.field({
      type: 'JSONObject',
      description: 'Further details Coder records with some entries; `{}` for these.',
      resolve: (entry) => entry.additionalFields,
    }),
  }),
});
