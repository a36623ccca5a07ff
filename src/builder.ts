import SchemaBuilder from '@pothos/core';
import DirectivesPlugin from '@pothos/plugin-directives';
import FederationPlugin from '@pothos/plugin-federation';
import RelayPlugin from '@pothos/plugin-relay';
import ScopeAuthPlugin from '@pothos/plugin-scope-auth';
import { GraphQLScalarType } from 'graphql';
import { DateTimeResolver } from 'graphql-scalars';
import type { Context } from './context.js';
import { authenticationRefused } from './auth/session.js';

export const builder = new SchemaBuilder<{
  Context: Context;
  AuthScopes: { authenticated: boolean };
  Scalars: {
    DateTime: { Input: Date; Output: Date };
    JSONObject: { Input: Record<string, unknown>; Output: Record<string, unknown> };
  };
  DefaultFieldNullability: false;
  DefaultInputFieldRequiredness: true;
}>({
  // Scope auth first, so that no other plugin's work runs for a refused field;
  // federation last, as it wraps the finished types.
  plugins: [ScopeAuthPlugin, RelayPlugin, DirectivesPlugin, FederationPlugin],
  defaultFieldNullability: false,
  defaultInputFieldRequiredness: true,
  scopeAuth: {
    authScopes: async (ctx) => ({ authenticated: (await ctx.authenticate()).ok }),
    unauthorizedError: (_parent, ctx) => authenticationRefused(ctx.authFailure()),
  },
  relay: {
    clientMutationId: 'omit',
    cursorType: 'String',
    // Every subgraph with Relay connections defines PageInfo: shared, so that they compose.
    pageInfoTypeOptions: { shareable: true },
  },
});

// graphql-scalars' DateTime serializes to a Date, which JSON.stringify turns
// into the same ISO string through toJSON, but any toJSON takes it off its
// fast path (docs/performance.md). The string itself keeps the answer plain data.
builder.addScalarType(
  'DateTime',
  new GraphQLScalarType({
    ...DateTimeResolver.toConfig(),
    serialize: (value) => (DateTimeResolver.serialize(value) as Date).toISOString(),
    // Tells code generators and clients the format (RFC 3339 date-time, sent as a string).
    specifiedByURL: 'https://scalars.graphql.org/andimarek/date-time.html',
  }),
);

builder.queryType({
  description: 'Reads. Every field needs a valid session token.',
  authScopes: { authenticated: true },
});
builder.mutationType({
  description: 'Writes. Every field needs a valid session token; a refused or failed write changes nothing.',
  authScopes: { authenticated: true },
});
