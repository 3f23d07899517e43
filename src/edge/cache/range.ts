import type { StoredHeaders } from './cache-entry.js';
import { parseEntityTag, strongMatch } from './entity-tag.js';
import { firstValue } from './header-values.js';
import { parseHttpDate } from './http-date.js';

const BYTES_PREFIX = /^bytes=/i;
const RANGE_SPEC = /^([0-9]*)-([0-9]*)$/;

/**
 * One byte range of a representation of `size` bytes (RFC 9110 14.1.2). Multiple ranges, other units and
 * malformed or invalid specs give 'ignore': the full 200 is served, which RFC 9110 14.2 allows. The result is
 * always inside [0, size).
 */
export function parseRange(
  header: string | undefined,
  size: number,
): { start: number; end: number } | 'unsatisfiable' | 'ignore' {
  if (header === undefined || !BYTES_PREFIX.test(header)) return 'ignore';
  if (!Number.isSafeInteger(size) || size < 0) return 'ignore';
  const specs = header
    .slice(6)
    .split(',')
    .map((s) => s.trim())
    .filter((s) => s !== '');
  if (specs.length !== 1) return 'ignore';
  const m = RANGE_SPEC.exec(specs[0]!);
  if (!m) return 'ignore';
  const first = m[1]!;
  const last = m[2]!;
  if (first === '') {
    if (last === '') return 'ignore';
    // suffix range: the last n bytes
    const n = Number(last);
    if (n === 0 || size <= 0) return 'unsatisfiable';
    return { start: Math.max(0, size - n), end: size - 1 };
  }
  const start = Number(first);
  if (last !== '' && Number(last) < start) return 'ignore';
  if (start >= size) return 'unsatisfiable';
  const end = last === '' ? size - 1 : Math.min(Number(last), size - 1);
  return { start, end };
}

/**
 * RFC 9110 13.1.5: true when there is no If-Range, or when it strongly matches the stored ETag, or equals the
 * stored Last-Modified exactly and that date is strong (the stored Date is at least a second later, 8.8.2.2).
 * Anything else (weak tags, unparseable values) is false: the client gets the whole representation.
 */
export function ifRangeAllows(ifRange: string | undefined, stored: StoredHeaders): boolean {
  if (ifRange === undefined) return true;
  const v = ifRange.trim();
  if (v.startsWith('"') || v.startsWith('W/"')) {
    const tag = parseEntityTag(v);
    const raw = firstValue(stored, 'etag');
    const etag = raw === undefined ? undefined : parseEntityTag(raw);
    return tag !== undefined && etag !== undefined && strongMatch(tag, etag);
  }
  const date = parseHttpDate(v);
  const lm = parseHttpDate(firstValue(stored, 'last-modified'));
  const responseDate = parseHttpDate(firstValue(stored, 'date'));
  if (date === undefined || lm === undefined || responseDate === undefined) return false;
  return date === lm && responseDate - lm >= 1000;
}
