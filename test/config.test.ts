// The configuration as SPEC A gives it: defaults, and a one-line error naming
// the setting for each bad value (the process-level exit code 2 is covered in
// startup.test.ts).
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { ConfigError, loadConfig } from '../src/config.js';

const scratchDirs: string[] = [];
afterAll(() => {
  for (const dir of scratchDirs) rmSync(dir, { recursive: true, force: true });
});

/** A file of trusted documents holding `content` (written as it is if a string, else as JSON). */
function trustedDocumentsFile(content: unknown): string {
  const dir = mkdtempSync(join(tmpdir(), 'trusted-'));
  scratchDirs.push(dir);
  const path = join(dir, 'persisted-documents.json');
  writeFileSync(path, typeof content === 'string' ? content : JSON.stringify(content));
  return path;
}

describe('configuration', () => {
  it('defaults to 127.0.0.1:4000 on the embedded database in .data, migrating at start', () => {
    expect(loadConfig({})).toEqual({
      port: 4000,
      host: '127.0.0.1',
      databaseUrl: undefined,
      dataDir: resolve('.data'),
      migrate: true,
      databasePoolSize: 10,
      workers: 1,
      // The lane would move PGlite to a thread of its own, for about 55 MB more (docs/operations.md#threads).
      heavyQueryThread: false,
      sessionCacheMs: 1000,
      responseCacheMs: 0,
      shutdownTimeoutMs: 10_000,
      databaseConnectTimeoutMs: 5000,
      databaseStatementTimeoutMs: 30_000,
      databaseHeavyStatements: 2,
      requestTimeoutMs: 30_000,
      maxConnections: 1024,
      corsOrigins: [],
      graphiql: true,
      graphiqlPersistHeaders: false,
      limits: {
        maxDepth: 12,
        maxAliases: 30,
        maxTokens: 3000,
        maxDirectives: 30,
        maxCost: 600_000,
        // The embedded database's: one statement at a time, so fewer heavy documents at once.
        maxCostInFlight: 100_000,
        listSizes: { members: 5000, organizations: 20 },
      },
      logLevel: 'info',
      audit: true,
      sessionExpiryRefresh: true,
      proxyTrustedOrigins: [],
      proxyTrustedHeaders: [],
      accessLog: true,
      metrics: true,
      compression: true,
      otlpEndpoint: undefined,
      trustedDocuments: undefined,
    });
  });

  it('lets more heavy documents run at once on PostgreSQL than on the embedded database, unless told', () => {
    const server = { DATABASE_URL: 'postgresql://gateway@db.example.com/coder' };
    expect(loadConfig(server).limits.maxCostInFlight).toBe(200_000);
    expect(loadConfig({ ...server, QUERY_COST_IN_FLIGHT: '20000' }).limits.maxCostInFlight).toBe(20_000);
    expect(loadConfig({ QUERY_COST_IN_FLIGHT: '700000' }).limits.maxCostInFlight).toBe(700_000);
  });

  it('runs the heavy-query lane on PostgreSQL by default, on the embedded database only when asked', () => {
    const server = { DATABASE_URL: 'postgresql://gateway@db.example.com/coder' };
    expect(loadConfig(server).heavyQueryThread).toBe(true);
    expect(loadConfig({ ...server, HEAVY_QUERY_THREAD: 'false' }).heavyQueryThread).toBe(false);
    expect(loadConfig({}).heavyQueryThread).toBe(false);
    expect(loadConfig({ HEAVY_QUERY_THREAD: 'true' }).heavyQueryThread).toBe(true);
  });

  it('reads the limits of SPEC G: documents, deadlines, the database, cross-site callers and GraphiQL', () => {
    const config = loadConfig({
      QUERY_MAX_DEPTH: '8',
      QUERY_MAX_ALIASES: '5',
      QUERY_MAX_TOKENS: '500',
      QUERY_MAX_DIRECTIVES: '4',
      QUERY_MAX_COST: '1000',
      QUERY_COST_IN_FLIGHT: '5000',
      QUERY_COST_MEMBERS: '20000',
      QUERY_COST_ORGANIZATIONS: '3',
      REQUEST_TIMEOUT_MS: '1500',
      MAX_CONNECTIONS: '64',
      DATABASE_CONNECT_TIMEOUT_MS: '250',
      DATABASE_STATEMENT_TIMEOUT_MS: '1000',
      DATABASE_HEAVY_STATEMENTS: '0',
      CORS_ORIGINS: 'https://coder.example.com, http://localhost:3000',
      GRAPHIQL: 'false',
      GRAPHIQL_PERSIST_HEADERS: 'true',
    });
    expect(config).toMatchObject({
      limits: {
        maxDepth: 8,
        maxAliases: 5,
        maxTokens: 500,
        maxDirectives: 4,
        maxCost: 1000,
        maxCostInFlight: 5000,
        listSizes: { members: 20_000, organizations: 3 },
      },
      requestTimeoutMs: 1500,
      maxConnections: 64,
      databaseConnectTimeoutMs: 250,
      databaseStatementTimeoutMs: 1000,
      databaseHeavyStatements: 0,
      corsOrigins: ['https://coder.example.com', 'http://localhost:3000'],
      graphiql: false,
      graphiqlPersistHeaders: true,
    });
  });

  it('reads every setting, an empty one counting as unset', () => {
    const config = loadConfig({
      PORT: '0',
      HOST: '::1',
      DATABASE_URL: 'postgres://gw:secret@db:5432/coder',
      DATA_DIR: '',
      MIGRATE: 'false',
      DATABASE_POOL_SIZE: '32',
      WORKERS: '4',
      HEAVY_QUERY_THREAD: 'false',
      SESSION_CACHE_MS: '0',
      RESPONSE_CACHE_MS: '500',
      SHUTDOWN_TIMEOUT_MS: '2500',
      LOG_LEVEL: 'warn',
      AUDIT: 'false',
      DISABLE_SESSION_EXPIRY_REFRESH: 'true',
      PROXY_TRUSTED_ORIGINS: '10.0.0.0/8, 192.0.2.7,2001:db8::/32',
      PROXY_TRUSTED_HEADERS: 'X-Forwarded-For,CF-Connecting-IP',
      ACCESS_LOG: 'false',
      METRICS: '0',
      COMPRESSION: 'false',
      OTEL_EXPORTER_OTLP_ENDPOINT: 'http://collector:4318',
      TRUSTED_DOCUMENTS: trustedDocumentsFile({ abc123: 'query { me { id } }' }),
      ACCESS_URL: 'https://members.example.com',
    });
    expect(config).toMatchObject({
      accessLog: false,
      metrics: false,
      compression: false,
      otlpEndpoint: 'http://collector:4318',
      trustedDocuments: new Map([['abc123', 'query { me { id } }']]),
      accessUrl: 'https://members.example.com',
      port: 0,
      host: '::1',
      migrate: false,
      databasePoolSize: 32,
      workers: 4,
      heavyQueryThread: false,
      sessionCacheMs: 0,
      responseCacheMs: 500,
      shutdownTimeoutMs: 2500,
      logLevel: 'warn',
      audit: false,
      sessionExpiryRefresh: false,
      proxyTrustedOrigins: ['10.0.0.0/8', '192.0.2.7', '2001:db8::/32'],
      proxyTrustedHeaders: ['X-Forwarded-For', 'CF-Connecting-IP'],
    });
    expect(config.databaseUrl).toBe('postgres://gw:secret@db:5432/coder');
    expect(config.dataDir).toBe(resolve('.data'));
  });

  it.each([
    [{ PORT: 'abc' }, 'PORT'],
    [{ PORT: '70000' }, 'PORT'],
    [{ MIGRATE: 'maybe' }, 'MIGRATE'],
    [{ LOG_LEVEL: 'loud' }, 'LOG_LEVEL'],
    [{ DATABASE_POOL_SIZE: '0' }, 'DATABASE_POOL_SIZE'],
    [{ WORKERS: '2' }, 'WORKERS'],
    [{ SESSION_CACHE_MS: '-1' }, 'SESSION_CACHE_MS'],
    [{ RESPONSE_CACHE_MS: '-5' }, 'RESPONSE_CACHE_MS'],
    [{ SHUTDOWN_TIMEOUT_MS: 'soon' }, 'SHUTDOWN_TIMEOUT_MS'],
    [{ DATABASE_URL: 'mysql://root@db/coder' }, 'DATABASE_URL'],
    [{ AUDIT: 'off' }, 'AUDIT'],
    [{ DISABLE_SESSION_EXPIRY_REFRESH: 'yes' }, 'DISABLE_SESSION_EXPIRY_REFRESH'],
    [{ PROXY_TRUSTED_ORIGINS: '10.0.0.0/33', PROXY_TRUSTED_HEADERS: 'X-Forwarded-For' }, 'PROXY_TRUSTED_ORIGINS'],
    [{ PROXY_TRUSTED_ORIGINS: 'proxy.internal', PROXY_TRUSTED_HEADERS: 'X-Forwarded-For' }, 'PROXY_TRUSTED_ORIGINS'],
    // Trusting proxies without naming the header they set would trust nothing: a mistake, said at once.
    [{ PROXY_TRUSTED_ORIGINS: '10.0.0.0/8' }, 'PROXY_TRUSTED_HEADERS'],
    [{ PROXY_TRUSTED_HEADERS: 'X Forwarded For' }, 'PROXY_TRUSTED_HEADERS'],
    [{ ACCESS_LOG: 'yes' }, 'ACCESS_LOG'],
    [{ METRICS: 'on' }, 'METRICS'],
    [{ COMPRESSION: 'gzip' }, 'COMPRESSION'],
    [{ OTEL_EXPORTER_OTLP_ENDPOINT: 'collector:4318' }, 'OTEL_EXPORTER_OTLP_ENDPOINT'],
    [{ QUERY_MAX_DEPTH: '0' }, 'QUERY_MAX_DEPTH'],
    [{ QUERY_MAX_ALIASES: 'many' }, 'QUERY_MAX_ALIASES'],
    [{ QUERY_MAX_TOKENS: '-1' }, 'QUERY_MAX_TOKENS'],
    [{ QUERY_MAX_DIRECTIVES: '1.5' }, 'QUERY_MAX_DIRECTIVES'],
    [{ QUERY_MAX_COST: '0' }, 'QUERY_MAX_COST'],
    [{ QUERY_COST_MEMBERS: '0' }, 'QUERY_COST_MEMBERS'],
    [{ QUERY_COST_IN_FLIGHT: '0' }, 'QUERY_COST_IN_FLIGHT'],
    [{ QUERY_COST_ORGANIZATIONS: 'x' }, 'QUERY_COST_ORGANIZATIONS'],
    [{ REQUEST_TIMEOUT_MS: '0' }, 'REQUEST_TIMEOUT_MS'],
    [{ DATABASE_CONNECT_TIMEOUT_MS: 'soon' }, 'DATABASE_CONNECT_TIMEOUT_MS'],
    [{ DATABASE_STATEMENT_TIMEOUT_MS: '-1' }, 'DATABASE_STATEMENT_TIMEOUT_MS'],
    [{ DATABASE_HEAVY_STATEMENTS: '-1' }, 'DATABASE_HEAVY_STATEMENTS'],
    [{ CORS_ORIGINS: '*' }, 'CORS_ORIGINS'],
    [{ CORS_ORIGINS: 'https://coder.example.com/path' }, 'CORS_ORIGINS'],
    [{ GRAPHIQL: 'maybe' }, 'GRAPHIQL'],
    [{ GRAPHIQL_PERSIST_HEADERS: 'yes' }, 'GRAPHIQL_PERSIST_HEADERS'],
    [{ HEAVY_QUERY_THREAD: 'sometimes' }, 'HEAVY_QUERY_THREAD'],
    // Numbers are decimal digits: Number() reads a blank as 0 (for some settings, no limit at all) and takes hex.
    [{ PORT: ' ' }, 'PORT'],
    [{ QUERY_MAX_ALIASES: '\n' }, 'QUERY_MAX_ALIASES'],
    [{ DATABASE_HEAVY_STATEMENTS: ' ' }, 'DATABASE_HEAVY_STATEMENTS'],
    [{ PORT: '0x50' }, 'PORT'],
    [{ SESSION_CACHE_MS: '1e3' }, 'SESSION_CACHE_MS'],
    [{ MAX_CONNECTIONS: '+80' }, 'MAX_CONNECTIONS'],
    [{ TRUSTED_DOCUMENTS: '/nonexistent/persisted-documents.json' }, 'TRUSTED_DOCUMENTS'],
    [{ ACCESS_URL: 'members.example.com' }, 'ACCESS_URL'],
    [{ ACCESS_URL: 'ftp://members.example.com' }, 'ACCESS_URL'],
    [{ TRUSTED_DOCUMENTS: trustedDocumentsFile('not json') }, 'TRUSTED_DOCUMENTS'],
    [{ TRUSTED_DOCUMENTS: trustedDocumentsFile({ abc123: { query: '{ me { id } }' } }) }, 'TRUSTED_DOCUMENTS'],
  ])('refuses %o with one line naming %s', (env, setting) => {
    let error: unknown;
    try {
      loadConfig(env);
    } catch (caught) {
      error = caught;
    }
    expect(error).toBeInstanceOf(ConfigError);
    const message = (error as Error).message;
    expect(message).toContain(setting);
    expect(message).not.toContain('\n');
  });

  it('never echoes DATABASE_URL, which may hold a password', () => {
    expect(() => loadConfig({ DATABASE_URL: 'mysql://root:hunter2@db/coder' })).toThrow(ConfigError);
    try {
      loadConfig({ DATABASE_URL: 'mysql://root:hunter2@db/coder' });
    } catch (error) {
      expect((error as Error).message).not.toContain('hunter2');
    }
  });
});
