// Session-token authentication as Coder does it (SPEC B.2).
import { parse as parseCookies } from 'cookie';
import type { PrismaClient, User } from '../generated/prisma/client.js';
import { parseToken, secretMatches } from './tokens.js';

export const SESSION_COOKIE = 'coder_session_token';
export const SESSION_HEADER = 'Coder-Session-Token';
/** Coder refreshes `last_used` at most this often per key, to spare writes. */
const LAST_USED_REFRESH_MS = 60 * 60 * 1000;

export interface Session {
  apiKeyId: string;
  user: User;
}

export type Authentication = { ok: true; session: Session } | { ok: false; reason: string };

/** Cookie first, then the Coder header, then `Authorization: Bearer`. */
export function sessionTokenFrom(headers: Headers): string | undefined {
  const cookie = headers.get('cookie');
  const fromCookie = cookie ? parseCookies(cookie)[SESSION_COOKIE] : undefined;
  if (fromCookie) return fromCookie;
  const fromHeader = headers.get(SESSION_HEADER);
  if (fromHeader) return fromHeader;
  const authorization = headers.get('authorization');
  const bearer = authorization && /^Bearer\s+(\S+)\s*$/i.exec(authorization);
  return bearer ? bearer[1] : undefined;
}

export async function authenticate(prisma: PrismaClient, headers: Headers, now = new Date()): Promise<Authentication> {
  const token = sessionTokenFrom(headers);
  if (!token) {
    return fail(`No session token provided: send the "${SESSION_COOKIE}" cookie, the "${SESSION_HEADER}" header or "Authorization: Bearer <token>".`);
  }
  const parsed = parseToken(token);
  if (!parsed) return fail('Session token is malformed: expected "<10 character id>-<22 character secret>".');

  const key = await prisma.apiKey.findUnique({ where: { id: parsed.id }, include: { user: true } });
  // One message for an unknown id and a wrong secret, so ids cannot be probed.
  if (!key || !secretMatches(parsed.secret, key.hashedSecret)) return fail('API key is invalid.');
  if (key.expiresAt.getTime() <= now.getTime()) return fail(`API key expired at ${key.expiresAt.toISOString()}.`);

  let user = key.user;
  if (user.deleted) return fail('The user of this API key has been deleted.');
  if (user.status === 'suspended') return fail('User is not active (status = "suspended"). Contact an admin to reactivate your account.');

  if (user.status === 'dormant') {
    user = await prisma.user.update({ where: { id: user.id }, data: { status: 'active', updatedAt: now } });
  }
  if (now.getTime() - key.lastUsed.getTime() >= LAST_USED_REFRESH_MS) {
    await prisma.apiKey.update({ where: { id: key.id }, data: { lastUsed: now } });
  }
  return { ok: true, session: { apiKeyId: key.id, user } };
}

function fail(reason: string): Authentication {
  return { ok: false, reason };
}
