import { test, describe, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import {
  verifyHostnameOwnership,
  WELL_KNOWN_PREFIX,
} from '../../../src/control/zones/hostname-verification.js';
import { parseAllowList } from '../../../src/control/zones/allow-list.js';

describe('hostname ownership over HTTP (real local server)', () => {
  let server: Server;
  let port = 0;
  const seen: { host: string | undefined; url: string | undefined }[] = [];
  const served = new Map<string, string>();

  before(async () => {
    server = createServer((req, res) => {
      seen.push({ host: req.headers.host, url: req.url });
      const token = req.url?.startsWith(WELL_KNOWN_PREFIX)
        ? decodeURIComponent(req.url.slice(WELL_KNOWN_PREFIX.length))
        : '';
      const body = served.get(`${req.headers.host?.split(':')[0]}|${token}`);
      if (body === undefined) {
        res.writeHead(404).end('no');
        return;
      }
      res.writeHead(200, { 'content-type': 'text/plain' }).end(body);
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    port = (server.address() as AddressInfo).port;
  });
  after(() => new Promise<void>((r) => server.close(() => r())));

  const opts = (allow: string[]) => ({
    allowList: parseAllowList(allow, 'originAllowList'),
    resolve: async (h: string) =>
      h.endsWith('.test') ? ['127.0.0.1'] : Promise.reject(new Error(`ENOTFOUND ${h}`)),
    httpPort: port,
    dnsEnabled: false,
    timeoutMs: 2000,
  });

  test('the token served at the well-known path proves ownership; Host carries the hostname', async () => {
    served.set('shop.test|tok-123', 'tok-123\n');
    const r = await verifyHostnameOwnership('shop.test', 'tok-123', opts(['127.0.0.1']));
    assert.deepEqual(r, { verified: true, method: 'http' });
    assert.deepEqual(seen.at(-1), { host: `shop.test:${port}`, url: `${WELL_KNOWN_PREFIX}tok-123` });
  });

  test('a wrong body or a 404 does not', async () => {
    served.set('other.test|tok-9', 'something else');
    const wrong = await verifyHostnameOwnership('other.test', 'tok-9', opts(['127.0.0.1']));
    assert.equal(wrong.verified, false);
    const missing = await verifyHostnameOwnership('other.test', 'tok-absent', opts(['127.0.0.1']));
    assert.equal(missing.verified, false);
    assert.match(missing.verified ? '' : missing.attempts[0]!.problem, /404/);
  });

  test('without the allow-list the loopback address is refused before any request is made', async () => {
    served.set('shop.test|tok-123', 'tok-123');
    const before = seen.length;
    const r = await verifyHostnameOwnership('shop.test', 'tok-123', opts([]));
    assert.equal(r.verified, false);
    assert.match(r.verified ? '' : r.attempts[0]!.problem, /loopback/);
    assert.equal(seen.length, before);
  });
});
