import type { NormalizedUrl } from '../../shared/url/normalized-url.js';
import type { ZoneCacheSettings } from '../../shared/config/zone-config.js';

/**
 * urlKey = host + path (+ '?' + query), no scheme (http and https share objects), with the zone's query handling
 * already applied, so a stored entry's urlKey and primaryKey always agree; primaryKey = zone + '\n' + urlKey.
 */
export function cacheKeys(
  zone: string,
  url: NormalizedUrl,
  queryMode: ZoneCacheSettings['queryString'],
): { primaryKey: string; urlKey: string } {
  let query = url.query;
  if (queryMode === 'ignore') query = '';
  else if (queryMode === 'sort' && query.length > 0) query = sortQuery(query);
  const urlKey = query.length > 0 ? url.host + url.path + '?' + query : url.host + url.path;
  return { primaryKey: zone + '\n' + urlKey, urlKey };
}

/**
 * Parameters ordered by name (code units); parameters with the same name keep their relative order (their order
 * may matter to the origin). Empty parameters (`a&&b`) are dropped.
 */
export function sortQuery(query: string): string {
  if (query.indexOf('&') === -1) return query;
  const raw = query.split('&');
  // Already in order (the common case once clients or the site settle on one spelling): nothing to do.
  let prev = '';
  let ordered = true;
  for (let i = 0; i < raw.length && ordered; i++) {
    const p = raw[i]!;
    const eq = p.indexOf('=');
    const name = eq === -1 ? p : p.slice(0, eq);
    if (p.length === 0 || name < prev) ordered = false;
    prev = name;
  }
  if (ordered) return query;
  const params = raw.filter((p) => p.length > 0);
  const named = params.map((p, i) => {
    const eq = p.indexOf('=');
    return { name: eq === -1 ? p : p.slice(0, eq), p, i };
  });
  // Array.prototype.sort is stable (ES2019); the index tie-break makes that explicit.
  named.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : a.i - b.i));
  let out = '';
  for (let i = 0; i < named.length; i++) out += (i === 0 ? '' : '&') + named[i]!.p;
  return out;
}
