import { describe, test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startOrigin, type TestOrigin } from '../../helpers/origin-server.js';
import { startEdge, type TestEdge } from '../../helpers/edge-harness.js';
import { httpRequest } from '../../helpers/http-client.js';

describe('unsafe methods', { timeout: 20_000 }, () => {
  let origin: TestOrigin;
  let edge: TestEdge;
  let postStatus = 200;
  before(async () => {
    origin = await startOrigin((req, res, body) => {
      if (req.method === 'GET') {
        res.setHeader('cache-control', 'max-age=600');
        return void res.end(`get ${req.url}`);
      }
      res.statusCode = postStatus;
      res.setHeader('cache-control', 'max-age=600');
      if (req.url === '/articles') res.setHeader('location', '/articles/17');
      if (req.url === '/other-site') res.setHeader('location', 'http://elsewhere.example/x');
      res.end(`${req.method} got ${body.length} bytes: ${body.toString()}`);
    });
    edge = await startEdge({ origins: [origin.url] });
  });
  after(async () => {
    await edge.close();
    await origin.close();
  });

  const isHit = async (path: string) =>
    /; hit/.test(String((await httpRequest(edge.port, path)).headers['cache-status']));

  for (const method of ['POST', 'PUT', 'PATCH', 'DELETE']) {
    test(`${method} passes through with its body, is never served from cache, and invalidates the URL`, async () => {
      const path = `/item-${method}`;
      await httpRequest(edge.port, path);
      assert.ok(await isHit(path));
      const before = origin.count(path);
      const r1 = await httpRequest(edge.port, path, {
        method,
        body: 'payload',
        headers: { 'content-type': 'text/plain' },
      });
      const r2 = await httpRequest(edge.port, path, { method, body: 'payload' });
      assert.equal(r1.text, `${method} got 7 bytes: payload`);
      assert.match(String(r2.headers['cache-status']), /fwd=method/);
      assert.equal(origin.count(path), before + 2);
      assert.equal(await isHit(path), false, 'the cached GET was invalidated');
    });
  }

  test('Location and Content-Location of a successful POST are invalidated too (same site only)', async () => {
    await httpRequest(edge.port, '/articles/17');
    await httpRequest(edge.port, '/articles');
    assert.ok(await isHit('/articles/17'));
    await httpRequest(edge.port, '/articles', { method: 'POST', body: 'new' });
    assert.equal(await isHit('/articles/17'), false);
  });

  test('a failed unsafe request invalidates nothing', async () => {
    await httpRequest(edge.port, '/keep');
    assert.ok(await isHit('/keep'));
    postStatus = 500;
    try {
      await httpRequest(edge.port, '/keep', { method: 'POST', body: 'x' });
    } finally {
      postStatus = 200;
    }
    assert.ok(await isHit('/keep'));
  });

  test('a POST answer is never stored', async () => {
    await httpRequest(edge.port, '/p', { method: 'POST', body: 'a' });
    assert.equal((await httpRequest(edge.port, '/p')).text, 'get /p');
  });
});
