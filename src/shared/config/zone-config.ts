/**
 * A zone is one customer site: its hostnames, its origin(s), and how the edge caches it. The same shape comes
 * from edge.yaml (`edgeward edge --config`), from the CLI (`edgeward proxy`, one catch-all zone) and from the
 * control plane (live configuration).
 */
export type ZoneState = 'pending' | 'active' | 'suspended' | 'terminated';

export interface ZoneCacheSettings {
  /** How the query string enters the cache key: kept as sent, parameters sorted, or dropped. */
  readonly queryString: 'keep' | 'sort' | 'ignore';
  /** Whether a client's `Cache-Control: no-cache` / `Pragma: no-cache` forces revalidation with the origin. */
  readonly honorClientNoCache: boolean;
  /** Freshness lifetime (s) for cacheable responses that carry no explicit one; null = RFC 9111 heuristics. */
  readonly defaultTtlSeconds: number | null;
  /** Upper bound (s) on any freshness lifetime; null = no bound. */
  readonly maxTtlSeconds: number | null;
  /** Serve stale (up to this many seconds past expiry) when the origin is down or answers 5xx, even without stale-if-error. 0 = off. */
  readonly serveStaleOnErrorSeconds: number;
}

export interface ZoneConfig {
  readonly id: string;
  /** lower-case hostnames; '*' in proxy mode means every Host. */
  readonly hostnames: readonly string[];
  /** Origin base URLs, e.g. http://10.0.0.5:8080; requests are spread over them. */
  readonly origins: readonly string[];
  /** Host header sent to the origin; default: the client's Host. */
  readonly originHost?: string;
  readonly state: ZoneState;
  readonly cache: ZoneCacheSettings;
}

export const DEFAULT_ZONE_CACHE_SETTINGS: ZoneCacheSettings = Object.freeze({
  queryString: 'keep',
  honorClientNoCache: false,
  defaultTtlSeconds: null,
  maxTtlSeconds: null,
  serveStaleOnErrorSeconds: 0,
});
