import type { IncomingHttpHeaders } from 'node:http';
import type { StoredHeaders } from './cache-entry.js';
import { parseEntityTag, parseEntityTagList, strongMatch, weakMatch, type EntityTag } from './entity-tag.js';
import { firstValue, joinedValue } from './header-values.js';
import { parseHttpDate } from './http-date.js';

/**
 * A client's preconditions evaluated against a stored response (RFC 9110 13.2.2 order, RFC 9111 4.3.2).
 * Only for GET and HEAD (other methods are forwarded, not answered from cache), and only when the stored status
 * is 2xx: RFC 9110 13.2.1 has preconditions ignored when the response would be anything else.
 */
export function evaluateConditional(
  req: { method: string; headers: IncomingHttpHeaders },
  stored: { status: number; headers: StoredHeaders },
): 'not-modified' | 'precondition-failed' | 'proceed' {
  if (req.method !== 'GET' && req.method !== 'HEAD') return 'proceed';
  if (stored.status < 200 || stored.status > 299) return 'proceed';
  const h = req.headers;
  const etag = storedEtag(stored.headers);

  const ifMatch = joinedValue(h, 'if-match');
  if (ifMatch !== undefined) {
    // Step 1: strong comparison; '*' is true since a stored representation exists.
    const list = parseEntityTagList(ifMatch);
    if (list !== '*' && !(etag !== undefined && list.some((t) => strongMatch(t, etag))))
      return 'precondition-failed';
  } else {
    // Step 2: If-Unmodified-Since, ignored when not a valid date or when nothing to compare with.
    const ius = parseHttpDate(firstValue(h, 'if-unmodified-since'));
    const lm = parseHttpDate(firstValue(stored.headers, 'last-modified'));
    if (ius !== undefined && lm !== undefined && lm > ius) return 'precondition-failed';
  }

  const ifNoneMatch = joinedValue(h, 'if-none-match');
  if (ifNoneMatch !== undefined) {
    // Step 3: weak comparison; a match means the client's copy is current.
    const list = parseEntityTagList(ifNoneMatch);
    const matches = list === '*' || (etag !== undefined && list.some((t) => weakMatch(t, etag)));
    return matches ? 'not-modified' : 'proceed';
  }

  // Step 4: If-Modified-Since, against Last-Modified or else the stored Date (RFC 9111 4.3.2).
  // A list of dates fails HTTP-date parsing, which RFC 9110 13.1.3 asks for (ignore multi-member values).
  const ims = parseHttpDate(joinedValue(h, 'if-modified-since'));
  if (ims !== undefined) {
    const modified =
      parseHttpDate(firstValue(stored.headers, 'last-modified')) ??
      parseHttpDate(firstValue(stored.headers, 'date'));
    if (modified !== undefined && modified <= ims) return 'not-modified';
  }
  return 'proceed';
}

function storedEtag(headers: StoredHeaders): EntityTag | undefined {
  const raw = firstValue(headers, 'etag');
  return raw === undefined ? undefined : parseEntityTag(raw);
}

/** Validators for a conditional request to the origin (RFC 9111 4.3.1): both, when the stored response has both. */
export function revalidationHeaders(stored: StoredHeaders): Record<string, string> {
  const out: Record<string, string> = {};
  const etag = firstValue(stored, 'etag');
  if (etag !== undefined && etag.trim() !== '') out['if-none-match'] = etag.trim();
  const lm = firstValue(stored, 'last-modified');
  if (lm !== undefined && parseHttpDate(lm) !== undefined) out['if-modified-since'] = lm.trim();
  return out;
}

/** RFC 9110 15.4.5: what a 304 to the client carries (plus Last-Modified, which helps clients' caches). */
export const NOT_MODIFIED_HEADERS: readonly string[] = [
  'cache-control',
  'content-location',
  'date',
  'etag',
  'expires',
  'last-modified',
  'vary',
];

export function notModifiedHeaders(stored: StoredHeaders): StoredHeaders {
  const out: StoredHeaders = {};
  for (const name of NOT_MODIFIED_HEADERS) {
    const v = stored[name];
    if (v !== undefined) out[name] = v;
  }
  return out;
}
