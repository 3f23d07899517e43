import type { StoredHeaders } from './cache-entry.js';
import { mapCacheControl, parseCacheControl, parseDeltaSeconds, type CacheControl } from './cache-control.js';

/**
 * Which field governs this (shared, CDN) cache for a response. RFC 9213 2.1: the first targeted field in our
 * target list with a non-empty value wins, and then Cache-Control and Expires are ignored. Our target list is
 * CDN-Cache-Control, then Surrogate-Control (Edge Architecture 1.0, handled the same way).
 */
export type PolicySource = 'cdn-cache-control' | 'surrogate-control' | 'cache-control';

export interface ResponsePolicy {
  readonly source: PolicySource;
  readonly cc: CacheControl;
  /** Expires is considered only when Cache-Control governs. */
  readonly useExpires: boolean;
  /** Surrogate-Control `max-age=N+M`: M seconds of extra stale use when the origin fails. */
  readonly surrogateStaleIfError: number;
  // Derived from cc once per distinct field value (policies are memoized), so a hit does no directive lookups.
  /** s-maxage, else max-age (present but invalid = 0); undefined when neither is present. */
  readonly directiveLifetime: number | undefined;
  readonly staleWhileRevalidate: number;
  /** stale-if-error, or the Surrogate-Control `+M`, whichever is longer. */
  readonly staleIfError: number;
  /** must-revalidate or proxy-revalidate. */
  readonly explicitRevalidate: boolean;
  readonly hasSMaxAge: boolean;
  readonly noCache: boolean;
  readonly isPublic: boolean;
}

const memo: Record<Exclude<PolicySource, 'surrogate-control'>, WeakMap<CacheControl, ResponsePolicy>> = {
  'cdn-cache-control': new WeakMap(),
  'cache-control': new WeakMap(),
};
// Keyed by the field value; bounded because origins control it.
const surrogateMemo = new Map<string, ResponsePolicy | null>();
const SURROGATE_MEMO_MAX = 256;

export function responsePolicy(headers: StoredHeaders): ResponsePolicy {
  const cdn = headers['cdn-cache-control'];
  if (cdn !== undefined) {
    const v = typeof cdn === 'string' ? cdn : cdn.join(', ');
    if (v.trim() !== '') return policyFor('cdn-cache-control', parseCacheControl(v));
  }
  const sc = headers['surrogate-control'];
  if (sc !== undefined) {
    const v = typeof sc === 'string' ? sc : sc.join(', ');
    if (v.trim() !== '') {
      const p = surrogatePolicy(v);
      if (p !== null) return p;
    }
  }
  return policyFor('cache-control', parseCacheControl(headers['cache-control']));
}

function policyFor(source: 'cdn-cache-control' | 'cache-control', cc: CacheControl): ResponsePolicy {
  let p = memo[source].get(cc);
  if (p === undefined) {
    p = derive(source, cc, 0);
    memo[source].set(cc, p);
  }
  return p;
}

function derive(source: PolicySource, cc: CacheControl, surrogateStaleIfError: number): ResponsePolicy {
  const directiveLifetime = cc.has('s-maxage')
    ? (cc.seconds('s-maxage') ?? 0)
    : cc.has('max-age')
      ? (cc.seconds('max-age') ?? 0)
      : undefined;
  return {
    source,
    cc,
    useExpires: source === 'cache-control',
    surrogateStaleIfError,
    directiveLifetime,
    staleWhileRevalidate: cc.seconds('stale-while-revalidate') ?? 0,
    staleIfError: Math.max(cc.seconds('stale-if-error') ?? 0, surrogateStaleIfError),
    explicitRevalidate: cc.has('must-revalidate') || cc.has('proxy-revalidate'),
    hasSMaxAge: cc.has('s-maxage'),
    noCache: cc.has('no-cache'),
    isPublic: cc.has('public'),
  };
}

/** Directives that make a Surrogate-Control field speak about caching for us (not just, say, content="ESI/1.0"). */
const CACHING_DIRECTIVES = [
  'max-age',
  's-maxage',
  'no-store',
  'no-store-remote',
  'no-cache',
  'private',
  'public',
  'must-revalidate',
  'proxy-revalidate',
  'stale-while-revalidate',
  'stale-if-error',
];

const SURROGATE_MAX_AGE = /^([0-9]+)\+([0-9]+)$/;

/**
 * Surrogate-Control (Edge Architecture 1.0), or null when it should not govern. Directives targeted at a named
 * device (`max-age=60;edge1`, `no-store;edge1`) are not for us (we have no device token) and are dropped.
 * `max-age=N+M` gives lifetime N, and M is kept as a stale-if-error window. Unlike CDN-Cache-Control (RFC 9213:
 * any non-empty value governs), a Surrogate-Control left with no caching directive (only `content="ESI/1.0"`,
 * say) returns null and Cache-Control stays in charge: such origins use the field for something else.
 */
function surrogatePolicy(value: string): ResponsePolicy | null {
  let p = surrogateMemo.get(value);
  if (p !== undefined) return p;
  // Drop targeted directives before parsing, so `max-age=60;edge1, max-age=30` leaves max-age=30.
  const untargeted = splitList(value).filter((d) => !hasSemicolonOutsideQuotes(d));
  let staleIfError = 0;
  const cc = mapCacheControl(parseCacheControl(untargeted.join(',')), (name, v) => {
    if (name === 'max-age' && typeof v === 'string') {
      const m = SURROGATE_MAX_AGE.exec(v);
      if (m) {
        staleIfError = parseDeltaSeconds(m[2]!) ?? 0;
        return m[1]!;
      }
    }
    return v;
  });
  p = CACHING_DIRECTIVES.some((d) => cc.has(d)) ? derive('surrogate-control', cc, staleIfError) : null;
  if (surrogateMemo.size >= SURROGATE_MEMO_MAX) surrogateMemo.clear();
  surrogateMemo.set(value, p);
  return p;
}

/** Splits a comma-separated list, keeping commas inside quoted strings. */
function splitList(s: string): string[] {
  const out: string[] = [];
  let start = 0;
  let quoted = false;
  for (let i = 0; i < s.length; i++) {
    const c = s[i];
    if (quoted && c === '\\') i++;
    else if (c === '"') quoted = !quoted;
    else if (c === ',' && !quoted) {
      out.push(s.slice(start, i));
      start = i + 1;
    }
  }
  out.push(s.slice(start));
  return out;
}

function hasSemicolonOutsideQuotes(s: string): boolean {
  let quoted = false;
  for (let i = 0; i < s.length; i++) {
    const c = s[i];
    if (quoted && c === '\\') i++;
    else if (c === '"') quoted = !quoted;
    else if (c === ';' && !quoted) return true;
  }
  return false;
}

/** A store-forbidding directive for a shared cache (Surrogate-Control's no-store-remote included). */
export function forbidsStore(p: ResponsePolicy): boolean {
  return p.cc.has('no-store') || (p.source === 'surrogate-control' && p.cc.has('no-store-remote'));
}
