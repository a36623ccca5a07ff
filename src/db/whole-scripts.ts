import type { SqlDriverAdapter, SqlMigrationAwareDriverAdapterFactory } from '@prisma/driver-adapter-utils';

/**
 * Makes a driver adapter run each migration script as one multi-statement
 * query, which PostgreSQL executes atomically, instead of the adapters' own
 * `executeScript`:
 * - `@prisma/adapter-pg` 7.10 splits the script on every `;`, which breaks
 *   function bodies and comments and commits statement by statement, so a
 *   failing migration would leave half its changes behind;
 * - `pglite-prisma-adapter` 0.7.2 does not await the script, so a failing
 *   migration is recorded as applied and its error escapes unhandled.
 * Errors are still reported through the adapter, as its query errors are.
 */
export function withWholeScripts(
  factory: SqlMigrationAwareDriverAdapterFactory,
  runScript: (script: string) => Promise<unknown>,
): SqlMigrationAwareDriverAdapterFactory {
  const patch = (adapter: SqlDriverAdapter): SqlDriverAdapter => {
    const reportError = (adapter as unknown as { onError(error: unknown): never }).onError.bind(adapter);
    adapter.executeScript = async (script: string) => {
      await runScript(script).catch(reportError);
    };
    return adapter;
  };
  return {
    provider: factory.provider,
    adapterName: factory.adapterName,
    connect: async () => patch(await factory.connect()),
    connectToShadowDb: () => factory.connectToShadowDb(),
  };
}
