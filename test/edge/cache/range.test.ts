import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { ifRangeAllows, parseRange } from '../../../src/edge/cache/range.js';
import { httpDate, T0 } from './cache-fixtures.js';

describe('parseRange (RFC 9110 14.1.2)', () => {
  test('the RFC examples on a 10000-byte representation', () => {
    assert.deepEqual(parseRange('bytes=0-499', 10000), { start: 0, end: 499 });
    assert.deepEqual(parseRange('bytes=500-999', 10000), { start: 500, end: 999 });
    assert.deepEqual(parseRange('bytes=-500', 10000), { start: 9500, end: 9999 });
    assert.deepEqual(parseRange('bytes=9500-', 10000), { start: 9500, end: 9999 });
    assert.deepEqual(parseRange('bytes=0-0', 10000), { start: 0, end: 0 });
    assert.deepEqual(parseRange('bytes=-1', 10000), { start: 9999, end: 9999 });
  });

  test('last-pos past the end is clamped; a suffix longer than the body is the whole body', () => {
    assert.deepEqual(parseRange('bytes=9000-20000', 10000), { start: 9000, end: 9999 });
    assert.deepEqual(parseRange('bytes=-20000', 10000), { start: 0, end: 9999 });
    assert.deepEqual(parseRange('Bytes=1-2', 10), { start: 1, end: 2 }); // unit is case-insensitive
  });

  test('unsatisfiable', () => {
    assert.equal(parseRange('bytes=10000-', 10000), 'unsatisfiable');
    assert.equal(parseRange('bytes=10000-10001', 10000), 'unsatisfiable');
    assert.equal(parseRange('bytes=-0', 10000), 'unsatisfiable');
    assert.equal(parseRange('bytes=0-', 0), 'unsatisfiable');
  });

  test('multiple ranges, other units, malformed and invalid specs are ignored (full 200)', () => {
    for (const h of [
      undefined,
      'bytes=0-1,5-6',
      'items=0-1',
      'bytes=',
      'bytes=-',
      'bytes=a-b',
      'bytes=5-1',
      'bytes= 1 - 2',
      'bytes=1.5-2',
      'bytes 0-1',
    ]) {
      assert.equal(parseRange(h, 10000), 'ignore', String(h));
    }
    assert.deepEqual(parseRange('bytes=0-1, ', 10000), { start: 0, end: 1 }); // empty list elements do not count
  });

  test('property: never out of bounds', () => {
    const spec = fc.oneof(
      fc.string(),
      fc
        .tuple(fc.option(fc.nat({ max: 2e6 })), fc.option(fc.nat({ max: 2e6 })))
        .map(([a, b]) => `bytes=${a ?? ''}-${b ?? ''}`),
    );
    fc.assert(
      fc.property(spec, fc.nat({ max: 1e6 }), (h, size) => {
        const r = parseRange(h, size);
        if (typeof r === 'string') return;
        assert.ok(Number.isInteger(r.start) && Number.isInteger(r.end));
        assert.ok(0 <= r.start && r.start <= r.end && r.end < size, `${h} on ${size}: ${JSON.stringify(r)}`);
      }),
      { numRuns: 3000 },
    );
  });
});

describe('ifRangeAllows (RFC 9110 13.1.5)', () => {
  const LM = T0 - 60_000;
  const stored = { etag: '"v1"', 'last-modified': httpDate(LM), date: httpDate(T0) };

  test('absent If-Range allows the range', () => {
    assert.equal(ifRangeAllows(undefined, stored), true);
  });

  test('entity tag: strong match only', () => {
    assert.equal(ifRangeAllows('"v1"', stored), true);
    assert.equal(ifRangeAllows('"v2"', stored), false);
    assert.equal(ifRangeAllows('W/"v1"', stored), false);
    assert.equal(ifRangeAllows('"v1"', { ...stored, etag: 'W/"v1"' }), false);
    assert.equal(ifRangeAllows('"v1"', {}), false);
  });

  test('date: exact Last-Modified match, and only when Last-Modified is strong', () => {
    assert.equal(ifRangeAllows(httpDate(LM), stored), true);
    assert.equal(ifRangeAllows(httpDate(LM + 1000), stored), false);
    // Date less than a second after Last-Modified: the date is weak
    assert.equal(ifRangeAllows(httpDate(LM), { ...stored, date: httpDate(LM) }), false);
    assert.equal(ifRangeAllows(httpDate(LM), { 'last-modified': httpDate(LM) }), false);
    assert.equal(ifRangeAllows('garbage', stored), false);
  });
});
