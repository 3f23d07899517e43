import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import http from 'node:http';
import net from 'node:net';
import { startOrigin } from '../../helpers/origin-server.js';
import { metricValue, startEdge } from '../../helpers/edge-harness.js';
import { httpRequest } from '../../helpers/http-client.js';

describe('connections, shutdown, logs and metrics', { timeout: 30_000 }, () => {
  test('keep-alive: several requests share one client connection', async () => {
    const origin = await startOrigin((_req, res) => {
      res.setHeader('cache-control', 'max-age=60');
      res.end('ka');
    });
    const edge = await startEdge({ origins: [origin.url] });
    const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });
    const sockets = new Set<unknown>();
    try {
      for (let i = 0; i < 3; i++) {
        await new Promise<void>((resolve, reject) => {
          const req = http.get(
            {
              host: '127.0.0.1',
              port: edge.port,
              path: `/k${i % 2}`,
              headers: { host: 'example.com' },
              agent,
            },
            (res) => {
              sockets.add(res.socket);
              res.resume();
              res.on('end', () => resolve());
            },
          );
          req.on('error', reject);
        });
      }
      assert.equal(sockets.size, 1);
    } finally {
      agent.destroy();
      await edge.close();
      await origin.close();
    }
  });

  test('close() lets an in-flight request finish and refuses new connections', async () => {
    let release!: () => void;
    const gate = new Promise<void>((resolve) => (release = resolve));
    const origin = await startOrigin(async (_req, res) => {
      await gate;
      res.end('finished during shutdown');
    });
    const edge = await startEdge({ origins: [origin.url] });
    const inflight = httpRequest(edge.port, '/slow');
    while (origin.count() < 1) await new Promise((r) => setTimeout(r, 5));
    const closing = edge.close();
    // New connections are refused while it drains.
    await assert.rejects(
      new Promise((resolve, reject) => {
        const s = net.connect(edge.port, '127.0.0.1');
        s.on('connect', () => {
          s.destroy();
          resolve(undefined);
        });
        s.on('error', reject);
      }),
    );
    release();
    const r = await inflight;
    assert.equal(r.status, 200);
    assert.equal(r.text, 'finished during shutdown');
    await closing;
    await origin.close();
  });

  test('one structured access-log line per request, and metrics by cache outcome', async () => {
    const origin = await startOrigin((_req, res) => {
      res.setHeader('cache-control', 'max-age=60');
      res.end('logged');
    });
    const edge = await startEdge({ origins: [origin.url], countryOf: () => 'FR' });
    try {
      await httpRequest(edge.port, '/log?x=1');
      await httpRequest(edge.port, '/log?x=1');
      // Access-log lines are written in batches (at most 200 ms late).
      let lines = edge.logs.filter((l) => l.msg === 'request');
      for (let i = 0; i < 100 && lines.length < 2; i++) {
        await new Promise((r) => setTimeout(r, 20));
        lines = edge.logs.filter((l) => l.msg === 'request');
      }
      assert.equal(lines.length, 2);
      const [miss, hit] = lines as Record<string, unknown>[];
      assert.equal(miss!.host, 'example.com');
      assert.equal(miss!.path, '/log?x=1');
      assert.equal(miss!.method, 'GET');
      assert.equal(miss!.status, 200);
      assert.equal(miss!.cache, 'miss');
      assert.equal(miss!.bytes, 6);
      assert.equal(miss!.country, 'FR');
      assert.equal(typeof miss!.originMs, 'number');
      assert.ok((miss!.originMs as number) >= 0);
      assert.equal(hit!.cache, 'hit');
      assert.match(String(hit!.cacheStatus), /^edge-test; hit; ttl=/);
      assert.match(String(miss!.cacheStatus), /fwd=uri-miss/);
      assert.equal(hit!.originMs, -1);
      assert.equal(await metricValue(edge.registry, 'edgeward_requests_total', { cache: 'hit' }), 1);
      assert.equal(await metricValue(edge.registry, 'edgeward_requests_total', { cache: 'error' }), 0);
      assert.equal(await metricValue(edge.registry, 'edgeward_requests_total', { cache: 'miss' }), 1);
      assert.equal(await metricValue(edge.registry, 'edgeward_bytes_sent_total'), 12);
      assert.equal(await metricValue(edge.registry, 'edgeward_origin_latency_seconds_count'), 1);
      const text = await edge.registry.metrics();
      assert.match(text, /edgeward_origin_latency_seconds_bucket/);
    } finally {
      await edge.close();
      await origin.close();
    }
  });
});
