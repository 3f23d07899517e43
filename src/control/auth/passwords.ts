import { hash, verify } from '@node-rs/argon2';
import { EdgewardError } from '../../shared/errors.js';

/**
 * Argon2id (memory-hard) with OWASP's baseline parameters: 19 MiB, 2 passes, 1 lane. The encoded hash carries its
 * parameters, so raising them later still verifies old hashes.
 */
const ARGON2ID = 2; // Algorithm.Argon2id (a const enum in the package's types)
const OPTIONS = { algorithm: ARGON2ID, memoryCost: 19_456, timeCost: 2, parallelism: 1 } as const;

export const MIN_PASSWORD_LENGTH = 12;

export function checkPasswordStrength(password: string, field = 'password'): void {
  if (password.length < MIN_PASSWORD_LENGTH) {
    throw new EdgewardError(
      'weak_password',
      `${field} must have at least ${MIN_PASSWORD_LENGTH} characters`,
      { field },
    );
  }
  if (password.length > 1024) throw new EdgewardError('invalid_request', `${field} is too long`, { field });
}

export function hashPassword(password: string): Promise<string> {
  return hash(password, OPTIONS);
}

export async function verifyPassword(encoded: string, password: string): Promise<boolean> {
  try {
    return await verify(encoded, password);
  } catch (e) {
    // A malformed stored hash is a corrupt row, not a wrong password: surface it.
    throw new EdgewardError(
      'corrupt_password_hash',
      `stored password hash cannot be read: ${(e as Error).message}`,
      {
        cause: e,
      },
    );
  }
}

/** A hash to verify against when the account does not exist, so timing does not reveal which emails exist. */
let dummy: Promise<string> | undefined;
export function dummyPasswordHash(): Promise<string> {
  dummy ??= hashPassword('edgeward-no-such-account');
  return dummy;
}
