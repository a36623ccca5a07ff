// Prisma's migration engine, run as WebAssembly through a driver adapter.
//
// The Prisma CLI would download a native schema engine, which cannot happen
// here, so we drive `@prisma/schema-engine-wasm` (the same engine, built for
// WebAssembly) ourselves. It is an internal Prisma package: its version is
// pinned in package.json and this module is the only code that touches it.
import { readFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import {
  bindMigrationAwareSqlAdapterFactory,
  type SqlMigrationAwareDriverAdapterFactory,
} from '@prisma/driver-adapter-utils';
import * as engineBindings from '@prisma/schema-engine-wasm/schema_engine_bg';

type SchemaEngine = engineBindings.SchemaEngine;

let wasmReady: Promise<void> | undefined;

/**
 * The package's entry point imports the `.wasm` file as an ES module, which
 * Node 20 only allows behind --experimental-wasm-modules. We instantiate the
 * module ourselves and hand it to the generated bindings instead.
 */
function loadWasm(): Promise<void> {
  wasmReady ??= (async () => {
    const require = createRequire(import.meta.url);
    const bindingsPath = require.resolve('@prisma/schema-engine-wasm/schema_engine_bg');
    const bytes = await readFile(join(dirname(bindingsPath), 'schema_engine_bg.wasm'));
    const { instance } = await WebAssembly.instantiate(bytes, { './schema_engine_bg.js': engineBindings });
    engineBindings.__wbg_set_wasm(instance.exports);
    (instance.exports.__wbindgen_start as () => void)();
  })();
  return wasmReady;
}

export interface SchemaFile {
  path: string;
  content: string;
}

/** Opens the engine on a database, runs `use`, and frees the engine. */
export async function withSchemaEngine<T>(
  adapterFactory: SqlMigrationAwareDriverAdapterFactory,
  schema: SchemaFile,
  use: (engine: SchemaEngine) => Promise<T>,
): Promise<T> {
  await loadWasm();
  const engine = await engineBindings.SchemaEngine.new(
    { datamodels: [[schema.path, schema.content]] },
    () => {},
    bindMigrationAwareSqlAdapterFactory(adapterFactory),
  );
  try {
    return await use(engine);
  } finally {
    engine.free();
  }
}
