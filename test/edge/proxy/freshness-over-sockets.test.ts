import { describe, test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import net from 'node:net';
import { once } from 'node:events';
import { startOrigin, type TestOrigin } from '../../helpers/origin-server.js';
import { metricValue, startEdge, type TestEdge } from '../../helpers/edge-harness.js';
import { httpRequest } from '../../helpers/http-client.js';

/**
 * RFC 9111 end to end: what the edge stores and for how long, judged only by what a client and the origin see
 * (the pure modules have their own unit tests; these prove the pipeline applies them).
 */
const DAY = 86_400_000;
const ttlOf = (r: { headers: Record<string, unknown> }) =>
  Number(/ttl=(-?\d+)/.exec(String(r.headers['cache-status']))?.[1] ?? NaN);
const isHit = (r: { headers: Record<string, unknown> }) => /; hit/.test(String(r.headers['cache-status']));

describe('freshness and storability over real sockets', { timeout: 30_000 }, () => {
  let origin: TestOrigin;
  let edge: TestEdge;
  before(async () => {
    origin = await startOrigin((req, res) => {
      const path = (req.url ?? '').split('?')[0]!;
      const lastModified = new Date(Date.now() - 10 * DAY).toUTCString();
      switch (path) {
        case '/aged': // already 100 s old when the origin's own cache passed it on
          res.setHeader('cache-control', 'max-age=600');
          res.setHeader('age', '100');
          break;
        case '/s-maxage':
          res.setHeader('cache-control', 'max-age=5, s-maxage=900');
          break;
        case '/expires':
          res.setHeader('date', new Date().toUTCString());
          res.setHeader('expires', new Date(Date.now() + 300_000).toUTCString());
          break;
        case '/heuristic-200':
        case '/heuristic-404':
        case '/heuristic-302':
          // No explicit freshness: only Last-Modified, ten days ago (10% of that: one day of heuristic freshness).
          res.setHeader('last-modified', lastModified);
          if (path === '/heuristic-404') res.statusCode = 404;
          if (path === '/heuristic-302') {
            res.statusCode = 302;
            res.setHeader('location', '/elsewhere');
          }
          break;
        case '/private':
          res.setHeader('cache-control', 'private, max-age=600');
          break;
        case '/auth-plain':
          res.setHeader('cache-control', 'max-age=600');
          break;
        case '/auth-public':
          res.setHeader('cache-control', 'public, max-age=600');
          break;
        case '/auth-s-maxage':
          res.setHeader('cache-control', 's-maxage=600');
          break;
        case '/auth-must-revalidate':
          res.setHeader('cache-control', 'max-age=600, must-revalidate');
          break;
        case '/surrogate':
          res.setHeader('cache-control', 'no-cache');
          res.setHeader('surrogate-control', 'max-age=700');
          break;
      }
      res.end(`${path} #${origin.count(req.url ?? '')}`);
    });
    edge = await startEdge({ origins: [origin.url] });
  });
  after(async () => {
    await edge.close();
    await origin.close();
  });

  test('Age counts the time the response already spent in caches upstream; ttl is what is left of it', async () => {
    const first = await httpRequest(edge.port, '/aged');
    assert.ok(Number(first.headers.age) >= 100, `age ${String(first.headers.age)}`);
    const second = await httpRequest(edge.port, '/aged');
    assert.ok(isHit(second));
    assert.ok(Number(second.headers.age) >= 100);
    const ttl = ttlOf(second);
    assert.ok(ttl <= 500 && ttl >= 495, `ttl ${ttl}`);
  });

  test('s-maxage wins over max-age for a shared cache; Expires gives freshness without Cache-Control', async () => {
    await httpRequest(edge.port, '/s-maxage');
    const s = await httpRequest(edge.port, '/s-maxage');
    assert.ok(isHit(s));
    assert.ok(ttlOf(s) > 800, `ttl ${ttlOf(s)}`);
    await httpRequest(edge.port, '/expires');
    const e = await httpRequest(edge.port, '/expires');
    assert.ok(isHit(e));
    assert.ok(ttlOf(e) > 250 && ttlOf(e) <= 300, `ttl ${ttlOf(e)}`);
  });

  test('heuristic freshness from Last-Modified, only for the status codes cacheable by default', async () => {
    for (const path of ['/heuristic-200', '/heuristic-404']) {
      await httpRequest(edge.port, path);
      const again = await httpRequest(edge.port, path);
      assert.ok(isHit(again), `${path}: ${String(again.headers['cache-status'])}`);
      // 10% of ten days, capped by nothing here: about a day.
      assert.ok(Math.abs(ttlOf(again) - 86_400) < 60, `${path} ttl ${ttlOf(again)}`);
      assert.equal(origin.count(path), 1);
    }
    // 302 is not cacheable by default: without explicit freshness it is never reused.
    await httpRequest(edge.port, '/heuristic-302');
    const redirect = await httpRequest(edge.port, '/heuristic-302');
    assert.equal(redirect.status, 302);
    assert.ok(!isHit(redirect));
    assert.equal(origin.count('/heuristic-302'), 2);
  });

  test('private responses are not stored by the shared cache', async () => {
    await httpRequest(edge.port, '/private');
    const again = await httpRequest(edge.port, '/private');
    assert.ok(!isHit(again));
    assert.equal(origin.count('/private'), 2);
  });

  test('a response to a request with Authorization is stored only with public, s-maxage or must-revalidate', async () => {
    const auth = { authorization: 'Bearer secret-of-one-user' };
    for (const [path, stored] of [
      ['/auth-plain', false],
      ['/auth-public', true],
      ['/auth-s-maxage', true],
      ['/auth-must-revalidate', true],
    ] as const) {
      await httpRequest(edge.port, path, { headers: auth });
      const again = await httpRequest(edge.port, path, { headers: auth });
      assert.equal(isHit(again), stored, `${path}: ${String(again.headers['cache-status'])}`);
      assert.equal(origin.count(path), stored ? 1 : 2, path);
    }
  });

  test('Surrogate-Control alone drives the edge (over Cache-Control: no-cache) and never reaches clients', async () => {
    const first = await httpRequest(edge.port, '/surrogate');
    assert.equal(first.headers['surrogate-control'], undefined);
    assert.equal(first.headers['cache-control'], 'no-cache');
    const again = await httpRequest(edge.port, '/surrogate');
    assert.ok(isHit(again), String(again.headers['cache-status']));
    assert.ok(ttlOf(again) > 690 && ttlOf(again) <= 700, `ttl ${ttlOf(again)}`);
    assert.equal(again.headers['surrogate-control'], undefined);
    assert.equal(origin.count('/surrogate'), 1);
  });

  test('a stale copy served is counted as stale in the metrics', async () => {
    const stale = await startOrigin((_req, res) => {
      res.setHeader('cache-control', 'max-age=1, stale-while-revalidate=60');
      res.end('sw');
    });
    const e = await startEdge({ origins: [stale.url] });
    try {
      await httpRequest(e.port, '/sw');
      await new Promise((r) => setTimeout(r, 2100));
      const before = await metricValue(e.registry, 'edgeward_requests_total', { cache: 'stale' });
      const r = await httpRequest(e.port, '/sw');
      assert.match(String(r.headers['cache-status']), /; hit; ttl=-\d+; detail="stale-while-revalidate"/);
      assert.equal(
        (await metricValue(e.registry, 'edgeward_requests_total', { cache: 'stale' })) - before,
        1,
      );
    } finally {
      await e.close();
      await stale.close();
    }
  });
});

/**
 * A port whose listener never accepts and whose accept queue is full: a connection attempt to it neither
 * succeeds nor is refused (the kernel drops the SYN), which is what a dead or overloaded origin looks like.
 */
async function blackholePort(): Promise<{ port: number; release: () => Promise<void> }> {
  const child = spawn(
    process.execPath,
    [
      '-e',
      "require('net').createServer().listen({ port: 0, host: '127.0.0.1', backlog: 1 }, function () { console.log(this.address().port) })",
    ],
    { stdio: ['ignore', 'pipe', 'inherit'] },
  );
  const [line] = (await once(child.stdout!, 'data')) as [Buffer];
  const port = Number(line.toString().trim());
  child.kill('SIGSTOP');
  const fillers: net.Socket[] = [];
  // Fill the accept queue until a connection attempt hangs.
  for (let i = 0; i < 64; i++) {
    const s = net.connect(port, '127.0.0.1');
    s.on('error', () => undefined);
    fillers.push(s);
    const connected = await Promise.race([
      once(s, 'connect').then(() => true),
      new Promise<boolean>((r) => setTimeout(() => r(false), 200)),
    ]);
    if (!connected) break;
  }
  return {
    port,
    release: async () => {
      for (const s of fillers) s.destroy();
      child.kill('SIGKILL');
      await once(child, 'exit');
    },
  };
}

describe('origin timeouts', { timeout: 30_000 }, () => {
  test('an origin that does not take the connection: 504 after the connect timeout, not a hang', async () => {
    const hole = await blackholePort();
    const edge = await startEdge({
      origins: [`http://127.0.0.1:${hole.port}`],
      limits: { connectTimeoutMs: 300 },
    });
    try {
      const started = Date.now();
      const r = await httpRequest(edge.port, '/');
      const took = Date.now() - started;
      assert.equal(r.status, 504, r.text);
      assert.match(String(r.headers['cache-status']), /detail=/);
      assert.ok(took >= 250 && took < 5000, `answered after ${took} ms`);
    } finally {
      await edge.close();
      await hole.release();
    }
  });

  test('a body that stops arriving is cut after the body timeout and not cached', async () => {
    const origin = await startOrigin((req, res) => {
      res.writeHead(200, { 'cache-control': 'max-age=600', 'content-length': '10' });
      res.write('12345'); // and nothing more
      if (req.url === '/never') return;
    });
    const edge = await startEdge({ origins: [origin.url], limits: { bodyTimeoutMs: 300 } });
    try {
      const started = Date.now();
      const outcome = await httpRequest(edge.port, '/never').then(
        (r) => `complete ${r.status} ${r.body.length}`,
        (e: Error) => `cut: ${e.message}`,
      );
      const took = Date.now() - started;
      assert.match(outcome, /^cut: /, 'the client sees the response end early, not a complete body');
      assert.ok(took >= 250 && took < 5000, `cut after ${took} ms`);
      // Nothing half-received was stored: the next request goes to the origin again.
      await httpRequest(edge.port, '/never').catch(() => undefined);
      assert.equal(origin.count('/never'), 2);
    } finally {
      await edge.close();
      await origin.close();
    }
  });
});
