import { EdgewardError } from '../../shared/errors.js';
import { cidrContains, parseCidr, parseIp, type Cidr } from './ip-address.js';

/** Operator exemptions from the SSRF rules: addresses, CIDRs, or exact host names. */
export interface AllowList {
  readonly cidrs: readonly Cidr[];
  readonly hosts: ReadonlySet<string>;
  /** As written, for display. */
  readonly entries: readonly string[];
}

export const EMPTY_ALLOW_LIST: AllowList = { cidrs: [], hosts: new Set(), entries: [] };

const HOST = /^(?=.{1,253}$)([a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?)(\.[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?)*\.?$/;

export function parseAllowList(entries: readonly unknown[], field: string): AllowList {
  const cidrs: Cidr[] = [];
  const hosts = new Set<string>();
  entries.forEach((e, i) => {
    const where = `${field}[${i}]`;
    if (typeof e !== 'string' || e.trim() === '') {
      throw new EdgewardError('invalid_config', `${where} must be an address, CIDR or host name`, {
        field: where,
      });
    }
    const s = e.trim().toLowerCase();
    const c = parseCidr(s);
    if (c) cidrs.push(c);
    else if (!s.includes('/') && HOST.test(s)) hosts.add(s.replace(/\.$/, ''));
    else
      throw new EdgewardError('invalid_config', `${where}: ${e} is not an address, CIDR or host name`, {
        field: where,
      });
  });
  return { cidrs, hosts, entries: entries.map(String) };
}

export function allowsHost(list: AllowList, host: string): boolean {
  return list.hosts.has(host.toLowerCase().replace(/\.$/, ''));
}

export function allowsAddress(list: AllowList, address: string): boolean {
  const ip = parseIp(address);
  return ip !== undefined && list.cidrs.some((c) => cidrContains(c, ip));
}
