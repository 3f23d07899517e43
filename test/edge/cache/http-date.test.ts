import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { formatHttpDate, parseHttpDate } from '../../../src/edge/cache/http-date.js';

const SUNDAY = Date.UTC(1994, 10, 6, 8, 49, 37);

describe('HTTP-date (RFC 9110 5.6.7)', () => {
  test('the three formats of the RFC example', () => {
    assert.equal(parseHttpDate('Sun, 06 Nov 1994 08:49:37 GMT'), SUNDAY);
    assert.equal(parseHttpDate('Sunday, 06-Nov-94 08:49:37 GMT'), SUNDAY);
    assert.equal(parseHttpDate('Sun Nov  6 08:49:37 1994'), SUNDAY);
  });

  test('non-HTTP spellings Date.parse would accept are rejected', () => {
    for (const bad of [
      '0',
      '-1',
      '2024',
      '2024-01-01T00:00:00Z',
      'Sun, 06 Nov 1994 08:49:37 UTC',
      'tomorrow',
      '',
    ]) {
      assert.equal(parseHttpDate(bad), undefined, bad);
    }
  });

  test('impossible dates are rejected', () => {
    assert.equal(parseHttpDate('Mon, 31 Feb 2026 00:00:00 GMT'), undefined);
    assert.equal(parseHttpDate('Mon, 01 Feb 2026 24:00:00 GMT'), undefined);
    assert.equal(parseHttpDate('Mon, 01 Foo 2026 00:00:00 GMT'), undefined);
  });

  test('property: format then parse round-trips whole seconds', () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 253402300799 }), (sec) => {
        assert.equal(parseHttpDate(formatHttpDate(sec * 1000)), sec * 1000);
      }),
    );
  });
});
