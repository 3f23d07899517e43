import type { CachedHead } from './cache-entry.js';
import type { ZoneCacheSettings } from '../../shared/config/zone-config.js';
import { currentAge } from './age.js';
import { firstValue } from './header-values.js';
import { parseHttpDate } from './http-date.js';
import { responsePolicy, type ResponsePolicy } from './response-policy.js';

export interface Freshness {
  lifetime: number;
  age: number;
  /** lifetime - age, may be negative. */
  ttl: number;
  fresh: boolean;
  staleWhileRevalidate: number;
  staleIfError: number;
  /** must-revalidate, proxy-revalidate, or s-maxage present. */
  mustRevalidate: boolean;
  /** response no-cache: must revalidate every time. */
  noCache: boolean;
  /**
   * must-revalidate or proxy-revalidate present explicitly (s-maxage alone implies proxy-revalidate but does not
   * set this): an explicit one beats the origin's own stale-while-revalidate / stale-if-error, s-maxage does not.
   */
  explicitRevalidate?: boolean;
}

/** RFC 9111 4.2.2 / RFC 9110 15.1: statuses a cache may store and give a heuristic lifetime. */
export const HEURISTICALLY_CACHEABLE: ReadonlySet<number> = new Set([
  200, 203, 204, 206, 300, 301, 308, 404, 405, 410, 414, 501,
]);

/** RFC 9111 4.2.2's "typical" 10% of the time since Last-Modified, capped at one day. */
export const HEURISTIC_FRACTION = 0.1;
export const HEURISTIC_MAX_SECONDS = 86_400;

/**
 * Freshness lifetime in seconds. Order: the governing field's s-maxage, then its max-age (a present but invalid
 * value counts as 0, RFC 9111 4.2.1), then Expires - Date (only when Cache-Control governs; an invalid Expires
 * is 0), then the zone's default TTL, then the Last-Modified heuristic. The zone's max TTL caps the result.
 */
export function freshnessLifetime(
  head: Pick<CachedHead, 'status' | 'headers' | 'responseTime'>,
  settings: ZoneCacheSettings,
  policy: ResponsePolicy = responsePolicy(head.headers),
): number {
  let lifetime = explicitLifetime(head, policy);
  if (lifetime === undefined) {
    lifetime = settings.defaultTtlSeconds ?? heuristicLifetime(head, policy);
  }
  if (settings.maxTtlSeconds !== null && lifetime > settings.maxTtlSeconds) lifetime = settings.maxTtlSeconds;
  return lifetime;
}

/** The lifetime the response states itself, or undefined when it states none. */
export function explicitLifetime(
  head: Pick<CachedHead, 'headers' | 'responseTime'>,
  policy: ResponsePolicy = responsePolicy(head.headers),
): number | undefined {
  if (policy.directiveLifetime !== undefined) return policy.directiveLifetime;
  if (!policy.useExpires) return undefined;
  const expiresRaw = firstValue(head.headers, 'expires');
  if (expiresRaw === undefined) return undefined;
  const expires = parseHttpDate(expiresRaw);
  if (expires === undefined) return 0;
  const date = parseHttpDate(firstValue(head.headers, 'date')) ?? head.responseTime;
  return Math.max(0, Math.floor((expires - date) / 1000));
}

function heuristicLifetime(
  head: Pick<CachedHead, 'status' | 'headers' | 'responseTime'>,
  policy: ResponsePolicy,
): number {
  if (!HEURISTICALLY_CACHEABLE.has(head.status) && !policy.isPublic) return 0;
  const lastModified = parseHttpDate(firstValue(head.headers, 'last-modified'));
  if (lastModified === undefined) return 0;
  const date = parseHttpDate(firstValue(head.headers, 'date')) ?? head.responseTime;
  if (lastModified >= date) return 0;
  return Math.min(HEURISTIC_MAX_SECONDS, Math.floor(((date - lastModified) / 1000) * HEURISTIC_FRACTION));
}

export function assessFreshness(head: CachedHead, settings: ZoneCacheSettings, now: number): Freshness {
  const policy = responsePolicy(head.headers);
  const lifetime = freshnessLifetime(head, settings, policy);
  const age = currentAge(head, now);
  const ttl = lifetime - age;
  return {
    lifetime,
    age,
    ttl,
    fresh: ttl > 0,
    staleWhileRevalidate: policy.staleWhileRevalidate,
    staleIfError: policy.staleIfError,
    mustRevalidate: policy.explicitRevalidate || policy.hasSMaxAge,
    noCache: policy.noCache,
    explicitRevalidate: policy.explicitRevalidate,
  };
}
