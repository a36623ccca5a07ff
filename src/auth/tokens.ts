// Coder's session tokens: `<id>-<secret>`, an id of 10 and a secret of 22
// characters from [0-9A-Za-z]. Only the SHA-256 of the secret is stored.
import { createHash, randomInt, timingSafeEqual } from 'node:crypto';

const ALPHABET = '0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ';
export const TOKEN_ID_LENGTH = 10;
export const TOKEN_SECRET_LENGTH = 22;
const TOKEN_PATTERN = /^([0-9A-Za-z]{10})-([0-9A-Za-z]{22})$/;

export interface ParsedToken {
  id: string;
  secret: string;
}

export function parseToken(token: string): ParsedToken | undefined {
  const match = TOKEN_PATTERN.exec(token);
  return match ? { id: match[1]!, secret: match[2]! } : undefined;
}

function randomString(length: number): string {
  let out = '';
  // randomInt is uniform over the alphabet, with no modulo bias.
  for (let i = 0; i < length; i++) out += ALPHABET[randomInt(ALPHABET.length)];
  return out;
}

export interface NewToken extends ParsedToken {
  token: string;
  hashedSecret: Uint8Array<ArrayBuffer>;
}

export function generateToken(): NewToken {
  const id = randomString(TOKEN_ID_LENGTH);
  const secret = randomString(TOKEN_SECRET_LENGTH);
  return { id, secret, token: `${id}-${secret}`, hashedSecret: hashSecret(secret) };
}

export function hashSecret(secret: string): Uint8Array<ArrayBuffer> {
  return new Uint8Array(createHash('sha256').update(secret).digest());
}

export function secretMatches(secret: string, hashedSecret: Uint8Array): boolean {
  const actual = hashSecret(secret);
  return actual.length === hashedSecret.length && timingSafeEqual(actual, hashedSecret);
}
