import { BlockList, isIP } from 'node:net';
import { EdgewardError } from '../../shared/errors.js';

/**
 * Who the client is. The peer address is the truth unless the peer is a proxy we were told to trust; then the
 * X-Forwarded-For chain is read from the right (the end our trusted proxy appended), so entries a client
 * prepends itself can never be picked.
 */

const MAPPED_V4 = /^::ffff:(\d{1,3}(?:\.\d{1,3}){3})$/i;

/** Strips IPv6 zone ids and brackets, and unwraps IPv4-mapped IPv6 (::ffff:1.2.3.4 -> 1.2.3.4). '' when not an IP. */
export function canonicalIp(raw: string): string {
  let s = raw.trim();
  if (s.startsWith('[') && s.endsWith(']')) s = s.slice(1, -1);
  const m = MAPPED_V4.exec(s);
  if (m && isIP(m[1]!) === 4) return m[1]!;
  const family = isIP(s);
  if (family === 4) return s;
  if (family === 6) return s.toLowerCase();
  return '';
}

/** Builds a membership test over IPs and CIDRs (v4 and v6). Throws EdgewardError 'invalid_config' naming the entry. */
export function parseTrustedProxies(list: readonly string[]): (ip: string) => boolean {
  const blocks = new BlockList();
  let count = 0;
  list.forEach((entryRaw, i) => {
    const entry = entryRaw.trim();
    const field = `trustProxy[${i}]`;
    if (entry === '') return;
    const slash = entry.indexOf('/');
    if (slash === -1) {
      const ip = canonicalIp(entry);
      if (!ip)
        throw new EdgewardError('invalid_config', `not an IP address or CIDR: ${JSON.stringify(entryRaw)}`, {
          field,
        });
      blocks.addAddress(ip, isIP(ip) === 4 ? 'ipv4' : 'ipv6');
    } else {
      const ip = canonicalIp(entry.slice(0, slash));
      const bitsText = entry.slice(slash + 1);
      const family = isIP(ip);
      const bits = /^\d{1,3}$/.test(bitsText) ? Number(bitsText) : NaN;
      const mappedV4 = family === 4 && isIP(entry.slice(0, slash)) === 6;
      // ::ffff:10.0.0.0/104 is 10.0.0.0/8 once unwrapped.
      const prefix = mappedV4 ? bits - 96 : bits;
      if (!ip || !Number.isInteger(prefix) || prefix < 0 || prefix > (family === 4 ? 32 : 128)) {
        throw new EdgewardError('invalid_config', `not an IP address or CIDR: ${JSON.stringify(entryRaw)}`, {
          field,
        });
      }
      blocks.addSubnet(ip, prefix, family === 4 ? 'ipv4' : 'ipv6');
    }
    count++;
  });
  if (count === 0) return () => false;
  return (ipRaw: string): boolean => {
    const ip = canonicalIp(ipRaw);
    if (!ip) return false;
    return blocks.check(ip, isIP(ip) === 4 ? 'ipv4' : 'ipv6');
  };
}

/**
 * The client's address: the peer, or, when the peer is trusted, the right-most X-Forwarded-For entry that is not
 * itself trusted. A malformed entry stops the walk (everything left of it is client-controlled noise) and the
 * last good address is used.
 */
export function resolveClientAddress(
  peer: string,
  xff: string | string[] | undefined,
  isTrusted: (ip: string) => boolean,
): string {
  const peerIp = canonicalIp(peer) || peer;
  if (xff === undefined || !isTrusted(peerIp)) return peerIp;
  const joined = Array.isArray(xff) ? xff.join(',') : xff;
  const parts = joined.split(',');
  let last = peerIp;
  for (let i = parts.length - 1; i >= 0; i--) {
    const ip = canonicalIp(stripPort(parts[i]!));
    if (!ip) return last;
    if (!isTrusted(ip)) return ip;
    last = ip;
  }
  return last;
}

/** Some proxies append "1.2.3.4:5678" or "[2001:db8::1]:443". */
function stripPort(s: string): string {
  const t = s.trim();
  if (t.startsWith('[')) {
    const end = t.indexOf(']');
    return end === -1 ? t : t.slice(1, end);
  }
  const colon = t.indexOf(':');
  if (colon !== -1 && colon === t.lastIndexOf(':') && isIP(t.slice(0, colon)) === 4) return t.slice(0, colon);
  return t;
}

export type TrustCheck = (ip: string) => boolean;

/** `::ffff:1.2.3.4` (how node reports IPv4 peers on a dual-stack socket) -> `1.2.3.4`; anything else unchanged. */
export function unmapIPv4(ip: string): string {
  const m = MAPPED_V4.exec(ip);
  return m ? m[1]! : ip;
}
