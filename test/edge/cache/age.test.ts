import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { currentAge } from '../../../src/edge/cache/age.js';
import { head, httpDate, S, T0 } from './cache-fixtures.js';

describe('currentAge (RFC 9111 4.2.3)', () => {
  test('resident time only when Date equals the response time', () => {
    assert.equal(currentAge(head({}), T0), 0);
    assert.equal(currentAge(head({}), T0 + 90 * S), 90);
    assert.equal(currentAge(head({}), T0 + 90 * S + 999), 90);
  });

  test('Age header from an upstream cache adds to it', () => {
    assert.equal(currentAge(head({ age: '100' }), T0 + 10 * S), 110);
  });

  test('apparent age from a Date in the past', () => {
    const h = head({ date: httpDate(T0 - 30 * S) });
    assert.equal(currentAge(h, T0), 30);
    // corrected_initial_age = max(apparent_age, corrected_age_value)
    assert.equal(currentAge(head({ date: httpDate(T0 - 30 * S), age: '50' }), T0), 50);
    assert.equal(currentAge(head({ date: httpDate(T0 - 30 * S), age: '5' }), T0), 30);
  });

  test('response delay is added to Age (the response may have aged in transit)', () => {
    const h = head({ age: '10' }, { requestTime: T0 - 4 * S, responseTime: T0 });
    assert.equal(currentAge(h, T0 + 1 * S), 15);
  });

  test('Date in the future (origin clock ahead) does not make the age negative', () => {
    assert.equal(currentAge(head({ date: httpDate(T0 + 3600 * S) }), T0 + 5 * S), 5);
  });

  test('missing or invalid Date counts as the arrival time; invalid Age as 0', () => {
    assert.equal(currentAge(head({ date: 'yesterday' }), T0 + 7 * S), 7);
    assert.equal(currentAge({ status: 200, headers: {}, requestTime: T0, responseTime: T0 }, T0 + 7 * S), 7);
    assert.equal(currentAge(head({ age: '-5' }), T0 + 7 * S), 7);
    assert.equal(currentAge(head({ age: 'abc' }), T0 + 7 * S), 7);
  });

  test('huge Age clamps rather than overflowing', () => {
    assert.equal(currentAge(head({ age: '99999999999999999999' }), T0), 2 ** 31);
  });

  test('property: never negative, whole seconds, monotonic in now', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: -1e12, max: 1e12 }),
        fc.integer({ min: -1e9, max: 1e9 }),
        fc.integer({ min: -1e9, max: 1e9 }),
        fc.option(fc.oneof(fc.nat().map(String), fc.string())),
        fc.nat({ max: 1e9 }),
        (dateOffset, reqOffset, nowOffset, age, later) => {
          const headers: Record<string, string> = { date: httpDate(T0 + dateOffset) };
          if (age !== null) headers['age'] = age;
          const h = { status: 200, headers, requestTime: T0 + reqOffset, responseTime: T0 };
          const a = currentAge(h, T0 + nowOffset);
          assert.ok(Number.isInteger(a) && a >= 0, `age ${a}`);
          assert.ok(currentAge(h, T0 + nowOffset + later) >= a);
        },
      ),
      { numRuns: 1000 },
    );
  });
});
