import { describe, test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startOrigin, type TestOrigin } from '../../helpers/origin-server.js';
import { startEdge, zone, type TestEdge } from '../../helpers/edge-harness.js';
import { httpRequest, rawExchange } from '../../helpers/http-client.js';

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
      if (req.url === '/articles/new') res.setHeader('content-location', '/articles/18');
      if (req.url === '/other-site') {
        // Another zone's host, and another host of this same zone: both are other origins (RFC 9111 4.4).
        res.setHeader('location', 'http://other.example/shared');
        res.setHeader('content-location', 'http://www.example.com/shared');
      }
      res.end(`${req.method} got ${body.length} bytes: ${body.toString()}`);
    });
    edge = await startEdge({
      zones: [
        zone('z1', ['example.com', 'www.example.com'], [origin.url]),
        zone('z2', ['other.example'], [origin.url]),
      ],
    });
  });
  after(async () => {
    await edge.close();
    await origin.close();
  });

  const isHit = async (path: string, host = 'example.com') =>
    /; hit/.test(String((await httpRequest(edge.port, path, { host })).headers['cache-status']));
  const cache = async (path: string, host = 'example.com') => {
    await httpRequest(edge.port, path, { host });
    assert.ok(await isHit(path, host), `${host}${path} is cached`);
  };
  const withStatus = async (status: number, fn: () => Promise<void>) => {
    postStatus = status;
    try {
      await fn();
    } finally {
      postStatus = 200;
    }
  };

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

  test('Location and Content-Location of a successful POST are invalidated too', async () => {
    await cache('/articles/17');
    await cache('/articles/18');
    await httpRequest(edge.port, '/articles', { method: 'POST', body: 'new' });
    assert.equal(await isHit('/articles/17'), false, 'Location');
    assert.ok(await isHit('/articles/18'), 'not named by that POST');
    const r = await httpRequest(edge.port, '/articles/new', { method: 'POST', body: 'new' });
    assert.equal(r.headers['content-location'], '/articles/18');
    assert.equal(await isHit('/articles/18'), false, 'Content-Location');
  });

  test('Location and Content-Location on another origin invalidate nothing there', async () => {
    await cache('/shared', 'other.example');
    await cache('/shared', 'www.example.com');
    await cache('/other-site');
    const r = await httpRequest(edge.port, '/other-site', { method: 'POST', body: 'x' });
    assert.equal(r.status, 200);
    assert.equal(r.headers.location, 'http://other.example/shared');
    assert.equal(r.headers['content-location'], 'http://www.example.com/shared');
    assert.equal(await isHit('/other-site'), false, 'the target itself is invalidated');
    assert.ok(await isHit('/shared', 'other.example'), "another zone's object is untouched");
    assert.ok(await isHit('/shared', 'www.example.com'), 'another host of the same zone is another origin');
  });

  // RFC 9111 4.4 covers "methods whose safety is unknown": every method not known safe invalidates. node:http
  // parses only the methods llhttp knows (a made-up one is a 400, tested below), so these are ones it knows.
  for (const method of ['PROPPATCH', 'MKCOL', 'LOCK', 'UNLINK', 'PURGE']) {
    test(`a 2xx to ${method} invalidates the cached GET; a 4xx or 5xx does not`, async () => {
      const path = `/dav-${method}`;
      for (const status of [404, 503]) {
        await cache(path);
        await withStatus(status, async () => {
          const r = await httpRequest(edge.port, path, { method, body: 'x' });
          assert.equal(r.status, status);
          assert.match(String(r.headers['cache-status']), /fwd=method/);
        });
        assert.ok(await isHit(path), `a ${status} to ${method} invalidates nothing`);
      }
      const r = await httpRequest(edge.port, path, { method, body: 'x' });
      assert.equal(r.text, `${method} got 1 bytes: x`);
      assert.equal(await isHit(path), false, `a 200 to ${method} invalidates`);
    });
  }

  for (const method of ['OPTIONS', 'PROPFIND', 'REPORT', 'SEARCH']) {
    test(`a 2xx to the safe method ${method} invalidates nothing`, async () => {
      const path = `/safe-${method}`;
      await cache(path);
      const r = await httpRequest(edge.port, path, { method });
      assert.equal(r.status, 200);
      assert.equal(r.text, `${method} got 0 bytes: `, 'forwarded to the origin');
      assert.ok(await isHit(path));
    });
  }

  test('a made-up method is refused by the HTTP parser and never reaches the origin', async () => {
    await cache('/frob');
    const before = origin.count('/frob');
    const r = await rawExchange(edge.port, 'FROB /frob HTTP/1.1\r\nHost: example.com\r\n\r\n');
    assert.equal(r.status, 400);
    assert.equal(origin.count('/frob'), before);
    assert.ok(await isHit('/frob'));
  });

  test('a failed unsafe request invalidates nothing', async () => {
    await cache('/keep');
    await withStatus(500, async () => {
      await httpRequest(edge.port, '/keep', { method: 'POST', body: 'x' });
    });
    assert.ok(await isHit('/keep'));
  });

  test('a POST answer is never stored', async () => {
    await httpRequest(edge.port, '/p', { method: 'POST', body: 'a' });
    assert.equal((await httpRequest(edge.port, '/p')).text, 'get /p');
  });
});
