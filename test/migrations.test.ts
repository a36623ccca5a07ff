// The migrations in prisma/migrations/, applied by Prisma's migration engine
// (WebAssembly, through the driver adapter) on each database kind: the tables
// they create match SPEC B.1 and Coder's dump.sql, the constraints Prisma
// cannot declare behave, and a failing migration leaves everything as it was.
import { randomUUID } from 'node:crypto';
import { cp, mkdir, mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { allMigrationsApplied, assertSchemaPresent, COLUMNS_USED, MigrationError } from '../src/db/migrate.js';
import { DEFAULT_MIGRATIONS_DIR, pendingSchemaChanges } from '../src/db/migrations.js';
import { DATABASE_KINDS, freshDatabase, type TestDatabase } from './support/databases.js';

const INIT = '20261201144650_init';
/** Every migration in prisma/migrations/, in the order they apply. */
const ALL_MIGRATIONS = (await readdir(DEFAULT_MIGRATIONS_DIR, { withFileTypes: true }))
  .filter((entry) => entry.isDirectory())
  .map((entry) => entry.name)
  .sort();
const TABLES = ['organizations', 'users', 'organization_members', 'custom_roles', 'api_keys', 'audit_logs'];

type Db = TestDatabase;
const rows = <T = Record<string, unknown>>(db: Db, sql: string, ...values: unknown[]) =>
  db.prisma.$queryRawUnsafe<T[]>(sql, ...values);
const exec = (db: Db, sql: string, ...values: unknown[]) => db.prisma.$executeRawUnsafe(sql, ...values);

/** "type, NOT NULL?, default" of every column of the six tables, keyed "table.column". */
async function columns(db: Db): Promise<Record<string, string>> {
  const found = await rows<{
    table_name: string;
    column_name: string;
    type: string;
    is_nullable: string;
    column_default: string | null;
  }>(
    db,
    `SELECT table_name, column_name, is_nullable, column_default,
            CASE data_type WHEN 'USER-DEFINED' THEN udt_name WHEN 'ARRAY' THEN substr(udt_name, 2) || '[]'
              WHEN 'character varying' THEN data_type || '(' || character_maximum_length || ')' ELSE data_type END AS type
       FROM information_schema.columns
      WHERE table_schema = 'public' AND table_name = ANY($1::text[])`,
    TABLES,
  );
  return Object.fromEntries(
    found.map((c) => [
      `${c.table_name}.${c.column_name}`,
      [c.type, c.is_nullable === 'NO' ? 'not null' : 'null', c.column_default ? `default ${c.column_default}` : '']
        .join(' ')
        .trim(),
    ]),
  );
}

/**
 * Everything a migration could change in the public schema, as comparable text.
 * Queried one after the other on purpose: see "releases PostgreSQL's migration
 * lock" below (parallel queries would open more pooled connections, and the
 * next migration would then wait for the lock the first one left behind).
 */
async function schemaSnapshot(db: Db) {
  return {
    columns: await rows(
      db,
      `SELECT table_name, column_name, data_type, is_nullable, column_default FROM information_schema.columns
        WHERE table_schema = 'public' AND table_name <> '_prisma_migrations' ORDER BY 1, 2`,
    ),
    indexes: await rows(db, `SELECT indexname, indexdef FROM pg_indexes WHERE schemaname = 'public' ORDER BY 1`),
    tables: await rows(db, `SELECT table_name FROM information_schema.tables WHERE table_schema = 'public' ORDER BY 1`),
    enums: await rows(
      db,
      `SELECT t.typname, e.enumlabel FROM pg_enum e JOIN pg_type t ON t.oid = e.enumtypid ORDER BY 1, e.enumsortorder`,
    ),
    triggers: await rows(db, `SELECT tgname FROM pg_trigger WHERE NOT tgisinternal ORDER BY 1`),
  };
}

async function dataSnapshot(db: Db) {
  const snapshot: Record<string, unknown> = {};
  for (const table of TABLES) {
    snapshot[table] = await rows(db, `SELECT row_to_json(t)::text AS row FROM ${table} t ORDER BY 1`);
  }
  return snapshot;
}

async function insertOrganization(db: Db, name: string, extra: { isDefault?: boolean; deleted?: boolean } = {}) {
  const id = randomUUID();
  await exec(
    db,
    `INSERT INTO organizations (id, name, display_name, description, is_default, deleted, created_at, updated_at)
     VALUES ($1::uuid, $2, $2, '', $3, $4, now(), now())`,
    id,
    name,
    extra.isDefault ?? false,
    extra.deleted ?? false,
  );
  return id;
}

async function insertUser(db: Db, username: string, email = `${username}@example.com`, deleted = false) {
  const id = randomUUID();
  await exec(
    db,
    `INSERT INTO users (id, username, email, hashed_password, deleted, created_at, updated_at)
     VALUES ($1::uuid, $2, $3, '\\x'::bytea, $4, now(), now())`,
    id,
    username,
    email,
    deleted,
  );
  return id;
}

/** The database refuses `sql` with a unique violation (SQLSTATE 23505). */
async function expectUniqueViolation(promise: Promise<unknown>) {
  await expect(promise).rejects.toThrow(/unique|23505|duplicate key/i);
}

describe.each(DATABASE_KINDS)('migrations on %s', (kind) => {
  let db: Db;
  let firstRun: string[];
  let secondRun: string[];

  beforeAll(async () => {
    db = await freshDatabase(kind);
    firstRun = await db.migrate();
    secondRun = await db.migrate();
  });
  afterAll(() => db?.close());

  it('applies every migration, the init one first, once, and records them', async () => {
    expect(firstRun[0]).toBe(INIT);
    expect(firstRun).toEqual(ALL_MIGRATIONS);
    expect(secondRun).toEqual([]);
    const recorded = await rows<{ migration_name: string; finished: boolean; rolled_back: boolean }>(
      db,
      `SELECT migration_name, finished_at IS NOT NULL AS finished, rolled_back_at IS NOT NULL AS rolled_back
         FROM _prisma_migrations ORDER BY migration_name`,
    );
    expect(recorded).toEqual(
      ALL_MIGRATIONS.map((name) => ({ migration_name: name, finished: true, rolled_back: false })),
    );
  });

  it('skips the engine only when every migration is applied, still applies a new one, and takes a database ahead of it', async () => {
    const other = await freshDatabase(kind);
    const dir = await mkdtemp(join(tmpdir(), 'gateway-migrations-'));
    try {
      const run = (text: string, values: unknown[]) => other.sql.query<Record<string, unknown>>(text, values);
      expect(await allMigrationsApplied(run)).toBe(false); // no migrations table yet
      await other.migrate();
      expect(await allMigrationsApplied(run)).toBe(true);

      await cp(DEFAULT_MIGRATIONS_DIR, dir, { recursive: true });
      await mkdir(join(dir, '29991231000000_later'));
      await writeFile(join(dir, '29991231000000_later', 'migration.sql'), 'CREATE TABLE "later" ("id" INTEGER);\n');
      expect(await allMigrationsApplied(run, dir)).toBe(false);
      expect(await other.migrate(dir)).toEqual(['29991231000000_later']);
      expect(await allMigrationsApplied(run, dir)).toBe(true);
      expect(await rows(other, `SELECT to_regclass('later') IS NOT NULL AS present`)).toEqual([{ present: true }]);
      // A rolling deploy: the new build has migrated; the replicas of the build before stay ready and start.
      expect(await allMigrationsApplied(run)).toBe(true);
      expect(await other.migrate()).toEqual([]);
    } finally {
      await other.close();
      await rm(dir, { recursive: true, force: true });
    }
  });

  // Prisma's engine takes the session lock pg_advisory_lock(72707369) and relies
  // on closing its connection to release it; here that connection goes back to
  // the pool still holding the lock, so another replica's (or this process's
  // next) migration waits until the pool closes it, or times out after 10 s.
  it.runIf(kind === 'postgres')("releases PostgreSQL's migration lock when it is done", async () => {
    const held = await rows(
      db,
      `SELECT pid FROM pg_locks WHERE locktype = 'advisory' AND objid::text = '72707369' AND granted`,
    );
    expect(held).toEqual([]);
  });

  it("creates the six tables with Coder's columns, types, nullability and defaults", async () => {
    expect(await columns(db)).toEqual({
      'organizations.id': 'uuid not null',
      'organizations.name': 'text not null',
      'organizations.display_name': 'text not null',
      'organizations.description': 'text not null',
      'organizations.icon': "text not null default ''::text",
      'organizations.is_default': 'boolean not null default false',
      'organizations.deleted': 'boolean not null default false',
      'organizations.created_at': 'timestamp with time zone not null',
      'organizations.updated_at': 'timestamp with time zone not null',

      'users.id': 'uuid not null',
      'users.email': 'text not null',
      'users.username': "text not null default ''::text",
      'users.name': "text not null default ''::text",
      'users.avatar_url': "text not null default ''::text",
      'users.hashed_password': 'bytea not null',
      'users.status': "user_status not null default 'dormant'::user_status",
      'users.rbac_roles': 'text[] not null default ARRAY[]::text[]',
      'users.login_type': "login_type not null default 'password'::login_type",
      'users.deleted': 'boolean not null default false',
      'users.is_system': 'boolean not null default false',
      'users.last_seen_at':
        "timestamp without time zone not null default '0001-01-01 00:00:00'::timestamp without time zone",
      'users.quiet_hours_schedule': "text not null default ''::text",
      'users.github_com_user_id': 'bigint null',
      'users.hashed_one_time_passcode': 'bytea null',
      'users.one_time_passcode_expires_at': 'timestamp with time zone null',
      'users.created_at': 'timestamp with time zone not null',
      'users.updated_at': 'timestamp with time zone not null',

      'organization_members.organization_id': 'uuid not null',
      'organization_members.user_id': 'uuid not null',
      'organization_members.roles': 'text[] not null default ARRAY[]::text[]',
      'organization_members.created_at': 'timestamp with time zone not null',
      'organization_members.updated_at': 'timestamp with time zone not null',

      'custom_roles.name': 'text not null',
      'custom_roles.display_name': 'text not null',
      'custom_roles.site_permissions': "jsonb not null default '[]'::jsonb",
      'custom_roles.org_permissions': "jsonb not null default '{}'::jsonb",
      'custom_roles.user_permissions': "jsonb not null default '[]'::jsonb",
      'custom_roles.organization_id': 'uuid null',
      'custom_roles.id': 'uuid not null default gen_random_uuid()',
      'custom_roles.created_at': expect.stringMatching(
        /^timestamp with time zone not null default (now\(\)|CURRENT_TIMESTAMP)$/,
      ),
      'custom_roles.updated_at': expect.stringMatching(
        /^timestamp with time zone not null default (now\(\)|CURRENT_TIMESTAMP)$/,
      ),

      'api_keys.id': 'text not null',
      'api_keys.hashed_secret': 'bytea not null',
      'api_keys.user_id': 'uuid not null',
      'api_keys.last_used': 'timestamp with time zone not null',
      'api_keys.expires_at': 'timestamp with time zone not null',
      'api_keys.created_at': 'timestamp with time zone not null',
      'api_keys.updated_at': 'timestamp with time zone not null',
      'api_keys.login_type': 'login_type not null',
      'api_keys.lifetime_seconds': 'bigint not null default 86400',
      'api_keys.ip_address': "inet not null default '0.0.0.0'::inet",
      'api_keys.scope': "api_key_scope not null default 'all'::api_key_scope",
      'api_keys.token_name': "text not null default ''::text",

      // As in Coder's dump.sql: no defaults, nullable ip and user_agent.
      'audit_logs.id': 'uuid not null',
      'audit_logs.time': 'timestamp with time zone not null',
      'audit_logs.user_id': 'uuid not null',
      'audit_logs.organization_id': 'uuid not null',
      'audit_logs.ip': 'inet null',
      'audit_logs.user_agent': 'character varying(256) null',
      'audit_logs.resource_type': 'resource_type not null',
      'audit_logs.resource_id': 'uuid not null',
      'audit_logs.resource_target': 'text not null',
      'audit_logs.action': 'audit_action not null',
      'audit_logs.diff': 'jsonb not null',
      'audit_logs.status_code': 'integer not null',
      'audit_logs.additional_fields': 'jsonb not null',
      'audit_logs.request_id': 'uuid not null',
      'audit_logs.resource_icon': 'text not null',
    });
  });

  // MIGRATE=false checks these columns on a database it did not make: every one our migrations give Coder's tables.
  it('checks, on a database it did not migrate, every column the migrations create in the tables it uses', async () => {
    const created = Object.keys(await columns(db)).filter((name) => name.split('.')[0]! in COLUMNS_USED);
    const checked = Object.entries(COLUMNS_USED).flatMap(([table, names]) => names.map((name) => `${table}.${name}`));
    expect(checked.sort()).toEqual(created.sort());
    await expect(assertSchemaPresent(db.prisma)).resolves.toBeUndefined();
  });

  it('refuses a database that lacks a column the gateway uses, naming it (an older Coder schema, say)', async () => {
    const older = await freshDatabase(kind);
    try {
      await older.migrate();
      await exec(older, 'ALTER TABLE api_keys DROP COLUMN token_name');
      await exec(older, 'ALTER TABLE users DROP COLUMN is_system');
      const refusal = assertSchemaPresent(older.prisma);
      await expect(refusal).rejects.toThrow(MigrationError);
      await expect(refusal).rejects.toThrow(/lacks the columns users\.is_system, api_keys\.token_name /);
    } finally {
      await older.close();
    }
  });

  it('refuses, changing nothing, a database with tables it did not create, and says to set MIGRATE=false', async () => {
    const coders = await freshDatabase(kind);
    try {
      await exec(coders, 'CREATE TABLE users (id uuid PRIMARY KEY, username text NOT NULL)');
      const refusal = coders.migrate();
      await expect(refusal).rejects.toThrow(MigrationError);
      await expect(refusal).rejects.toThrow(/schema is not empty.*set MIGRATE=false/);
      expect(
        await rows(coders, `SELECT table_name FROM information_schema.tables WHERE table_schema = 'public'`),
      ).toEqual([{ table_name: 'users' }]);
    } finally {
      await coders.close();
    }
  });

  it("creates Coder's enums with their values in order", async () => {
    const labels = await rows<{ typname: string; labels: string }>(
      db,
      `SELECT t.typname, string_agg(e.enumlabel, ',' ORDER BY e.enumsortorder) AS labels
         FROM pg_enum e JOIN pg_type t ON t.oid = e.enumtypid GROUP BY t.typname ORDER BY 1`,
    );
    expect(labels).toEqual([
      { typname: 'api_key_scope', labels: 'all,application_connect' },
      {
        typname: 'audit_action',
        labels:
          'create,write,delete,start,stop,login,logout,register,request_password_reset,connect,disconnect,open,close',
      },
      { typname: 'login_type', labels: 'password,github,oidc,token,none,oauth2_provider_app' },
      {
        typname: 'resource_type',
        labels: [
          'organization,template,template_version,user,workspace,git_ssh_key,api_key,group,workspace_build,license',
          'workspace_proxy,convert_login,health_settings,oauth2_provider_app,oauth2_provider_app_secret,custom_role',
          'organization_member,notifications_settings,notification_template,idp_sync_settings_organization',
          'idp_sync_settings_group,idp_sync_settings_role,workspace_agent,workspace_app,prebuilds_settings',
        ].join(','),
      },
      { typname: 'user_status', labels: 'active,suspended,dormant' },
    ]);
  });

  it('fills the defaults a Coder row relies on when a column is left out', async () => {
    const userId = await insertUser(db, 'defaults-user');
    const [user] = await rows(
      db,
      `SELECT status::text, rbac_roles, login_type::text, name, avatar_url, deleted, is_system, quiet_hours_schedule,
              last_seen_at::text AS last_seen_at FROM users WHERE id = $1::uuid`,
      userId,
    );
    expect(user).toEqual({
      status: 'dormant',
      rbac_roles: [],
      login_type: 'password',
      name: '',
      avatar_url: '',
      deleted: false,
      is_system: false,
      quiet_hours_schedule: '',
      last_seen_at: '0001-01-01 00:00:00',
    });

    await exec(
      db,
      `INSERT INTO api_keys (id, hashed_secret, user_id, last_used, expires_at, created_at, updated_at, login_type)
       VALUES ('defaultkey', '\\x00'::bytea, $1::uuid, now(), now(), now(), now(), 'token')`,
      userId,
    );
    const [key] = await rows(
      db,
      `SELECT lifetime_seconds::text, host(ip_address) AS ip_address, scope::text, token_name FROM api_keys WHERE id = 'defaultkey'`,
    );
    expect(key).toEqual({ lifetime_seconds: '86400', ip_address: '0.0.0.0', scope: 'all', token_name: '' });

    const orgId = await insertOrganization(db, 'defaults-org');
    await exec(
      db,
      `INSERT INTO organization_members (organization_id, user_id, created_at, updated_at) VALUES ($1::uuid, $2::uuid, now(), now())`,
      orgId,
      userId,
    );
    const [member] = await rows(db, `SELECT roles FROM organization_members WHERE user_id = $1::uuid`, userId);
    expect(member).toEqual({ roles: [] });

    const [role] = await rows<{ id: string }>(
      db,
      `INSERT INTO custom_roles (name, display_name) VALUES ('defaults-role', '') RETURNING id::text`,
    );
    expect(role!.id).toMatch(/^[0-9a-f-]{36}$/);
  });

  it('declares the primary keys and cascading foreign keys', async () => {
    const keys = await rows<{ table_name: string; columns: string }>(
      db,
      `SELECT tc.table_name, string_agg(k.column_name, ',' ORDER BY k.ordinal_position) AS columns
         FROM information_schema.table_constraints tc
         JOIN information_schema.key_column_usage k ON k.constraint_name = tc.constraint_name AND k.table_schema = tc.table_schema
        WHERE tc.table_schema = 'public' AND tc.constraint_type = 'PRIMARY KEY' AND tc.table_name = ANY($1::text[])
        GROUP BY tc.table_name ORDER BY 1`,
      TABLES,
    );
    expect(keys).toEqual([
      { table_name: 'api_keys', columns: 'id' },
      { table_name: 'audit_logs', columns: 'id' },
      { table_name: 'custom_roles', columns: 'id' },
      { table_name: 'organization_members', columns: 'organization_id,user_id' },
      { table_name: 'organizations', columns: 'id' },
      { table_name: 'users', columns: 'id' },
    ]);

    const foreign = await rows(
      db,
      `SELECT conrelid::regclass::text AS "table", confrelid::regclass::text AS "references",
              (SELECT string_agg(attname, ',') FROM pg_attribute WHERE attrelid = conrelid AND attnum = ANY(conkey)) AS "column",
              confdeltype::text AS on_delete
         FROM pg_constraint WHERE contype = 'f' AND connamespace = 'public'::regnamespace ORDER BY 1, 3`,
    );
    // 'c' is ON DELETE CASCADE; custom_roles.organization_id has no foreign key (as in Coder).
    expect(foreign).toEqual([
      { table: 'api_keys', references: 'users', column: 'user_id', on_delete: 'c' },
      { table: 'organization_members', references: 'organizations', column: 'organization_id', on_delete: 'c' },
      { table: 'organization_members', references: 'users', column: 'user_id', on_delete: 'c' },
    ]);
  });

  it('creates the partial and expression indexes written by hand', async () => {
    const indexes = await rows<{ indexname: string; indexdef: string }>(
      db,
      `SELECT indexname, indexdef FROM pg_indexes WHERE schemaname = 'public'`,
    );
    const byName = Object.fromEntries(indexes.map((i) => [i.indexname, i.indexdef.replace(/ public\./, ' ')]));
    expect(byName).toMatchObject({
      idx_organization_name_lower:
        'CREATE UNIQUE INDEX idx_organization_name_lower ON organizations USING btree (lower(name)) WHERE (deleted = false)',
      organizations_single_default_org:
        'CREATE UNIQUE INDEX organizations_single_default_org ON organizations USING btree (is_default) WHERE (is_default = true)',
      users_username_lower_idx:
        'CREATE UNIQUE INDEX users_username_lower_idx ON users USING btree (lower(username)) WHERE (deleted = false)',
      users_email_lower_idx:
        "CREATE UNIQUE INDEX users_email_lower_idx ON users USING btree (lower(email)) WHERE ((deleted = false) AND (email <> ''::text))",
      idx_custom_roles_name_lower_organization_id:
        "CREATE UNIQUE INDEX idx_custom_roles_name_lower_organization_id ON custom_roles USING btree (lower(name), COALESCE(organization_id, '00000000-0000-0000-0000-000000000000'::uuid))",
      custom_roles_unique_key:
        'CREATE UNIQUE INDEX custom_roles_unique_key ON custom_roles USING btree (name, organization_id)',
      idx_api_key_name:
        "CREATE UNIQUE INDEX idx_api_key_name ON api_keys USING btree (user_id, token_name) WHERE (login_type = 'token'::login_type)",
      // The gateway's own, not Coder's: member counts leave these users out.
      idx_users_deleted_or_system:
        'CREATE INDEX idx_users_deleted_or_system ON users USING btree (id) WHERE (deleted OR is_system)',
      // Coder's four on audit_logs, and the gateway's own for an organization's entries newest first.
      idx_audit_log_organization_id:
        'CREATE INDEX idx_audit_log_organization_id ON audit_logs USING btree (organization_id)',
      idx_audit_log_resource_id: 'CREATE INDEX idx_audit_log_resource_id ON audit_logs USING btree (resource_id)',
      idx_audit_log_user_id: 'CREATE INDEX idx_audit_log_user_id ON audit_logs USING btree (user_id)',
      idx_audit_logs_time_desc: 'CREATE INDEX idx_audit_logs_time_desc ON audit_logs USING btree ("time" DESC)',
      idx_audit_logs_organization_time:
        'CREATE INDEX idx_audit_logs_organization_time ON audit_logs USING btree (organization_id, "time" DESC, id DESC)',
    });
  });

  it('creates the trigger that runs before a custom role is deleted', async () => {
    const triggers = await rows(
      db,
      `SELECT tgname, tgrelid::regclass::text AS "table", pg_get_triggerdef(oid) AS definition FROM pg_trigger WHERE NOT tgisinternal`,
    );
    expect(triggers).toEqual([
      {
        tgname: 'remove_organization_member_custom_role',
        table: 'custom_roles',
        definition: expect.stringMatching(
          /^CREATE TRIGGER remove_organization_member_custom_role BEFORE DELETE ON (public\.)?custom_roles FOR EACH ROW EXECUTE FUNCTION (public\.)?remove_organization_member_role\(\)$/,
        ),
      },
    ]);
  });

  describe('constraints', () => {
    it('refuses a second live organization whose name differs only in case, but not a deleted one', async () => {
      await insertOrganization(db, 'Acme');
      await expectUniqueViolation(insertOrganization(db, 'ACME'));
      await insertOrganization(db, 'acme', { deleted: true });
      await insertOrganization(db, 'Acme-Two');
      const names = await rows(
        db,
        `SELECT name, deleted FROM organizations WHERE lower(name) LIKE 'acme%' ORDER BY name, deleted`,
      );
      expect(names).toEqual([
        { name: 'Acme', deleted: false },
        { name: 'Acme-Two', deleted: false },
        { name: 'acme', deleted: true },
      ]);
    });

    it('refuses a second default organization', async () => {
      await insertOrganization(db, 'first-default', { isDefault: true });
      await expectUniqueViolation(insertOrganization(db, 'second-default', { isDefault: true }));
      const defaults = await rows(db, `SELECT name FROM organizations WHERE is_default`);
      expect(defaults).toEqual([{ name: 'first-default' }]);
    });

    it('refuses a live user whose username or email differs only in case', async () => {
      await insertUser(db, 'Casey', 'casey@example.com');
      await expectUniqueViolation(insertUser(db, 'CASEY', 'other@example.com'));
      await expectUniqueViolation(insertUser(db, 'other', 'CASEY@Example.com'));
      // A deleted user frees both.
      await insertUser(db, 'casey', 'Casey@example.com', true);
      const count = await rows(db, `SELECT count(*)::int AS n FROM users WHERE lower(username) = 'casey'`);
      expect(count).toEqual([{ n: 2 }]);
    });

    it('refuses a custom role name taken in the same organization in another case', async () => {
      const orgId = await insertOrganization(db, 'roles-unique');
      const otherOrgId = await insertOrganization(db, 'roles-unique-other');
      const insert = (name: string, organizationId: string | null) =>
        exec(
          db,
          `INSERT INTO custom_roles (name, display_name, organization_id) VALUES ($1, '', $2::uuid)`,
          name,
          organizationId,
        );
      await insert('builder', orgId);
      await expectUniqueViolation(insert('Builder', orgId));
      await insert('builder', otherOrgId);
      await insert('builder', null);
      await expectUniqueViolation(insert('BUILDER', null));
    });

    it("deleting a custom role removes its name from that organization's members only", async () => {
      const orgA = await insertOrganization(db, 'trigger-a');
      const orgB = await insertOrganization(db, 'trigger-b');
      const alice = await insertUser(db, 'trigger-alice');
      const bob = await insertUser(db, 'trigger-bob');
      const member = (org: string, user: string, roles: string[]) =>
        exec(
          db,
          `INSERT INTO organization_members (organization_id, user_id, roles, created_at, updated_at) VALUES ($1::uuid, $2::uuid, $3::text[], now(), now())`,
          org,
          user,
          roles,
        );
      await member(orgA, alice, ['organization-admin', 'builder', 'auditor-ish']);
      await member(orgA, bob, ['builder']);
      await member(orgB, alice, ['builder', 'organization-admin']);
      await exec(
        db,
        `INSERT INTO custom_roles (name, display_name, organization_id) VALUES ('builder', 'Builder', $1::uuid)`,
        orgA,
      );
      await exec(
        db,
        `INSERT INTO custom_roles (name, display_name, organization_id) VALUES ('builder', 'Builder', $1::uuid)`,
        orgB,
      );
      await exec(
        db,
        `INSERT INTO custom_roles (name, display_name, organization_id) VALUES ('auditor-ish', 'Site-wide', NULL)`,
      );

      const deleted = await exec(
        db,
        `DELETE FROM custom_roles WHERE name = 'builder' AND organization_id = $1::uuid`,
        orgA,
      );
      expect(deleted).toBe(1);
      // A site-wide role is not an organization role: deleting it touches no membership.
      await exec(db, `DELETE FROM custom_roles WHERE name = 'auditor-ish' AND organization_id IS NULL`);

      const roles = await rows(
        db,
        `SELECT o.name AS org, u.username AS user, m.roles FROM organization_members m
           JOIN organizations o ON o.id = m.organization_id JOIN users u ON u.id = m.user_id
          WHERE o.name IN ('trigger-a', 'trigger-b') ORDER BY 1, 2`,
      );
      expect(roles).toEqual([
        { org: 'trigger-a', user: 'trigger-alice', roles: ['organization-admin', 'auditor-ish'] },
        { org: 'trigger-a', user: 'trigger-bob', roles: [] },
        { org: 'trigger-b', user: 'trigger-alice', roles: ['builder', 'organization-admin'] },
      ]);
    });

    it("deleting a user removes the user's memberships and API keys", async () => {
      const org = await insertOrganization(db, 'cascade-org');
      const user = await insertUser(db, 'cascade-user');
      await exec(
        db,
        `INSERT INTO organization_members (organization_id, user_id, created_at, updated_at) VALUES ($1::uuid, $2::uuid, now(), now())`,
        org,
        user,
      );
      await exec(
        db,
        `INSERT INTO api_keys (id, hashed_secret, user_id, last_used, expires_at, created_at, updated_at, login_type)
         VALUES ('cascadekey', '\\x00'::bytea, $1::uuid, now(), now(), now(), now(), 'token')`,
        user,
      );
      await exec(db, `DELETE FROM users WHERE id = $1::uuid`, user);
      const left = await rows(
        db,
        `SELECT (SELECT count(*) FROM organization_members WHERE user_id = $1::uuid)::int AS members,
                (SELECT count(*) FROM api_keys WHERE user_id = $1::uuid)::int AS keys`,
        user,
      );
      expect(left).toEqual([{ members: 0, keys: 0 }]);
    });
  });
});

describe.each(DATABASE_KINDS)('a failing migration on %s', (kind) => {
  const BROKEN = '20991231000000_broken';
  let db: Db;
  let migrationsDir: string;

  beforeAll(async () => {
    migrationsDir = await mkdtemp(join(tmpdir(), 'gateway-migrations-'));
    await cp(DEFAULT_MIGRATIONS_DIR, migrationsDir, { recursive: true });
    await mkdir(join(migrationsDir, BROKEN));
    // Changes data and schema, then fails: all of it must be rolled back.
    await writeFile(
      join(migrationsDir, BROKEN, 'migration.sql'),
      `UPDATE "organizations" SET "display_name" = 'changed by the broken migration';
ALTER TABLE "organizations" ADD COLUMN "broken" TEXT;
CREATE TABLE "broken_table" ("id" INTEGER);
DELETE FROM "users";
SELECT 1 / 0;
`,
    );
    db = await freshDatabase(kind);
    await db.migrate();
    await insertOrganization(db, 'survivor');
    await insertUser(db, 'survivor-user');
  });
  afterAll(async () => {
    await db?.close();
    await rm(migrationsDir, { recursive: true, force: true });
  });

  it('throws MigrationError with the database error and leaves data and schema as they were', async () => {
    const schemaBefore = await schemaSnapshot(db);
    const dataBefore = await dataSnapshot(db);

    const error = await db.migrate(migrationsDir).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(error).toBeInstanceOf(MigrationError);
    expect((error as Error).message).toMatch(/division by zero/);
    expect((error as Error).message).not.toMatch(/\n/);

    expect(await schemaSnapshot(db)).toEqual(schemaBefore);
    expect(await dataSnapshot(db)).toEqual(dataBefore);
    expect(await rows(db, `SELECT name, display_name FROM organizations`)).toEqual([
      { name: 'survivor', display_name: 'survivor' },
    ]);
  });

  it('records the failure, so the next run refuses too and changes nothing', async () => {
    const recorded = await rows(
      db,
      `SELECT migration_name, finished_at IS NULL AS unfinished, rolled_back_at IS NULL AS not_rolled_back, logs IS NOT NULL AS has_logs
         FROM _prisma_migrations ORDER BY migration_name`,
    );
    expect(recorded).toEqual([
      ...ALL_MIGRATIONS.map((name) => ({
        migration_name: name,
        unfinished: false,
        not_rolled_back: true,
        has_logs: false,
      })),
      { migration_name: BROKEN, unfinished: true, not_rolled_back: true, has_logs: true },
    ]);

    const schemaBefore = await schemaSnapshot(db);
    const dataBefore = await dataSnapshot(db);
    const again = db.migrate(migrationsDir);
    await expect(again).rejects.toBeInstanceOf(MigrationError);
    await expect(again).rejects.toThrow(BROKEN);
    // Still refused with the good migrations only: the failed one must be resolved first.
    await expect(db.migrate()).rejects.toBeInstanceOf(MigrationError);
    expect(await schemaSnapshot(db)).toEqual(schemaBefore);
    expect(await dataSnapshot(db)).toEqual(dataBefore);
  });
});

// prisma/schema.prisma feeds the Prisma client and `npm run migration:new`; the
// migrations build the database. When they disagree, the next migration
// written would carry changes nobody asked for.
describe('prisma/schema.prisma and the migrations', () => {
  it('agree: Prisma finds nothing to change', async () => {
    expect(await pendingSchemaChanges()).toBe('');
  });

  it('disagree, and the change is named, when a migration leaves out a default the schema declares', async () => {
    const migrationsDir = await mkdtemp(join(tmpdir(), 'gateway-migrations-'));
    try {
      await cp(DEFAULT_MIGRATIONS_DIR, migrationsDir, { recursive: true });
      const init = join(migrationsDir, INIT, 'migration.sql');
      const sql = await readFile(init, 'utf8');
      const withoutDefault = sql.replace(
        `"ip_address" INET NOT NULL DEFAULT '0.0.0.0'::inet`,
        `"ip_address" INET NOT NULL`,
      );
      expect(withoutDefault).not.toBe(sql);
      await writeFile(init, withoutDefault);
      expect(await pendingSchemaChanges(migrationsDir)).toMatch(
        /ALTER TABLE "api_keys" ALTER COLUMN "ip_address" SET DEFAULT '0\.0\.0\.0'/,
      );
    } finally {
      await rm(migrationsDir, { recursive: true, force: true });
    }
  });
});
