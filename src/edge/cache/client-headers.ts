import type { StoredHeaders } from './cache-entry.js';

/** Fields meant for the edge alone (RFC 9213 targeted fields, purge tags): never sent to clients. */
export const EDGE_ONLY_HEADERS: ReadonlySet<string> = new Set([
  'cdn-cache-control',
  'surrogate-control',
  'surrogate-key',
  'cache-tag',
]);

/** Purge tags: Surrogate-Key is space-separated, Cache-Tag comma-separated; trimmed, deduped, in order of appearance. */
export function cacheTags(headers: StoredHeaders): string[] {
  const tags = new Set<string>();
  collect(headers['surrogate-key'], /\s+/, tags);
  collect(headers['cache-tag'], /,/, tags);
  return [...tags];
}

function collect(v: string | string[] | undefined, sep: RegExp, into: Set<string>): void {
  if (v === undefined) return;
  for (const line of typeof v === 'string' ? [v] : v) {
    for (const part of line.split(sep)) {
      const t = part.trim();
      if (t !== '') into.add(t);
    }
  }
}

/** A new object with the stored headers minus EDGE_ONLY_HEADERS. */
export function headersForClient(stored: StoredHeaders): StoredHeaders {
  const out: StoredHeaders = {};
  for (const name in stored) {
    if (!EDGE_ONLY_HEADERS.has(name)) out[name] = stored[name]!;
  }
  return out;
}

/**
 * The same as a flat [name, value, name, value, ...] list (repeated fields expanded), the form
 * `res.writeHead(status, list)` takes: compute it once per stored entry and reuse it for every hit, then add the
 * per-response fields (Age, Cache-Status) to a copy or with setHeader before writeHead.
 */
export function clientHeaderList(stored: StoredHeaders): string[] {
  const out: string[] = [];
  for (const name in stored) {
    if (EDGE_ONLY_HEADERS.has(name)) continue;
    const v = stored[name]!;
    if (typeof v === 'string') out.push(name, v);
    else for (const line of v) out.push(name, line);
  }
  return out;
}
