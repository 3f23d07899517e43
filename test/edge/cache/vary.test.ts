import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import {
  canonicalAcceptEncoding,
  varyHeaderNames,
  varyKeyFor,
  varyMatches,
} from '../../../src/edge/cache/vary.js';
import { meta } from './cache-fixtures.js';

describe('varyHeaderNames', () => {
  test('lower-case, sorted, deduped; absent = []', () => {
    assert.deepEqual(varyHeaderNames({ vary: 'User-Agent, accept-encoding, Accept-Encoding' }), [
      'accept-encoding',
      'user-agent',
    ]);
    assert.deepEqual(varyHeaderNames({ vary: ['Accept', 'Origin'] }), ['accept', 'origin']);
    assert.deepEqual(varyHeaderNames({}), []);
    assert.deepEqual(varyHeaderNames({ vary: ' , ' }), []);
  });

  test("'*' anywhere", () => {
    assert.equal(varyHeaderNames({ vary: 'Accept, *' }), '*');
  });
});

describe('varyKeyFor', () => {
  test('no Vary gives the empty key', () => {
    assert.equal(varyKeyFor([], { accept: 'x' }), '');
  });

  test('absent differs from empty, and both from a value', () => {
    const names = ['accept-language'];
    const keys = new Set([
      varyKeyFor(names, {}),
      varyKeyFor(names, { 'accept-language': '' }),
      varyKeyFor(names, { 'accept-language': 'en' }),
    ]);
    assert.equal(keys.size, 3);
  });

  test('whitespace is trimmed and collapsed', () => {
    const names = ['accept-language'];
    assert.equal(
      varyKeyFor(names, { 'accept-language': '  en-US,   fr ' }),
      varyKeyFor(names, { 'accept-language': 'en-US, fr' }),
    );
    assert.notEqual(
      varyKeyFor(names, { 'accept-language': 'en' }),
      varyKeyFor(names, { 'accept-language': 'fr' }),
    );
  });

  test('a value cannot forge another header line of the key', () => {
    const names = ['a', 'b'];
    assert.notEqual(varyKeyFor(names, { a: 'x\nb:y' }), varyKeyFor(names, { a: 'x', b: 'y' }));
  });

  test('Accept-Encoding: order, case, spacing, q>0 and x-gzip do not fragment; q=0 refusals do', () => {
    const n = ['accept-encoding'];
    const k = (v: string) => varyKeyFor(n, { 'accept-encoding': v });
    assert.equal(k('gzip, deflate, br'), k('br,GZIP ,deflate'));
    assert.equal(k('gzip;q=1.0, br;q=0.5'), k('br, x-gzip'));
    assert.notEqual(k('gzip'), k('gzip, br'));
    assert.notEqual(k('gzip, identity;q=0'), k('gzip'));
    assert.equal(canonicalAcceptEncoding('br;q=0.9, gzip, identity; q=0'), 'br,gzip,identity;q=0');
  });

  test('property: Accept-Encoding key is invariant under permutation of the codings', () => {
    const coding = fc.constantFrom('gzip', 'br', 'deflate', 'zstd', 'identity', '*', 'compress');
    fc.assert(
      fc.property(fc.uniqueArray(coding, { minLength: 1 }), fc.boolean(), (list, upper) => {
        const a = list.join(', ');
        const b = [...list]
          .reverse()
          .map((c) => (upper ? c.toUpperCase() : c))
          .join(',');
        assert.equal(
          varyKeyFor(['accept-encoding'], { 'accept-encoding': a }),
          varyKeyFor(['accept-encoding'], { 'accept-encoding': b }),
        );
      }),
    );
  });
});

describe('varyMatches', () => {
  test('a stored variant matches only requests with equivalent Varied headers', () => {
    const names = ['accept-encoding', 'accept-language'];
    const storedReq = { 'accept-encoding': 'gzip, br', 'accept-language': 'en' };
    const m = meta({ vary: 'Accept-Encoding, Accept-Language' }, { varyKey: varyKeyFor(names, storedReq) });
    assert.equal(
      varyMatches(m, { 'accept-encoding': 'br,gzip', 'accept-language': 'en', 'user-agent': 'x' }),
      true,
    );
    assert.equal(varyMatches(m, { 'accept-encoding': 'br,gzip', 'accept-language': 'de' }), false);
    assert.equal(varyMatches(m, { 'accept-encoding': 'br,gzip' }), false);
  });

  test('no Vary matches everything; Vary: * nothing', () => {
    assert.equal(varyMatches(meta({}), { accept: 'x' }), true);
    assert.equal(varyMatches(meta({ vary: '*' }), {}), false);
  });
});
