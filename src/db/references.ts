// The one parser of the references the API and the CLI accept: an
// organization by id, name or `default` (or the nil UUID, as in Coder); a user
// by id, username or `me`.
// Reads turn a parsed reference into statement parameters (src/db/reads/),
// the CLI into a Prisma `where`.
import { NIL_UUID } from '../audit/entry.js';
import type { Prisma } from '../generated/prisma/client.js';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
/** Coder's name rule for organizations and users (codersdk.NameValid). */
const NAME = /^[a-zA-Z0-9]+(?:-[a-zA-Z0-9]+)*$/;

// `unknown`: a federation router's representation is JSON of any shape, and RegExp.test would read `["<uuid>"]` as
// its one element.
export const isUuid = (value: unknown): boolean => typeof value === 'string' && UUID.test(value);
export const isValidName = (value: unknown): boolean =>
  typeof value === 'string' && value.length <= 64 && NAME.test(value);

/** The longest name Coder gives a new user, organization or custom role (codersdk.NameValid). */
export const MAX_NEW_NAME_LENGTH = 32;

/** Whether `value` has the shape of a name Coder gives a new user, organization or custom role. */
export const fitsNewName = (value: string) => value.length <= MAX_NEW_NAME_LENGTH && NAME.test(value);

/**
 * Why `value` may not name a new user, organization or custom role, as Coder's codersdk.NameValid says it;
 * undefined if it may. Lookups (isValidName) take names up to 64 characters, which older Coder versions allowed.
 */
export function newNameProblem(value: string): string | undefined {
  if (value.length > MAX_NEW_NAME_LENGTH) return `must be <= ${MAX_NEW_NAME_LENGTH} characters`;
  if (!NAME.test(value)) return 'must be alphanumeric with hyphens';
  if (value === 'new' || value === 'create') return "cannot use 'new' and 'create' as a name";
  return undefined;
}

/** Why `value` may not be a display name (codersdk.DisplayNameValid, at most 64) or a user's name (UserRealNameValid, 128). */
export function displayNameProblem(value: string, most: 64 | 128): string | undefined {
  if (value.length > most) return `must be <= ${most} characters`;
  if (value.trim() !== value) return 'must not have leading or trailing whitespace';
  return undefined;
}

/** Names are ASCII, so lower-casing here matches PostgreSQL's lower(), which Coder's unique indexes use. */
export type OrganizationRef = { id: string } | { name: string } | { isDefault: true };
export type UserRef = { id: string } | { username: string };

const HEX_32 = /^[0-9a-f]{32}$/i;
const URN_PREFIX = 'urn:uuid:';

/**
 * The id a reference names, in the canonical form (lower case, dashed), for each spelling Coder's uuid.Parse takes:
 * dashed, in braces, as a `urn:uuid:` URN, or 32 hex digits; undefined for any other string. As in Coder, a
 * reference that parses as an id is looked up as one, never as a name.
 */
export function canonicalUuid(value: string): string | undefined {
  let id = value;
  if (id.length === 38 && id.startsWith('{') && id.endsWith('}')) id = id.slice(1, -1);
  else if (id.length === 45 && id.slice(0, URN_PREFIX.length).toLowerCase() === URN_PREFIX)
    id = id.slice(URN_PREFIX.length);
  else if (HEX_32.test(id))
    id = `${id.slice(0, 8)}-${id.slice(8, 12)}-${id.slice(12, 16)}-${id.slice(16, 20)}-${id.slice(20)}`;
  return UUID.test(id) ? id.toLowerCase() : undefined;
}

/** An organization reference, or undefined for a string that can name no organization. */
export function parseOrganizationRef(ref: string): OrganizationRef | undefined {
  // Coder takes the nil UUID for the default organization too (coderd/httpmw/organizationparam.go), dashed only.
  if (ref === 'default' || ref === NIL_UUID) return { isDefault: true };
  const id = canonicalUuid(ref);
  if (id) return { id };
  if (isValidName(ref)) return { name: ref.toLowerCase() };
  return undefined;
}

/** A user reference (`me` is the caller, when there is one), or undefined for a string that can name no user. */
export function parseUserRef(ref: string, callerId?: string): UserRef | undefined {
  if (ref === 'me') return callerId === undefined ? undefined : { id: callerId };
  const id = canonicalUuid(ref);
  if (id) return { id };
  if (isValidName(ref)) return { username: ref.toLowerCase() };
  return undefined;
}

/** A stable key for a parsed reference (a dataloader's cache key). */
export const refKey = (ref: OrganizationRef | UserRef): string =>
  'id' in ref
    ? `id:${ref.id}`
    : 'name' in ref
      ? `name:${ref.name}`
      : 'username' in ref
        ? `name:${ref.username}`
        : 'default';

/** For the CLI, which writes through Prisma: the non-deleted organization a reference names. */
export function organizationWhere(ref: string): Prisma.OrganizationWhereInput | undefined {
  const parsed = parseOrganizationRef(ref);
  if (!parsed) return undefined;
  if ('id' in parsed) return { id: parsed.id, deleted: false };
  if ('name' in parsed) return { name: { equals: parsed.name, mode: 'insensitive' }, deleted: false };
  return { isDefault: true, deleted: false };
}

/** For the CLI: the non-deleted user a reference names (`me` means nothing there). */
export function userWhere(ref: string): Prisma.UserWhereInput | undefined {
  const parsed = parseUserRef(ref);
  if (!parsed) return undefined;
  if ('id' in parsed) return { id: parsed.id, deleted: false };
  return { username: { equals: parsed.username, mode: 'insensitive' }, deleted: false };
}
