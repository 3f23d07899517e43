import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import type { CacheEntryMeta, StoredHeaders } from '../../../src/edge/cache/cache-entry.js';
import { assessFreshness } from '../../../src/edge/cache/freshness.js';
import { storability } from '../../../src/edge/cache/storability.js';
import { canServeStaleOnError, decideReuse } from '../../../src/edge/cache/reuse.js';
import { evaluateConditional } from '../../../src/edge/cache/conditional.js';
import { varyHeaderNames, varyKeyFor } from '../../../src/edge/cache/vary.js';
import { EDGE_ONLY_HEADERS, headersForClient } from '../../../src/edge/cache/client-headers.js';
import { mergeNotModified } from '../../../src/edge/cache/update-after-304.js';
import { ifRangeAllows } from '../../../src/edge/cache/range.js';
import { stripHopByHop } from '../../../src/edge/cache/hop-by-hop.js';
import { httpDate, settings, T0 } from './cache-fixtures.js';

// Header values an origin or a client could send: plausible fragments glued together, and arbitrary strings.
const fragment = fc.constantFrom(
  'max-age=60',
  's-maxage=0',
  'no-cache',
  'no-store',
  'private',
  'public',
  'must-revalidate',
  'proxy-revalidate',
  'stale-while-revalidate=30',
  'stale-if-error=99999999999999',
  'must-understand',
  'max-age="5"',
  'max-age=-1',
  'no-cache="a, b',
  '*',
  '"v1"',
  'W/"v1"',
  'gzip;q=0',
  httpDate(T0),
  httpDate(T0 - 86_400_000),
  'Sun, 06 Nov 1994 08:49:37 GMT',
  '',
);
const value = fc.oneof(
  fc.array(fragment, { maxLength: 4 }).map((a) => a.join(', ')),
  fc.string({ maxLength: 30 }),
);
const responseNames = fc.constantFrom(
  'cache-control',
  'cdn-cache-control',
  'surrogate-control',
  'expires',
  'date',
  'age',
  'last-modified',
  'etag',
  'vary',
  'set-cookie',
  'content-length',
  'connection',
);
const requestNames = fc.constantFrom(
  'cache-control',
  'pragma',
  'authorization',
  'if-match',
  'if-none-match',
  'if-modified-since',
  'if-unmodified-since',
  'accept-encoding',
  'accept-language',
);
const headersOf = (names: fc.Arbitrary<string>) =>
  fc.dictionary(names, fc.oneof(value, fc.array(value, { maxLength: 3 })), { maxKeys: 6 });

const status = fc.constantFrom(200, 203, 204, 206, 301, 302, 304, 404, 500, 503, 101);
const zone = fc.record({
  queryString: fc.constant('keep' as const),
  honorClientNoCache: fc.boolean(),
  defaultTtlSeconds: fc.option(fc.nat({ max: 1e6 })),
  maxTtlSeconds: fc.option(fc.nat({ max: 1e6 })),
  serveStaleOnErrorSeconds: fc.nat({ max: 1e6 }),
});

test('property: the semantics never throw and keep their invariants on adversarial headers', () => {
  fc.assert(
    fc.property(
      headersOf(responseNames),
      headersOf(requestNames),
      status,
      zone,
      fc.integer({ min: -1e9, max: 1e10 }),
      fc.boolean(),
      (resHeaders: StoredHeaders, reqHeaders, st, z, nowOffset, invalidated) => {
        const now = T0 + nowOffset;
        const req = { method: 'GET', headers: reqHeaders };
        const s = storability(req, { status: st, headers: resHeaders }, settings(z), T0);
        assert.equal(typeof s.store, 'boolean');
        if (s.store) {
          assert.ok(st >= 200 && st !== 206 && st !== 304);
          assert.notEqual(varyHeaderNames(resHeaders), '*');
        }

        const meta: CacheEntryMeta = {
          status: st,
          headers: resHeaders,
          requestTime: T0,
          responseTime: T0,
          zone: 'z',
          primaryKey: 'z\na/',
          urlKey: 'a/',
          varyKey: '',
          tags: [],
          bodySize: 0,
          invalidated,
        };
        const f = assessFreshness(meta, settings(z), now);
        for (const n of [f.lifetime, f.age, f.ttl, f.staleIfError, f.staleWhileRevalidate])
          assert.ok(Number.isFinite(n));
        assert.ok(f.lifetime >= 0 && f.age >= 0);
        assert.equal(f.ttl, f.lifetime - f.age);
        assert.equal(f.fresh, f.ttl > 0);
        if (z.maxTtlSeconds !== null) assert.ok(f.lifetime <= z.maxTtlSeconds);

        const d = decideReuse(meta, req, settings(z), now);
        if (d.kind === 'fresh') assert.ok(!invalidated && !f.noCache);
        if (d.kind === 'stale-while-revalidate')
          assert.ok(!invalidated && !f.noCache && !f.explicitRevalidate);
        if (canServeStaleOnError(meta, settings(z), now)) assert.ok(!f.explicitRevalidate);

        const c = evaluateConditional(req, meta);
        assert.ok(['not-modified', 'precondition-failed', 'proceed'].includes(c));
        ifRangeAllows(
          typeof reqHeaders['if-match'] === 'string' ? reqHeaders['if-match'] : undefined,
          resHeaders,
        );

        const names = varyHeaderNames(resHeaders);
        if (names !== '*') assert.equal(typeof varyKeyFor(names, reqHeaders), 'string');

        const client = headersForClient(resHeaders);
        for (const n of EDGE_ONLY_HEADERS) assert.equal(client[n], undefined);

        // stored headers were stripped when stored; the 304's hop-by-hop fields must not come back in
        const storedHeaders = stripHopByHop(resHeaders);
        const merged = mergeNotModified(
          { ...meta, headers: storedHeaders },
          { headers: resHeaders },
          T0 + 1,
          T0 + 2,
        );
        assert.equal(merged.status, st);
        assert.equal(merged.headers['content-length'], storedHeaders['content-length']);
        assert.equal(merged.headers['connection'], undefined);
      },
    ),
    { numRuns: 3000 },
  );
});
