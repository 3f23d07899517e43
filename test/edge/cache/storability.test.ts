import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { storability } from '../../../src/edge/cache/storability.js';
import { GET, httpDate, settings, T0 } from './cache-fixtures.js';

const z = settings();
const base = { date: httpDate(T0) };
const res = (status: number, headers: Record<string, string | string[]>) => ({
  status,
  headers: { ...base, ...headers },
});
const reason = (r: ReturnType<typeof storability>) => (r.store ? 'store' : r.reason);
const check = (
  req: ReturnType<typeof GET> | { method: string; headers: Record<string, string> },
  status: number,
  headers: Record<string, string | string[]>,
  zs = z,
) => reason(storability(req, res(status, headers), zs, T0));

const MAX60 = { 'cache-control': 'max-age=60' };

describe('storability for a shared cache (RFC 9111 3)', () => {
  test('explicit freshness on a GET 200 is stored', () => {
    assert.equal(check(GET(), 200, MAX60), 'store');
  });

  test('only GET responses are stored', () => {
    assert.equal(check({ method: 'HEAD', headers: {} }, 200, MAX60), 'method');
    assert.equal(check({ method: 'POST', headers: {} }, 200, MAX60), 'method');
  });

  test('partial content, 304 and non-final statuses are not stored', () => {
    assert.equal(check(GET(), 206, MAX60), 'partial-content');
    assert.equal(check(GET(), 304, MAX60), 'not-modified');
    assert.equal(check(GET(), 100, MAX60), 'status');
  });

  test('no-store in response or request', () => {
    assert.equal(check(GET(), 200, { 'cache-control': 'max-age=60, no-store' }), 'no-store');
    assert.equal(check(GET({ 'cache-control': 'no-store' }), 200, MAX60), 'request-no-store');
  });

  test('must-understand overrides no-store for understood statuses only', () => {
    assert.equal(check(GET(), 200, { 'cache-control': 'max-age=60, must-understand, no-store' }), 'store');
    assert.equal(
      check(GET(), 299, { 'cache-control': 'max-age=60, must-understand, no-store' }),
      'must-understand',
    );
  });

  test('private (qualified or not) is never stored by a shared cache', () => {
    assert.equal(check(GET(), 200, { 'cache-control': 'private, max-age=60' }), 'private');
    assert.equal(check(GET(), 200, { 'cache-control': 'private="x-user", max-age=60' }), 'private');
  });

  test('Authorization: only with public, s-maxage or must-revalidate (RFC 9111 3.5)', () => {
    const auth = GET({ authorization: 'Bearer x' });
    assert.equal(check(auth, 200, MAX60), 'authorization');
    assert.equal(check(auth, 200, { 'cache-control': 'public, max-age=60' }), 'store');
    assert.equal(check(auth, 200, { 'cache-control': 's-maxage=60' }), 'store');
    assert.equal(check(auth, 200, { 'cache-control': 'max-age=60, must-revalidate' }), 'store');
  });

  test('heuristically cacheable statuses are stored without explicit freshness; others are not', () => {
    const lm = { 'last-modified': httpDate(T0 - 1000_000) };
    for (const s of [200, 203, 204, 300, 301, 308, 404, 405, 410, 414, 501])
      assert.equal(check(GET(), s, lm), 'store', `${s}`);
    for (const s of [302, 303, 307, 400, 403, 500, 502, 503])
      assert.equal(check(GET(), s, lm), 'not-cacheable', `${s}`);
    // explicit freshness or public makes them storable
    assert.equal(check(GET(), 302, MAX60), 'store');
    assert.equal(check(GET(), 503, { expires: httpDate(T0 + 60_000) }), 'store');
    assert.equal(check(GET(), 307, { 'cache-control': 'public', ...lm }), 'store');
  });

  test('a response stale on arrival with no validator is not worth storing', () => {
    assert.equal(check(GET(), 200, {}), 'zero-lifetime');
    assert.equal(check(GET(), 200, { 'cache-control': 'max-age=0' }), 'zero-lifetime');
    assert.equal(check(GET(), 200, { 'cache-control': 'max-age=0', etag: '"a"' }), 'store');
    assert.equal(check(GET(), 200, { 'cache-control': 'no-cache', 'last-modified': httpDate(T0) }), 'store');
    assert.equal(check(GET(), 200, { 'cache-control': 'max-age=0, stale-if-error=60' }), 'store');
    assert.equal(check(GET(), 200, { 'cache-control': 'max-age=0, stale-while-revalidate=60' }), 'store');
    assert.equal(
      check(GET(), 200, { 'cache-control': 'max-age=0, must-revalidate, stale-while-revalidate=60' }),
      'zero-lifetime',
    );
    assert.equal(check(GET(), 200, {}, settings({ serveStaleOnErrorSeconds: 60 })), 'store');
  });

  test("a zone's default TTL makes unmarked 200s storable", () => {
    assert.equal(check(GET(), 200, {}, settings({ defaultTtlSeconds: 60 })), 'store');
  });

  test('Set-Cookie only when the origin opted in for shared caches', () => {
    const cookie = { 'set-cookie': ['a=1'] };
    assert.equal(check(GET(), 200, { ...cookie, ...MAX60 }), 'set-cookie');
    assert.equal(check(GET(), 200, { ...cookie, 'cache-control': 's-maxage=60' }), 'set-cookie');
    assert.equal(check(GET(), 200, { ...cookie, 'cache-control': 'public, max-age=60' }), 'store');
    assert.equal(check(GET(), 200, { ...cookie, 'cdn-cache-control': 'max-age=60' }), 'store');
    assert.equal(
      check(GET(), 200, { ...cookie, 'cdn-cache-control': 'max-age=0', etag: '"x"' }),
      'set-cookie',
    );
  });

  test('Vary: * is not stored', () => {
    assert.equal(check(GET(), 200, { ...MAX60, vary: 'Accept, *' }), 'vary-star');
    assert.equal(check(GET(), 200, { ...MAX60, vary: 'Accept-Encoding' }), 'store');
  });

  test('CDN-Cache-Control takes precedence over Cache-Control (RFC 9213)', () => {
    assert.equal(
      check(GET(), 200, { 'cache-control': 'private, no-store', 'cdn-cache-control': 'max-age=60' }),
      'store',
    );
    assert.equal(
      check(GET(), 200, { 'cache-control': 'public, max-age=60', 'cdn-cache-control': 'no-store' }),
      'no-store',
    );
    assert.equal(
      check(GET(), 200, { 'cache-control': 'max-age=60', 'cdn-cache-control': 'private' }),
      'private',
    );
    // request directives still apply
    assert.equal(
      check(GET({ 'cache-control': 'no-store' }), 200, { 'cdn-cache-control': 'max-age=60' }),
      'request-no-store',
    );
  });

  test('Surrogate-Control no-store and no-store-remote', () => {
    assert.equal(check(GET(), 200, { ...MAX60, 'surrogate-control': 'no-store' }), 'no-store');
    assert.equal(check(GET(), 200, { ...MAX60, 'surrogate-control': 'no-store-remote' }), 'no-store');
    assert.equal(
      check(GET(), 200, { 'cache-control': 'no-store', 'surrogate-control': 'max-age=60' }),
      'store',
    );
  });
});
