import { cidrContains, parseCidr, parseIp, type Cidr } from './ip-address.js';

/**
 * Addresses the control plane (and edges, through origins) must never be made to connect to: server-side request
 * forgery targets. IPv4-in-IPv6 forms are reduced to IPv4 first (see parseIp), so ::ffff:127.0.0.1 is loopback.
 */
const FORBIDDEN: ReadonlyArray<{ cidr: string; why: string }> = [
  { cidr: '0.0.0.0/8', why: 'unspecified' },
  { cidr: '10.0.0.0/8', why: 'private' },
  { cidr: '100.64.0.0/10', why: 'carrier-grade NAT' },
  { cidr: '127.0.0.0/8', why: 'loopback' },
  { cidr: '169.254.169.254/32', why: 'cloud metadata' },
  { cidr: '169.254.0.0/16', why: 'link-local' },
  { cidr: '172.16.0.0/12', why: 'private' },
  { cidr: '192.0.0.0/24', why: 'IETF protocol assignments' },
  { cidr: '192.168.0.0/16', why: 'private' },
  { cidr: '198.18.0.0/15', why: 'benchmarking' },
  { cidr: '224.0.0.0/4', why: 'multicast' },
  { cidr: '240.0.0.0/4', why: 'reserved' },
  { cidr: '::/128', why: 'unspecified' },
  { cidr: '::1/128', why: 'loopback' },
  { cidr: 'fd00:ec2::254/128', why: 'cloud metadata' },
  { cidr: 'fc00::/7', why: 'private (unique local)' },
  { cidr: 'fe80::/10', why: 'link-local' },
  { cidr: 'fec0::/10', why: 'site-local' },
  { cidr: 'ff00::/8', why: 'multicast' },
];

const COMPILED: ReadonlyArray<{ cidr: Cidr; why: string }> = FORBIDDEN.map((f) => {
  const cidr = parseCidr(f.cidr);
  if (!cidr) throw new Error(`bad built-in CIDR ${f.cidr}`);
  return { cidr, why: f.why };
});

/** Why `address` is a forbidden target (e.g. 'loopback'), or undefined when it is a public address. Unparseable = forbidden. */
export function forbiddenAddressReason(address: string): string | undefined {
  const ip = parseIp(address);
  if (!ip) return 'not an IP address';
  for (const f of COMPILED) if (cidrContains(f.cidr, ip)) return f.why;
  return undefined;
}
