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
}

/** An `Sql` over a driver's `run`, reporting each statement to `onStatement` first (the statement counter). */
export function createSql(run: RunStatement, onStatement: StatementListener): Sql {
  return {
    query<T>(text: string, values: unknown[]) {
      const done = onStatement(text, values);
      const running = run(text, values);
      return (typeof done === 'function' ? running.finally(done as () => void) : running) as Promise<T[]>;
    },
  };
}
