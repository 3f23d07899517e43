import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import { appendFile, readdir, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { spawnSync } from 'node:child_process';
import { openTieredCacheStore, type TieredCacheStore } from '../../../src/edge/store/tiered-cache-store.js';
import { estimateDiskBytes, estimateMetaBytes } from '../../../src/edge/store/meta-size.js';
import { capturingLogger, meta, put, readAll, silent, withTempDir } from './store-fixtures.js';

const KiB = 1024;
const MiB = 1024 * KiB;
const GiB = 1024 * MiB;

function memOnly(memoryBytes: number, memoryObjectMaxBytes?: number): Promise<TieredCacheStore> {
  return openTieredCacheStore({
    memoryBytes,
    diskBytes: 0,
    dir: null,
    logger: silent,
    ...(memoryObjectMaxBytes ? { memoryObjectMaxBytes } : {}),
  });
}

async function bodyFiles(dir: string): Promise<Map<string, number>> {
  const out = new Map<string, number>();
  for (const sub of await readdir(join(dir, 'bodies'))) {
    for (const name of await readdir(join(dir, 'bodies', sub)))
      out.set(name, (await stat(join(dir, 'bodies', sub, name))).size);
  }
  return out;
}

describe('tiered cache store: memory tier', () => {
  test('stores, finds and streams a body, whole and by range', async () => {
    const store = await memOnly(MiB);
    const m = meta({ url: 'example.com/x', tags: ['t1'] });
    const e = await put(store, m, 'hello world');
    assert.ok(e);
    assert.equal(e.meta.bodySize, 11);
    assert.equal(e.meta.invalidated, false);
    const [found, ...rest] = store.variants(m.primaryKey);
    assert.equal(rest.length, 0);
    assert.ok(found);
    assert.equal(found.body?.toString(), 'hello world');
    assert.equal((await readAll(store.openBody(found))).toString(), 'hello world');
    assert.equal((await readAll(store.openBody(found, { start: 6, end: 10 }))).toString(), 'world');
    assert.equal((await readAll(store.openBody(found, { start: 0, end: 0 }))).toString(), 'h');
    assert.deepEqual(store.variants('nope'), []);
    await store.close();
  });

  test('a commit replaces the variant with the same keys and keeps other variants', async () => {
    const store = await memOnly(MiB);
    await put(store, meta({ varyKey: 'gzip' }), 'one');
    await put(store, meta({ varyKey: 'br' }), 'two');
    await put(store, meta({ varyKey: 'gzip' }), 'three');
    const vs = store.variants(meta().primaryKey);
    assert.deepEqual(vs.map((v) => `${v.meta.varyKey}=${v.body?.toString()}`).sort(), [
      'br=two',
      'gzip=three',
    ]);
    assert.equal(store.stats().objects, 2);
    await store.close();
  });

  test('a lookup with nothing changed hands out the same array (no allocation on the hit path)', async () => {
    const store = await memOnly(MiB);
    await put(store, meta({ varyKey: 'a' }), 'a');
    const first = store.variants(meta().primaryKey);
    assert.equal(store.variants(meta().primaryKey), first);
    assert.equal(store.variants('absent'), store.variants('also absent'));
    await store.close();
  });

  test('an array returned by variants() does not change under its holder', async () => {
    const store = await memOnly(MiB);
    await put(store, meta({ varyKey: 'a' }), 'a');
    const before = store.variants(meta().primaryKey);
    await put(store, meta({ varyKey: 'b' }), 'b');
    assert.equal(before.length, 1);
    assert.equal(store.variants(meta().primaryKey).length, 2);
    await store.close();
  });

  test('aborted and oversized writes store nothing', async () => {
    const store = await memOnly(MiB, 100);
    const w = store.createWriter(meta({ url: 'example.com/aborted' }));
    w.write(Buffer.from('partial'));
    w.abort();
    assert.equal(await w.commit(), null);
    assert.equal(await put(store, meta({ url: 'example.com/big' }), Buffer.alloc(101)), null);
    assert.ok(await put(store, meta({ url: 'example.com/fits' }), Buffer.alloc(100)));
    assert.equal(store.stats().objects, 1);
    await store.close();
  });

  test('memory bytes (bodies + metadata estimate) stay within the bound under churn', async () => {
    const limit = 64 * KiB;
    const store = await memOnly(limit);
    const keys = new Set<string>();
    let seed = 7;
    const rnd = (n: number): number => (seed = (seed * 1103515245 + 12345) & 0x7fffffff) % n;
    for (let i = 0; i < 600; i++) {
      const m = meta({ url: `example.com/${rnd(200)}`, tags: [`t${rnd(5)}`] });
      keys.add(m.primaryKey);
      await put(store, m, Buffer.alloc(100 + rnd(6000), i));
      const s = store.stats();
      assert.ok(s.memoryBytes <= limit, `memory ${s.memoryBytes} > ${limit}`);
      if (i % 50 === 0) store.purge({ kind: 'tag', zone: null, tag: `t${rnd(5)}` }, false);
    }
    // The accounting is exactly the sum over what is present.
    let sum = 0;
    let count = 0;
    for (const k of keys) {
      for (const e of store.variants(k)) {
        sum += e.body!.length + estimateMetaBytes(e.meta);
        count++;
      }
    }
    assert.equal(store.stats().objects, count);
    assert.equal(store.stats().memoryBytes, sum);
    assert.ok(count > 5, 'churn should leave objects in the cache');
    await store.close();
  });

  test('evicts the least recently used entry; a lookup counts as a use', async () => {
    const body = Buffer.alloc(1000);
    const one =
      1000 + estimateMetaBytes({ ...meta({ url: 'example.com/a' }), bodySize: 1000, invalidated: false });
    const store = await memOnly(3 * one + 10);
    const a = meta({ url: 'example.com/a' });
    const b = meta({ url: 'example.com/b' });
    const c = meta({ url: 'example.com/c' });
    const d = meta({ url: 'example.com/d' });
    await put(store, a, body);
    await put(store, b, body);
    await put(store, c, body);
    assert.equal(store.stats().objects, 3);
    store.variants(a.primaryKey); // a becomes most recent: b is now the oldest
    await put(store, d, body);
    assert.equal(store.variants(b.primaryKey).length, 0, 'b evicted');
    assert.equal(store.variants(a.primaryKey).length, 1);
    assert.deepEqual(
      store.memoryOrder().map((e) => e.meta.urlKey),
      ['example.com/a', 'example.com/d', 'example.com/c'],
    );
    await store.close();
  });

  test('updateHead replaces the head, clears invalidated and keeps the body', async () => {
    const store = await memOnly(MiB);
    const m = meta({ tags: ['x'] });
    await put(store, m, 'body');
    store.purge({ kind: 'key', primaryKey: m.primaryKey }, true);
    const stale = store.variants(m.primaryKey)[0]!;
    assert.equal(stale.meta.invalidated, true);
    const fresh = store.updateHead(stale, {
      status: 200,
      headers: { etag: '"v2"' },
      requestTime: 5,
      responseTime: 6,
    });
    assert.equal(fresh.meta.invalidated, false);
    assert.deepEqual(fresh.meta.headers, { etag: '"v2"' });
    assert.equal(fresh.meta.responseTime, 6);
    assert.equal(store.variants(m.primaryKey)[0], fresh);
    assert.equal((await readAll(store.openBody(fresh))).toString(), 'body');
    await store.close();
  });

  test('remove drops one entry; removing a stale reference twice is harmless', async () => {
    const store = await memOnly(MiB);
    const e = await put(store, meta({ varyKey: 'a' }), 'a');
    await put(store, meta({ varyKey: 'b' }), 'b');
    store.remove(e!);
    store.remove(e!);
    assert.deepEqual(
      store.variants(meta().primaryKey).map((v) => v.meta.varyKey),
      ['b'],
    );
    assert.equal(store.stats().objects, 1);
    await store.close();
  });

  test('rejects bad options naming the field', async () => {
    await assert.rejects(
      openTieredCacheStore({ memoryBytes: -1, diskBytes: 0, dir: null }),
      (e: Error & { field?: string }) => e.field === 'memoryBytes',
    );
    await assert.rejects(
      openTieredCacheStore({ memoryBytes: 1, diskBytes: 1.5, dir: '/tmp/x' }),
      (e: Error & { field?: string }) => e.field === 'diskBytes',
    );
  });
});

describe('tiered cache store: purge', () => {
  async function filled(): Promise<TieredCacheStore> {
    const store = await memOnly(16 * MiB);
    await put(store, meta({ zone: 'z1', url: 'a.com/img/1.png', tags: ['img', 'p1'] }), '1');
    await put(
      store,
      meta({ zone: 'z1', url: 'a.com/img/1.png', varyKey: 'webp', tags: ['img', 'p1'] }),
      '1w',
    );
    await put(store, meta({ zone: 'z1', url: 'a.com/img/2.png', tags: ['img'] }), '2');
    await put(store, meta({ zone: 'z1', url: 'a.com/css/s.css', tags: ['css', 'p1'] }), 's');
    await put(store, meta({ zone: 'z2', url: 'a.com/img/9.png', tags: ['img'] }), '9');
    await put(store, meta({ zone: 'z2', url: 'b.com/x', tags: [] }), 'x');
    return store;
  }
  const urls = (s: TieredCacheStore, zone: string, url: string): string[] =>
    s
      .variants(`${zone}|${url}`)
      .map((e) => `${e.meta.varyKey}:${e.meta.invalidated ? 'stale' : 'fresh'}`)
      .sort();

  for (const soft of [false, true]) {
    const mode = soft ? 'soft' : 'hard';
    test(`${mode} purge by primary key covers every variant`, async () => {
      const s = await filled();
      assert.equal(s.purge({ kind: 'key', primaryKey: 'z1|a.com/img/1.png' }, soft), 2);
      assert.deepEqual(urls(s, 'z1', 'a.com/img/1.png'), soft ? [':stale', 'webp:stale'] : []);
      assert.deepEqual(urls(s, 'z1', 'a.com/img/2.png'), [':fresh']);
      assert.equal(s.stats().objects, soft ? 6 : 4);
      await s.close();
    });

    test(`${mode} purge by prefix stays within the zone`, async () => {
      const s = await filled();
      assert.equal(s.purge({ kind: 'prefix', zone: 'z1', urlPrefix: 'a.com/img/' }, soft), 3);
      assert.deepEqual(urls(s, 'z1', 'a.com/img/2.png'), soft ? [':stale'] : []);
      assert.deepEqual(urls(s, 'z1', 'a.com/css/s.css'), [':fresh']);
      assert.deepEqual(urls(s, 'z2', 'a.com/img/9.png'), [':fresh']);
      await s.close();
    });

    test(`${mode} purge by tag, zone-scoped and across zones`, async () => {
      const s = await filled();
      assert.equal(s.purge({ kind: 'tag', zone: 'z2', tag: 'img' }, soft), 1);
      assert.deepEqual(urls(s, 'z2', 'a.com/img/9.png'), soft ? [':stale'] : []);
      assert.deepEqual(urls(s, 'z1', 'a.com/img/2.png'), [':fresh']);
      assert.equal(s.purge({ kind: 'tag', zone: null, tag: 'p1' }, soft), 3);
      assert.deepEqual(urls(s, 'z1', 'a.com/css/s.css'), soft ? [':stale'] : []);
      assert.deepEqual(urls(s, 'z1', 'a.com/img/2.png'), [':fresh']);
      assert.equal(s.purge({ kind: 'tag', zone: null, tag: 'unknown' }, soft), 0);
      await s.close();
    });

    test(`${mode} purge by zone`, async () => {
      const s = await filled();
      assert.equal(s.purge({ kind: 'zone', zone: 'z2' }, soft), 2);
      assert.deepEqual(urls(s, 'z2', 'b.com/x'), soft ? [':stale'] : []);
      assert.equal(s.stats().objects, soft ? 6 : 4);
      assert.equal(s.purge({ kind: 'zone', zone: 'nope' }, soft), 0);
      await s.close();
    });
  }
});

describe('tiered cache store: disk tier', () => {
  test('small bodies are written through and survive a restart with soft purge marks and new heads', async () => {
    await withTempDir(async (dir) => {
      const opts = { memoryBytes: MiB, diskBytes: 16 * MiB, dir, logger: silent };
      const s1 = await openTieredCacheStore(opts);
      await put(s1, meta({ url: 'a.com/1', tags: ['t'] }), 'one');
      await put(s1, meta({ url: 'a.com/2', tags: ['t', 'u'] }), 'two');
      await put(s1, meta({ url: 'a.com/3' }), 'three');
      await put(s1, meta({ url: 'a.com/4', varyKey: 'v' }), 'four');
      await s1.flush();
      assert.equal(s1.purge({ kind: 'tag', zone: 'z1', tag: 'u' }, true), 1);
      assert.equal(s1.purge({ kind: 'key', primaryKey: 'z1|a.com/3' }, false), 1);
      const e1 = s1.variants('z1|a.com/1')[0]!;
      s1.updateHead(e1, { status: 200, headers: { etag: '"new"' }, requestTime: 1, responseTime: 2 });
      await s1.close();

      const s2 = await openTieredCacheStore(opts);
      assert.equal(s2.stats().objects, 3);
      const one = s2.variants('z1|a.com/1')[0]!;
      assert.deepEqual(one.meta.headers, { etag: '"new"' });
      assert.equal(one.body, null, 'after a restart bodies are on disk only');
      assert.equal((await readAll(s2.openBody(one))).toString(), 'one');
      const two = s2.variants('z1|a.com/2')[0]!;
      assert.equal(two.meta.invalidated, true);
      assert.equal(two.meta.bodySize, 3);
      assert.equal(s2.variants('z1|a.com/3').length, 0);
      assert.equal(s2.variants('z1|a.com/4')[0]?.meta.varyKey, 'v');
      assert.equal((await readAll(s2.openBody(two, { start: 1, end: 2 }))).toString(), 'wo');
      // Purge indexes are rebuilt too.
      assert.equal(s2.purge({ kind: 'tag', zone: null, tag: 't' }, false), 2);
      await s2.close();
      assert.equal((await bodyFiles(dir)).size, 1);
      const s3 = await openTieredCacheStore(opts);
      assert.equal(s3.stats().objects, 1);
      await s3.close();
    });
  });

  test('the journal is compacted as it grows and still replays to the same state', async () => {
    await withTempDir(async (dir) => {
      const opts = { memoryBytes: MiB, diskBytes: 16 * MiB, dir, logger: silent, journalCompactionSlack: 20 };
      const s1 = await openTieredCacheStore(opts);
      for (let i = 0; i < 5; i++) await put(s1, meta({ url: `a.com/${i}`, tags: [`t${i}`] }), `body${i}`);
      await s1.flush();
      for (let i = 0; i < 300; i++) {
        const e = s1.variants('z1|a.com/0')[0]!;
        s1.updateHead(e, { status: 200, headers: { etag: `"${i}"` }, requestTime: i, responseTime: i });
        if (i % 50 === 0) await s1.flush();
      }
      s1.purge({ kind: 'tag', zone: null, tag: 't1' }, true);
      s1.purge({ kind: 'tag', zone: null, tag: 't2' }, false);
      await s1.close();
      const lines = (await readFile(join(dir, 'index.jsonl'), 'utf8')).split('\n').filter(Boolean).length;
      assert.ok(lines < 2 * 5 + 20 + 10, `journal has ${lines} lines`);
      const s2 = await openTieredCacheStore(opts);
      assert.equal(s2.stats().objects, 4);
      assert.deepEqual(s2.variants('z1|a.com/0')[0]!.meta.headers, { etag: '"299"' });
      assert.equal(s2.variants('z1|a.com/1')[0]!.meta.invalidated, true);
      assert.equal(s2.variants('z1|a.com/2').length, 0);
      assert.equal((await readAll(s2.openBody(s2.variants('z1|a.com/3')[0]!))).toString(), 'body3');
      await s2.close();
    });
  });

  test('a soft purge not yet seen by any lookup survives a journal rewrite and a restart', async () => {
    await withTempDir(async (dir) => {
      const opts = { memoryBytes: MiB, diskBytes: 16 * MiB, dir, logger: silent };
      const s1 = await openTieredCacheStore(opts);
      await put(s1, meta({ url: 'a.com/1', tags: ['t'] }), 'one');
      await put(s1, meta({ url: 'a.com/2' }), 'two');
      await s1.flush();
      assert.equal(s1.purge({ kind: 'tag', zone: null, tag: 't' }, true), 1);
      s1.compactJournal(); // the purge record is folded into the rewritten puts
      await s1.close();
      const journal = await readFile(join(dir, 'index.jsonl'), 'utf8');
      assert.ok(!journal.includes('"purge"'), 'the rewrite replaced the purge record');
      const s2 = await openTieredCacheStore(opts);
      assert.equal(s2.variants('z1|a.com/1')[0]!.meta.invalidated, true);
      assert.equal(s2.variants('z1|a.com/2')[0]!.meta.invalidated, false);
      await s2.close();
    });
  });

  test('half-written files, orphan bodies and a torn journal line are discarded on open', async () => {
    await withTempDir(async (dir) => {
      const opts = { memoryBytes: MiB, diskBytes: 16 * MiB, dir, logger: silent };
      const s1 = await openTieredCacheStore(opts);
      await put(s1, meta({ url: 'a.com/ok' }), 'ok');
      await s1.flush();
      await s1.close();
      // What a crash can leave: a temp file mid-write, a body renamed in place before its record, a torn record.
      await writeFile(join(dir, 'tmp', 'deadbeef.part'), 'half of a bo');
      await writeFile(join(dir, 'bodies', '0a', '0aorphan'), 'no record names me');
      await appendFile(join(dir, 'index.jsonl'), '{"op":"put","id":"0atorn","meta":{"zone":"z1","prim');
      const s2 = await openTieredCacheStore(opts);
      assert.equal(s2.stats().objects, 1);
      assert.equal((await readAll(s2.openBody(s2.variants('z1|a.com/ok')[0]!))).toString(), 'ok');
      assert.deepEqual(await readdir(join(dir, 'tmp')), []);
      assert.deepEqual([...(await bodyFiles(dir)).values()], [2]);
      // The store keeps working after the torn line: new records are readable on the next open.
      await put(s2, meta({ url: 'a.com/after' }), 'after');
      await s2.close();
      const s3 = await openTieredCacheStore(opts);
      assert.equal(s3.stats().objects, 2);
      await s3.close();
    });
  });

  test('an entry whose body file vanished is dropped on open rather than served broken', async () => {
    await withTempDir(async (dir) => {
      const opts = { memoryBytes: MiB, diskBytes: 16 * MiB, dir, logger: silent };
      const s1 = await openTieredCacheStore(opts);
      await put(s1, meta({ url: 'a.com/1' }), 'one');
      await put(s1, meta({ url: 'a.com/2' }), 'two');
      await s1.close();
      const [name] = [...(await bodyFiles(dir)).keys()];
      await rm(join(dir, 'bodies', name!.slice(0, 2), name!));
      const s2 = await openTieredCacheStore(opts);
      assert.equal(s2.stats().objects, 1);
      await s2.close();
    });
  });

  test('a 50 MiB body is streamed to a file, never held in memory, and read back by range', async () => {
    await withTempDir(async (dir) => {
      const store = await openTieredCacheStore({
        memoryBytes: 4 * MiB,
        diskBytes: 200 * MiB,
        dir,
        logger: silent,
      });
      const m = meta({ url: 'a.com/big.iso', tags: ['big'] });
      const w = store.createWriter(m) as ReturnType<TieredCacheStore['createWriter']> & {
        whenWritable(): Promise<void>;
      };
      const chunk = 256 * KiB;
      const total = 50 * MiB;
      for (let off = 0; off < total; off += chunk) {
        w.write(Buffer.alloc(chunk, (off / chunk) & 0xff));
        await w.whenWritable();
      }
      // Past the threshold the writer streams into a temp file.
      const tmp = await readdir(join(dir, 'tmp'));
      assert.equal(tmp.length, 1);
      const e = await w.commit();
      assert.ok(e);
      assert.equal(e.body, null, 'a large body is not kept in memory');
      assert.equal(e.meta.bodySize, total);
      assert.deepEqual([...(await bodyFiles(dir)).values()], [total]);
      assert.ok(store.stats().memoryBytes < MiB, `memory tier holds ${store.stats().memoryBytes}`);
      assert.ok(store.stats().diskBytes >= total);
      const start = 3 * chunk - 2;
      const got = await readAll(store.openBody(e, { start, end: start + 3 }));
      assert.deepEqual([...got], [2, 2, 3, 3]);
      const whole = await readAll(store.openBody(e));
      assert.equal(whole.length, total);
      assert.equal(whole[total - 1], (total / chunk - 1) & 0xff);
      await store.close();
    });
  });

  test('disk bytes stay within the bound; the least recently used entries go first; too-large bodies are refused', async () => {
    await withTempDir(async (dir) => {
      // Bodies above 1 KiB go to disk only, each counting 8 KiB + 4 KiB on disk.
      const limit = 10 * 12 * KiB;
      const store = await openTieredCacheStore({
        memoryBytes: MiB,
        diskBytes: limit,
        dir,
        memoryObjectMaxBytes: KiB,
        logger: silent,
      });
      const first = meta({ url: 'a.com/0' });
      await put(store, first, Buffer.alloc(8 * KiB, 1));
      for (let i = 1; i < 40; i++) {
        await put(store, meta({ url: `a.com/${i}` }), Buffer.alloc(8 * KiB, i));
        store.variants(first.primaryKey); // keep the first one hot
        assert.ok(store.stats().diskBytes <= limit);
      }
      await store.flush();
      assert.equal(store.stats().objects, 10);
      assert.equal(store.variants(first.primaryKey).length, 1, 'the hot entry survived');
      assert.equal(store.variants('z1|a.com/1').length, 0);
      assert.equal((await bodyFiles(dir)).size, 10, 'evicted bodies are deleted');
      assert.equal(await put(store, meta({ url: 'a.com/huge' }), Buffer.alloc(limit + 1)), null);
      // The refused body's temp file is removed in the background, once its stream has closed.
      await store.flush();
      assert.equal((await readdir(join(dir, 'tmp'))).length, 0);
      await store.close();
    });
  });

  test('under churn both bounds hold and the disk accounting matches the files present, across a restart', async () => {
    await withTempDir(async (dir) => {
      const memLimit = 48 * KiB;
      const diskLimit = 400 * KiB;
      const opts = {
        memoryBytes: memLimit,
        diskBytes: diskLimit,
        dir,
        memoryObjectMaxBytes: 4 * KiB,
        logger: silent,
      };
      let store = await openTieredCacheStore(opts);
      let seed = 11;
      const rnd = (n: number): number => (seed = (seed * 1103515245 + 12345) & 0x7fffffff) % n;
      for (let i = 0; i < 400; i++) {
        const size = rnd(3) === 0 ? 5 * KiB + rnd(30 * KiB) : rnd(3 * KiB);
        await put(store, meta({ url: `a.com/${rnd(120)}`, tags: [`t${rnd(4)}`] }), Buffer.alloc(size, i));
        if (i % 40 === 0) store.purge({ kind: 'tag', zone: null, tag: `t${rnd(4)}` }, rnd(2) === 0);
        if (i % 100 === 99) {
          await store.close();
          store = await openTieredCacheStore(opts);
        }
        const st = store.stats();
        assert.ok(st.memoryBytes <= memLimit, `memory ${st.memoryBytes}`);
        assert.ok(st.diskBytes <= diskLimit, `disk ${st.diskBytes}`);
      }
      await store.flush();
      const files = await bodyFiles(dir);
      let expected = 0;
      for (const size of files.values()) expected += estimateDiskBytes(size);
      assert.equal(store.stats().diskBytes, expected);
      assert.ok(files.size > 5);
      // Every entry is readable and its bytes are its own.
      let seen = 0;
      for (let u = 0; u < 120; u++) {
        for (const e of store.variants(`z1|a.com/${u}`)) {
          const b = await readAll(store.openBody(e));
          assert.equal(b.length, e.meta.bodySize);
          seen++;
        }
      }
      assert.equal(seen, store.stats().objects);
      await store.close();
    });
  });

  test('a writer fed far faster than the disk takes gives up caching (logged) instead of queueing memory', async () => {
    await withTempDir(async (dir) => {
      const { logger, lines } = capturingLogger();
      const store = await openTieredCacheStore({ memoryBytes: MiB, diskBytes: GiB, dir, logger });
      const w = store.createWriter(meta({ url: 'a.com/flood' }));
      // Synchronously: no write can complete meanwhile, so everything past the threshold queues.
      for (let i = 0; i < 80; i++) w.write(Buffer.alloc(MiB, i));
      assert.equal(await w.commit(), null);
      assert.ok(lines.some((l) => String(l.msg).includes('disk slower than the origin')));
      await store.flush();
      assert.deepEqual(await readdir(join(dir, 'tmp')), []);
      assert.equal(store.stats().objects, 0);
      await store.close();
    });
  });

  test('memory eviction keeps a disk copy; a hit brings a small body back into memory', async () => {
    await withTempDir(async (dir) => {
      const one =
        2000 + estimateMetaBytes({ ...meta({ url: 'a.com/0' }), bodySize: 2000, invalidated: false });
      const store = await openTieredCacheStore({
        memoryBytes: 2 * one + 10,
        diskBytes: 16 * MiB,
        dir,
        logger: silent,
      });
      for (let i = 0; i < 5; i++) {
        await put(store, meta({ url: `a.com/${i}` }), Buffer.alloc(2000, i));
        await store.flush();
      }
      assert.equal(store.stats().objects, 5);
      const cold = store.variants('z1|a.com/0')[0]!;
      assert.equal(cold.body, null);
      assert.deepEqual([...(await readAll(store.openBody(cold, { start: 0, end: 1 })))], [0, 0]);
      await store.flush();
      const warm = store.variants('z1|a.com/0')[0]!;
      assert.equal(warm.body?.length, 2000);
      assert.ok(store.stats().memoryBytes <= 2 * one + 10);
      await store.close();
    });
  });

  test('a body being read survives a hard purge of its entry; the file is deleted once the reader is done', async () => {
    await withTempDir(async (dir) => {
      const store = await openTieredCacheStore({
        memoryBytes: MiB,
        diskBytes: 64 * MiB,
        dir,
        memoryObjectMaxBytes: 1,
        logger: silent,
      });
      const e = await put(store, meta({ url: 'a.com/f', tags: ['x'] }), Buffer.alloc(4 * MiB, 7));
      assert.ok(e);
      const reading = store.openBody(e);
      assert.equal(store.purge({ kind: 'tag', zone: null, tag: 'x' }, false), 1);
      const got = await readAll(reading);
      assert.equal(got.length, 4 * MiB);
      await store.flush();
      assert.equal((await bodyFiles(dir)).size, 0);
      await assert.rejects(readAll(store.openBody(e)), /no longer stored/);
      await store.close();
    });
  });

  test('disk errors are logged and the object is simply not cached', async () => {
    await withTempDir(async (dir) => {
      const { logger, lines } = capturingLogger();
      const store = await openTieredCacheStore({
        memoryBytes: MiB,
        diskBytes: 64 * MiB,
        dir,
        memoryObjectMaxBytes: KiB,
        logger,
      });
      // Every temp file (large bodies) and every body file (small ones, written in place) now fails to open.
      await rm(join(dir, 'tmp'), { recursive: true });
      await rm(join(dir, 'bodies'), { recursive: true });
      assert.equal(await put(store, meta({ url: 'a.com/large' }), Buffer.alloc(10 * KiB)), null);
      const small = await put(store, meta({ url: 'a.com/small' }), 'tiny');
      assert.ok(small, 'a small body is still served from memory');
      await store.flush();
      const warnings = lines.filter((l) => (l.level as number) >= 40).map((l) => String(l.msg));
      assert.ok(
        warnings.some((m) => m.includes('not cached')),
        warnings.join('\n'),
      );
      assert.ok(
        warnings.some((m) => m.includes('memory only')),
        warnings.join('\n'),
      );
      assert.equal(store.stats().objects, 1);
      assert.equal(store.stats().diskBytes, 0);
      await store.close();
    });
  });

  test('a directory held by another live process is refused; a stale lock is taken over', async () => {
    await withTempDir(async (dir) => {
      const opts = { memoryBytes: MiB, diskBytes: MiB, dir, logger: silent };
      await writeFile(join(dir, 'lock'), String(process.ppid));
      await assert.rejects(
        openTieredCacheStore(opts),
        (e: Error & { code?: string; field?: string }) => e.code === 'cache_dir_in_use' && e.field === 'dir',
      );
      const dead = spawnSync(process.execPath, ['-e', '0']).pid!;
      await writeFile(join(dir, 'lock'), String(dead));
      const store = await openTieredCacheStore(opts);
      assert.equal((await readFile(join(dir, 'lock'), 'utf8')).trim(), String(process.pid));
      await store.close();
      await assert.rejects(readFile(join(dir, 'lock')), /ENOENT/);
    });
  });

  test('an unusable cache directory is a clear error naming the field', async () => {
    await withTempDir(async (dir) => {
      await writeFile(join(dir, 'file'), 'x');
      await assert.rejects(
        openTieredCacheStore({
          memoryBytes: MiB,
          diskBytes: MiB,
          dir: join(dir, 'file', 'sub'),
          logger: silent,
        }),
        (e: Error & { field?: string; code?: string }) =>
          e.field === 'dir' && e.code === 'cache_dir_unusable',
      );
    });
  });
});
