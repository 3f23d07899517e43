import { isIP } from 'node:net';

/**
 * IP addresses as numbers, for prefix tests that must not be fooled by notation: IPv6 with '::', embedded IPv4,
 * zone ids, upper case, and the IPv4-in-IPv6 forms (mapped ::ffff:a.b.c.d, compatible ::a.b.c.d, NAT64
 * 64:ff9b::a.b.c.d) all reduce to the IPv4 address they carry.
 */
export type ParsedIp = { family: 4; value: number } | { family: 6; value: bigint };

function parseIpv4(s: string): number | undefined {
  const parts = s.split('.');
  if (parts.length !== 4) return undefined;
  let v = 0;
  for (const p of parts) {
    if (!/^\d{1,3}$/.test(p)) return undefined;
    const n = Number(p);
    if (n > 255) return undefined;
    v = v * 256 + n;
  }
  return v;
}

function parseIpv6(input: string): bigint | undefined {
  let s = input;
  const pct = s.indexOf('%');
  if (pct >= 0) s = s.slice(0, pct);
  if (isIP(s) !== 6) return undefined;
  const lastColon = s.lastIndexOf(':');
  const last = s.slice(lastColon + 1);
  if (last.includes('.')) {
    // Embedded IPv4 as the last 32 bits: rewrite as two hex groups.
    const v4 = parseIpv4(last);
    if (v4 === undefined) return undefined;
    s = `${s.slice(0, lastColon + 1)}${(v4 >>> 16).toString(16)}:${(v4 & 0xffff).toString(16)}`;
  }
  const [headText, tailText] = s.includes('::') ? (s.split('::') as [string, string]) : [s, undefined];
  const head = headText === '' ? [] : headText.split(':').map((g) => parseInt(g, 16));
  const mid =
    tailText === undefined ? [] : tailText === '' ? [] : tailText.split(':').map((g) => parseInt(g, 16));
  const fixed = head.length + mid.length;
  const zeros = tailText === undefined ? 0 : 8 - fixed;
  const groups = [...head, ...new Array<number>(Math.max(0, zeros)).fill(0), ...mid];
  if (groups.length !== 8 || groups.some((g) => !Number.isInteger(g) || g < 0 || g > 0xffff))
    return undefined;
  return groups.reduce((acc, g) => (acc << 16n) | BigInt(g), 0n);
}

const V4_MAPPED = 0xffffn << 32n; // ::ffff:0:0/96
const NAT64 = 0x0064ff9bn << 96n; // 64:ff9b::/96
const LOW96 = (1n << 96n) - 1n;
const LOW32 = (1n << 32n) - 1n;

/** Parses an address; IPv6 forms that carry an IPv4 address come back as that IPv4 address. */
export function parseIp(s: string): ParsedIp | undefined {
  const v4 = parseIpv4(s);
  if (v4 !== undefined) return { family: 4, value: v4 };
  const v6 = parseIpv6(s);
  if (v6 === undefined) return undefined;
  const high = v6 >> 32n;
  if (high === V4_MAPPED >> 32n || (v6 & ~LOW96) === NAT64) return { family: 4, value: Number(v6 & LOW32) };
  // IPv4-compatible ::a.b.c.d (deprecated), but not :: and ::1 themselves.
  if (high === 0n && v6 > 1n) return { family: 4, value: Number(v6 & LOW32) };
  return { family: 6, value: v6 };
}

export interface Cidr {
  family: 4 | 6;
  base: number | bigint;
  bits: number;
}

/** '10.0.0.0/8', 'fc00::/7', or a bare address (a /32 or /128). */
export function parseCidr(s: string): Cidr | undefined {
  const slash = s.indexOf('/');
  const addr = parseIp(slash < 0 ? s : s.slice(0, slash));
  if (!addr) return undefined;
  const max = addr.family === 4 ? 32 : 128;
  let bits = max;
  if (slash >= 0) {
    const t = s.slice(slash + 1);
    if (!/^\d{1,3}$/.test(t)) return undefined;
    bits = Number(t);
    // A mapped IPv6 CIDR such as ::ffff:127.0.0.0/104 is the IPv4 CIDR it carries.
    if (addr.family === 4 && parseIpv4(s.slice(0, slash)) === undefined) bits -= 96;
    if (bits < 0 || bits > max) return undefined;
  }
  return { family: addr.family, base: addr.value, bits };
}

export function cidrContains(c: Cidr, ip: ParsedIp): boolean {
  if (c.family !== ip.family) return false;
  if (ip.family === 4) {
    if (c.bits === 0) return true;
    const shift = 32 - c.bits;
    return Math.floor(ip.value / 2 ** shift) === Math.floor((c.base as number) / 2 ** shift);
  }
  const shift = BigInt(128 - c.bits);
  return ip.value >> shift === (c.base as bigint) >> shift;
}
