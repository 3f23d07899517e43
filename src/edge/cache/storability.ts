import type { IncomingHttpHeaders } from 'node:http';
import type { StoredHeaders } from './cache-entry.js';
import type { ZoneCacheSettings } from '../../shared/config/zone-config.js';
import { parseCacheControl } from './cache-control.js';
import { explicitLifetime, freshnessLifetime, HEURISTICALLY_CACHEABLE } from './freshness.js';
import { firstValue } from './header-values.js';
import { forbidsStore, responsePolicy } from './response-policy.js';
import { varyHeaderNames } from './vary.js';

export type Storability = { store: true } | { store: false; reason: string };

/**
 * Statuses whose semantics this cache implements, for `must-understand` (RFC 9111 5.2.2.3). 206 is not among
 * them: the edge stores complete responses only.
 */
export const UNDERSTOOD_STATUSES: ReadonlySet<number> = new Set([
  200, 203, 204, 300, 301, 302, 303, 307, 308, 404, 405, 410, 414, 501,
]);

const no = (reason: string): Storability => ({ store: false, reason });
const YES: Storability = Object.freeze({ store: true });

/**
 * RFC 9111 section 3 for a shared cache, with RFC 9213 targeted fields taking precedence (see response-policy.ts).
 * Request directives always apply. The `reason` strings are stable and meant for logs and Cache-Status detail.
 */
export function storability(
  req: { method: string; headers: IncomingHttpHeaders },
  res: { status: number; headers: StoredHeaders },
  settings: ZoneCacheSettings,
  /** When the response arrived (ms); only matters for an Expires without a Date. */
  now: number = Date.now(),
): Storability {
  // HEAD responses have no body to store; other methods' responses are not reusable for GET here.
  if (req.method !== 'GET') return no('method');
  const status = res.status;
  if (status < 200 || status > 599) return no('status');
  if (status === 206) return no('partial-content'); // only complete 200 bodies are stored
  if (status === 304) return no('not-modified');

  const policy = responsePolicy(res.headers);
  const cc = policy.cc;
  const mustUnderstand = cc.has('must-understand');
  if (mustUnderstand && !UNDERSTOOD_STATUSES.has(status)) return no('must-understand');

  if (parseCacheControl(req.headers['cache-control']).has('no-store')) return no('request-no-store');
  // must-understand with an understood status overrides no-store (it is there for older caches).
  if (!mustUnderstand && forbidsStore(policy)) return no('no-store');
  if (cc.has('private')) return no('private');

  const isPublic = policy.isPublic;
  if (req.headers.authorization !== undefined) {
    if (!isPublic && !policy.hasSMaxAge && !cc.has('must-revalidate')) return no('authorization');
  }

  const explicit = explicitLifetime({ headers: res.headers, responseTime: now }, policy);
  if (res.headers['set-cookie'] !== undefined) {
    // A cached Set-Cookie is replayed to every client: only when the origin opted in for shared caches.
    const optedIn = isPublic || (policy.source !== 'cache-control' && explicit !== undefined && explicit > 0);
    if (!optedIn) return no('set-cookie');
  }

  const vary = varyHeaderNames(res.headers);
  if (vary === '*') return no('vary-star');

  const hasExplicit = explicit !== undefined;
  const zoneDefault = settings.defaultTtlSeconds !== null && status === 200;
  if (!hasExplicit && !isPublic && !HEURISTICALLY_CACHEABLE.has(status) && !zoneDefault)
    return no('not-cacheable');

  // Storing something that is stale on arrival, cannot be validated and may not be served stale only churns
  // the store; such responses are passed through.
  const lifetime = freshnessLifetime({ status, headers: res.headers, responseTime: now }, settings, policy);
  if (lifetime === 0) {
    const validator =
      firstValue(res.headers, 'etag') !== undefined || firstValue(res.headers, 'last-modified') !== undefined;
    const staleUse =
      policy.staleIfError > 0 ||
      (policy.staleWhileRevalidate > 0 && !policy.explicitRevalidate) ||
      (settings.serveStaleOnErrorSeconds > 0 &&
        !policy.explicitRevalidate &&
        !policy.hasSMaxAge &&
        !policy.noCache);
    if (!validator && !staleUse) return no('zero-lifetime');
  }
  return YES;
}
