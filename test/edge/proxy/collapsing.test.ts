import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { startOrigin } from '../../helpers/origin-server.js';
import { metricValue, startEdge } from '../../helpers/edge-harness.js';
import { httpRequest } from '../../helpers/http-client.js';

/** Resolves once the origin has seen `n` requests. */
async function originSaw(count: () => number, n: number): Promise<void> {
  while (count() < n) await new Promise((r) => setTimeout(r, 5));
}

describe('request collapsing', { timeout: 30_000 }, () => {
  test('100 concurrent misses for one URL make exactly one origin request', async () => {
    let release!: () => void;
    const gate = new Promise<void>((resolve) => (release = resolve));
    const origin = await startOrigin(async (_req, res) => {
      await gate;
      res.setHeader('cache-control', 'max-age=60');
      res.end('collapsed body');
    });
    const edge = await startEdge({ origins: [origin.url] });
    try {
      const all = Array.from({ length: 100 }, () => httpRequest(edge.port, '/slow'));
      await originSaw(() => origin.count(), 1);
      // Give every client time to reach the edge while the origin holds its answer.
      while ((await metricValue(edge.registry, 'edgeward_collapsed_requests_total')) < 99)
        await new Promise((r) => setTimeout(r, 5));
      release();
      const results = await Promise.all(all);
      assert.equal(origin.count('/slow'), 1);
      for (const r of results) {
        assert.equal(r.status, 200);
        assert.equal(r.text, 'collapsed body');
      }
      assert.equal(results.filter((r) => /collapsed/.test(String(r.headers['cache-status']))).length, 99);
    } finally {
      await edge.close();
      await origin.close();
    }
  });

  test('when the response is not storable, each waiter asks the origin itself', async () => {
    let release!: () => void;
    const gate = new Promise<void>((resolve) => (release = resolve));
    let n = 0;
    const origin = await startOrigin(async (_req, res) => {
      const mine = ++n;
      if (mine === 1) await gate;
      res.setHeader('cache-control', 'private');
      res.end(`answer ${mine}`);
    });
    const edge = await startEdge({ origins: [origin.url] });
    try {
      const all = Array.from({ length: 5 }, () => httpRequest(edge.port, '/private'));
      await originSaw(() => origin.count(), 1);
      while ((await metricValue(edge.registry, 'edgeward_collapsed_requests_total')) < 4)
        await new Promise((r) => setTimeout(r, 5));
      release();
      const results = await Promise.all(all);
      assert.equal(origin.count('/private'), 5);
      assert.deepEqual(
        new Set(results.map((r) => r.text)).size,
        5,
        "no waiter got another client's private answer",
      );
    } finally {
      await edge.close();
      await origin.close();
    }
  });

  test("waiters with a different Vary value are not served the leader's variant", async () => {
    let release!: () => void;
    const gate = new Promise<void>((resolve) => (release = resolve));
    const origin = await startOrigin(async (req, res) => {
      await gate;
      res.setHeader('cache-control', 'max-age=60');
      res.setHeader('vary', 'accept-language');
      res.end(`lang=${String(req.headers['accept-language'])}`);
    });
    const edge = await startEdge({ origins: [origin.url] });
    try {
      const en = httpRequest(edge.port, '/v', { headers: { 'accept-language': 'en' } });
      await originSaw(() => origin.count(), 1);
      const fr = httpRequest(edge.port, '/v', { headers: { 'accept-language': 'fr' } });
      while ((await metricValue(edge.registry, 'edgeward_collapsed_requests_total')) < 1)
        await new Promise((r) => setTimeout(r, 5));
      release();
      assert.equal((await en).text, 'lang=en');
      assert.equal((await fr).text, 'lang=fr');
    } finally {
      await edge.close();
      await origin.close();
    }
  });
});
