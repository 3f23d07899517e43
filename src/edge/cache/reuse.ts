import type { IncomingHttpHeaders } from 'node:http';
import type { CacheEntryMeta } from './cache-entry.js';
import type { ZoneCacheSettings } from '../../shared/config/zone-config.js';
import { parseCacheControl } from './cache-control.js';
import { assessFreshness, type Freshness } from './freshness.js';
import { firstValue } from './header-values.js';
import { responsePolicy } from './response-policy.js';

export type ReuseDecision =
  | { kind: 'fresh'; freshness: Freshness }
  | { kind: 'stale-while-revalidate'; freshness: Freshness }
  | {
      kind: 'revalidate';
      freshness: Freshness;
      reason: 'stale' | 'no-cache' | 'client-no-cache' | 'invalidated';
    };

/**
 * May a stored response answer this request (RFC 9111 4, RFC 5861 3)?
 *
 * Request directives that would force the edge to the origin (no-cache, Pragma: no-cache, max-age, min-fresh)
 * count only when the zone sets honorClientNoCache: otherwise any client (a browser reload sends max-age=0) could
 * send every request through to the origin. max-stale only loosens and is honoured always, where the response
 * permits stale use; the stale copy is then served with a background refresh like stale-while-revalidate.
 */
export function decideReuse(
  meta: CacheEntryMeta,
  req: { method: string; headers: IncomingHttpHeaders },
  settings: ZoneCacheSettings,
  now: number,
): ReuseDecision {
  const freshness = assessFreshness(meta, settings, now);
  if (meta.invalidated) {
    // A soft purge makes the entry stale whatever its headers say.
    freshness.fresh = false;
    if (freshness.ttl > 0) freshness.ttl = 0;
    return { kind: 'revalidate', freshness, reason: 'invalidated' };
  }
  if (freshness.noCache) return { kind: 'revalidate', freshness, reason: 'no-cache' };

  const reqCc = parseCacheControl(req.headers['cache-control']);
  if (settings.honorClientNoCache) {
    if (reqCc.has('no-cache')) return { kind: 'revalidate', freshness, reason: 'client-no-cache' };
    // RFC 9111 5.4: Pragma counts only when the request has no Cache-Control.
    if (req.headers['cache-control'] === undefined && hasPragmaNoCache(req.headers)) {
      return { kind: 'revalidate', freshness, reason: 'client-no-cache' };
    }
    const maxAge = directiveSeconds(reqCc, 'max-age');
    if (maxAge !== undefined && freshness.age > maxAge) {
      return { kind: 'revalidate', freshness, reason: 'client-no-cache' };
    }
    const minFresh = directiveSeconds(reqCc, 'min-fresh');
    if (freshness.fresh && minFresh !== undefined && freshness.ttl < minFresh) {
      return { kind: 'revalidate', freshness, reason: 'client-no-cache' };
    }
  }
  if (freshness.fresh) return { kind: 'fresh', freshness };

  const staleness = -freshness.ttl;
  // s-maxage alone implies proxy-revalidate, but an explicit stale-while-revalidate from the same origin is a
  // more specific permission (RFC 9111 4.2.4 lets the origin permit stale use by RFC 5861 directives).
  const swrAllowed = !freshness.explicitRevalidate;
  if (swrAllowed && freshness.staleWhileRevalidate > 0 && staleness <= freshness.staleWhileRevalidate) {
    return { kind: 'stale-while-revalidate', freshness };
  }
  if (!freshness.mustRevalidate && reqCc.has('max-stale')) {
    const maxStale = reqCc.value('max-stale');
    // `max-stale` without a value accepts any staleness; an invalid value accepts none.
    const limit = maxStale === true ? Infinity : (reqCc.seconds('max-stale') ?? -1);
    if (staleness <= limit) return { kind: 'stale-while-revalidate', freshness };
  }
  return { kind: 'revalidate', freshness, reason: 'stale' };
}

/** An invalid request max-age / min-fresh is treated as 0, the strictest reading. */
function directiveSeconds(cc: ReturnType<typeof parseCacheControl>, name: string): number | undefined {
  if (!cc.has(name)) return undefined;
  return cc.seconds(name) ?? 0;
}

function hasPragmaNoCache(headers: IncomingHttpHeaders): boolean {
  const pragma = firstValue(headers, 'pragma');
  return pragma !== undefined && parseCacheControl(pragma).has('no-cache');
}

/**
 * May this stored response be served, stale, because the origin is unreachable or answered 5xx?
 * Window: the origin's stale-if-error (RFC 5861 4) or, unless the response says no-cache or must-revalidate /
 * proxy-revalidate / s-maxage, the zone's serveStaleOnErrorSeconds, whichever is longer. An explicit
 * must-revalidate or proxy-revalidate forbids it always (RFC 9111 5.2.2.2: answer 504 instead). A soft-purged
 * entry counts as stale since its purge and may be served on error: that is what a soft purge is for (a hard
 * purge removes the entry).
 */
export function canServeStaleOnError(
  meta: CacheEntryMeta,
  settings: ZoneCacheSettings,
  now: number,
): boolean {
  const f = assessFreshness(meta, settings, now);
  if (f.explicitRevalidate) return false;
  const zoneWindow = f.mustRevalidate || f.noCache ? 0 : settings.serveStaleOnErrorSeconds;
  const window = Math.max(f.staleIfError, zoneWindow);
  if (window <= 0) return false;
  const staleness = Math.max(0, -f.ttl);
  return staleness <= window;
}

/**
 * Whether the stored response forbids its own stale use (RFC 9111 4.2.4): no-cache, must-revalidate,
 * proxy-revalidate, or s-maxage (proxy-revalidate semantics for a shared cache, 5.2.2.10). When such a copy can
 * be neither revalidated nor served under stale-if-error, the cache answers 504 rather than reuse it (5.2.2.2).
 */
export function forbidsStaleUse(meta: Pick<CacheEntryMeta, 'headers'>): boolean {
  const p = responsePolicy(meta.headers);
  return p.explicitRevalidate || p.hasSMaxAge || p.noCache;
}
