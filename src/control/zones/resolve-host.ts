import { lookup } from 'node:dns/promises';
import { isIP } from 'node:net';

/** Resolves a host name to every address (A and AAAA). Injectable so tests can name hosts without a DNS server. */
export type ResolveHost = (hostname: string) => Promise<string[]>;

export const systemResolveHost: ResolveHost = async (hostname) => {
  if (isIP(hostname)) return [hostname];
  const all = await lookup(hostname, { all: true, verbatim: true });
  return all.map((a) => a.address);
};
