import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Kysely } from 'kysely';
import type { Principal } from '../../../src/control/auth/principal.js';
import { ConfigChangeNotifier } from '../../../src/control/changes/config-change-notifier.js';
import type { Database } from '../../../src/control/db/schema.js';
import { createOperator } from '../../../src/control/services/accounts-service.js';
import type { ServiceDeps } from '../../../src/control/services/service-deps.js';
import { WELL_KNOWN_PREFIX } from '../../../src/control/zones/hostname-verification.js';
import { parseAllowList } from '../../../src/control/zones/allow-list.js';

/**
 * A real HTTP server answering hostname-verification tokens that a test "publishes", and ServiceDeps whose
 * resolver maps every *.test name to 127.0.0.1 (allow-listed), so ownership checks run for real without DNS.
 */
export interface VerificationSite {
  port: number;
  publish(token: string): void;
  close(): Promise<void>;
}

export async function startVerificationSite(): Promise<VerificationSite> {
  const tokens = new Set<string>();
  const server: Server = createServer((req, res) => {
    const t = req.url?.startsWith(WELL_KNOWN_PREFIX)
      ? decodeURIComponent(req.url.slice(WELL_KNOWN_PREFIX.length))
      : '';
    if (tokens.has(t)) res.writeHead(200).end(t);
    else res.writeHead(404).end();
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return {
    port: (server.address() as AddressInfo).port,
    publish: (t) => void tokens.add(t),
    close: () => new Promise<void>((r) => server.close(() => r())),
  };
}

export const testResolve = async (h: string): Promise<string[]> => {
  if (h.endsWith('.test') || h === 'localhost') return ['127.0.0.1'];
  if (/^[\d.]+$/.test(h) || h.includes(':')) return [h];
  throw new Error(`ENOTFOUND ${h}`);
};

export function testDeps(db: Kysely<Database>, httpPort: number): ServiceDeps {
  const guard = { allowList: parseAllowList(['127.0.0.1'], 'originAllowList'), resolve: testResolve };
  return {
    db,
    notifier: new ConfigChangeNotifier(),
    guard,
    verification: { ...guard, httpPort, dnsEnabled: false, timeoutMs: 2000 },
    sessionTtlSeconds: 3600,
  };
}

export async function makeOperator(
  deps: ServiceDeps,
  email: string,
  role: 'admin' | 'analyst' | 'legal',
): Promise<Principal> {
  const o = await createOperator(deps, 'system', {
    email,
    name: email,
    role,
    password: 'correct horse battery',
  });
  return { kind: 'operator', id: o.id, role, email, scopes: null };
}
