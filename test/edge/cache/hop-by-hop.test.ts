import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { HOP_BY_HOP, stripHopByHop } from '../../../src/edge/cache/hop-by-hop.js';

describe('stripHopByHop (RFC 9110 7.6.1)', () => {
  test('drops the fixed hop-by-hop set', () => {
    const h: Record<string, string> = { 'content-type': 'x' };
    for (const n of HOP_BY_HOP) h[n] = 'v';
    assert.deepEqual(stripHopByHop(h), { 'content-type': 'x' });
  });

  test('drops the fields named in Connection, case-insensitively, across lines', () => {
    const got = stripHopByHop({
      connection: ['close, X-Secret', 'x-other'],
      'x-secret': 's',
      'x-other': 'o',
      'x-keep': 'k',
    });
    assert.deepEqual(got, { 'x-keep': 'k' });
  });

  test('skips undefined values (node IncomingHttpHeaders) and lower-cases names', () => {
    assert.deepEqual(stripHopByHop({ 'X-A': 'a', 'x-b': undefined }), { 'x-a': 'a' });
  });
});
