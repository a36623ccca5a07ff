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
    const message = engineMessage(error);
    // Prisma's P3005: tables the migrations did not make, which on a Coder database are Coder's to change.
    const hint = /schema is not empty/i.test(message)
      ? ' To serve a database whose schema the gateway did not create (a Coder database), set MIGRATE=false.'
      : '';
    throw new MigrationError(`database migration failed: ${message}${hint}`, { cause: error });
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

/**
 * The columns of Coder's tables that the gateway reads or writes (prisma/schema.prisma, src/db/reads): a Coder
 * database of another version may lack some, and every request would then fail on its first statement.
 */
export const COLUMNS_USED: Record<string, readonly string[]> = {
  organizations: [
    'id',
    'name',
    'display_name',
    'description',
    'icon',
    'is_default',
    'deleted',
    'created_at',
    'updated_at',
  ],
  users: [
    'id',
    'email',
    'username',
    'name',
    'avatar_url',
    'status',
    'rbac_roles',
    'login_type',
    'deleted',
    'is_system',
    'last_seen_at',
    'quiet_hours_schedule',
    'github_com_user_id',
    'hashed_password',
    'hashed_one_time_passcode',
    'one_time_passcode_expires_at',
    'created_at',
    'updated_at',
  ],
  organization_members: ['user_id', 'organization_id', 'roles', 'created_at', 'updated_at'],
  custom_roles: [
    'id',
    'name',
    'display_name',
    'organization_id',
    'site_permissions',
    'org_permissions',
    'user_permissions',
    'created_at',
    'updated_at',
  ],
  api_keys: [
    'id',
    'hashed_secret',
    'user_id',
    'last_used',
    'expires_at',
    'lifetime_seconds',
    'login_type',
    'scope',
    'ip_address',
    'token_name',
    'created_at',
    'updated_at',
  ],
};

/**
 * With MIGRATE=false the schema is someone else's (a Coder deployment's):
 * say plainly if it is not there, or lacks a column the gateway uses, rather than fail on the first query.
 */
export async function assertSchemaPresent(prisma: PrismaClient): Promise<void> {
  const tables = Object.keys(COLUMNS_USED);
  // The columns of the tables the search path finds, as the gateway's statements name them: a table none of whose
  // columns is found is not there.
  const present = await prisma.$queryRaw<{ table_name: string; column_name: string }[]>`
    SELECT c.table_name::text AS table_name, c.column_name::text AS column_name
    FROM information_schema.columns c
    WHERE c.table_name = ANY(${tables}::text[])
      AND to_regclass(quote_ident(c.table_schema) || '.' || quote_ident(c.table_name)) = to_regclass(c.table_name)`;
  const tablesFound = new Set(present.map((row) => row.table_name));
  const missing = tables.filter((table) => !tablesFound.has(table));
  if (missing.length) {
    throw new MigrationError(
      `the database lacks the tables ${missing.join(', ')}: ` +
        'start once with MIGRATE=true, or point DATABASE_URL at a Coder database',
    );
  }
  const found = new Set(present.map((row) => `${row.table_name}.${row.column_name}`));
  const lacking = Object.entries(COLUMNS_USED).flatMap(([table, columns]) =>
    columns.map((column) => `${table}.${column}`).filter((name) => !found.has(name)),
  );
  if (lacking.length) {
    throw new MigrationError(
      `the database lacks the columns ${lacking.join(', ')} that the gateway uses: ` +
        'it is not a Coder database of a version whose schema the gateway knows (docs/operations.md)',
    );
  }
}

/** Whether the database has `table` (in the search path): for tables a Coder database has and ours may lack. */
export async function tablePresent(prisma: PrismaClient, table: string): Promise<boolean> {
  const [row] = await prisma.$queryRaw<{ present: boolean }[]>`SELECT to_regclass(${table}) IS NOT NULL AS present`;
  return row?.present === true;
}
