import type { Context } from '../../context.js';
import { unauthenticated } from '../../errors.js';

/**
 * Federation's `_entities` field is added by the plugin, outside the Query
 * type's auth scope, so entity resolvers authenticate the caller themselves.
 */
export async function requireAuthenticated(ctx: Context): Promise<void> {
  const authentication = await ctx.authenticate();
  if (!authentication.ok) throw unauthenticated(authentication.reason);
}
