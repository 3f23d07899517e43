import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { DEFAULT_ZONE_CACHE_SETTINGS } from '../../../src/shared/config/zone-config.js';
import { startOrigin } from '../../helpers/origin-server.js';
import { startEdge, zone } from '../../helpers/edge-harness.js';
import { httpRequest } from '../../helpers/http-client.js';

const waitFor = async (cond: () => boolean) => {
  while (!cond()) await new Promise((r) => setTimeout(r, 5));
};

describe('revalidation and stale content', { timeout: 30_000 }, () => {
  test('a stale entry with an ETag is revalidated; a 304 updates it and it is served from cache', async () => {
    let version = 1;
    const origin = await startOrigin((req, res) => {
      res.setHeader('cache-control', 'max-age=0');
      res.setHeader('etag', `"v${version}"`);
      res.setHeader('x-served', String(origin.count()));
      if (req.headers['if-none-match'] === `"v${version}"`) {
        res.statusCode = 304;
        return void res.end();
      }
      res.end(`body v${version}`);
    });
    const edge = await startEdge({ origins: [origin.url] });
    try {
      const first = await httpRequest(edge.port, '/r');
      assert.equal(first.text, 'body v1');
      const second = await httpRequest(edge.port, '/r');
      assert.equal(second.status, 200);
      assert.equal(second.text, 'body v1');
      assert.match(String(second.headers['cache-status']), /fwd=stale; fwd-status=304/);
      assert.equal(origin.requests[1]!.headers['if-none-match'], '"v1"');
      // The 304's headers were merged into the stored head.
      assert.equal(second.headers['x-served'], '2');
      version = 2;
      const third = await httpRequest(edge.port, '/r');
      assert.equal(third.text, 'body v2', 'a 200 replaces the stored object');
      assert.match(String(third.headers['cache-status']), /fwd=stale; fwd-status=200/);
    } finally {
      await edge.close();
      await origin.close();
    }
  });

  test('a client no-cache forces revalidation only where the zone honours it', async () => {
    const origin = await startOrigin((req, res) => {
      res.setHeader('cache-control', 'max-age=600');
      res.setHeader('etag', '"n1"');
      if (req.headers['if-none-match'] === '"n1"') {
        res.statusCode = 304;
        return void res.end();
      }
      res.end('nc');
    });
    const edge = await startEdge({
      zones: [
        zone('honour', ['honour.example'], [origin.url], {
          cache: { ...DEFAULT_ZONE_CACHE_SETTINGS, honorClientNoCache: true },
        }),
        zone('ignore', ['ignore.example'], [origin.url]),
      ],
    });
    try {
      for (const host of ['honour.example', 'ignore.example']) await httpRequest(edge.port, '/nc', { host });
      const before = origin.count();
      const ignored = await httpRequest(edge.port, '/nc', {
        host: 'ignore.example',
        headers: { 'cache-control': 'no-cache' },
      });
      assert.match(String(ignored.headers['cache-status']), /; hit/);
      assert.equal(origin.count(), before);
      const honoured = await httpRequest(edge.port, '/nc', {
        host: 'honour.example',
        headers: { 'cache-control': 'no-cache' },
      });
      assert.equal(honoured.text, 'nc');
      assert.equal(origin.count(), before + 1);
      assert.equal(origin.requests.at(-1)!.headers['if-none-match'], '"n1"');
      assert.match(String(honoured.headers['cache-status']), /fwd=request; fwd-status=304/);
    } finally {
      await edge.close();
      await origin.close();
    }
  });

  test('stale-while-revalidate serves the stale copy at once and refreshes once in the background', async () => {
    let version = 1;
    let release!: () => void;
    let gate: Promise<void> = Promise.resolve();
    const origin = await startOrigin(async (_req, res) => {
      await gate;
      res.setHeader('cache-control', 'max-age=0, stale-while-revalidate=600');
      // A validator: a response stale on arrival is only worth storing when it can be revalidated.
      res.setHeader('etag', `"v${version}"`);
      res.end(`v${version}`);
    });
    const edge = await startEdge({ origins: [origin.url] });
    try {
      assert.equal((await httpRequest(edge.port, '/swr')).text, 'v1');
      version = 2;
      gate = new Promise<void>((resolve) => (release = resolve));
      // The origin is held: these are answered from the stale copy without waiting for it.
      const a = await httpRequest(edge.port, '/swr');
      const b = await httpRequest(edge.port, '/swr');
      assert.equal(a.text, 'v1');
      assert.equal(b.text, 'v1');
      assert.match(String(a.headers['cache-status']), /; hit.*stale-while-revalidate/);
      await waitFor(() => origin.count('/swr') >= 2);
      assert.equal((await httpRequest(edge.port, '/swr')).text, 'v1');
      // Room for a wrongly duplicated refresh to show up before counting.
      await new Promise((r) => setTimeout(r, 50));
      assert.equal(origin.count('/swr'), 2, 'one background refresh for all three');
      release();
      let c = await httpRequest(edge.port, '/swr');
      for (let i = 0; i < 200 && c.text !== 'v2'; i++) {
        await new Promise((r) => setTimeout(r, 10));
        c = await httpRequest(edge.port, '/swr');
      }
      assert.equal(c.text, 'v2');
    } finally {
      await edge.close();
      await origin.close();
    }
  });

  test('stale-if-error: origin 5xx and origin down serve the stale copy with a detail', async () => {
    let fail = false;
    const origin = await startOrigin((_req, res) => {
      if (fail) {
        res.statusCode = 503;
        return void res.end('down');
      }
      res.setHeader('cache-control', 'max-age=0, stale-if-error=600');
      res.end('good copy');
    });
    const edge = await startEdge({ origins: [origin.url] });
    try {
      assert.equal((await httpRequest(edge.port, '/sie')).text, 'good copy');
      fail = true;
      const r = await httpRequest(edge.port, '/sie');
      assert.equal(r.status, 200);
      assert.equal(r.text, 'good copy');
      assert.match(String(r.headers['cache-status']), /fwd=stale; fwd-status=503.*detail=/);
      await origin.close();
      const down = await httpRequest(edge.port, '/sie');
      assert.equal(down.status, 200);
      assert.equal(down.text, 'good copy');
      assert.match(String(down.headers['cache-status']), /fwd=stale.*detail=/);
      // No stale copy for another URL: 502.
      assert.equal((await httpRequest(edge.port, '/other')).status, 502);
    } finally {
      await edge.close();
      await origin.close();
    }
  });

  test('without stale-if-error, an origin 5xx passes through; the zone option serveStaleOnErrorSeconds changes that', async () => {
    let fail = false;
    const origin = await startOrigin((_req, res) => {
      if (fail) {
        res.statusCode = 500;
        return void res.end('broken');
      }
      res.setHeader('cache-control', 'max-age=0');
      res.setHeader('etag', '"x"');
      res.end('fine');
    });
    const edge = await startEdge({
      zones: [
        zone('strict', ['strict.example'], [origin.url]),
        zone('lenient', ['lenient.example'], [origin.url], {
          cache: { ...DEFAULT_ZONE_CACHE_SETTINGS, serveStaleOnErrorSeconds: 3600 },
        }),
      ],
    });
    try {
      await httpRequest(edge.port, '/e', { host: 'strict.example' });
      await httpRequest(edge.port, '/e', { host: 'lenient.example' });
      fail = true;
      const strict = await httpRequest(edge.port, '/e', { host: 'strict.example' });
      assert.equal(strict.status, 500);
      assert.equal(strict.text, 'broken');
      const lenient = await httpRequest(edge.port, '/e', { host: 'lenient.example' });
      assert.equal(lenient.status, 200);
      assert.equal(lenient.text, 'fine');
      assert.match(String(lenient.headers['cache-status']), /fwd=stale/);
    } finally {
      await edge.close();
      await origin.close();
    }
  });

  test('a stale copy that must be revalidated (must-revalidate, proxy-revalidate, s-maxage, no-cache) is a 504 when the origin is down, never the stale copy', async () => {
    const directives: Record<string, string> = {
      '/must': 'max-age=1, must-revalidate',
      '/proxy': 'max-age=1, proxy-revalidate',
      '/s-maxage': 's-maxage=1',
      '/no-cache': 'no-cache',
      '/plain': 'max-age=1',
    };
    const origin = await startOrigin((req, res) => {
      res.setHeader('cache-control', directives[req.url!]!);
      res.setHeader('etag', '"1"');
      res.end(`stored copy of ${req.url}`);
    });
    // The zone would serve any stale copy on error: an origin's demand to revalidate must still win.
    const edge = await startEdge({ origins: [origin.url], cache: { serveStaleOnErrorSeconds: 3600 } });
    try {
      for (const path of Object.keys(directives)) {
        assert.equal((await httpRequest(edge.port, path)).text, `stored copy of ${path}`);
        if (path !== '/no-cache')
          assert.match(String((await httpRequest(edge.port, path)).headers['cache-status']), /; hit/, path);
      }
      // max-age=1: stale after at most two seconds (Date has whole seconds).
      await new Promise((r) => setTimeout(r, 2100));
      await origin.close();
      for (const path of ['/must', '/proxy', '/s-maxage', '/no-cache']) {
        const r = await httpRequest(edge.port, path);
        assert.equal(r.status, 504, path);
        assert.doesNotMatch(r.text, /stored copy/, path);
        const body = JSON.parse(r.text) as { error: { code: string } };
        assert.equal(body.error.code, 'revalidation_failed', path);
        assert.equal(r.headers['cache-control'], 'no-store');
        assert.match(String(r.headers['cache-status']), /; fwd=stale; detail="origin-connect-refused"/, path);
      }
      // Without such a demand the zone's window applies, and a plain miss stays a 502.
      const plain = await httpRequest(edge.port, '/plain');
      assert.equal(plain.status, 200);
      assert.equal(plain.text, 'stored copy of /plain');
      const miss = await httpRequest(edge.port, '/never-cached');
      assert.equal(miss.status, 502);
      assert.equal((JSON.parse(miss.text) as { error: { code: string } }).error.code, 'origin_unreachable');
    } finally {
      await edge.close();
      await origin.close();
    }
  });

  test('an origin timeout with a stale copy allowed by the zone serves it; without one it is 504', async () => {
    let hang = false;
    const origin = await startOrigin((_req, res) => {
      if (hang) return;
      res.setHeader('cache-control', 'max-age=0');
      res.end('cached before the hang');
    });
    const edge = await startEdge({
      origins: [origin.url],
      cache: { serveStaleOnErrorSeconds: 60 },
      limits: { headersTimeoutMs: 300 },
    });
    try {
      await httpRequest(edge.port, '/t');
      hang = true;
      const r = await httpRequest(edge.port, '/t');
      assert.equal(r.status, 200);
      assert.equal(r.text, 'cached before the hang');
      assert.match(String(r.headers['cache-status']), /fwd=stale.*detail=.*timeout/);
      assert.equal((await httpRequest(edge.port, '/never-cached')).status, 504);
    } finally {
      await edge.close();
      await origin.close();
    }
  });
});
