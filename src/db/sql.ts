// Hand-written SQL for the hottest reads (the session, member pages, one
// member, reference lookups, custom roles), run on the driver itself rather
// than through `prisma.$queryRaw`.
// Why: Prisma's raw path interprets, converts and re-converts every value, several times the driver's CPU for a
// large page (docs/performance.md), and CPU is what the gateway and PostgreSQL share. Everything else stays on Prisma.

import type { StatementListener } from './statement-counter.js';

/** A statement with its parameters in order ($1, $2, …). */
export type RunStatement = (text: string, values: unknown[]) => Promise<Record<string, unknown>[]>;

export interface Sql {
  /**
   * Runs one statement: `text` is built from constant fragments only, and
   * every value is a bound parameter (`$1`…), never spliced into the text.
   * Constant texts are what PostgreSQL prepares once per connection.
   */
  query<T>(text: string, values: unknown[]): Promise<T[]>;
  /**
   * Keys one lookup statement may take (a batch of ids or references); more are read by as many statements as
   * it takes. Unbounded on PostgreSQL. The embedded database runs each statement on the serving thread, where
   * nothing else runs until it ends: 1,000 member lookups are one stretch of 40–50 ms, and its parts let a
   * light document's statement run in between (src/db/pglite.ts runs light ones first).
   */
  readonly keysPerStatement?: number;
}

/** An `Sql` over a driver's `run`, reporting each statement to `onStatement` first (the statement counter). */
export function createSql(run: RunStatement, onStatement: StatementListener, keysPerStatement?: number): Sql {
  return {
    keysPerStatement,
    query<T>(text: string, values: unknown[]) {
      const done = onStatement(text, values);
      const running = run(text, values);
      return (typeof done === 'function' ? running.finally(done as () => void) : running) as Promise<T[]>;
    },
  };
}
