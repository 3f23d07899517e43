import type { CacheEntryMeta, CachedHead, StoredHeaders } from '../../../src/edge/cache/cache-entry.js';
import {
  DEFAULT_ZONE_CACHE_SETTINGS,
  type ZoneCacheSettings,
} from '../../../src/shared/config/zone-config.js';
import { formatHttpDate } from '../../../src/edge/cache/http-date.js';

/** A fixed clock: 2026-01-01T00:00:00Z. */
export const T0 = Date.UTC(2026, 0, 1);
export const S = 1000;

export const httpDate = (ms: number): string => formatHttpDate(ms);

export function settings(over: Partial<ZoneCacheSettings> = {}): ZoneCacheSettings {
  return { ...DEFAULT_ZONE_CACHE_SETTINGS, ...over };
}

/** A response received at T0 (requested at T0) whose Date is T0 unless the headers say otherwise. */
export function head(headers: StoredHeaders, over: Partial<CachedHead> = {}): CachedHead {
  return {
    status: 200,
    headers: { date: httpDate(T0), ...headers },
    requestTime: T0,
    responseTime: T0,
    ...over,
  };
}

export function meta(headers: StoredHeaders, over: Partial<CacheEntryMeta> = {}): CacheEntryMeta {
  return {
    ...head(headers),
    zone: 'z',
    primaryKey: 'z\na.com/',
    urlKey: 'a.com/',
    varyKey: '',
    tags: [],
    bodySize: 10,
    invalidated: false,
    ...over,
  };
}

export const GET = (headers: Record<string, string | string[]> = {}) => ({ method: 'GET', headers });
