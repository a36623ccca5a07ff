import { printSubgraphSchema } from '@apollo/subgraph';
import { isScalarType, type GraphQLSchema } from 'graphql';

/**
 * The subgraph's SDL as routers read it (`_service { sdl }`) and as
 * schema.graphql holds it: printSubgraphSchema keeps the federation directives
 * that printSchema drops, but drops `@specifiedBy`, which tells code
 * generators a scalar's format (DateTime); it is put back here.
 */
export function printSubgraphSdl(schema: GraphQLSchema): string {
  let sdl = printSubgraphSchema(schema);
  for (const type of Object.values(schema.getTypeMap())) {
    if (!isScalarType(type) || !type.specifiedByURL) continue;
    sdl = sdl.replace(
      new RegExp(`^scalar ${type.name}$`, 'm'),
      `scalar ${type.name} @specifiedBy(url: ${JSON.stringify(type.specifiedByURL)})`,
    );
  }
  return sdl;
}

/** Makes `_service { sdl }` answer `printSubgraphSdl`. */
export function serveSubgraphSdl(schema: GraphQLSchema): void {
  const service = schema.getQueryType()?.getFields()._service;
  if (!service) return;
  const sdl = printSubgraphSdl(schema);
  service.resolve = () => ({ sdl });
}
