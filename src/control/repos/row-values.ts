import { EdgewardError } from '../../shared/errors.js';

/** Row <-> domain helpers shared by the repos. Timestamps stay ISO-8601 strings (UTC, ms) in domain objects. */

export function nowIso(): string {
  return new Date().toISOString();
}

/** Parses a JSON TEXT column; a bad value is a corrupt row, reported with the table and column. */
export function parseJsonColumn<T>(text: string, where: string): T {
  try {
    return JSON.parse(text) as T;
  } catch (e) {
    throw new EdgewardError('corrupt_row', `${where} does not hold valid JSON`, { field: where, cause: e });
  }
}

export function parseNullableJsonColumn<T>(text: string | null, where: string): T | null {
  return text === null ? null : parseJsonColumn<T>(text, where);
}

/** Emails are compared case-insensitively: stored and looked up lower-cased. */
export function normalizeEmail(email: string): string {
  return email.trim().toLowerCase();
}

/** Builds an update object from a patch, leaving out keys whose value is undefined. */
export function definedOnly<T extends Record<string, unknown>>(patch: T): Partial<T> {
  const out: Partial<T> = {};
  for (const [k, v] of Object.entries(patch)) if (v !== undefined) (out as Record<string, unknown>)[k] = v;
  return out;
}
