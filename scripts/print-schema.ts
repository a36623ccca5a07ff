// Prints the schema the code builds to schema.graphql (`npm run schema:print`),
// or with --check fails when the committed file differs (`npm run schema:check`).
// printSubgraphSdl keeps the federation directives that printSchema drops, and @specifiedBy.
import { readFileSync, writeFileSync } from 'node:fs';
import { parse, print, visit, type ASTNode } from 'graphql';
import { schema } from '../src/schema/index.js';
import { printSubgraphSdl } from '../src/schema/shared/sdl.js';

/**
 * printSubgraphSchema prints fields in the order the code declares them;
 * sort them (and enum values) too, so that moving code never moves the file.
 */
function sortSdl(sdl: string): string {
  const byName = <T extends { name: { value: string } }>(items: readonly T[] | undefined) =>
    items && [...items].sort((a, b) => a.name.value.localeCompare(b.name.value));
  const sorted = visit(parse(sdl), {
    enter(node: ASTNode) {
      if ('fields' in node && Array.isArray(node.fields)) return { ...node, fields: byName(node.fields) };
      if (node.kind === 'EnumTypeDefinition') return { ...node, values: byName(node.values) };
      return undefined;
    },
  });
  return print(sorted);
}

const file = new URL('../schema.graphql', import.meta.url);
const printed = `${sortSdl(printSubgraphSdl(schema)).trim()}\n`;
let committed = '';
try {
  committed = readFileSync(file, 'utf8');
} catch {}

if (process.argv.includes('--check')) {
  if (committed !== printed) {
    console.error('schema.graphql is out of date with the code: run `npm run schema:print` and commit it.');
    process.exit(1);
  }
  console.log('schema.graphql matches the code.');
} else if (committed !== printed) {
  writeFileSync(file, printed);
  console.log('wrote schema.graphql');
} else {
  console.log('schema.graphql is up to date.');
}
