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
