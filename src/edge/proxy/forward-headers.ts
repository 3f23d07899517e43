import type { IncomingHttpHeaders } from 'node:http';
import { HOP_BY_HOP } from '../cache/hop-by-hop.js';

/**
 * Client headers the edge never passes to the origin. They are not part of the cache key, so an origin that
 * builds its response from them (absolute links from X-Forwarded-Host, method overrides, rewritten paths) would
 * let one client poison the cached object for everyone. The edge sets X-Forwarded-* itself.
 */
export const UNTRUSTED_CLIENT_HEADERS: ReadonlySet<string> = new Set([
  'x-forwarded-host',
  'x-forwarded-server',
  'x-forwarded-proto',
  'x-forwarded-port',
  'x-forwarded-scheme',
  'x-forwarded-for',
  'x-host',
  'x-original-url',
  'x-original-host',
  'x-rewrite-url',
  'x-http-method-override',
  'x-http-method',
  'x-method-override',
  'forwarded',
  'via',
  'host',
]);

/** Request headers that make a cache fill ask for something other than the full current representation. */
export const CONDITIONAL_REQUEST_HEADERS: readonly string[] = [
  'if-none-match',
  'if-modified-since',
  'if-match',
  'if-unmodified-since',
  'if-range',
  'range',
];

export interface ForwardContext {
  /** Host header for the origin. */
  readonly host: string;
  /** The client's (normalized) host, sent as X-Forwarded-Host. */
  readonly clientHost: string;
  readonly scheme: 'http' | 'https';
  /** The TCP peer's address. */
  readonly peer: string;
  readonly peerTrusted: boolean;
  /** `1.1 <nodeName>` */
  readonly via: string;
}

/** Names listed in a Connection header (lower-case): hop-by-hop for this message only. */
export function connectionTokens(value: string | string[] | undefined): Set<string> | null {
  if (value === undefined) return null;
  const set = new Set<string>();
  for (const part of (Array.isArray(value) ? value.join(',') : value).split(',')) {
    const t = part.trim().toLowerCase();
    if (t) set.add(t);
  }
  return set;
}

/**
 * The header set sent to the origin for a client request: hop-by-hop and untrusted override headers removed,
 * Via appended, X-Forwarded-For/-Proto/-Host set by the edge. `drop` names extra headers to leave out (the
 * client's conditionals on a cache fill).
 */
export function originRequestHeaders(
  incoming: IncomingHttpHeaders,
  ctx: ForwardContext,
  drop?: readonly string[],
): Record<string, string | string[]> {
  const out: Record<string, string | string[]> = {};
  const listed = connectionTokens(incoming.connection);
  for (const name in incoming) {
    const v = incoming[name];
    if (v === undefined) continue;
    if (HOP_BY_HOP.has(name) || UNTRUSTED_CLIENT_HEADERS.has(name)) continue;
    if (listed !== null && listed.has(name)) continue;
    if (drop !== undefined && drop.includes(name)) continue;
    out[name] = v;
  }
  out.host = ctx.host;
  const priorVia = incoming.via;
  out.via = priorVia ? `${Array.isArray(priorVia) ? priorVia.join(', ') : priorVia}, ${ctx.via}` : ctx.via;
  const xff = incoming['x-forwarded-for'];
  out['x-forwarded-for'] =
    ctx.peerTrusted && xff ? `${Array.isArray(xff) ? xff.join(', ') : xff}, ${ctx.peer}` : ctx.peer;
  out['x-forwarded-proto'] = ctx.scheme;
  out['x-forwarded-host'] = ctx.clientHost;
  return out;
}

/** Origin response headers minus hop-by-hop ones (including those its Connection header names). */
export function originResponseHeaders(
  headers: Record<string, string | string[] | undefined>,
): Record<string, string | string[]> {
  const out: Record<string, string | string[]> = {};
  const listed = connectionTokens(headers.connection);
  for (const name in headers) {
    const v = headers[name];
    if (v === undefined) continue;
    if (HOP_BY_HOP.has(name)) continue;
    if (listed !== null && listed.has(name)) continue;
    out[name] = v;
  }
  return out;
}
