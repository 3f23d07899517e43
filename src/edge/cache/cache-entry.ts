/**
 * What the edge keeps of one cached response. Header names are lower-case. The stored headers are the origin's
 * minus hop-by-hop ones; CDN-Cache-Control and Surrogate-Control are kept (they drive the edge's freshness) and
 * stripped only when a response is sent to a client.
 */
export type StoredHeaders = Record<string, string | string[]>;

export interface CachedHead {
  readonly status: number;
  readonly headers: StoredHeaders;
  /** ms since epoch when the request that produced this response was sent to the origin (RFC 9111 4.2.3). */
  readonly requestTime: number;
  /** ms since epoch when the response headers arrived from the origin. */
  readonly responseTime: number;
}

export interface CacheEntryMeta extends CachedHead {
  readonly zone: string;
  /** zone + normalized URL after the zone's query-string handling; all variants of one URL share it. */
  readonly primaryKey: string;
  /** normalized host + path (+ '?' + query): what prefix purges match against. */
  readonly urlKey: string;
  /** Secondary key built from the request headers the response Varies on; '' when it has no Vary. */
  readonly varyKey: string;
  /** Surrogate-Key and Cache-Tag values, for purge by tag. */
  readonly tags: readonly string[];
  readonly bodySize: number;
  /** Set by a soft purge: the entry is stale from then on, whatever its headers say. */
  readonly invalidated: boolean;
}

export interface CacheEntry {
  readonly meta: CacheEntryMeta;
  /** The body when it is held in memory; null when it lives on disk only (read it with CacheStore.openBody). */
  readonly body: Buffer | null;
}
