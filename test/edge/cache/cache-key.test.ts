import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { cacheKeys, sortQuery } from '../../../src/edge/cache/cache-key.js';
import type { NormalizedUrl } from '../../../src/shared/url/normalized-url.js';

const url = (query: string, scheme: 'http' | 'https' = 'https'): NormalizedUrl => ({
  scheme,
  host: 'a.com',
  path: '/p',
  query,
});

describe('cacheKeys', () => {
  test('keep: the query as sent; no scheme; zone on its own line', () => {
    assert.deepEqual(cacheKeys('z1', url('b=2&a=1'), 'keep'), {
      primaryKey: 'z1\na.com/p?b=2&a=1',
      urlKey: 'a.com/p?b=2&a=1',
    });
    assert.deepEqual(cacheKeys('z1', url('', 'http'), 'keep'), cacheKeys('z1', url('', 'https'), 'keep'));
    assert.equal(cacheKeys('z1', url(''), 'keep').urlKey, 'a.com/p');
  });

  test('sort: parameters by name, stable for repeated names', () => {
    assert.equal(cacheKeys('z', url('b=2&a=1&c'), 'sort').urlKey, 'a.com/p?a=1&b=2&c');
    assert.equal(sortQuery('x=2&a=0&x=1'), 'a=0&x=2&x=1');
    assert.equal(sortQuery('b&&a'), 'a&b');
    assert.equal(sortQuery('a=2&a=1&b'), 'a=2&a=1&b');
    assert.equal(sortQuery('a&&b'), 'a&b');
  });

  test('ignore: the query is dropped', () => {
    assert.deepEqual(cacheKeys('z', url('a=1'), 'ignore'), { primaryKey: 'z\na.com/p', urlKey: 'a.com/p' });
  });

  test('zones do not share keys', () => {
    assert.notEqual(cacheKeys('z1', url(''), 'keep').primaryKey, cacheKeys('z2', url(''), 'keep').primaryKey);
  });

  test('property: sort is order-insensitive across distinct names and idempotent', () => {
    const param = fc.tuple(fc.stringMatching(/^[a-z]{1,4}$/), fc.stringMatching(/^[a-z0-9]{0,4}$/));
    fc.assert(
      fc.property(
        fc.uniqueArray(param, { selector: (p) => p[0], maxLength: 8 }),
        fc.nat(),
        (params, seed) => {
          const q = params.map(([k, v]) => `${k}=${v}`);
          const shuffled = [...q].sort((a, b) => ((a.length * 31 + seed) % 7) - ((b.length * 31 + seed) % 7));
          const s1 = sortQuery(q.join('&'));
          assert.equal(sortQuery(shuffled.join('&')), s1);
          assert.equal(sortQuery(s1), s1);
        },
      ),
    );
  });
});
