import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mergeNotModified } from '../../../src/edge/cache/update-after-304.js';
import { assessFreshness } from '../../../src/edge/cache/freshness.js';
import { head, httpDate, S, settings, T0 } from './cache-fixtures.js';

describe('mergeNotModified (RFC 9111 3.2, 4.3.4)', () => {
  const stored = head(
    {
      'cache-control': 'max-age=60',
      etag: '"v1"',
      'content-type': 'text/html',
      'content-length': '1234',
      age: '30',
      'x-old': 'kept',
    },
    { status: 200 },
  );
  const later = T0 + 3600 * S;

  test('304 fields replace stored ones; others are kept; status kept; times updated', () => {
    const m = mergeNotModified(
      stored,
      { headers: { 'cache-control': 'max-age=120', etag: '"v1"', date: httpDate(later), 'x-new': 'n' } },
      later - 100,
      later,
    );
    assert.equal(m.status, 200);
    assert.equal(m.headers['cache-control'], 'max-age=120');
    assert.equal(m.headers['content-type'], 'text/html');
    assert.equal(m.headers['x-old'], 'kept');
    assert.equal(m.headers['x-new'], 'n');
    assert.equal(m.requestTime, later - 100);
    assert.equal(m.responseTime, later);
    // the refreshed response is fresh again, counted from the 304
    const f = assessFreshness(m, settings(), later + 10 * S);
    assert.deepEqual([f.lifetime, f.age, f.fresh], [120, 10, true]);
  });

  test('Content-Length and hop-by-hop fields of the 304 are not taken', () => {
    const m = mergeNotModified(
      stored,
      {
        headers: {
          'content-length': '0',
          connection: 'close, x-hop',
          'x-hop': '1',
          'transfer-encoding': 'chunked',
          'keep-alive': 'timeout=5',
        },
      },
      later,
      later,
    );
    assert.equal(m.headers['content-length'], '1234');
    for (const n of ['connection', 'x-hop', 'transfer-encoding', 'keep-alive'])
      assert.equal(m.headers[n], undefined, n);
  });

  test('stale Age and Date from the first response do not survive', () => {
    const m = mergeNotModified(stored, { headers: {} }, later, later);
    assert.equal(m.headers['age'], undefined);
    assert.equal(m.headers['date'], httpDate(later));
    assert.equal(assessFreshness(m, settings(), later).age, 0);
    const withAge = mergeNotModified(stored, { headers: { age: '5' } }, later, later);
    assert.equal(withAge.headers['age'], '5');
  });

  test('the stored object is not mutated', () => {
    const before = JSON.stringify(stored);
    mergeNotModified(stored, { headers: { 'cache-control': 'no-cache' } }, later, later);
    assert.equal(JSON.stringify(stored), before);
  });
});
