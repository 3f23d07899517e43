import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';

/** A fresh admin token: 32 random bytes, base64url (43 characters). */
export function generateAdminToken(): string {
  return randomBytes(32).toString('base64url');
}

/**
 * Checks `Authorization: Bearer <token>` in constant time. Both sides are hashed first so that the comparison
 * takes the same time whatever the presented token's length.
 */
export function bearerTokenMatches(authorization: string | undefined, token: string): boolean {
  if (authorization === undefined) return false;
  const m = /^Bearer[ \t]+(\S+)[ \t]*$/i.exec(authorization);
  const presented = m ? m[1]! : '';
  const a = createHash('sha256').update(presented).digest();
  const b = createHash('sha256').update(token).digest();
  return timingSafeEqual(a, b) && m !== null;
}
