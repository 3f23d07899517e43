import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import type { CacheStore, PurgeSelector } from '../../../src/edge/store/cache-store.js';
import { selectorMatches } from '../../../src/edge/store/purge-index.js';
import { openTieredCacheStore, type TieredCacheStore } from '../../../src/edge/store/tiered-cache-store.js';
import { meta, put, readAll, silent, withTempDir } from './store-fixtures.js';

// A small key space so that random sequences collide: replacements, purges that match, removals of what exists.
const ZONES = ['z1', 'z2'];
const URLS = ['a.com/', 'a.com/x', 'a.com/x/y', 'a.com/xy', 'b.com/x', 'b.com/', 'c.com/a.com/x'];
const VARYS = ['', 'gzip'];
const TAGS = ['red', 'green', 'blue'];

type Op =
  | { op: 'put'; zone: number; url: number; vary: number; tags: string[]; size: number; fill: number }
  /** remove and head act on an entry that exists: the `pick`-th (mod count) of the model's, by key. */
  | { op: 'remove'; pick: number }
  | { op: 'head'; pick: number; status: number }
  | { op: 'purge'; sel: PurgeSelector; soft: boolean }
  | { op: 'restart' }
  /** Lets background body writes finish, so later records land in the journal after their put. */
  | { op: 'settle' }
  /** Starts a journal rewrite and carries on: later operations race with it. */
  | { op: 'compact' };

const slot = { zone: fc.nat(ZONES.length - 1), url: fc.nat(URLS.length - 1), vary: fc.nat(VARYS.length - 1) };
const selector: fc.Arbitrary<PurgeSelector> = fc.oneof(
  fc
    .record({ zone: fc.constantFrom(...ZONES), url: fc.constantFrom(...URLS) })
    .map(({ zone, url }): PurgeSelector => ({ kind: 'key', primaryKey: `${zone}|${url}` })),
  fc
    .record({
      zone: fc.constantFrom(...ZONES),
      urlPrefix: fc.constantFrom('a.com/', 'a.com/x', 'b.com', '', 'c.com', '/x', 'x'),
    })
    .map((r): PurgeSelector => ({ kind: 'prefix', ...r })),
  fc
    .record({ zone: fc.constantFrom(null, ...ZONES), tag: fc.constantFrom(...TAGS, 'none') })
    .map((r): PurgeSelector => ({ kind: 'tag', ...r })),
  fc.constantFrom(...ZONES, 'z9').map((zone): PurgeSelector => ({ kind: 'zone', zone })),
);
const opArb = (withRestart: boolean): fc.Arbitrary<Op> =>
  fc.oneof(
    {
      weight: 5,
      arbitrary: fc.record({
        op: fc.constant('put' as const),
        ...slot,
        tags: fc.subarray(TAGS),
        size: fc.oneof(fc.nat(40), fc.integer({ min: 900, max: 5000 })),
        fill: fc.nat(255),
      }),
    },
    { weight: 1, arbitrary: fc.record({ op: fc.constant('remove' as const), pick: fc.nat() }) },
    {
      weight: 2,
      arbitrary: fc.record({
        op: fc.constant('head' as const),
        pick: fc.nat(),
        status: fc.constantFrom(200, 203, 404),
      }),
    },
    {
      weight: 2,
      arbitrary: fc.record({ op: fc.constant('purge' as const), sel: selector, soft: fc.boolean() }),
    },
    { weight: withRestart ? 2 : 0, arbitrary: fc.constant({ op: 'restart' as const }) },
    { weight: withRestart ? 2 : 0, arbitrary: fc.constant({ op: 'settle' as const }) },
    { weight: withRestart ? 2 : 0, arbitrary: fc.constant({ op: 'compact' as const }) },
  );

interface ModelEntry {
  zone: string;
  url: string;
  vary: string;
  tags: string[];
  status: number;
  etag: string | undefined;
  invalidated: boolean;
  body: Buffer;
}

async function run(ops: Op[], open: () => Promise<TieredCacheStore>): Promise<void> {
  let store = await open();
  const model = new Map<string, ModelEntry>();
  const keyOf = (zone: string, url: string, vary: string): string => `${zone}|${url}#${vary}`;
  try {
    for (const o of ops) {
      if (o.op === 'put') {
        const [zone, url, vary] = [ZONES[o.zone]!, URLS[o.url]!, VARYS[o.vary]!];
        const body = Buffer.alloc(o.size, o.fill);
        const stored = await put(store, meta({ zone, url, varyKey: vary, tags: o.tags }), body);
        assert.ok(stored, 'every put fits the bounds');
        model.set(keyOf(zone, url, vary), {
          zone,
          url,
          vary,
          tags: o.tags,
          status: 200,
          etag: undefined,
          invalidated: false,
          body,
        });
      } else if (o.op === 'remove' || o.op === 'head') {
        const keys = [...model.keys()].sort();
        if (keys.length === 0) continue;
        const key = keys[o.pick % keys.length]!;
        const m = model.get(key)!;
        const [zone, url, vary] = [m.zone, m.url, m.vary];
        const e = store.variants(`${zone}|${url}`).find((v) => v.meta.varyKey === vary);
        assert.ok(e, key);
        if (o.op === 'remove') {
          store.remove(e);
          model.delete(keyOf(zone, url, vary));
        } else {
          const next = store.updateHead(e, {
            status: o.status,
            headers: { etag: `"${o.status}"` },
            requestTime: 1,
            responseTime: 2,
          });
          assert.equal(next.meta.status, o.status);
          m.status = o.status;
          m.etag = `"${o.status}"`;
          m.invalidated = false;
        }
      } else if (o.op === 'purge') {
        let expected = 0;
        for (const [k, m] of model) {
          const asMeta = {
            ...meta({ zone: m.zone, url: m.url, varyKey: m.vary, tags: m.tags }),
            bodySize: m.body.length,
            invalidated: m.invalidated,
          };
          if (!selectorMatches(o.sel, asMeta)) continue;
          expected++;
          if (o.soft) m.invalidated = true;
          else model.delete(k);
        }
        assert.equal(store.purge(o.sel, o.soft), expected, JSON.stringify(o));
      } else if (o.op === 'settle') {
        await store.flush();
      } else if (o.op === 'compact') {
        store.compactJournal();
      } else {
        await store.close();
        store = await open();
      }
      await check(store, model);
    }
    // Bodies read back intact from whichever tier holds them.
    for (const m of model.values()) {
      const e = store.variants(`${m.zone}|${m.url}`).find((v) => v.meta.varyKey === m.vary)!;
      assert.ok((await readAll(store.openBody(e))).equals(m.body));
    }
    await store.flush();
    await check(store, model);
  } finally {
    await store.close();
  }
}

async function check(store: CacheStore, model: Map<string, ModelEntry>): Promise<void> {
  let count = 0;
  for (const zone of ZONES) {
    for (const url of URLS) {
      const got = store
        .variants(`${zone}|${url}`)
        .map(
          (e) =>
            `${e.meta.varyKey}|${e.meta.status}|${String(e.meta.headers.etag)}|${e.meta.invalidated}|${[...e.meta.tags].join(',')}|${e.meta.bodySize}|${e.meta.urlKey}`,
        )
        .sort();
      const want = [...model.values()]
        .filter((m) => m.zone === zone && m.url === url)
        .map(
          (m) =>
            `${m.vary}|${m.status}|${String(m.etag)}|${m.invalidated}|${m.tags.join(',')}|${m.body.length}|${m.url}`,
        )
        .sort();
      assert.deepEqual(got, want, `${zone}|${url}`);
      count += got.length;
    }
  }
  assert.equal(store.stats().objects, count);
}

test('memory-only store matches a reference model under random put/remove/updateHead/purge sequences', async () => {
  await fc.assert(
    fc.asyncProperty(fc.array(opArb(false), { maxLength: 60 }), (ops) =>
      run(ops, () =>
        openTieredCacheStore({ memoryBytes: 64 * 1024 * 1024, diskBytes: 0, dir: null, logger: silent }),
      ),
    ),
    { numRuns: 150 },
  );
});

test('disk-backed store matches the model across restarts (journal replay of puts, heads, removals, purges)', async () => {
  await fc.assert(
    fc.asyncProperty(fc.array(opArb(true), { maxLength: 30 }), (ops) =>
      withTempDir((dir) =>
        run(ops, () =>
          // Bodies above 1000 bytes take the disk-only path; the rest are memory entries written through.
          openTieredCacheStore({
            memoryBytes: 64 * 1024 * 1024,
            diskBytes: 64 * 1024 * 1024,
            dir,
            memoryObjectMaxBytes: 1000,
            journalCompactionSlack: 4, // automatic compactions too
            logger: silent,
          }),
        ),
      ),
    ),
    { numRuns: 60 },
  );
});
