import { describe, test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startOrigin, type TestOrigin } from '../../helpers/origin-server.js';
import { startEdge, type TestEdge } from '../../helpers/edge-harness.js';
import { httpRequest } from '../../helpers/http-client.js';

describe('serving from the cache', { timeout: 30_000 }, () => {
  let origin: TestOrigin;
  let edge: TestEdge;
  before(async () => {
    origin = await startOrigin((req, res) => {
      const url = req.url ?? '';
      if (url.startsWith('/vary-star')) {
        res.setHeader('cache-control', 'max-age=600');
        res.setHeader('vary', '*');
        return void res.end('star');
      }
      if (url.startsWith('/vary')) {
        res.setHeader('cache-control', 'max-age=600');
        res.setHeader('vary', 'Accept-Language');
        return void res.end(`lang=${String(req.headers['accept-language'] ?? '')}`);
      }
      if (url.startsWith('/no-store')) {
        res.setHeader('cache-control', 'no-store');
        return void res.end('nostore');
      }
      if (url.startsWith('/cdn')) {
        res.setHeader('cache-control', 'no-cache');
        res.setHeader('cdn-cache-control', 'max-age=600');
        res.setHeader('surrogate-control', 'max-age=600');
        res.setHeader('surrogate-key', 'a b');
        res.setHeader('cache-tag', 'c');
        return void res.end('cdn');
      }
      res.setHeader('cache-control', 'public, max-age=600');
      res.setHeader('etag', '"e1"');
      res.setHeader('last-modified', 'Mon, 01 Jan 2024 00:00:00 GMT');
      res.setHeader('content-type', 'text/plain');
      res.end(`0123456789abcdef:${url}`);
    });
    edge = await startEdge({ origins: [origin.url] });
  });
  after(async () => {
    await edge.close();
    await origin.close();
  });

  test('a miss is stored and the second request is a hit with Age and ttl', async () => {
    const first = await httpRequest(edge.port, '/a');
    assert.equal(first.status, 200);
    assert.match(String(first.headers['cache-status']), /^edge-test; fwd=uri-miss; stored/);
    const second = await httpRequest(edge.port, '/a');
    assert.equal(second.text, '0123456789abcdef:/a');
    assert.match(String(second.headers['cache-status']), /^edge-test; hit; ttl=\d+/);
    assert.match(String(second.headers.age), /^\d+$/);
    assert.equal(second.headers.etag, '"e1"');
    assert.equal(second.headers['content-length'], String(second.body.length));
    assert.equal(origin.count('/a'), 1);
  });

  test('HEAD is answered from the stored GET', async () => {
    await httpRequest(edge.port, '/head');
    const h = await httpRequest(edge.port, '/head', { method: 'HEAD' });
    assert.equal(h.status, 200);
    assert.equal(h.body.length, 0);
    assert.equal(h.headers['content-length'], String('0123456789abcdef:/head'.length));
    assert.match(String(h.headers['cache-status']), /; hit/);
    assert.equal(origin.count('/head'), 1);
  });

  test('a HEAD miss is forwarded as HEAD and stores nothing', async () => {
    const h = await httpRequest(edge.port, '/head-miss', { method: 'HEAD' });
    assert.equal(h.status, 200);
    assert.equal(h.body.length, 0);
    assert.equal(origin.requests.at(-1)!.method, 'HEAD');
    const g = await httpRequest(edge.port, '/head-miss');
    assert.match(String(g.headers['cache-status']), /fwd=uri-miss/);
  });

  test('client conditional requests are answered from the cache: 304 and 412', async () => {
    await httpRequest(edge.port, '/cond');
    const nm = await httpRequest(edge.port, '/cond', { headers: { 'if-none-match': '"e1"' } });
    assert.equal(nm.status, 304);
    assert.equal(nm.headers.etag, '"e1"');
    assert.match(String(nm.headers['cache-status']), /; hit/);
    const changed = await httpRequest(edge.port, '/cond', { headers: { 'if-none-match': '"other"' } });
    assert.equal(changed.status, 200);
    const pf = await httpRequest(edge.port, '/cond', { headers: { 'if-match': '"other"' } });
    assert.equal(pf.status, 412);
    assert.ok(pf.headers['cache-status']);
    assert.equal(origin.count('/cond'), 1);
  });

  test('a conditional request on a miss fills the cache and is answered 304', async () => {
    const r = await httpRequest(edge.port, '/cond-miss', { headers: { 'if-none-match': '"e1"' } });
    assert.equal(r.status, 304);
    const seen = origin.requests.find((q) => q.url === '/cond-miss')!;
    assert.equal(seen.headers['if-none-match'], undefined, 'the fill asked for the full object');
    assert.equal((await httpRequest(edge.port, '/cond-miss')).text, '0123456789abcdef:/cond-miss');
    assert.equal(origin.count('/cond-miss'), 1);
  });

  test('Range on a cached object: 206, If-Range, 416', async () => {
    await httpRequest(edge.port, '/range');
    const r = await httpRequest(edge.port, '/range', { headers: { range: 'bytes=2-5' } });
    assert.equal(r.status, 206);
    assert.equal(r.text, '2345');
    assert.equal(r.headers['content-range'], `bytes 2-5/${'0123456789abcdef:/range'.length}`);
    assert.match(String(r.headers['cache-status']), /; hit/);
    const suffix = await httpRequest(edge.port, '/range', { headers: { range: 'bytes=-6' } });
    assert.equal(suffix.status, 206);
    assert.equal(suffix.text, '/range');
    const stale = await httpRequest(edge.port, '/range', {
      headers: { range: 'bytes=2-5', 'if-range': '"old"' },
    });
    assert.equal(stale.status, 200, 'If-Range with another validator gets the whole object');
    assert.equal(stale.text, '0123456789abcdef:/range');
    const ok = await httpRequest(edge.port, '/range', {
      headers: { range: 'bytes=2-5', 'if-range': '"e1"' },
    });
    assert.equal(ok.status, 206);
    const bad = await httpRequest(edge.port, '/range', { headers: { range: 'bytes=1000-2000' } });
    assert.equal(bad.status, 416);
    assert.equal(bad.headers['content-range'], `bytes */${'0123456789abcdef:/range'.length}`);
    assert.ok(bad.headers['cache-status']);
    assert.equal(origin.count('/range'), 1);
  });

  test('a Range request on a miss fills the whole object, then answers 206', async () => {
    const r = await httpRequest(edge.port, '/range-miss', { headers: { range: 'bytes=0-3' } });
    assert.equal(r.status, 206);
    assert.equal(r.text, '0123');
    assert.equal(origin.requests.find((q) => q.url === '/range-miss')!.headers.range, undefined);
  });

  test('Vary: one stored variant per Accept-Language value', async () => {
    const en = await httpRequest(edge.port, '/vary', { headers: { 'accept-language': 'en' } });
    const fr = await httpRequest(edge.port, '/vary', { headers: { 'accept-language': 'fr' } });
    assert.equal(en.text, 'lang=en');
    assert.equal(fr.text, 'lang=fr');
    assert.match(String(fr.headers['cache-status']), /fwd=vary-miss/);
    const en2 = await httpRequest(edge.port, '/vary', { headers: { 'accept-language': 'en' } });
    const fr2 = await httpRequest(edge.port, '/vary', { headers: { 'accept-language': 'fr' } });
    assert.equal(en2.text, 'lang=en');
    assert.equal(fr2.text, 'lang=fr');
    assert.match(String(en2.headers['cache-status']), /; hit/);
    assert.match(String(fr2.headers['cache-status']), /; hit/);
    assert.equal(origin.count('/vary'), 2);
  });

  test('Vary: * is never reused', async () => {
    await httpRequest(edge.port, '/vary-star');
    const r = await httpRequest(edge.port, '/vary-star');
    assert.doesNotMatch(String(r.headers['cache-status']), /; hit/);
    assert.equal(origin.count('/vary-star'), 2);
  });

  test('no-store responses are not stored', async () => {
    await httpRequest(edge.port, '/no-store');
    const r = await httpRequest(edge.port, '/no-store');
    assert.doesNotMatch(String(r.headers['cache-status']), /; hit|stored/);
    assert.equal(origin.count('/no-store'), 2);
  });

  test('CDN-Cache-Control drives the edge; it, Surrogate-* and Cache-Tag never reach clients', async () => {
    const first = await httpRequest(edge.port, '/cdn');
    const second = await httpRequest(edge.port, '/cdn');
    for (const r of [first, second]) {
      for (const h of ['cdn-cache-control', 'surrogate-control', 'surrogate-key', 'cache-tag'])
        assert.equal(r.headers[h], undefined, h);
      assert.equal(r.headers['cache-control'], 'no-cache');
    }
    assert.match(String(second.headers['cache-status']), /; hit/);
    assert.equal(origin.count('/cdn'), 1);
  });

  test('tags from Surrogate-Key / Cache-Tag purge the object', async () => {
    assert.match(String((await httpRequest(edge.port, '/cdn')).headers['cache-status']), /; hit/);
    const n = edge.edge.applyPurge({ zone: 'z1', kind: 'tag', value: 'b', soft: false });
    assert.equal(n, 1);
    assert.doesNotMatch(String((await httpRequest(edge.port, '/cdn')).headers['cache-status']), /; hit/);
  });

  test('purge by URL (all variants), by prefix, soft purge and whole zone', async () => {
    await httpRequest(edge.port, '/p/one');
    await httpRequest(edge.port, '/p/two');
    await httpRequest(edge.port, '/q/three');
    assert.equal(
      edge.edge.applyPurge({ zone: 'z1', kind: 'url', value: 'http://EXAMPLE.com/p/%6Fne', soft: false }),
      1,
    );
    assert.doesNotMatch(String((await httpRequest(edge.port, '/p/one')).headers['cache-status']), /; hit/);
    assert.equal(
      edge.edge.applyPurge({ zone: 'z1', kind: 'prefix', value: 'http://example.com/p/', soft: false }),
      2,
    );
    const countBefore = origin.count('/q/three');
    assert.equal(
      edge.edge.applyPurge({ zone: 'z1', kind: 'url', value: 'http://example.com/q/three', soft: true }),
      1,
    );
    const soft = await httpRequest(edge.port, '/q/three');
    assert.doesNotMatch(String(soft.headers['cache-status']), /; hit; ttl/);
    assert.equal(origin.count('/q/three'), countBefore + 1, 'a soft-purged object is revalidated');
    assert.equal(origin.requests.at(-1)!.headers['if-none-match'], '"e1"');
    assert.ok(edge.edge.applyPurge({ zone: 'z1', kind: 'zone', soft: false }) >= 3);
    assert.doesNotMatch(String((await httpRequest(edge.port, '/a')).headers['cache-status']), /; hit/);
  });
});

describe('large objects', { timeout: 60_000 }, () => {
  const threshold = 64 * 1024;
  // Above the threshold but below the store's 1 MiB default: were the option ignored, it would sit in memory.
  const bigSize = 512 * 1024 + 17;
  const smallSize = 16 * 1024 + 3;
  const bytes = (size: number, mod: number): Buffer => {
    const b = Buffer.alloc(size);
    for (let i = 0; i < size; i++) b[i] = i % mod;
    return b;
  };
  const big = bytes(bigSize, 251);
  const small = bytes(smallSize, 241);
  let origin: TestOrigin;
  before(async () => {
    origin = await startOrigin((req, res) => {
      const body = (req.url ?? '').endsWith('/big.bin') ? big : small;
      res.setHeader('cache-control', 'max-age=600');
      res.setHeader('content-length', String(body.length));
      res.end(body);
    });
  });
  after(async () => {
    await origin.close();
  });

  const variants = (edge: TestEdge, path: string) => edge.store.variants(`z1\nexample.com${path}`);
  /** The stored entry, once the fill's commit (a rename into place for a spilled body) has landed. */
  async function storedEntry(edge: TestEdge, path: string) {
    for (let i = 0; i < 500; i++) {
      const [entry] = variants(edge, path);
      if (entry !== undefined) return entry;
      await new Promise((r) => setTimeout(r, 10));
    }
    return assert.fail(`${path} was never stored`);
  }

  test('a body larger than the memory object threshold is streamed through, stored on disk, and served again', async () => {
    const edge = await startEdge({ origins: [origin.url], disk: true, memoryObjectMaxBytes: threshold });
    try {
      const first = await httpRequest(edge.port, '/disk/big.bin');
      assert.equal(first.body.length, bigSize);
      assert.ok(first.body.equals(big));
      const entry = await storedEntry(edge, '/disk/big.bin');
      assert.equal(entry.meta.bodySize, bigSize);
      assert.equal(entry.body, null, 'a body above the threshold is stored on disk only');
      assert.ok(edge.store.stats().memoryBytes < bigSize, 'the memory tier does not count it');

      const second = await httpRequest(edge.port, '/disk/big.bin');
      assert.match(String(second.headers['cache-status']), /; hit/);
      assert.ok(second.body.equals(big));
      const tail = await httpRequest(edge.port, '/disk/big.bin', {
        headers: { range: `bytes=${bigSize - 10}-` },
      });
      assert.equal(tail.status, 206);
      assert.equal(tail.headers['content-range'], `bytes ${bigSize - 10}-${bigSize - 1}/${bigSize}`);
      assert.ok(tail.body.equals(big.subarray(bigSize - 10)));
      const middle = await httpRequest(edge.port, '/disk/big.bin', {
        headers: { range: `bytes=1000-${threshold + 999}` },
      });
      assert.equal(middle.status, 206);
      assert.ok(middle.body.equals(big.subarray(1000, threshold + 1000)));
      assert.equal(origin.count('/disk/big.bin'), 1);
      // Hits read it from the file and do not bring it into memory.
      assert.equal(variants(edge, '/disk/big.bin')[0]!.body, null);
      assert.ok(edge.store.stats().memoryBytes < bigSize);

      // A body below the threshold is held in memory (and written through to disk).
      const a = await httpRequest(edge.port, '/disk/small.bin');
      assert.ok(a.body.equals(small));
      const smallEntry = await storedEntry(edge, '/disk/small.bin');
      assert.ok(smallEntry.body !== null && smallEntry.body.equals(small), 'held in memory');
      assert.ok(edge.store.stats().memoryBytes >= smallSize);
      const b = await httpRequest(edge.port, '/disk/small.bin');
      assert.match(String(b.headers['cache-status']), /; hit/);
      assert.ok(b.body.equals(small));
      assert.equal(origin.count('/disk/small.bin'), 1);
    } finally {
      await edge.close();
    }
  });

  test('without a disk tier a body above the threshold is streamed through and not cached', async () => {
    const edge = await startEdge({ origins: [origin.url], memoryObjectMaxBytes: threshold });
    try {
      for (let i = 1; i <= 2; i++) {
        const r = await httpRequest(edge.port, '/mem/big.bin');
        assert.equal(r.status, 200);
        assert.ok(r.body.equals(big));
        assert.doesNotMatch(String(r.headers['cache-status']), /; hit/);
        // A request collapsed onto a fill that stored nothing asks the origin itself, so this counts both.
        assert.equal(origin.count('/mem/big.bin'), i);
      }
      assert.equal(variants(edge, '/mem/big.bin').length, 0);

      await httpRequest(edge.port, '/mem/small.bin');
      const entry = await storedEntry(edge, '/mem/small.bin');
      assert.ok(entry.body !== null && entry.body.equals(small));
      const hit = await httpRequest(edge.port, '/mem/small.bin');
      assert.match(String(hit.headers['cache-status']), /; hit/);
      assert.ok(hit.body.equals(small));
      assert.equal(origin.count('/mem/small.bin'), 1);
    } finally {
      await edge.close();
    }
  });
});
