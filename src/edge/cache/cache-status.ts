/** RFC 9211 Cache-Status: one list member describing what this cache did, as a Structured Field (RFC 8941). */
export interface CacheStatusParams {
  hit: boolean;
  fwd?: 'bypass' | 'method' | 'uri-miss' | 'vary-miss' | 'miss' | 'request' | 'stale' | 'partial';
  fwdStatus?: number;
  ttl?: number;
  stored?: boolean;
  collapsed?: boolean;
  key?: string;
  detail?: string;
}

const SF_TOKEN = /^[A-Za-z*][!#$%&'*+\-.^_`|~:/0-9A-Za-z]*$/;
const SF_INTEGER_MAX = 999_999_999_999_999;

/**
 * `Edgeward; hit; ttl=42` or `Edgeward; fwd=miss; fwd-status=200; stored`. Boolean parameters appear bare when
 * true and are left out when false (RFC 9211: absent means false). The cache name is a token when it can be,
 * else a string.
 */
export function formatCacheStatus(cacheName: string, p: CacheStatusParams): string {
  let out = SF_TOKEN.test(cacheName) ? cacheName : sfString(cacheName);
  if (p.hit) out += '; hit';
  if (p.fwd !== undefined) out += '; fwd=' + p.fwd;
  if (p.fwdStatus !== undefined) out += '; fwd-status=' + sfInteger(p.fwdStatus);
  if (p.ttl !== undefined) out += '; ttl=' + sfInteger(p.ttl);
  if (p.stored) out += '; stored';
  if (p.collapsed) out += '; collapsed';
  if (p.key !== undefined) out += '; key=' + sfString(p.key);
  if (p.detail !== undefined) out += '; detail=' + sfString(p.detail);
  return out;
}

function sfInteger(n: number): string {
  const i = Math.trunc(Number.isFinite(n) ? n : 0);
  return String(Math.max(-SF_INTEGER_MAX, Math.min(SF_INTEGER_MAX, i)) || 0);
}

/** sf-string: printable ASCII only, with '\' and '"' escaped; anything else becomes '?'. */
export function sfString(s: string): string {
  let out = '"';
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c === 0x22 || c === 0x5c) out += '\\' + s[i];
    else if (c >= 0x20 && c <= 0x7e) out += s[i];
    else out += '?';
  }
  return out + '"';
}
