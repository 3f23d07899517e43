import { describe, test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startOrigin, type TestOrigin } from '../../helpers/origin-server.js';
import { startEdge, type TestEdge } from '../../helpers/edge-harness.js';
import { rawExchange, statusesIn } from '../../helpers/http-client.js';

describe('request smuggling and framing defences (raw sockets)', { timeout: 20_000 }, () => {
  let origin: TestOrigin;
  let edge: TestEdge;
  before(async () => {
    origin = await startOrigin((req, res, body) => res.end(`${req.method} ${req.url} ${body.length}`));
    edge = await startEdge({ origins: [origin.url], limits: { maxHeaderBytes: 4096 } });
  });
  after(async () => {
    await edge.close();
    await origin.close();
  });

  const smuggled = () => origin.requests.filter((r) => r.url.includes('smuggled')).length;

  test('Content-Length together with Transfer-Encoding is 400 and the connection closes', async () => {
    const r = await rawExchange(
      edge.port,
      'POST / HTTP/1.1\r\nHost: example.com\r\nContent-Length: 4\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\nGET /smuggled HTTP/1.1\r\nHost: example.com\r\n\r\n',
    );
    assert.equal(r.status, 400);
    assert.match(r.raw, /Cache-Status: edge-test/i);
    assert.ok(r.closed);
    assert.deepEqual(statusesIn(r.raw), [400]);
    assert.equal(smuggled(), 0);
  });

  test('duplicate Content-Length (conflicting) is 400', async () => {
    const r = await rawExchange(
      edge.port,
      'POST / HTTP/1.1\r\nHost: example.com\r\nContent-Length: 3\r\nContent-Length: 40\r\n\r\nabc',
    );
    assert.equal(r.status, 400);
    assert.ok(r.closed);
  });

  test('duplicate Content-Length (same value) is 400 too', async () => {
    const r = await rawExchange(
      edge.port,
      'POST / HTTP/1.1\r\nHost: example.com\r\nContent-Length: 3\r\nContent-Length: 3\r\n\r\nabc',
    );
    assert.equal(r.status, 400);
  });

  test('an obfuscated Transfer-Encoding is not accepted', async () => {
    const r = await rawExchange(
      edge.port,
      'POST / HTTP/1.1\r\nHost: example.com\r\nContent-Length: 4\r\nTransfer-Encoding: xchunked\r\n\r\n0\r\n\r\nGET /smuggled HTTP/1.1\r\nHost: example.com\r\n\r\n',
    );
    assert.equal(r.status, 400);
    assert.equal(smuggled(), 0);
  });

  test('invalid chunked framing is 400', async () => {
    const r = await rawExchange(
      edge.port,
      'POST / HTTP/1.1\r\nHost: example.com\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\nabc\r\n0\r\n\r\n',
    );
    assert.ok(statusesIn(r.raw).includes(400), r.raw);
    assert.ok(r.closed);
  });

  test('headers larger than maxHeaderBytes are 431', async () => {
    const r = await rawExchange(
      edge.port,
      `GET / HTTP/1.1\r\nHost: example.com\r\nX-Big: ${'a'.repeat(8000)}\r\n\r\n`,
    );
    assert.equal(r.status, 431);
    assert.ok(r.closed);
  });

  test('a well-formed chunked request still works', async () => {
    const r = await rawExchange(
      edge.port,
      'POST /ok HTTP/1.1\r\nHost: example.com\r\nTransfer-Encoding: chunked\r\nConnection: close\r\n\r\n3\r\nabc\r\n0\r\n\r\n',
    );
    assert.equal(r.status, 200);
    assert.match(r.raw, /POST \/ok 3/);
  });
});
