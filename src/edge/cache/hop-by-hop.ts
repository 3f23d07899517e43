import type { StoredHeaders } from './cache-entry.js';

/** RFC 9110 7.6.1 connection-specific fields, plus the common non-standard ones. */
export const HOP_BY_HOP: ReadonlySet<string> = new Set([
  'connection',
  'keep-alive',
  'proxy-connection',
  'te',
  'trailer',
  'transfer-encoding',
  'upgrade',
  'proxy-authenticate',
  'proxy-authorization',
]);

/** A copy without hop-by-hop fields and without the fields the Connection header names. Names come out lower-case. */
export function stripHopByHop(
  headers: StoredHeaders | Record<string, string | string[] | undefined>,
): StoredHeaders {
  const connection = headers['connection'] ?? headers['Connection'];
  let named: Set<string> | undefined;
  if (connection !== undefined) {
    named = new Set();
    for (const line of typeof connection === 'string' ? [connection] : connection) {
      for (const token of line.split(',')) {
        const t = token.trim().toLowerCase();
        if (t !== '') named.add(t);
      }
    }
  }
  const out: StoredHeaders = {};
  for (const key in headers) {
    const v = headers[key];
    if (v === undefined) continue;
    const name = key.toLowerCase();
    if (HOP_BY_HOP.has(name) || (named !== undefined && named.has(name))) continue;
    out[name] = v;
  }
  return out;
}
