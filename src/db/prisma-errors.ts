import { Prisma } from '../generated/prisma/client.js';

const hasCode = (error: unknown, code: string) =>
  error instanceof Prisma.PrismaClientKnownRequestError && error.code === code;

/** A unique constraint refused the write (another request got there first). */
export const isUniqueViolation = (error: unknown) => hasCode(error, 'P2002');

/** The row to update or delete does not exist. */
export const isRecordNotFound = (error: unknown) => hasCode(error, 'P2025');
