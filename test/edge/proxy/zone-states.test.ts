import { describe, test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { DEFAULT_ZONE_CACHE_SETTINGS } from '../../../src/shared/config/zone-config.js';
import { closedPort, startOrigin, type TestOrigin } from '../../helpers/origin-server.js';
import { startEdge, zone, type TestEdge } from '../../helpers/edge-harness.js';
import { httpRequest, rawExchange } from '../../helpers/http-client.js';

describe('zone routing and error statuses', { timeout: 20_000 }, () => {
  let origin: TestOrigin;
  let edge: TestEdge;
  before(async () => {
    origin = await startOrigin((req, res) => res.end(`origin saw ${String(req.headers.host)}`));
    edge = await startEdge({
      zones: [
        zone('active', ['example.com'], [origin.url]),
        zone('pending', ['pending.example'], [origin.url], { state: 'pending' }),
        zone('suspended', ['suspended.example'], [origin.url], { state: 'suspended' }),
        zone('terminated', ['gone.example'], [origin.url], { state: 'terminated' }),
      ],
    });
  });
  after(async () => {
    await edge.close();
    await origin.close();
  });

  const expectError = async (host: string, status: number, code: string) => {
    const r = await httpRequest(edge.port, '/', { host });
    assert.equal(r.status, status, host);
    assert.equal((JSON.parse(r.text) as { error: { code: string } }).error.code, code);
    assert.match(String(r.headers['cache-status']), /^edge-test;/);
    assert.equal(r.headers['cache-control'], 'no-store');
  };

  test('an unknown host is 421 zone_not_found', () => expectError('unknown.example', 421, 'zone_not_found'));
  test('a terminated zone is treated as unknown', () => expectError('gone.example', 421, 'zone_not_found'));
  test('a pending zone is 421 zone_not_active', () => expectError('pending.example', 421, 'zone_not_active'));
  test('a suspended zone is 403 zone_suspended', () =>
    expectError('suspended.example', 403, 'zone_suspended'));

  test('the hostname matches whatever the case, trailing dot or port', async () => {
    for (const host of ['EXAMPLE.com', 'example.com.', 'example.com:80']) {
      const r = await httpRequest(edge.port, '/', { host });
      assert.equal(r.status, 200, host);
    }
    assert.equal(origin.requests.length >= 3, true);
  });

  test('no origin request for any refused zone', () => {
    assert.equal(origin.requests.filter((r) => r.headers.host !== 'example.com').length, 0);
  });

  test('an invalid Host header is 400 with Cache-Status', async () => {
    const r = await rawExchange(
      edge.port,
      'GET / HTTP/1.1\r\nHost: exa mple..com\r\nConnection: close\r\n\r\n',
    );
    assert.equal(r.status, 400);
    assert.match(r.raw, /Cache-Status: edge-test/i);
  });

  test('a missing Host header is 400', async () => {
    const r = await rawExchange(edge.port, 'GET / HTTP/1.0\r\n\r\n');
    assert.equal(r.status, 400);
  });

  test('a catch-all zone takes any host when no exact one matches', async () => {
    const e2 = await startEdge({
      zones: [
        zone('all', ['*'], [origin.url]),
        zone('x', ['x.example'], [origin.url], { state: 'suspended' }),
      ],
    });
    try {
      assert.equal((await httpRequest(e2.port, '/', { host: 'anything.example' })).status, 200);
      assert.equal((await httpRequest(e2.port, '/', { host: 'x.example' })).status, 403);
    } finally {
      await e2.close();
    }
  });
});

describe('origin failures without a stale copy', { timeout: 20_000 }, () => {
  test('connection refused is 502; headers timeout is 504', async () => {
    const port = await closedPort();
    const slow = await startOrigin(() => {
      /* never answers */
    });
    const edge = await startEdge({
      zones: [
        zone('down', ['down.example'], [`http://127.0.0.1:${port}`]),
        zone('slow', ['slow.example'], [slow.url], { cache: DEFAULT_ZONE_CACHE_SETTINGS }),
      ],
      limits: { headersTimeoutMs: 300, connectTimeoutMs: 300 },
    });
    try {
      const down = await httpRequest(edge.port, '/', { host: 'down.example' });
      assert.equal(down.status, 502);
      assert.match(String(down.headers['cache-status']), /fwd=uri-miss/);
      const timeout = await httpRequest(edge.port, '/', { host: 'slow.example' });
      assert.equal(timeout.status, 504);
      assert.match(String(timeout.headers['cache-status']), /detail=/);
    } finally {
      await edge.close();
      await slow.close();
    }
  });
});
