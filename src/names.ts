// The shapes of the names and ids the API and the CLI accept, and how a
// reference to an organization or a user finds its row.
import type { Prisma } from './generated/prisma/client.js';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
/** Coder's name rule for organizations and users (codersdk.NameValid). */
const NAME = /^[a-zA-Z0-9]+(?:-[a-zA-Z0-9]+)*$/;

export const isUuid = (value: string) => UUID.test(value);
export const isValidName = (value: string) => value.length <= 64 && NAME.test(value);

/**
 * An organization reference: an id, a name (case-insensitive) or `default`.
 * Returns `undefined` for something that can name no organization, so that no
 * query is made for it. The name pattern has no LIKE wildcards, which makes
 * Prisma's case-insensitive `equals` (ILIKE) an exact match.
 */
export function organizationWhere(ref: string): Prisma.OrganizationWhereInput | undefined {
  if (isUuid(ref)) return { id: ref.toLowerCase(), deleted: false };
  if (ref === 'default') return { isDefault: true, deleted: false };
  if (isValidName(ref)) return { name: { equals: ref, mode: 'insensitive' }, deleted: false };
  return undefined;
}

/** A user reference: an id or a username (case-insensitive); `undefined` if it can name no user. */
export function userWhere(ref: string): Prisma.UserWhereInput | undefined {
  if (isUuid(ref)) return { id: ref.toLowerCase(), deleted: false };
  if (isValidName(ref)) return { username: { equals: ref, mode: 'insensitive' }, deleted: false };
  return undefined;
}
