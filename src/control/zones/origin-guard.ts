import { isIP } from 'node:net';
import { EdgewardError } from '../../shared/errors.js';
import { forbiddenAddressReason } from './address-policy.js';
import { allowsAddress, allowsHost, type AllowList } from './allow-list.js';
import type { ResolveHost } from './resolve-host.js';

export interface GuardOptions {
  allowList: AllowList;
  resolve: ResolveHost;
}

/**
 * Resolves `host` and refuses it (code 'origin_forbidden', naming `field`) when any address it resolves to is a
 * forbidden target (loopback, private, link-local, CGNAT, metadata, multicast, ...) and not allow-listed. ANY, not
 * just the first: an attacker controlling DNS could otherwise hide 127.0.0.1 behind a public address. Returns the
 * addresses (callers that connect use them, so a second lookup cannot be rebound).
 */
export async function guardHost(host: string, field: string, opts: GuardOptions): Promise<string[]> {
  const bare = host.startsWith('[') && host.endsWith(']') ? host.slice(1, -1) : host;
  let addresses: string[];
  try {
    addresses = await opts.resolve(bare);
  } catch (e) {
    throw new EdgewardError(
      'origin_unresolvable',
      `${field}: cannot resolve ${bare}: ${(e as Error).message}`,
      {
        field,
        cause: e,
      },
    );
  }
  if (addresses.length === 0) {
    throw new EdgewardError('origin_unresolvable', `${field}: ${bare} has no address`, { field });
  }
  if (!isIP(bare) && allowsHost(opts.allowList, bare)) return addresses;
  for (const a of addresses) {
    const why = forbiddenAddressReason(a);
    if (why !== undefined && !allowsAddress(opts.allowList, a)) {
      throw new EdgewardError(
        'origin_forbidden',
        `${field}: ${bare} resolves to ${a} (${why}); such addresses are refused unless allow-listed by the operator`,
        { field, details: { host: bare, address: a, reason: why } },
      );
    }
  }
  return addresses;
}

/** Validates an origin base URL (http/https, no credentials, no query/fragment) and guards its host. */
export async function guardOriginUrl(origin: string, field: string, opts: GuardOptions): Promise<string> {
  let u: URL;
  try {
    u = new URL(origin);
  } catch {
    throw new EdgewardError('invalid_request', `${field} must be an absolute http(s) URL`, { field });
  }
  if (u.protocol !== 'http:' && u.protocol !== 'https:') {
    throw new EdgewardError('invalid_request', `${field} must use http or https`, { field });
  }
  if (u.username || u.password) {
    throw new EdgewardError('invalid_request', `${field} must not carry credentials`, { field });
  }
  if (u.search || u.hash) {
    throw new EdgewardError('invalid_request', `${field} must not have a query or fragment`, { field });
  }
  await guardHost(u.hostname, field, opts);
  return `${u.protocol}//${u.host}${u.pathname === '/' ? '' : u.pathname.replace(/\/$/, '')}`;
}
