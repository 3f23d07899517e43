import { createHash, randomBytes } from 'node:crypto';

/** Random secrets and their stored form: only sha256 hex of a secret is ever stored. */
export function randomSecret(bytes = 32): string {
  return randomBytes(bytes).toString('base64url');
}

export function sha256Hex(s: string): string {
  return createHash('sha256').update(s, 'utf8').digest('hex');
}

/** API tokens look like `ew_<43 chars>`; the prefix shown in listings is the first 11 characters. */
export const API_TOKEN_PREFIX = 'ew_';
export const TOKEN_DISPLAY_LENGTH = 11;

export function newApiTokenSecret(): { token: string; hash: string; prefix: string } {
  const token = API_TOKEN_PREFIX + randomSecret(32);
  return { token, hash: sha256Hex(token), prefix: token.slice(0, TOKEN_DISPLAY_LENGTH) };
}

/** A password for the bootstrap admin: 24 characters from an unambiguous alphabet. */
export function randomPassword(length = 24): string {
  const alphabet = 'ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz23456789';
  const bytes = randomBytes(length * 2);
  let out = '';
  for (let i = 0; i < bytes.length && out.length < length; i++) {
    const b = bytes[i]!;
    if (b < alphabet.length * 4) out += alphabet[b % alphabet.length];
  }
  return out.length === length ? out : randomPassword(length);
}
