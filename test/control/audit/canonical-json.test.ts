import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { canonicalJson } from '../../../src/control/audit/canonical-json.js';

function shuffleKeys(v: unknown, seed: number): unknown {
  if (Array.isArray(v)) return v.map((x, i) => shuffleKeys(x, seed + i));
  if (v !== null && typeof v === 'object') {
    const keys = Object.keys(v);
    const rotated = keys
      .slice(seed % Math.max(1, keys.length))
      .concat(keys.slice(0, seed % Math.max(1, keys.length)))
      .reverse();
    const out: Record<string, unknown> = {};
    // defineProperty: a plain assignment to "__proto__" would set the prototype instead of a key.
    for (const k of rotated) {
      Object.defineProperty(out, k, {
        value: shuffleKeys((v as Record<string, unknown>)[k], seed + 1),
        enumerable: true,
        writable: true,
        configurable: true,
      });
    }
    return out;
  }
  return v;
}

test('canonicalJson: key order does not matter, and the text parses back to the same JSON value', () => {
  fc.assert(
    fc.property(fc.jsonValue(), fc.nat(), (v, seed) => {
      const text = canonicalJson(v);
      assert.equal(canonicalJson(shuffleKeys(v, seed)), text);
      assert.equal(canonicalJson(JSON.parse(text)), text);
      assert.deepEqual(JSON.parse(text), JSON.parse(JSON.stringify(v)));
    }),
  );
});

test('canonicalJson: sorted keys, no whitespace, JSON.stringify rules for the odd values', () => {
  assert.equal(
    canonicalJson({ b: 1, a: [true, null, 'x'], c: { z: 1, y: 2 } }),
    '{"a":[true,null,"x"],"b":1,"c":{"y":2,"z":1}}',
  );
  assert.equal(canonicalJson({ a: undefined, b: [undefined, NaN, Infinity] }), '{"b":[null,null,null]}');
  assert.equal(canonicalJson(new Date(0)), '"1970-01-01T00:00:00.000Z"');
  assert.equal(canonicalJson(undefined), 'null');
  assert.equal(canonicalJson(JSON.parse('{"b":2,"__proto__":{"x":1}}')), '{"__proto__":{"x":1},"b":2}');
  assert.throws(() => canonicalJson({ n: 1n }), /BigInt/);
});
