import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { canServeStaleOnError, decideReuse } from '../../../src/edge/cache/reuse.js';
import { GET, meta, S, settings, T0 } from './cache-fixtures.js';

const z = settings();
const honor = settings({ honorClientNoCache: true });
const kind = (d: ReturnType<typeof decideReuse>) =>
  d.kind === 'revalidate' ? `revalidate:${d.reason}` : d.kind;

describe('decideReuse', () => {
  const m = meta({ 'cache-control': 'max-age=60' });

  test('fresh, then stale', () => {
    assert.equal(kind(decideReuse(m, GET(), z, T0 + 59 * S)), 'fresh');
    assert.equal(kind(decideReuse(m, GET(), z, T0 + 60 * S)), 'revalidate:stale');
  });

  test('a soft purge forces revalidation even when fresh', () => {
    const d = decideReuse({ ...m, invalidated: true }, GET(), z, T0);
    assert.equal(kind(d), 'revalidate:invalidated');
    assert.equal(d.freshness.fresh, false);
    assert.ok(d.freshness.ttl <= 0);
  });

  test('response no-cache: revalidate every time', () => {
    assert.equal(
      kind(decideReuse(meta({ 'cache-control': 'max-age=60, no-cache' }), GET(), z, T0)),
      'revalidate:no-cache',
    );
  });

  test('client no-cache / Pragma only when the zone honours it', () => {
    const nc = GET({ 'cache-control': 'no-cache' });
    const pragma = GET({ pragma: 'no-cache' });
    assert.equal(kind(decideReuse(m, nc, z, T0)), 'fresh');
    assert.equal(kind(decideReuse(m, pragma, z, T0)), 'fresh');
    assert.equal(kind(decideReuse(m, nc, honor, T0)), 'revalidate:client-no-cache');
    assert.equal(kind(decideReuse(m, pragma, honor, T0)), 'revalidate:client-no-cache');
    // Pragma is ignored when Cache-Control is present (RFC 9111 5.4)
    assert.equal(
      kind(decideReuse(m, GET({ pragma: 'no-cache', 'cache-control': 'max-stale' }), honor, T0)),
      'fresh',
    );
  });

  test('client max-age and min-fresh (when honoured)', () => {
    assert.equal(kind(decideReuse(m, GET({ 'cache-control': 'max-age=0' }), z, T0 + 10 * S)), 'fresh');
    assert.equal(
      kind(decideReuse(m, GET({ 'cache-control': 'max-age=0' }), honor, T0 + 10 * S)),
      'revalidate:client-no-cache',
    );
    assert.equal(kind(decideReuse(m, GET({ 'cache-control': 'max-age=10' }), honor, T0 + 10 * S)), 'fresh');
    assert.equal(kind(decideReuse(m, GET({ 'cache-control': 'min-fresh=30' }), honor, T0 + 20 * S)), 'fresh');
    assert.equal(
      kind(decideReuse(m, GET({ 'cache-control': 'min-fresh=30' }), honor, T0 + 40 * S)),
      'revalidate:client-no-cache',
    );
  });

  test('client max-stale allows stale use (with a background refresh) unless the response forbids it', () => {
    assert.equal(
      kind(decideReuse(m, GET({ 'cache-control': 'max-stale=30' }), z, T0 + 80 * S)),
      'stale-while-revalidate',
    );
    assert.equal(
      kind(decideReuse(m, GET({ 'cache-control': 'max-stale=30' }), z, T0 + 100 * S)),
      'revalidate:stale',
    );
    assert.equal(
      kind(decideReuse(m, GET({ 'cache-control': 'max-stale' }), z, T0 + 9999 * S)),
      'stale-while-revalidate',
    );
    const mr = meta({ 'cache-control': 'max-age=60, must-revalidate' });
    assert.equal(
      kind(decideReuse(mr, GET({ 'cache-control': 'max-stale' }), z, T0 + 80 * S)),
      'revalidate:stale',
    );
  });

  test('stale-while-revalidate only within its window (RFC 5861 3)', () => {
    const swr = meta({ 'cache-control': 'max-age=60, stale-while-revalidate=30' });
    assert.equal(kind(decideReuse(swr, GET(), z, T0 + 30 * S)), 'fresh');
    assert.equal(kind(decideReuse(swr, GET(), z, T0 + 60 * S)), 'stale-while-revalidate');
    assert.equal(kind(decideReuse(swr, GET(), z, T0 + 90 * S)), 'stale-while-revalidate');
    assert.equal(kind(decideReuse(swr, GET(), z, T0 + 91 * S)), 'revalidate:stale');
  });

  test('must-revalidate / proxy-revalidate forbid SWR; s-maxage alone does not beat an explicit SWR', () => {
    for (const cc of [
      'max-age=60, must-revalidate, stale-while-revalidate=30',
      'max-age=60, proxy-revalidate, stale-while-revalidate=30',
    ]) {
      assert.equal(
        kind(decideReuse(meta({ 'cache-control': cc }), GET(), z, T0 + 70 * S)),
        'revalidate:stale',
        cc,
      );
    }
    const s = meta({ 'cache-control': 's-maxage=60, stale-while-revalidate=30' });
    assert.equal(kind(decideReuse(s, GET(), z, T0 + 70 * S)), 'stale-while-revalidate');
    // ...but it does forbid the client's max-stale
    assert.equal(
      kind(
        decideReuse(
          meta({ 'cache-control': 's-maxage=60' }),
          GET({ 'cache-control': 'max-stale' }),
          z,
          T0 + 70 * S,
        ),
      ),
      'revalidate:stale',
    );
  });

  test('honoured client max-age also rules out stale-while-revalidate', () => {
    const swr = meta({ 'cache-control': 'max-age=60, stale-while-revalidate=30' });
    assert.equal(
      kind(decideReuse(swr, GET({ 'cache-control': 'max-age=61' }), honor, T0 + 70 * S)),
      'revalidate:client-no-cache',
    );
  });
});

describe('canServeStaleOnError', () => {
  test('within the origin stale-if-error window (RFC 5861 4)', () => {
    const m = meta({ 'cache-control': 'max-age=60, stale-if-error=100' });
    assert.equal(canServeStaleOnError(m, settings(), T0 + 160 * S), true);
    assert.equal(canServeStaleOnError(m, settings(), T0 + 161 * S), false);
  });

  test("the zone's serveStaleOnErrorSeconds, or the longer of the two", () => {
    const m = meta({ 'cache-control': 'max-age=60' });
    assert.equal(canServeStaleOnError(m, settings(), T0 + 61 * S), false);
    assert.equal(canServeStaleOnError(m, settings({ serveStaleOnErrorSeconds: 3600 }), T0 + 3660 * S), true);
    assert.equal(canServeStaleOnError(m, settings({ serveStaleOnErrorSeconds: 3600 }), T0 + 3661 * S), false);
    const sie = meta({ 'cache-control': 'max-age=60, stale-if-error=10' });
    assert.equal(canServeStaleOnError(sie, settings({ serveStaleOnErrorSeconds: 100 }), T0 + 150 * S), true);
  });

  test('never with must-revalidate / proxy-revalidate', () => {
    const zs = settings({ serveStaleOnErrorSeconds: 3600 });
    assert.equal(
      canServeStaleOnError(
        meta({ 'cache-control': 'max-age=60, must-revalidate, stale-if-error=600' }),
        zs,
        T0 + 70 * S,
      ),
      false,
    );
    assert.equal(
      canServeStaleOnError(meta({ 'cache-control': 'max-age=60, proxy-revalidate' }), zs, T0 + 70 * S),
      false,
    );
  });

  test('s-maxage and no-cache block the zone option but not an explicit stale-if-error', () => {
    const zs = settings({ serveStaleOnErrorSeconds: 3600 });
    assert.equal(canServeStaleOnError(meta({ 'cache-control': 's-maxage=60' }), zs, T0 + 70 * S), false);
    assert.equal(
      canServeStaleOnError(meta({ 'cache-control': 'max-age=60, no-cache' }), zs, T0 + 70 * S),
      false,
    );
    assert.equal(
      canServeStaleOnError(meta({ 'cache-control': 's-maxage=60, stale-if-error=60' }), zs, T0 + 70 * S),
      true,
    );
  });

  test('a soft-purged entry may be served on error (stale since its purge)', () => {
    const m = meta({ 'cache-control': 'max-age=600' }, { invalidated: true });
    assert.equal(canServeStaleOnError(m, settings({ serveStaleOnErrorSeconds: 60 }), T0 + 10 * S), true);
    assert.equal(canServeStaleOnError(m, settings(), T0 + 10 * S), false);
  });
});
