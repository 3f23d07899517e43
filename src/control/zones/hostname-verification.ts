import { request } from 'node:http';
import { Resolver, resolveTxt } from 'node:dns/promises';
import { guardHost, type GuardOptions } from './origin-guard.js';

/**
 * Proof that whoever adds a hostname controls it:
 * - http: GET http://<hostname>[:port]/.well-known/edgeward-verification/<token> answers exactly the token;
 * - dns:  a TXT record `_edgeward-challenge.<hostname>` equal to the token.
 * The HTTP check resolves the name once, applies the SSRF guard to every address, then connects to the checked
 * address itself (with the hostname as Host), so DNS cannot be rebound between the check and the request.
 */
export const WELL_KNOWN_PREFIX = '/.well-known/edgeward-verification/';
export const DNS_CHALLENGE_LABEL = '_edgeward-challenge';

export interface VerificationOptions extends GuardOptions {
  httpPort: number;
  dnsEnabled: boolean;
  /** Resolvers asked for the TXT record ('ip' or 'ip:port'); empty: the system's. */
  dnsServers?: readonly string[];
  timeoutMs: number;
}

export type VerificationOutcome =
  | { verified: true; method: 'http' | 'dns' }
  | { verified: false; attempts: { method: 'http' | 'dns'; problem: string }[] };

const MAX_BODY = 1024;

function resolverFor(servers: readonly string[], timeoutMs: number): Resolver {
  const r = new Resolver({ timeout: timeoutMs, tries: 1 });
  r.setServers([...servers]);
  return r;
}

function fetchToken(
  address: string,
  hostname: string,
  port: number,
  token: string,
  timeoutMs: number,
): Promise<string> {
  return new Promise((resolve, reject) => {
    const req = request(
      {
        host: address,
        port,
        path: WELL_KNOWN_PREFIX + encodeURIComponent(token),
        method: 'GET',
        headers: {
          host: port === 80 ? hostname : `${hostname}:${port}`,
          'user-agent': 'edgeward-verification',
        },
        timeout: timeoutMs,
      },
      (res) => {
        if (res.statusCode !== 200) {
          res.resume();
          reject(new Error(`answered HTTP ${res.statusCode ?? '?'} (redirects are not followed)`));
          return;
        }
        let body = '';
        res.setEncoding('utf8');
        res.on('data', (chunk: string) => {
          body += chunk;
          if (body.length > MAX_BODY) {
            req.destroy(new Error(`answered more than ${MAX_BODY} bytes`));
          }
        });
        res.on('end', () => resolve(body));
        res.on('error', reject);
      },
    );
    req.on('timeout', () => req.destroy(new Error(`no answer within ${timeoutMs} ms`)));
    req.on('error', reject);
    req.end();
  });
}

export async function verifyHostnameOwnership(
  hostname: string,
  token: string,
  opts: VerificationOptions,
): Promise<VerificationOutcome> {
  const attempts: { method: 'http' | 'dns'; problem: string }[] = [];
  try {
    const addresses = await guardHost(hostname, 'hostname', opts);
    const address = addresses[0]!;
    const body = await fetchToken(address, hostname, opts.httpPort, token, opts.timeoutMs);
    if (body.trim() === token) return { verified: true, method: 'http' };
    attempts.push({ method: 'http', problem: 'the well-known URL did not answer the token' });
  } catch (e) {
    // A refused address (origin_forbidden) or a network failure: either way the proof did not happen here.
    attempts.push({ method: 'http', problem: (e as Error).message });
  }
  if (opts.dnsEnabled) {
    try {
      const name = `${DNS_CHALLENGE_LABEL}.${hostname}`;
      const records = opts.dnsServers?.length
        ? await resolverFor(opts.dnsServers, opts.timeoutMs).resolveTxt(name)
        : await resolveTxt(name);
      if (records.some((chunks) => chunks.join('') === token)) return { verified: true, method: 'dns' };
      attempts.push({
        method: 'dns',
        problem: `no TXT record ${DNS_CHALLENGE_LABEL}.${hostname} equal to the token`,
      });
    } catch (e) {
      attempts.push({ method: 'dns', problem: (e as Error).message });
    }
  }
  return { verified: false, attempts };
}
