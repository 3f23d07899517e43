import type { StoredHeaders } from './cache-entry.js';
import { EdgewardError } from '../../shared/errors.js';
import { firstValue } from './header-values.js';

/**
 * Methods known to be safe: RFC 9110 9.2.1 (GET, HEAD, OPTIONS, TRACE) and those the IANA HTTP Method Registry
 * marks safe (RFC 7237 3: PROPFIND, REPORT, SEARCH). RFC 9111 4.4 counts methods whose safety is unknown as
 * unsafe, so anything not listed here (MKCOL, LOCK, PURGE, a new extension method...) invalidates.
 */
const SAFE_METHODS: ReadonlySet<string> = new Set([
  'GET',
  'HEAD',
  'OPTIONS',
  'TRACE',
  'PROPFIND',
  'REPORT',
  'SEARCH',
]);

/** Whether the method is known safe (RFC 9110 9.2.1); unknown methods are not. */
export function isSafeMethod(method: string): boolean {
  return SAFE_METHODS.has(method.toUpperCase());
}

/**
 * RFC 9111 4.4: a non-error (2xx/3xx) response to an unsafe request invalidates the target URI, and the
 * Location and Content-Location URIs when they have the same origin (scheme, host, port) as the target; other
 * origins are left alone so that one site cannot purge another's objects. Returns absolute URLs without
 * fragments, deduped; normalizing them into cache keys is the caller's job.
 */
export function invalidatedUrls(
  method: string,
  status: number,
  requestUrl: string,
  responseHeaders: StoredHeaders,
): string[] {
  if (isSafeMethod(method)) return [];
  if (status < 200 || status > 399) return [];
  let target: URL;
  try {
    target = new URL(requestUrl);
  } catch (cause) {
    throw new EdgewardError('invalid-url', `requestUrl is not an absolute URL: ${requestUrl}`, {
      field: 'requestUrl',
      cause,
    });
  }
  target.hash = '';
  const out = [target.href];
  for (const name of ['location', 'content-location']) {
    const raw = firstValue(responseHeaders, name);
    if (raw === undefined || raw.trim() === '') continue;
    let u: URL;
    try {
      u = new URL(raw.trim(), target);
    } catch {
      // An unparseable Location names nothing we could have cached; there is nothing to invalidate.
      continue;
    }
    if (u.origin !== target.origin) continue;
    u.hash = '';
    if (!out.includes(u.href)) out.push(u.href);
  }
  return out;
}
