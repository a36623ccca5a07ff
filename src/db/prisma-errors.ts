import { isUnavailable } from './postgres-pool.js';
import { Prisma } from '../generated/prisma/client.js';

const hasCode = (error: unknown, code: string) =>
  error instanceof Prisma.PrismaClientKnownRequestError && error.code === code;

/** A unique constraint refused the write (another request got there first). */
export const isUniqueViolation = (error: unknown) => hasCode(error, 'P2002');

/** The row to update or delete does not exist. */
export const isRecordNotFound = (error: unknown) => hasCode(error, 'P2025');

/** Prisma's codes for a database it cannot reach or lost: refused credentials, not reachable, no such database, timed out, connection closed, no connection in time. */
const UNREACHABLE = new Set(['P1000', 'P1001', 'P1002', 'P1003', 'P1008', 'P1017', 'P1018', 'P2024', 'P2028']);

/**
 * Prisma's own error for a database that cannot serve now: its codes for a lost or unreachable server, or a
 * driver error whose PostgreSQL code or message says so (a backend terminated in the middle of a transaction
 * comes back as P2010 or P2039 with code 57P01, or as the adapter's own DriverAdapterError). Prisma keeps the
 * driver's error only as these fields, so the pool's DatabaseUnavailable (src/db/postgres-pool.ts) does not
 * reach the client's answer through it.
 */
export function isPrismaUnavailable(error: unknown): boolean {
  if (error instanceof Prisma.PrismaClientInitializationError) return true;
  if (error instanceof Prisma.PrismaClientKnownRequestError) {
    if (UNREACHABLE.has(error.code)) return true;
    return unavailableDriverError((error.meta?.driverAdapterError as { cause?: unknown } | undefined)?.cause);
  }
  return error instanceof Error && error.name === 'DriverAdapterError' && unavailableDriverError(error.cause);
}

/** The driver adapter's description of a failure: `{ kind, originalCode, originalMessage }`. */
function unavailableDriverError(cause: unknown): boolean {
  const { originalCode, originalMessage } = (cause ?? {}) as { originalCode?: unknown; originalMessage?: unknown };
  return isUnavailable({ code: originalCode, message: originalMessage });
}
