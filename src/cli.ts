// Operator commands: `npm run cli -- <command> [options]`. Uses the same
// DATABASE_URL / DATA_DIR as the gateway. Prints tokens once; stores hashes.
import { parseArgs, type ParseArgsConfig } from 'node:util';
import { ConfigError, loadConfig } from './config.js';
import { openDatabase, type Database } from './db/database.js';
import { MigrationError } from './db/migrate.js';
import { DatabaseUnavailable } from './db/postgres-pool.js';
import { isPrismaUnavailable } from './db/prisma-errors.js';
import { DataDirInUseError } from './db/data-dir.js';
import { isSiteRoleName, ROLE } from './rbac/index.js';
import {
  addMember,
  createOrganization,
  createUser,
  issueToken,
  listOrganizations,
  listTokens,
  listUsers,
  InvalidOperatorInput,
  OperatorError,
  revokeToken,
} from './operator/operator.js';

const USAGE = `usage: npm run cli -- <command> [options]

  user create --username NAME --email EMAIL [--name FULL_NAME] [--role SITE_ROLE]... [--status active|dormant|suspended]
  user list
  org create --name NAME [--display-name TEXT] [--description TEXT] [--icon URL]
  org list
  member add --org ORG --user USER [--role ORG_ROLE]...
  token create --user USER [--name TOKEN_NAME] [--lifetime DURATION]   (e.g. 12h, 30d; default 30d)
  token list [--user USER]
  token revoke TOKEN_ID

USER is an id or username, ORG an id, name or "default". Site roles: owner, auditor, template-admin, user-admin.`;

class UsageError extends Error {}

type Options = NonNullable<ParseArgsConfig['options']>;
const text = { type: 'string' } as const;
const many = { type: 'string', multiple: true } as const;

function parse<O extends Options>(args: string[], options: O, positionals = 0) {
  try {
    const parsed = parseArgs({ args, options, allowPositionals: positionals > 0, strict: true });
    if (parsed.positionals.length !== positionals)
      throw new UsageError(`expected ${positionals} argument(s), got ${parsed.positionals.length}`);
    return parsed;
  } catch (error) {
    throw error instanceof UsageError ? error : new UsageError((error as Error).message);
  }
}

function required(values: Record<string, unknown>, name: string): string {
  const value = values[name];
  if (typeof value !== 'string' || value === '') throw new UsageError(`--${name} is required`);
  return value;
}

const SITE_ROLES = new Set(['owner', 'auditor', 'template-admin', 'user-admin']);
const STATUSES = ['active', 'dormant', 'suspended'] as const;

function parseDuration(value: string): number {
  const match = /^(\d+)([smhd])$/.exec(value);
  if (!match) throw new UsageError(`--lifetime "${value}" is not a duration such as 90m, 12h or 30d`);
  const seconds = Number(match[1]) * { s: 1, m: 60, h: 3600, d: 86400 }[match[2] as 's' | 'm' | 'h' | 'd'];
  if (seconds <= 0 || seconds > 365 * 86400) throw new UsageError('--lifetime must be between 1s and 365d');
  return seconds;
}

const date = (value: Date) => value.toISOString();

/** Checks its arguments without the database (so a typo costs nothing), then returns the work to do. */
type Command = (args: string[]) => (db: Database) => Promise<string>;

const commands: Record<string, Command> = {
  'user create'(args) {
    const { values } = parse(args, { username: text, email: text, name: text, role: many, status: text });
    const roles = values.role ?? [];
    const unknown = roles.find((role) => !SITE_ROLES.has(role));
    if (unknown) throw new UsageError(`--role "${unknown}" is not a site role (${[...SITE_ROLES].join(', ')})`);
    const status = values.status ?? 'active';
    if (!STATUSES.includes(status as (typeof STATUSES)[number]))
      throw new UsageError(`--status must be one of ${STATUSES.join(', ')}`);
    const input = {
      username: required(values, 'username'),
      email: required(values, 'email'),
      name: values.name,
      siteRoles: roles,
      status: status as (typeof STATUSES)[number],
    };
    return async (db) => {
      const user = await createUser(db.prisma, input);
      return `created user ${user.username} ${user.id}`;
    };
  },
  'user list'(args) {
    parse(args, {});
    return async (db) => {
      const users = await listUsers(db.prisma);
      return table(
        ['ID', 'USERNAME', 'EMAIL', 'STATUS', 'SITE ROLES'],
        users.map((u) => [u.id, u.username, u.email, u.status, u.rbacRoles.join(',')]),
      );
    };
  },
  'org create'(args) {
    const { values } = parse(args, { name: text, 'display-name': text, description: text, icon: text });
    const input = {
      name: required(values, 'name'),
      displayName: values['display-name'],
      description: values.description,
      icon: values.icon,
    };
    return async (db) => {
      const organization = await createOrganization(db.prisma, input);
      return `created organization ${organization.name} ${organization.id}`;
    };
  },
  'org list'(args) {
    parse(args, {});
    return async (db) => {
      const organizations = await listOrganizations(db.prisma);
      return table(
        ['ID', 'NAME', 'DISPLAY NAME', 'DEFAULT'],
        organizations.map((o) => [o.id, o.name, o.displayName, o.isDefault ? 'yes' : '']),
      );
    };
  },
  'member add'(args) {
    const { values } = parse(args, { org: text, user: text, role: many });
    const [org, user, roles] = [required(values, 'org'), required(values, 'user'), values.role ?? []];
    const implicit = roles.find((role) => role === ROLE.orgMember || isSiteRoleName(role));
    if (implicit)
      throw new UsageError(
        `--role "${implicit}" is not a role to store on a membership ` +
          '(organization-member is implied; site roles go on the user)',
      );
    return async (db) => {
      const member = await db.prisma.$transaction((tx) => addMember(tx, org, user, roles));
      return `added user ${member.userId} to organization ${member.organizationId}`;
    };
  },
  'token create'(args) {
    const { values } = parse(args, { user: text, name: text, lifetime: text });
    const user = required(values, 'user');
    const lifetimeSeconds = values.lifetime ? parseDuration(values.lifetime) : undefined;
    return async (db) => {
      const { token, apiKey } = await db.prisma.$transaction((tx) =>
        issueToken(tx, user, { name: values.name, lifetimeSeconds }),
      );
      process.stderr.write(
        `token ${apiKey.id} "${apiKey.tokenName}" expires ${date(apiKey.expiresAt)}; it is shown only now:\n`,
      );
      return token;
    };
  },
  'token list'(args) {
    const { values } = parse(args, { user: text });
    return async (db) => {
      const keys = await listTokens(db.prisma, values.user);
      return table(
        ['ID', 'USER', 'NAME', 'CREATED', 'EXPIRES', 'LAST USED'],
        keys.map((k) => [k.id, k.user.username, k.tokenName, date(k.createdAt), date(k.expiresAt), date(k.lastUsed)]),
      );
    };
  },
  'token revoke'(args) {
    const { positionals } = parse(args, {}, 1);
    const id = positionals[0]!;
    return async (db) => {
      await revokeToken(db.prisma, id);
      return `revoked token ${id}`;
    };
  },
};

function table(header: string[], rows: string[][]): string {
  return [header, ...rows].map((row) => row.join('\t')).join('\n');
}

async function main(argv: string[]): Promise<number> {
  if (argv.length === 0 || argv[0] === 'help' || argv.includes('--help')) {
    console.log(USAGE);
    return argv.length === 0 ? 2 : 0;
  }
  const name = argv.slice(0, 2).join(' ');
  const command = commands[name];
  if (!command) {
    console.error(`error: unknown command "${name}" (npm run cli -- help)`);
    return 2;
  }
  let db: Database | undefined;
  try {
    const work = command(argv.slice(2));
    const config = loadConfig();
    db = await openDatabase(config);
    if (config.migrate) await db.migrate();
    console.log(await work(db));
    return 0;
  } catch (error) {
    if (error instanceof UsageError || error instanceof ConfigError || error instanceof InvalidOperatorInput) {
      console.error(`error: ${error.message}`);
      return 2;
    }
    if (error instanceof OperatorError || error instanceof MigrationError || error instanceof DataDirInUseError) {
      console.error(`error: ${error.message}`);
      return 1;
    }
    if (error instanceof DatabaseUnavailable || isPrismaUnavailable(error)) {
      console.error(`error: the database is unavailable: ${(error as Error).message.split('\n')[0]}`);
      return 1;
    }
    throw error;
  } finally {
    await db?.close();
  }
}

// Exit at once: Prisma's WebAssembly migration engine leaves a 10 s timer behind.
process.exit(await main(process.argv.slice(2)));
