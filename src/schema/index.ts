// Imports every domain module (each registers its types and fields on the
// builder), then builds the schema as an Apollo Federation subgraph.
import { assertValidSchema, lexicographicSortSchema } from 'graphql';
import { builder } from '../builder.js';
import { resolveListFields } from '../execution/list-fields.js';
import { handOutInTurns } from '../execution/turns.js';
import { countListValues } from '../limits/answer-meter.js';
import type { Context, RequestContext } from '../context.js';
import { noteChangesMade } from '../execution/changes-made.js';
import { answerEntitiesOneByOne, requireAuthenticated } from './shared/entity.js';
import { serveSubgraphSdl } from './shared/sdl.js';
import './permission/permission.js';
import './role/role.js';
import './role/role.query.js';
import './role/role.mutation.js';
import './user/user.js';
import './user/user.fields.js';
import './user/user.query.js';
import './organization/organization.js';
import './organization/organization.fields.js';
import './organization/organization.query.js';
import './member/member.js';
import './member/member.query.js';
import './member/member.mutation.js';
import './audit/audit-log.js';
import './audit/organization-audit-logs.js';

// Sorted, so that schema.graphql changes only when the API does.
export const schema = lexicographicSortSchema(
  builder.toSubGraphSchema({
    linkUrl: 'https://specs.apollo.dev/federation/v2.6',
    federationDirectives: ['@key', '@shareable'],
  }),
);
// Mutation fields run one after another, and each may change what this
// request's loaders have read (a page of members, custom roles): each starts
// with fresh loaders, and the fields it returns are read after its write. A
// field after another write authenticates again, as Coder's next REST call
// would: the write may have changed the caller's own roles. Its answer is
// judged by the permissions it ran with, as Coder's response is.
const writing = new WeakSet<RequestContext>();
for (const field of Object.values(schema.getMutationType()?.getFields() ?? {})) {
  const write = field.resolve!;
  field.resolve = async (root, args, ctx: RequestContext, info) => {
    if (writing.has(ctx)) {
      ctx.forgetSession();
      await requireAuthenticated(ctx);
    }
    writing.add(ctx);
    ctx.forgetReads();
    const result = await write(root, args, ctx, info);
    noteChangesMade((ctx as Partial<Context>).request);
    ctx.forgetReads();
    return result;
  };
}
answerEntitiesOneByOne(schema);
// Counted as read, before long lists are handed out in turns.
resolveListFields(schema, [countListValues, handOutInTurns]);
serveSubgraphSdl(schema);
// Fail at start-up, not on the first request.
assertValidSchema(schema);
