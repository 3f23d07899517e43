import { describe, test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startOrigin, type TestOrigin } from '../../helpers/origin-server.js';
import { startEdge, type TestEdge } from '../../helpers/edge-harness.js';
import { httpRequest, rawExchange } from '../../helpers/http-client.js';

/** Over real sockets: a blocked URL stays blocked under any spelling a client can send, and only it is. */
describe('block rules against what clients send', { timeout: 20_000 }, () => {
  let origin: TestOrigin;
  let edge: TestEdge;
  before(async () => {
    origin = await startOrigin((req, res) => {
      res.setHeader('cache-control', 'max-age=600');
      res.end(`content of ${req.url}`);
    });
    edge = await startEdge({
      origins: [origin.url],
      rules: [
        {
          id: 1,
          match: 'exact',
          url: 'http://example.com/pirated.pdf',
          countries: null,
          notice: 'https://n.example/1',
        },
        {
          id: 2,
          match: 'exact',
          url: 'http://example.com/read?title=one&ch=2',
          countries: null,
          notice: 'https://n.example/2',
        },
        {
          id: 3,
          match: 'prefix',
          url: 'http://example.com/raw/',
          countries: null,
          notice: 'https://n.example/3',
        },
      ],
    });
  });
  after(async () => {
    await edge.close();
    await origin.close();
  });

  const status = async (path: string, host = 'example.com') =>
    (await httpRequest(edge.port, path, { host })).status;

  test('a rule without a query blocks its path whatever query is added', async () => {
    for (const p of ['/pirated.pdf', '/pirated.pdf?', '/pirated.pdf?page=2', '/pirated.pdf?utm_source=x&a=b'])
      assert.equal(await status(p), 451, p);
  });

  test('a rule with a query matches its parameters in any order, with extra ones, and not without them', async () => {
    for (const p of ['/read?title=one&ch=2', '/read?ch=2&title=one', '/read?x=1&ch=2&title=one&y=2'])
      assert.equal(await status(p), 451, p);
    for (const p of ['/read', '/read?title=one', '/read?title=one&ch=3'])
      assert.equal(await status(p), 200, p);
  });

  test('encoding, dot segments, host case, trailing dot and default port do not get past a rule', async () => {
    for (const p of [
      '/pirated%2Epdf',
      '/%70irated.pdf',
      '/./pirated.pdf',
      '/x/../pirated.pdf',
      '/raw/%7Euser',
      '/RAW/../raw/a',
    ])
      assert.equal(await status(p), 451, p);
    for (const host of ['EXAMPLE.com', 'example.com.', 'example.com:80'])
      assert.equal(await status('/pirated.pdf', host), 451, host);
    // An absolute-form target names the same resource.
    const raw = await rawExchange(
      edge.port,
      'GET http://example.com/pirated.pdf HTTP/1.1\r\nHost: example.com\r\n\r\n',
    );
    assert.equal(raw.status, 451);
  });

  test('a prefix rule stops at its prefix: a sibling path is served', async () => {
    assert.equal(await status('/raw/anything/deep'), 451);
    assert.equal(await status('/rawfile'), 200);
    assert.equal(await status('/pirated.pdf.txt'), 200);
    // Only what was served ever reached the origin: no spelling of a blocked URL did.
    const served = ['/read', '/read?title=one', '/read?title=one&ch=3', '/rawfile', '/pirated.pdf.txt'];
    assert.deepEqual([...new Set(origin.requests.map((r) => r.url))].sort(), served.sort());
  });
});
