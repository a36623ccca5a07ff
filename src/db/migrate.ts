import type { SqlMigrationAwareDriverAdapterFactory } from '@prisma/driver-adapter-utils';
import { DEFAULT_MIGRATIONS_DIR, readMigrations, readSchema } from './migrations.js';
import { withSchemaEngine } from './schema-engine.js';

export class MigrationError extends Error {
  override name = 'MigrationError';
}

/**
 * Applies the migrations in `migrationsDir` that the database has not seen,
 * as `prisma migrate deploy` does, and returns their names. Applied ones are
 * recorded in `_prisma_migrations`, so a second run applies nothing.
 */
export async function applyMigrations(
  adapterFactory: SqlMigrationAwareDriverAdapterFactory,
  migrationsDir = DEFAULT_MIGRATIONS_DIR,
): Promise<string[]> {
  const [schema, migrationsList] = await Promise.all([readSchema(), readMigrations(migrationsDir)]);
  try {
    const { appliedMigrationNames } = await withSchemaEngine(adapterFactory, schema, (engine) =>
      engine.applyMigrations({ migrationsList, filters: { externalTables: [], externalEnums: [] } }),
    );
    return appliedMigrationNames;
  } catch (error) {
    throw new MigrationError(`database migration failed: ${engineMessage(error)}`, { cause: error });
  }
}

/** The engine's errors end in a Rust backtrace ("   0: sql_schema_connector…"); keep what precedes it. */
function engineMessage(error: unknown): string {
  const message = error instanceof Error ? error.message : String(error);
  return message
    .split(/\n\s+0: /)[0]!
    .replace(/\s+/g, ' ')
    .trim();
}
