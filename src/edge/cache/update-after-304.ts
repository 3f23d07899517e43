import type { CachedHead, StoredHeaders } from './cache-entry.js';
import { stripHopByHop } from './hop-by-hop.js';
import { formatHttpDate } from './http-date.js';

/**
 * The stored response updated by a 304 from the origin (RFC 9111 3.2, 4.3.4): each field the 304 carries
 * replaces the stored one, except hop-by-hop fields and Content-Length (the 304 has no body; the stored one
 * does). The status stays; the request/response times become the 304's, so age restarts from it.
 *
 * Two fields are tied to the exchange rather than the representation, so the old values must not survive with
 * the new times: a stored Age is dropped when the 304 has none, and a 304 without Date gets the time it arrived
 * (otherwise the old Date would make the refreshed response look as old as the first one).
 */
export function mergeNotModified(
  stored: CachedHead,
  notModified: { headers: StoredHeaders },
  requestTime: number,
  responseTime: number,
): CachedHead {
  const update = stripHopByHop(notModified.headers);
  const headers: StoredHeaders = { ...stored.headers };
  for (const name in update) {
    if (name === 'content-length') continue;
    headers[name] = update[name]!;
  }
  if (update['age'] === undefined) delete headers['age'];
  if (update['date'] === undefined) headers['date'] = formatHttpDate(responseTime);
  return { status: stored.status, headers, requestTime, responseTime };
}
