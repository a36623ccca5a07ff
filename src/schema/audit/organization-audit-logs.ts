// Organization.auditLogs: the organization's audit entries about its members
// and custom roles, newest first, as a Relay connection whose cursors are
// entries' positions (time, id), so that pages hold still as entries arrive.
// Every organization's page in a request comes from one statement.
import type { GraphQLResolveInfo } from 'graphql';
import { enforce } from '../../access/decision.js';
import { builder } from '../../builder.js';
import type { RequestContext } from '../../context.js';
import {
  AUDIT_DEFAULT_PAGE,
  AUDIT_MAX_PAGE,
  type AuditPageRequest,
  type AuditPosition,
} from '../../db/reads/audit-logs.js';
import { badUserInput, type FieldValidation } from '../../errors.js';
import { isUuid } from '../../db/references.js';
import { Organization } from '../organization/organization.js';
import { userArgument } from '../shared/references.js';
import { selectsFieldBelow } from '../shared/selection.js';
import { AuditLog, AuditResourceType } from './audit-log.js';
import { auditLogReading } from './audit.policy.js';

const TIME = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{6}Z$/;

/**
 * A time as a cursor carries it (microseconds, UTC), and one PostgreSQL takes: a real date (not 2026-02-30 or
 * 23:60), from year 1 (it has no year 0). A time it refuses would fail the page's statement, and with it every
 * page of the request read in that statement.
 */
function isCursorTime(time: string): boolean {
  if (!TIME.test(time) || time.startsWith('0000')) return false;
  const milliseconds = `${time.slice(0, 23)}Z`;
  const parsed = new Date(milliseconds);
  return !Number.isNaN(parsed.getTime()) && parsed.toISOString() === milliseconds;
}

export const encodeCursor = ({ time, id }: AuditPosition) =>
  Buffer.from(JSON.stringify([time, id])).toString('base64url');

function decodeCursor(cursor: string): AuditPosition | undefined {
  try {
    const [time, id, ...rest] = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8')) as unknown[];
    if (typeof time === 'string' && isCursorTime(time) && typeof id === 'string' && isUuid(id) && !rest.length) {
      return { time, id: id.toLowerCase() };
    }
  } catch {}
  return undefined;
}

interface AuditLogArgs {
  first?: number | null;
  after?: string | null;
  last?: number | null;
  before?: string | null;
  resourceType?: 'organization_member' | 'custom_role' | null;
  user?: string | null;
}

/**
 * The page Relay's arguments ask for, as a statement reads it: forward
 * (`first`, the default) or backward (`last` alone). With both, `first` is
 * read and `last` of it kept, as Relay's algorithm has it.
 */
function pageRequest(ctx: RequestContext, organizationId: string, args: AuditLogArgs, info: GraphQLResolveInfo) {
  const validations: FieldValidation[] = [];
  const position = (field: 'after' | 'before') => {
    const cursor = args[field];
    if (cursor == null) return null;
    const decoded = decodeCursor(cursor);
    if (!decoded) validations.push({ field, detail: 'is not a cursor of this connection' });
    return decoded ?? null;
  };
  for (const field of ['first', 'last'] as const) {
    const size = args[field];
    if (size != null && (size < 0 || size > AUDIT_MAX_PAGE))
      validations.push({ field, detail: `must be 0 to ${AUDIT_MAX_PAGE}` });
  }
  const after = position('after');
  const before = position('before');
  let userId: string | null = null;
  let username: string | null = null;
  if (args.user != null) {
    const ref = userArgument(ctx, args.user);
    if ('id' in ref) userId = ref.id;
    else username = ref.username;
  }
  if (validations.length) throw badUserInput('Invalid connection arguments.', { validations });
  const backward = args.first == null && args.last != null;
  const size = backward ? args.last! : (args.first ?? AUDIT_DEFAULT_PAGE);
  const request: AuditPageRequest = {
    organizationId,
    resourceType: args.resourceType ?? null,
    userId,
    username,
    after,
    before,
    take: size + 1,
    backward,
    // Entries' diffs may be long (display names of up to 10,000 characters, and Coder's of any length): read only when asked.
    details: selectsFieldBelow(info, ['diff', 'additionalFields']),
  };
  return { request, keepLast: args.first != null && args.last != null ? args.last : null };
}

builder.objectFields(Organization, (t) => ({
  auditLogs: t.connection(
    {
      type: AuditLog,
      // Null, with NOT_FOUND, for a caller who may not read the trail: the other organizations of a list keep theirs.
      nullable: true,
      description:
        "The organization's audit entries about its members and custom roles, newest first: those Coder writes " +
        'and those this gateway writes for its own changes (docs/audit.md). NOT_FOUND (and null) unless the caller ' +
        'may read audit logs in the organization: owners, auditors, organization admins and organization auditors. ' +
        `A page holds \`first\` (default ${AUDIT_DEFAULT_PAGE}) or \`last\` entries, at most ${AUDIT_MAX_PAGE}.`,
      args: {
        resourceType: t.arg({
          type: AuditResourceType,
          required: false,
          description: 'Only entries about memberships, or only entries about custom roles.',
        }),
        user: t.arg.string({
          required: false,
          description: 'Only entries about this member (a user id, a username, or `me`): the user acted on.',
        }),
      },
      resolve: async (organization, args, ctx, info) => {
        const { request, keepLast } = pageRequest(ctx, organization.id, args, info);
        enforce(auditLogReading(await ctx.gate(), organization.id));
        const page = ctx.auditLogs === 'absent' ? { rows: [], more: false } : await ctx.reads().auditPage(request);
        const rows = keepLast === null ? page.rows : page.rows.slice(Math.max(page.rows.length - keepLast, 0));
        const edges = rows.map((node) => ({ node, cursor: encodeCursor(node) }));
        return {
          edges,
          pageInfo: {
            // Relay lets these be false when the other direction was not read; a cursor means entries lie beyond it.
            hasNextPage: request.backward ? request.before !== null : page.more,
            hasPreviousPage: request.backward ? page.more : request.after !== null || rows.length < page.rows.length,
            startCursor: edges[0]?.cursor ?? null,
            endCursor: edges.at(-1)?.cursor ?? null,
          },
        };
      },
    },
    { name: 'AuditLogConnection', description: "A page of an organization's audit entries, newest first." },
    { name: 'AuditLogEdge', description: 'An audit entry, and its cursor.' },
  ),
}));
