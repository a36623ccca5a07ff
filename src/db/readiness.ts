import type { DataAccess } from './database.js';
import { allMigrationsApplied, assertSchemaPresent } from './migrate.js';

/**
 * Whether the database can serve this gateway: it answers, and its schema is
 * ours with every migration applied (MIGRATE=true), or has the tables we read
 * (MIGRATE=false, a Coder deployment's database). Throws with the reason.
 */
export async function checkDatabaseReady(database: DataAccess, migrate: boolean): Promise<void> {
  if (!migrate) return assertSchemaPresent(database.prisma);
  const applied = await allMigrationsApplied((text, values) => database.sql.query(text, values));
  if (!applied) throw new Error('the database migrations are not all applied');
}
