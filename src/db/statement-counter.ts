import type {
  SqlDriverAdapter,
  SqlMigrationAwareDriverAdapterFactory,
  SqlQueryable,
} from '@prisma/driver-adapter-utils';

/**
 * Receives every SQL statement sent, with its parameters (Prisma's inside
 * transactions too); may return a function to call when the statement is done
 * (how tracing times each statement).
 */
export type StatementListener = (sql: string, values: readonly unknown[]) => unknown;

/**
 * Wraps a driver adapter so that each statement Prisma runs is reported to
 * `listener`: how the tests prove that a request costs a bounded number of
 * statements, and how the benchmark counts them. The driver's own BEGIN and
 * COMMIT are not statements of ours and are not reported.
 */
export function countStatements(
  factory: SqlMigrationAwareDriverAdapterFactory,
  listener: StatementListener,
): SqlMigrationAwareDriverAdapterFactory {
  const report = <T extends SqlQueryable>(queryable: T): T => {
    const queryRaw = queryable.queryRaw.bind(queryable);
    const executeRaw = queryable.executeRaw.bind(queryable);
    queryable.queryRaw = (query) => {
      const done = listener(query.sql, query.args);
      return typeof done === 'function' ? queryRaw(query).finally(done as () => void) : queryRaw(query);
    };
    queryable.executeRaw = (query) => {
      const done = listener(query.sql, query.args);
      return typeof done === 'function' ? executeRaw(query).finally(done as () => void) : executeRaw(query);
    };
    return queryable;
  };
  const wrap = (adapter: SqlDriverAdapter): SqlDriverAdapter => {
    const startTransaction = adapter.startTransaction.bind(adapter);
    adapter.startTransaction = async (isolationLevel) => report(await startTransaction(isolationLevel));
    return report(adapter);
  };
  return {
    provider: factory.provider,
    adapterName: factory.adapterName,
    connect: async () => wrap(await factory.connect()),
    connectToShadowDb: () => factory.connectToShadowDb(),
  };
}
