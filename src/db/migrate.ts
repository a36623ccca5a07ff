import type { SqlMigrationAwareDriverAdapterFactory } from '@prisma/driver-adapter-utils';
import type { PrismaClient } from '../generated/prisma/client.js';
import { DEFAULT_MIGRATIONS_DIR, readMigrations, readSchema } from './migrations.js';
import { withSchemaEngine } from './schema-engine.js';
import type { RunStatement } from './sql.js';

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

/**
 * Whether the database has applied every migration in `migrationsDir`, and
 * none failed: then the engine would change nothing, and starting it is
 * skipped, which is every start but the first (docs/performance.md). Later
 * migrations than ours are a newer build's, in a rolling deploy: this one
 * still serves (and reports ready) while its replicas are replaced. Any other
 * state, including no migrations table yet, is the engine's to apply or refuse.
 */
export async function allMigrationsApplied(
  run: RunStatement,
  migrationsDir = DEFAULT_MIGRATIONS_DIR,
): Promise<boolean> {
  const [{ migrationDirectories }, [table]] = await Promise.all([
    readMigrations(migrationsDir),
    run(`SELECT to_regclass('_prisma_migrations') IS NOT NULL AS present`, []),
  ]);
  if (!table?.present) return false;
  // A rolled-back migration is not applied; Prisma applies it again.
  const recorded = await run(
    `SELECT migration_name, finished_at IS NOT NULL AS finished FROM _prisma_migrations WHERE rolled_back_at IS NULL`,
    [],
  );
  if (recorded.some((row) => !row.finished)) return false;
  const applied = new Set(recorded.map((row) => row.migration_name as string));
  const local = migrationDirectories.map((directory) => directory.path);
  return local.every((name) => applied.has(name));
}

/** The engine's errors end in a Rust backtrace ("   0: sql_schema_connector…"); keep what precedes it. */
function engineMessage(error: unknown): string {
  const message = error instanceof Error ? error.message : String(error);
  return message
    .split(/\n\s+0: /)[0]!
    .replace(/\s+/g, ' ')
    .trim();
}

const TABLES = ['organizations', 'users', 'organization_members', 'custom_roles', 'api_keys'];

/**
 * With MIGRATE=false the schema is someone else's (a Coder deployment's):
 * say plainly if it is not there, rather than fail on the first query.
 */
export async function assertSchemaPresent(prisma: PrismaClient): Promise<void> {
  const rows = await prisma.$queryRaw<{ name: string; present: boolean }[]>`
    SELECT name, to_regclass(name) IS NOT NULL AS present FROM unnest(${TABLES}::text[]) AS name`;
  const missing = rows.filter((row) => !row.present).map((row) => row.name);
  if (missing.length) {
    throw new MigrationError(
      `the database lacks the tables ${missing.join(', ')}: ` +
        'start once with MIGRATE=true, or point DATABASE_URL at a Coder database',
    );
  }
}

/** Whether the database has `table` (in the search path): for tables a Coder database has and ours may lack. */
export async function tablePresent(prisma: PrismaClient, table: string): Promise<boolean> {
  const [row] = await prisma.$queryRaw<{ present: boolean }[]>`SELECT to_regclass(${table}) IS NOT NULL AS present`;
  return row?.present === true;
}
