import { describe, test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import http from 'node:http';
import { startOrigin, type TestOrigin } from '../../helpers/origin-server.js';
import { startEdge, type TestEdge } from '../../helpers/edge-harness.js';
import { httpRequest } from '../../helpers/http-client.js';

describe('edge forwarding to the origin', () => {
  let origin: TestOrigin;
  let edge: TestEdge;
  before(async () => {
    origin = await startOrigin();
    edge = await startEdge({ origins: [origin.url], trustedProxies: [] });
  });
  after(async () => {
    await edge.close();
    await origin.close();
  });

  test('strips hop-by-hop headers (also those named in Connection) and sets Via / X-Forwarded-*', async () => {
    origin.handle((_req, res) => {
      res.setHeader('cache-control', 'no-store');
      res.setHeader('x-origin-private', 'secret-hop');
      res.setHeader('connection', 'x-origin-private');
      res.setHeader('keep-alive', 'timeout=77');
      res.end('fwd');
    });
    const r = await httpRequest(edge.port, '/fwd/1', {
      headers: {
        connection: 'x-secret-hop, keep-alive',
        'x-secret-hop': 'must-not-pass',
        'keep-alive': 'timeout=99',
        te: 'trailers',
        'proxy-authorization': 'Basic Zm9vOmJhcg==',
        via: '1.1 downstream-proxy',
        'x-forwarded-for': '203.0.113.9',
        'x-forwarded-proto': 'ftp',
        'x-custom': 'kept',
      },
    });
    assert.equal(r.status, 200);
    assert.equal(r.text, 'fwd');
    const seen = origin.requests.at(-1)!;
    assert.equal(seen.headers['x-secret-hop'], undefined);
    assert.equal(seen.headers['keep-alive'], undefined);
    assert.equal(seen.headers.te, undefined);
    assert.equal(seen.headers['proxy-authorization'], undefined);
    assert.equal(seen.headers['x-custom'], 'kept');
    assert.equal(seen.headers.via, '1.1 downstream-proxy, 1.1 edge-test');
    // The peer (127.0.0.1) is not a trusted proxy: its X-Forwarded-For claim is replaced, not extended.
    assert.equal(seen.headers['x-forwarded-for'], '127.0.0.1');
    assert.equal(seen.headers['x-forwarded-proto'], 'http');
    assert.equal(seen.headers['x-forwarded-host'], 'example.com');
    assert.equal(seen.headers.host, 'example.com');
    // And the origin's hop-by-hop headers do not reach the client.
    assert.equal(r.headers['x-origin-private'], undefined);
    assert.notEqual(r.headers['keep-alive'], 'timeout=77');
    assert.match(String(r.headers.via), /1\.1 edge-test/);
    assert.match(String(r.headers['cache-status']), /^edge-test; fwd=/);
  });

  test('drops client override headers that could poison the cache', async () => {
    origin.handle((_req, res) => res.end('x'));
    await httpRequest(edge.port, '/fwd/2', {
      headers: {
        'x-forwarded-host': 'evil.example',
        'x-forwarded-server': 'evil.example',
        'x-host': 'evil.example',
        'x-original-url': '/admin',
        'x-rewrite-url': '/admin',
        'x-http-method-override': 'DELETE',
        forwarded: 'for=1.2.3.4;host=evil.example',
      },
    });
    const seen = origin.requests.at(-1)!;
    assert.equal(seen.headers['x-forwarded-host'], 'example.com');
    for (const h of [
      'x-forwarded-server',
      'x-host',
      'x-original-url',
      'x-rewrite-url',
      'x-http-method-override',
      'forwarded',
    ]) {
      assert.equal(seen.headers[h], undefined, h);
    }
  });

  test('cache poisoning through X-Forwarded-Host: the cached object names the real host only', async () => {
    origin.handle((req, res) => {
      res.setHeader('cache-control', 'max-age=300');
      res.setHeader('content-type', 'text/html');
      res.end(
        `<script src="https://${String(req.headers['x-forwarded-host'] ?? req.headers.host)}/app.js"></script>`,
      );
    });
    const attack = await httpRequest(edge.port, '/poison', {
      headers: { 'x-forwarded-host': 'evil.example' },
    });
    assert.equal(attack.status, 200);
    assert.doesNotMatch(attack.text, /evil/);
    const victim = await httpRequest(edge.port, '/poison');
    assert.match(String(victim.headers['cache-status']), /; hit/);
    assert.equal(victim.text, '<script src="https://example.com/app.js"></script>');
  });

  test('Host to the origin is the zone originHost when configured', async () => {
    const o2 = await startOrigin((req, res) => res.end(String(req.headers.host)));
    const e2 = await startEdge({ origins: [o2.url], originHost: 'backend.internal' });
    try {
      const r = await httpRequest(e2.port, '/h', { host: 'www.example.com' });
      assert.equal(r.text, 'backend.internal');
      assert.equal(o2.requests[0]!.headers['x-forwarded-host'], 'www.example.com');
    } finally {
      await e2.close();
      await o2.close();
    }
  });

  test('a zone with several origins spreads requests over them', async () => {
    const a = await startOrigin((_req, res) => res.end('a'));
    const b = await startOrigin((_req, res) => res.end('b'));
    const e2 = await startEdge({ origins: [a.url, b.url] });
    try {
      const seen = new Set<string>();
      for (let i = 0; i < 20 && seen.size < 2; i++) {
        const r = await httpRequest(e2.port, `/spread/${i}`, { headers: { 'cache-control': 'no-store' } });
        seen.add(r.text);
      }
      assert.deepEqual([...seen].sort(), ['a', 'b']);
    } finally {
      await e2.close();
      await a.close();
      await b.close();
    }
  });

  test('a trusted proxy peer gets its X-Forwarded-For chain extended', async () => {
    const o2 = await startOrigin((_req, res) => res.end('t'));
    const e2 = await startEdge({ origins: [o2.url], trustedProxies: ['127.0.0.1'] });
    try {
      await httpRequest(e2.port, '/t', { headers: { 'x-forwarded-for': '198.51.100.7' } });
      assert.equal(o2.requests[0]!.headers['x-forwarded-for'], '198.51.100.7, 127.0.0.1');
    } finally {
      await e2.close();
      await o2.close();
    }
  });

  test('streams a large request body to the origin and a large response body back', async () => {
    const size = 8 * 1024 * 1024;
    origin.handle((req, res, body) => {
      res.setHeader('cache-control', 'no-store');
      res.setHeader('x-upload-sha', createHash('sha256').update(body).digest('hex'));
      // Chunked response, written in pieces.
      let sent = 0;
      const piece = Buffer.alloc(64 * 1024, 0x61);
      const pump = () => {
        while (sent < size) {
          sent += piece.length;
          if (!res.write(piece)) return void res.once('drain', pump);
        }
        res.end();
      };
      pump();
    });
    const upload = Buffer.alloc(size, 0x62);
    const r = await httpRequest(edge.port, '/upload', {
      method: 'POST',
      body: upload,
      headers: { 'content-type': 'application/octet-stream' },
    });
    assert.equal(r.status, 200);
    assert.equal(r.headers['x-upload-sha'], createHash('sha256').update(upload).digest('hex'));
    assert.equal(r.body.length, size);
  });

  test('streams the response: the client sees the first bytes before the origin has finished', async () => {
    let release!: () => void;
    const gate = new Promise<void>((resolve) => (release = resolve));
    origin.handle(async (_req, res) => {
      res.setHeader('cache-control', 'max-age=60');
      res.write('first-part;');
      await gate;
      res.end('second-part');
    });
    const text = await new Promise<string>((resolve, reject) => {
      const req = http.get(
        {
          host: '127.0.0.1',
          port: edge.port,
          path: '/stream',
          headers: { host: 'example.com' },
          agent: false,
        },
        (res) => {
          let acc = '';
          res.setEncoding('utf8');
          res.on('data', (c: string) => {
            acc += c;
            if (acc === 'first-part;') release();
          });
          res.on('end', () => resolve(acc));
        },
      );
      req.on('error', reject);
    });
    assert.equal(text, 'first-part;second-part');
    const again = await httpRequest(edge.port, '/stream');
    assert.equal(again.text, 'first-part;second-part');
    assert.match(String(again.headers['cache-status']), /; hit/);
  });
});
