import { removeDotSegments } from '../url/normalize-url.js';

/**
 * The form in which rules and requests are compared: one step past URL normalization, applied to both sides.
 * It is stricter than a cache key, because here a false "no match" lets a blocked work through, while a cache key
 * that merged two resources would break sites. Origins commonly treat these spellings as one resource:
 *  - the port is ignored: a block on a host covers every port of it;
 *  - percent-escapes of printable ASCII are decoded ('%2F' is '/', '%21' is '!'), except '%25' itself;
 *  - '\' is '/', runs of '/' count as one, and dot segments are removed again after that;
 *  - exact rules ignore one trailing '/' (see exactPath);
 *  - query parameters are compared as a set of name=value pairs, '+' read as a space (form encoding).
 * Path case is kept: lower-casing would block unrelated resources on every case-sensitive origin.
 */
export function matchHost(host: string): string {
  const n = host.length;
  if (host.charCodeAt(n - 1) === 93 /* ] */) return host;
  // Normalized hosts carry a valid port (five digits at most) or none, so a ':' can only be among the last six
  // characters; lastIndexOf is a call into the runtime, on every request.
  for (let i = n - 1; i >= 0 && i >= n - 6; i--)
    if (host.charCodeAt(i) === 58 /* : */) return host.slice(0, i);
  return host;
}

function hexValue(c: number): number {
  if (c >= 48 && c <= 57) return c - 48;
  if (c >= 65 && c <= 70) return c - 55;
  if (c >= 97 && c <= 102) return c - 87;
  return -1;
}

/** Printable ASCII escapes decoded, except '%25' and those in `keep` (a set of byte values). */
function decodeAscii(s: string, keep: Uint8Array | null): string {
  let out = '';
  let start = 0;
  for (let i = s.indexOf('%'); i >= 0 && i + 2 < s.length; i = s.indexOf('%', i + 1)) {
    const h = hexValue(s.charCodeAt(i + 1));
    const l = hexValue(s.charCodeAt(i + 2));
    if (h < 0 || l < 0) continue;
    const v = h * 16 + l;
    if (v < 0x20 || v > 0x7e || v === 0x25 || (keep !== null && keep[v] === 1)) continue;
    out += s.slice(start, i) + String.fromCharCode(v);
    start = i + 3;
    i += 2;
  }
  return start === 0 ? s : out + s.slice(start);
}

export function matchPath(path: string): string {
  if (path.indexOf('%') < 0 && path.indexOf('//') < 0) return path;
  let p = decodeAscii(path, null);
  if (p.includes('\\')) p = p.replace(/\\/g, '/');
  if (p.includes('//')) p = p.replace(/\/{2,}/g, '/');
  return p.includes('.') ? removeDotSegments(p) : p;
}

/** The path an exact rule is keyed on: the match path without one trailing '/' ('/a/' and '/a' are one page). */
export function exactPathLength(matchPathValue: string): number {
  const n = matchPathValue.length;
  return n > 1 && matchPathValue.charCodeAt(n - 1) === 47 ? n - 1 : n;
}

/** '&', '=' and '+' stay encoded in parameters so that decoding never changes where a pair splits. */
const QUERY_KEEP = new Uint8Array(128);
QUERY_KEEP[0x26] = 1;
QUERY_KEEP[0x3d] = 1;
QUERY_KEEP[0x2b] = 1;

/** A query as its name=value pairs in match form ('+' is a space; 'a' alone is 'a='). */
export function queryParams(query: string): string[] {
  const out: string[] = [];
  for (const part of query.split('&')) {
    if (part === '') continue;
    let p = part.includes('+') ? part.replace(/\+/g, '%20') : part;
    if (p.includes('%')) p = decodeAscii(p, QUERY_KEEP);
    out.push(p.includes('=') ? p : `${p}=`);
  }
  return out;
}
