import type { StoredHeaders } from './cache-entry.js';

/** Headers as they come from node (IncomingHttpHeaders) or from the store: lower-case names, maybe repeated. */
export type HeaderBag = Readonly<Record<string, string | string[] | undefined>>;

/** The first line of a field, or undefined when absent. */
export function firstValue(headers: HeaderBag | StoredHeaders, name: string): string | undefined {
  const v = headers[name];
  if (v === undefined) return undefined;
  return typeof v === 'string' ? v : v[0];
}

/** All lines of a list-valued field combined with ', ' (RFC 9110 5.3), or undefined when absent. */
export function joinedValue(headers: HeaderBag | StoredHeaders, name: string): string | undefined {
  const v = headers[name];
  if (v === undefined) return undefined;
  return typeof v === 'string' ? v : v.length === 0 ? undefined : v.join(', ');
}
