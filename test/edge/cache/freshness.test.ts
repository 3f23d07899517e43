import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { assessFreshness, freshnessLifetime } from '../../../src/edge/cache/freshness.js';
import { head, httpDate, S, settings, T0 } from './cache-fixtures.js';

const z = settings();
const life = (headers: Record<string, string>, status = 200, zs = z) =>
  freshnessLifetime(head(headers, { status }), zs);

describe('freshness lifetime precedence', () => {
  test('s-maxage > max-age > Expires', () => {
    assert.equal(life({ 'cache-control': 'max-age=60, s-maxage=600', expires: httpDate(T0 + 5 * S) }), 600);
    assert.equal(life({ 'cache-control': 'max-age=60', expires: httpDate(T0 + 5 * S) }), 60);
    assert.equal(life({ expires: httpDate(T0 + 5 * S) }), 5);
  });

  test('Expires is relative to Date, not to the local clock', () => {
    const h = head({ date: httpDate(T0 - 3600 * S), expires: httpDate(T0 - 3500 * S) });
    assert.equal(freshnessLifetime(h, z), 100);
  });

  test('invalid or past Expires means already expired', () => {
    assert.equal(life({ expires: '0' }), 0);
    assert.equal(life({ expires: 'never' }), 0);
    assert.equal(life({ expires: httpDate(T0 - 10 * S) }), 0);
  });

  test('present but invalid max-age counts as stale (RFC 9111 4.2.1), not as absent', () => {
    assert.equal(life({ 'cache-control': 'max-age=abc', expires: httpDate(T0 + 50 * S) }), 0);
  });

  test('CDN-Cache-Control governs and Cache-Control/Expires are ignored (RFC 9213)', () => {
    const h = {
      'cdn-cache-control': 'max-age=300',
      'cache-control': 's-maxage=10, max-age=5',
      expires: httpDate(T0),
    };
    assert.equal(life(h), 300);
    // no lifetime in CDN-Cache-Control: Expires is still ignored, zone default then heuristics apply
    assert.equal(life({ 'cdn-cache-control': 'public', expires: httpDate(T0 + 50 * S) }), 0);
    assert.equal(
      life(
        { 'cdn-cache-control': 'public', 'cache-control': 'max-age=50' },
        200,
        settings({ defaultTtlSeconds: 7 }),
      ),
      7,
    );
  });

  test('the same directives mean different things by field (memoized policies are per field)', () => {
    const expires = httpDate(T0 + 50 * S);
    assert.equal(life({ 'cache-control': 'public', expires }), 50);
    assert.equal(life({ 'cdn-cache-control': 'public', expires }), 0);
    assert.equal(life({ 'cache-control': 'public', expires }), 50);
  });

  test('an empty CDN-Cache-Control is as if absent', () => {
    assert.equal(life({ 'cdn-cache-control': ' ', 'cache-control': 'max-age=50' }), 50);
  });

  test('Surrogate-Control governs when there is no CDN-Cache-Control', () => {
    assert.equal(life({ 'surrogate-control': 'max-age=120', 'cache-control': 'max-age=5' }), 120);
    assert.equal(life({ 'cdn-cache-control': 'max-age=30', 'surrogate-control': 'max-age=120' }), 30);
    // max-age=N+M: N is the lifetime, M a stale-if-error window
    const f = assessFreshness(head({ 'surrogate-control': 'max-age=60+600' }), z, T0);
    assert.equal(f.lifetime, 60);
    assert.equal(f.staleIfError, 600);
    // directives targeted at another device are not ours; one with no caching directive leaves Cache-Control in charge
    assert.equal(life({ 'surrogate-control': 'max-age=60;edge1', 'cache-control': 'max-age=5' }), 5);
    assert.equal(life({ 'surrogate-control': 'content="ESI/1.0"', 'cache-control': 'max-age=5' }), 5);
    assert.equal(
      life({ 'surrogate-control': 'max-age=60;edge1, max-age=30', 'cache-control': 'max-age=5' }),
      30,
    );
    assert.equal(life({ 'surrogate-control': 'content="a;b, c", max-age=30' }), 30);
    assert.equal(
      life({ 'surrogate-control': 'content="ESI/1.0", no-cache', 'cache-control': 'max-age=5' }),
      0,
    );
  });

  test('zone default TTL applies only without an explicit lifetime', () => {
    const zs = settings({ defaultTtlSeconds: 3600 });
    assert.equal(life({}, 200, zs), 3600);
    assert.equal(life({ 'cache-control': 'max-age=5' }, 200, zs), 5);
    assert.equal(life({ 'cache-control': 'max-age=0' }, 200, zs), 0);
  });

  test('zone max TTL caps every lifetime', () => {
    const zs = settings({ maxTtlSeconds: 100, defaultTtlSeconds: 1000 });
    assert.equal(life({ 'cache-control': 'max-age=5000' }, 200, zs), 100);
    assert.equal(life({ 'cdn-cache-control': 'max-age=5000' }, 200, zs), 100);
    assert.equal(life({}, 200, zs), 100);
    assert.equal(life({ 'cache-control': 'max-age=50' }, 200, zs), 50);
  });

  test('heuristic: 10% of Date - Last-Modified, capped at a day, only for heuristically cacheable statuses', () => {
    const lm = { 'last-modified': httpDate(T0 - 1000 * S) };
    assert.equal(life(lm), 100);
    assert.equal(life(lm, 404), 100);
    assert.equal(life(lm, 301), 100);
    assert.equal(life(lm, 302), 0);
    assert.equal(life(lm, 500), 0);
    assert.equal(life({ ...lm, 'cache-control': 'public' }, 302), 100);
    assert.equal(life({ 'last-modified': httpDate(T0 - 365 * 86400 * S) }), 86400);
    assert.equal(life({ 'last-modified': httpDate(T0 + 1000 * S) }), 0); // in the future
    assert.equal(life({}), 0);
  });
});

describe('assessFreshness', () => {
  test('ttl = lifetime - age, fresh while positive', () => {
    const h = head({ 'cache-control': 'max-age=60' });
    const f = assessFreshness(h, z, T0 + 20 * S);
    assert.deepEqual([f.lifetime, f.age, f.ttl, f.fresh], [60, 20, 40, true]);
    const g = assessFreshness(h, z, T0 + 60 * S);
    assert.deepEqual([g.ttl, g.fresh], [0, false]);
    const k = assessFreshness(h, z, T0 + 100 * S);
    assert.deepEqual([k.ttl, k.fresh], [-40, false]);
  });

  test('Age from upstream shortens the remaining freshness', () => {
    const f = assessFreshness(head({ 'cache-control': 'max-age=60', age: '50' }), z, T0 + 5 * S);
    assert.equal(f.ttl, 5);
  });

  test('RFC 5861 windows and revalidation flags', () => {
    const f = assessFreshness(
      head({ 'cache-control': 'max-age=1, stale-while-revalidate=30, stale-if-error=600' }),
      z,
      T0,
    );
    assert.deepEqual(
      [f.staleWhileRevalidate, f.staleIfError, f.mustRevalidate, f.noCache],
      [30, 600, false, false],
    );
    assert.equal(assessFreshness(head({ 'cache-control': 'must-revalidate' }), z, T0).mustRevalidate, true);
    assert.equal(assessFreshness(head({ 'cache-control': 'proxy-revalidate' }), z, T0).mustRevalidate, true);
    const s = assessFreshness(head({ 'cache-control': 's-maxage=10' }), z, T0);
    assert.equal(s.mustRevalidate, true);
    assert.equal(s.explicitRevalidate, false);
    assert.equal(assessFreshness(head({ 'cache-control': 'no-cache' }), z, T0).noCache, true);
    assert.equal(assessFreshness(head({ 'cache-control': 'no-cache="set-cookie"' }), z, T0).noCache, true);
  });

  test('with CDN-Cache-Control, Cache-Control revalidation directives do not apply', () => {
    const f = assessFreshness(
      head({ 'cdn-cache-control': 'max-age=60', 'cache-control': 'no-cache, must-revalidate' }),
      z,
      T0,
    );
    assert.deepEqual([f.noCache, f.mustRevalidate, f.fresh], [false, false, true]);
  });
});
