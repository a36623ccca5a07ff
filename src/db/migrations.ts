// Reads prisma/migrations/ in the layout the Prisma CLI uses, so that a
// machine with the native engine can still run `prisma migrate` on it.
import { existsSync } from 'node:fs';
import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { SchemaFile } from './schema-engine.js';

export const PRISMA_DIR = fileURLToPath(new URL('../../prisma/', import.meta.url));
export const DEFAULT_MIGRATIONS_DIR = join(PRISMA_DIR, 'migrations');

export async function readSchema(): Promise<SchemaFile> {
  const path = join(PRISMA_DIR, 'schema.prisma');
  return { path, content: await readFile(path, 'utf8') };
}

export interface MigrationsList {
  baseDir: string;
  lockfile: { path: string; content: string | null };
  shadowDbInitScript: string;
  migrationDirectories: {
    path: string;
    migrationFile: { path: string; content: { tag: 'ok'; value: string } | { tag: 'error'; value: string } };
  }[];
}

export async function readMigrations(baseDir = DEFAULT_MIGRATIONS_DIR): Promise<MigrationsList> {
  const lockPath = join(baseDir, 'migration_lock.toml');
  const entries = existsSync(baseDir) ? await readdir(baseDir, { withFileTypes: true }) : [];
  const names = entries
    .filter((entry) => entry.isDirectory())
    .map((entry) => entry.name)
    .sort();
  return {
    baseDir,
    lockfile: { path: 'migration_lock.toml', content: existsSync(lockPath) ? await readFile(lockPath, 'utf8') : null },
    shadowDbInitScript: '',
    migrationDirectories: await Promise.all(
      names.map(async (name) => {
        const file = join(baseDir, name, 'migration.sql');
        const content = existsSync(file)
          ? { tag: 'ok' as const, value: await readFile(file, 'utf8') }
          : { tag: 'error' as const, value: `${file} is missing` };
        return { path: name, migrationFile: { path: 'migration.sql', content } };
      }),
    ),
  };
}

/**
 * The SQL that would take a database made by the migrations in `baseDir` to
 * prisma/schema.prisma, as `prisma migrate diff` prints it: empty when the two
 * agree. Prisma's engine works it out on a throw-away in-memory PGlite.
 */
export async function pendingSchemaChanges(baseDir = DEFAULT_MIGRATIONS_DIR): Promise<string> {
  const [schema, migrations] = await Promise.all([readSchema(), readMigrations(baseDir)]);
  // Loaded here only: the gateway itself never diffs, and PGlite is large to import.
  const [{ PGlite }, { PrismaPGlite }, { withSchemaEngine }] = await Promise.all([
    import('@electric-sql/pglite'),
    import('pglite-prisma-adapter'),
    import('./schema-engine.js'),
  ]);
  const pglite = new PGlite();
  try {
    const result = await withSchemaEngine(new PrismaPGlite(pglite), schema, (engine) =>
      engine.diff({
        from: migrations.migrationDirectories.length ? { tag: 'migrations', ...migrations } : { tag: 'empty' },
        to: { tag: 'schemaDatamodel', files: [schema] },
        script: true,
        exitCode: null,
        filters: { externalTables: [], externalEnums: [] },
      }),
    );
    const sql = (result.stdout ?? '').trim();
    return sql.startsWith('-- This is an empty migration') ? '' : sql;
  } finally {
    await pglite.close();
  }
}
