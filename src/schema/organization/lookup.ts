import type { Prisma } from '../../generated/prisma/client.js';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
/** Coder's name rule for organizations and users (codersdk.NameValid). */
const NAME = /^[a-zA-Z0-9]+(?:-[a-zA-Z0-9]+)*$/;

export const isUuid = (value: string) => UUID.test(value);
export const isValidName = (value: string) => value.length <= 64 && NAME.test(value);

/**
 * An `organization: String!` argument: an id, a name (case-insensitive) or
 * `default`. Returns `undefined` for something that can name no organization,
 * so that no query is made for it. The name pattern has no LIKE wildcards,
 * which makes Prisma's case-insensitive `equals` an exact match.
 */
export function organizationWhere(ref: string): Prisma.OrganizationWhereInput | undefined {
  if (isUuid(ref)) return { id: ref.toLowerCase(), deleted: false };
  if (ref === 'default') return { isDefault: true, deleted: false };
  if (isValidName(ref)) return { name: { equals: ref, mode: 'insensitive' }, deleted: false };
  return undefined;
}
