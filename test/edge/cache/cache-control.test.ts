import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { DELTA_SECONDS_MAX, parseCacheControl } from '../../../src/edge/cache/cache-control.js';

describe('parseCacheControl', () => {
  test('directives with and without arguments, case-insensitive names', () => {
    const cc = parseCacheControl('Public, MAX-AGE=60, s-maxage=120, no-transform');
    assert.equal(cc.has('public'), true);
    assert.equal(cc.has('PUBLIC'), true);
    assert.equal(cc.seconds('max-age'), 60);
    assert.equal(cc.seconds('s-maxage'), 120);
    assert.equal(cc.value('no-transform'), true);
    assert.equal(cc.has('private'), false);
    assert.equal(cc.value('private'), undefined);
  });

  test('quoted values: commas and escapes inside quotes do not split', () => {
    const cc = parseCacheControl('no-cache="set-cookie, x-foo", private="a\\"b", max-age="30"');
    assert.equal(cc.value('no-cache'), 'set-cookie, x-foo');
    assert.equal(cc.value('private'), 'a"b');
    // RFC 9111 5.2: recipients accept the quoted form of delta-seconds too
    assert.equal(cc.seconds('max-age'), 30);
    assert.equal(cc.has('x-foo"'), false);
  });

  test('several field lines combine as one list; first occurrence wins', () => {
    const cc = parseCacheControl(['max-age=10', 'max-age=20, must-revalidate']);
    assert.equal(cc.seconds('max-age'), 10);
    assert.equal(cc.has('must-revalidate'), true);
  });

  test('invalid delta-seconds are undefined, overflow clamps to 2^31', () => {
    for (const bad of ['-1', '1.5', 'abc', '', ' ', '+5', '0x10', '1e3']) {
      assert.equal(parseCacheControl(`max-age=${bad}`).seconds('max-age'), undefined, bad);
    }
    assert.equal(parseCacheControl('max-age=99999999999999999999').seconds('max-age'), DELTA_SECONDS_MAX);
    assert.equal(parseCacheControl('max-age=2147483649').seconds('max-age'), DELTA_SECONDS_MAX);
    assert.equal(parseCacheControl('max-age=2147483647').seconds('max-age'), 2147483647);
    assert.equal(parseCacheControl('max-age').seconds('max-age'), undefined);
    assert.equal(parseCacheControl('max-age').has('max-age'), true);
  });

  test('whitespace and empty list elements are tolerated', () => {
    const cc = parseCacheControl(' , max-age = 5 ,,\tno-store , ');
    assert.equal(cc.seconds('max-age'), 5);
    assert.equal(cc.has('no-store'), true);
  });

  test('absent or empty field has no directives', () => {
    assert.equal(parseCacheControl(undefined).has('max-age'), false);
    assert.equal(parseCacheControl('').has('max-age'), false);
    assert.equal(parseCacheControl([]).has('max-age'), false);
  });

  test('unterminated quoted string runs to the end without throwing', () => {
    const cc = parseCacheControl('max-age=5, no-cache="abc, def');
    assert.equal(cc.seconds('max-age'), 5);
    assert.equal(cc.value('no-cache'), 'abc, def');
  });

  test('property: never throws on arbitrary input', () => {
    fc.assert(
      fc.property(fc.oneof(fc.string(), fc.array(fc.string())), fc.string(), (v, name) => {
        const cc = parseCacheControl(v);
        cc.has(name);
        const s = cc.seconds(name);
        assert.ok(s === undefined || (Number.isInteger(s) && s >= 0 && s <= DELTA_SECONDS_MAX));
        cc.value(name);
      }),
      { numRuns: 2000 },
    );
  });

  const tokenChar = fc.constantFrom(...'abcdefghijklmnopqrstuvwxyz0123456789-_'.split(''));
  const token = fc.string({ unit: tokenChar, minLength: 1, maxLength: 12 });
  const directive = fc.record({
    name: token,
    arg: fc.oneof(
      fc.constant<undefined>(undefined),
      fc.nat({ max: 2 ** 40 }).map((n) => ({ kind: 'n' as const, n })),
      fc.string({ maxLength: 20 }).map((s) => ({ kind: 'q' as const, s })),
    ),
  });

  test('property: serialized sane directives parse back to what was written', () => {
    fc.assert(
      fc.property(fc.array(directive, { maxLength: 8 }), (ds) => {
        const text = ds
          .map(({ name, arg }) =>
            arg === undefined
              ? name
              : arg.kind === 'n'
                ? `${name}=${arg.n}`
                : `${name}="${arg.s.replace(/[\\"]/g, (c) => '\\' + c)}"`,
          )
          .join(', ');
        const cc = parseCacheControl(text);
        const seen = new Set<string>();
        for (const { name, arg } of ds) {
          if (seen.has(name)) continue; // first occurrence wins
          seen.add(name);
          assert.equal(cc.has(name.toUpperCase()), true);
          if (arg === undefined) assert.equal(cc.value(name), true);
          else if (arg.kind === 'n') assert.equal(cc.seconds(name), Math.min(arg.n, DELTA_SECONDS_MAX));
          else assert.equal(cc.value(name), arg.s);
        }
      }),
      { numRuns: 1000 },
    );
  });
});
