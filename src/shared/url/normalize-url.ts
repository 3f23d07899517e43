import { domainToASCII } from 'node:url';
import { EdgewardError } from '../errors.js';
import type { NormalizedUrl } from './normalized-url.js';

/**
 * The one URL normalization of Edgeward (RFC 3986 section 6.2.2 syntax-based normalization, plus the scheme's
 * default port). Block rules, purge requests and every incoming request go through it, so an equivalent spelling of
 * a URL can never miss a rule or a purge. What it does, and what it deliberately does not, is in
 * docs/rules-and-urls.md.
 */

const HEX = '0123456789ABCDEF';

/** Characters that stay literal in a path: unreserved, sub-delims, ':' and '@' (RFC 3986 pchar) and '/'. */
const PATH_OK = new Uint8Array(128);
/** In a query, also '?'. */
const QUERY_OK = new Uint8Array(128);
/** Unreserved characters: a percent-encoded one is decoded. */
const UNRESERVED = new Uint8Array(128);
{
  const mark = (table: Uint8Array, chars: string) => {
    for (let i = 0; i < chars.length; i++) table[chars.charCodeAt(i)] = 1;
  };
  const alnum = 'abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789';
  mark(UNRESERVED, alnum + '-._~');
  for (const t of [PATH_OK, QUERY_OK]) mark(t, alnum + "-._~!$&'()*+,;=:@/");
  mark(QUERY_OK, '?');
}

function hexValue(c: number): number {
  if (c >= 48 && c <= 57) return c - 48;
  if (c >= 65 && c <= 70) return c - 55;
  if (c >= 97 && c <= 102) return c - 87;
  return -1;
}

function encodeByte(b: number): string {
  return '%' + HEX[b >> 4]! + HEX[b & 15]!;
}

/**
 * Percent-encoding normalized: unreserved characters decoded, other escapes upper-case hex, a '%' that starts no
 * escape encoded as %25, and characters that may not appear literally encoded as UTF-8.
 */
function normalizeEncoding(s: string, ok: Uint8Array): string {
  let out = '';
  let start = 0; // s[start, i) is copied verbatim
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c < 128 && ok[c] === 1) continue;
    out += s.slice(start, i);
    if (c === 37 /* % */) {
      const h = i + 2 < s.length ? hexValue(s.charCodeAt(i + 1)) : -1;
      const l = h >= 0 ? hexValue(s.charCodeAt(i + 2)) : -1;
      if (h >= 0 && l >= 0) {
        const v = h * 16 + l;
        out += UNRESERVED[v] === 1 ? String.fromCharCode(v) : encodeByte(v);
        i += 2;
      } else {
        out += '%25';
      }
    } else if (c >= 0xd800 && c <= 0xdbff && i + 1 < s.length) {
      const d = s.charCodeAt(i + 1);
      out += d >= 0xdc00 && d <= 0xdfff ? encodeURIComponent(s.slice(i, i + 2)) : '%EF%BF%BD';
      if (d >= 0xdc00 && d <= 0xdfff) i++;
    } else if (c >= 0xd800 && c <= 0xdfff) {
      out += '%EF%BF%BD'; // a lone surrogate cannot be UTF-8: the replacement character, as WHATWG does
    } else if (c < 128) {
      out += encodeByte(c);
    } else {
      out += encodeURIComponent(s[i]!);
    }
    start = i + 1;
  }
  return start === 0 ? s : out + s.slice(start);
}

/** RFC 3986 5.2.4, on a path whose '%2E's have already been decoded to '.'. */
export function removeDotSegments(path: string): string {
  if (!path.includes('.')) return path;
  const segments = path.split('/');
  const out: string[] = [];
  // segments[0] is '' for an absolute path.
  for (let i = 1; i < segments.length; i++) {
    const seg = segments[i]!;
    const last = i === segments.length - 1;
    if (seg === '.') {
      if (last) out.push('');
    } else if (seg === '..') {
      out.pop();
      if (last) out.push('');
    } else {
      out.push(seg);
    }
  }
  return '/' + out.join('/');
}

function needsPathWork(path: string): boolean {
  for (let i = 0; i < path.length; i++) {
    const c = path.charCodeAt(i);
    if (c >= 128 || PATH_OK[c] !== 1) return true;
    // '.' right after a '/' may start a dot segment.
    if (c === 46 && path.charCodeAt(i - 1) === 47) return true;
  }
  return false;
}

export function normalizePath(raw: string): string {
  // A backslash is a path separator to WHATWG URL parsers and to many origins: treat it as one, so '\' cannot
  // be used to spell a blocked path differently.
  let path = raw.includes('\\') ? raw.replace(/\\/g, '/') : raw;
  if (path === '' || path.charCodeAt(0) !== 47) path = '/' + path;
  if (!needsPathWork(path)) return path;
  return removeDotSegments(normalizeEncoding(path, PATH_OK));
}

export function normalizeQuery(raw: string): string {
  for (let i = 0; i < raw.length; i++) {
    const c = raw.charCodeAt(i);
    if (c >= 128 || QUERY_OK[c] !== 1) return normalizeEncoding(raw, QUERY_OK);
  }
  return raw;
}

const SIMPLE_HOST = /^[a-z0-9](?:[a-z0-9-]*[a-z0-9])?(?:\.[a-z0-9](?:[a-z0-9-]*[a-z0-9])?)*$/;
const DOTTED_QUAD = /^(?:(?:25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)\.){3}(?:25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)$/;
const HOST_DELIMITER = /[/?#@\\\s]/;
const LAST_LABEL_NUMERIC = /(?:^|\.)(?:\d+|0x[0-9a-f]*)$/i;

/** Lower-case, punycode, no trailing dot, canonical IP literals; throws 'invalid_host'. */
export function normalizeHostname(raw: string, field = 'host'): string {
  let host = raw;
  if (host.endsWith('.')) host = host.replace(/\.+$/, '');
  if (host === '') throw new EdgewardError('invalid_host', `"${raw}" is not a host name`, { field });
  if (SIMPLE_HOST.test(host) && (!LAST_LABEL_NUMERIC.test(host) || DOTTED_QUAD.test(host))) return host;
  if (host.startsWith('[')) {
    if (!host.endsWith(']'))
      throw new EdgewardError('invalid_host', `"${raw}" is not a host name`, { field });
    try {
      return new URL(`http://${host}/`).hostname;
    } catch (e) {
      throw new EdgewardError('invalid_host', `"${raw}" is not an IPv6 address`, { field, cause: e });
    }
  }
  // The URL parser would read these as the end of the host (or userinfo) and quietly drop the rest.
  if (HOST_DELIMITER.test(host))
    throw new EdgewardError('invalid_host', `"${raw}" is not a host name`, { field });
  // WHATWG URL host parsing: IDNA to punycode, percent-decoding, IPv4 in any of its spellings to dotted quad.
  let parsed: string;
  try {
    parsed = new URL(`http://${host}/`).hostname;
  } catch (e) {
    throw new EdgewardError('invalid_host', `"${raw}" is not a host name`, { field, cause: e });
  }
  const ascii = parsed.startsWith('[') ? parsed : domainToASCII(parsed) || parsed;
  return ascii.replace(/\.+$/, '');
}

/** host[:port] -> normalized host with a non-default port appended. */
export function normalizeAuthority(authority: string, scheme: 'http' | 'https', field = 'host'): string {
  let hostPart = authority;
  let port = '';
  const at = hostPart.lastIndexOf('@');
  if (at >= 0) hostPart = hostPart.slice(at + 1); // userinfo never identifies a resource
  if (hostPart.startsWith('[')) {
    const end = hostPart.indexOf(']');
    if (end < 0)
      throw new EdgewardError('invalid_host', `"${authority}" has an unterminated IPv6 literal`, { field });
    const rest = hostPart.slice(end + 1);
    if (rest !== '' && !rest.startsWith(':'))
      throw new EdgewardError('invalid_host', `"${authority}" is not host[:port]`, { field });
    port = rest.slice(1);
    hostPart = hostPart.slice(0, end + 1);
  } else {
    const colon = hostPart.lastIndexOf(':');
    if (colon >= 0) {
      port = hostPart.slice(colon + 1);
      hostPart = hostPart.slice(0, colon);
    }
  }
  const host = normalizeHostname(hostPart.toLowerCase(), field);
  if (port !== '') {
    if (!/^\d{1,5}$/.test(port) || Number(port) > 65535) {
      throw new EdgewardError('invalid_host', `"${authority}" has an invalid port`, { field });
    }
    const n = Number(port);
    if ((scheme === 'http' && n === 80) || (scheme === 'https' && n === 443)) return host;
    return `${host}:${n}`;
  }
  return host;
}

function splitTarget(target: string): { path: string; query: string } {
  const hash = target.indexOf('#');
  const t = hash >= 0 ? target.slice(0, hash) : target;
  const q = t.indexOf('?');
  return q >= 0 ? { path: t.slice(0, q), query: t.slice(q + 1) } : { path: t, query: '' };
}

// '\' ends the authority as '/' does (WHATWG, for http(s)): 'https://e.com\a' is e.com's path /a, not a host.
const ABSOLUTE = /^(https?):\/\/([^/?#\\]*)(.*)$/is;

/** For rule, purge and configuration URLs: absolute http(s) URLs. Throws 'invalid_url'. */
export function normalizeUrl(absoluteUrl: string, field = 'url'): NormalizedUrl {
  const m = ABSOLUTE.exec(absoluteUrl.trim());
  if (!m)
    throw new EdgewardError('invalid_url', `"${absoluteUrl}" is not an absolute http(s) URL`, { field });
  const scheme = m[1]!.toLowerCase() as 'http' | 'https';
  let host: string;
  try {
    host = normalizeAuthority(m[2]!, scheme, field);
  } catch (e) {
    throw new EdgewardError('invalid_url', `"${absoluteUrl}": ${(e as Error).message}`, { field, cause: e });
  }
  const { path, query } = splitTarget(m[3]!);
  return { scheme, host, path: normalizePath(path), query: normalizeQuery(query) };
}

const HOST_CACHE_LIMIT = 4096;
const httpHosts = new Map<string, string>();
const httpsHosts = new Map<string, string>();

/** For incoming requests: the Host header and the request target (origin-form or absolute-form). */
export function normalizeRequest(
  scheme: 'http' | 'https',
  hostHeader: string | undefined,
  requestTarget: string,
): NormalizedUrl {
  if (requestTarget.charCodeAt(0) !== 47 /* / */) {
    const m = ABSOLUTE.exec(requestTarget);
    // RFC 9112 3.2.2: an absolute-form target's authority wins over the Host header.
    if (m) {
      try {
        return normalizeUrl(requestTarget, 'target');
      } catch (e) {
        const host =
          e instanceof EdgewardError && e.cause instanceof EdgewardError && e.cause.code === 'invalid_host';
        throw new EdgewardError(host ? 'invalid_host' : 'invalid_target', (e as Error).message, {
          field: 'target',
          cause: e,
        });
      }
    }
    throw new EdgewardError(
      'invalid_target',
      `request target "${requestTarget.slice(0, 100)}" is not a path`,
      { field: 'target' },
    );
  }
  if (hostHeader === undefined || hostHeader === '')
    throw new EdgewardError('invalid_host', 'the request has no Host header', { field: 'host' });
  const cache = scheme === 'https' ? httpsHosts : httpHosts;
  let host = cache.get(hostHeader);
  if (host === undefined) {
    // A Host header carries no userinfo; 'a@b' is garbage, not host b.
    if (hostHeader.includes('@'))
      throw new EdgewardError('invalid_host', `Host "${hostHeader.slice(0, 100)}" is not host[:port]`, {
        field: 'host',
      });
    host = normalizeAuthority(hostHeader, scheme);
    // A site has few Host spellings; a flood of distinct ones only costs a cleared cache, never unbounded memory.
    if (cache.size >= HOST_CACHE_LIMIT) cache.clear();
    cache.set(hostHeader, host);
  }
  const q = requestTarget.indexOf('?');
  if (q < 0 && requestTarget.indexOf('#') < 0) {
    return { scheme, host, path: normalizePath(requestTarget), query: '' };
  }
  const { path, query } = splitTarget(requestTarget);
  return { scheme, host, path: normalizePath(path), query: normalizeQuery(query) };
}

/** host + path (+ '?' + query): the URL part of cache keys and what prefix purges match. */
export function normalizedUrlKey(u: NormalizedUrl): string {
  return u.query === '' ? u.host + u.path : `${u.host}${u.path}?${u.query}`;
}

/** The URL written back out, for logs and for the notices' records. */
export function formatNormalizedUrl(u: NormalizedUrl): string {
  return `${u.scheme}://${normalizedUrlKey(u)}`;
}
