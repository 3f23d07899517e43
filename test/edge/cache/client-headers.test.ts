import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import {
  cacheTags,
  clientHeaderList,
  EDGE_ONLY_HEADERS,
  headersForClient,
} from '../../../src/edge/cache/client-headers.js';

describe('cacheTags', () => {
  test('Surrogate-Key by spaces, Cache-Tag by commas, trimmed and deduped in order', () => {
    assert.deepEqual(cacheTags({ 'surrogate-key': '  a  b\tc ', 'cache-tag': 'b, d,,e ' }), [
      'a',
      'b',
      'c',
      'd',
      'e',
    ]);
    assert.deepEqual(cacheTags({ 'surrogate-key': ['x y', 'y z'] }), ['x', 'y', 'z']);
    assert.deepEqual(cacheTags({}), []);
  });
});

describe('headersForClient / clientHeaderList', () => {
  const stored = {
    'content-type': 'text/html',
    'cdn-cache-control': 'max-age=600',
    'surrogate-control': 'max-age=600',
    'surrogate-key': 'a',
    'cache-tag': 'b',
    'set-cookie': ['a=1', 'b=2'],
  };

  test('edge-only fields never reach clients', () => {
    const h = headersForClient(stored);
    assert.deepEqual(h, { 'content-type': 'text/html', 'set-cookie': ['a=1', 'b=2'] });
    for (const n of EDGE_ONLY_HEADERS) assert.equal(n in h, false);
    assert.notEqual(h, stored);
    assert.equal(stored['cdn-cache-control'], 'max-age=600'); // not mutated
  });

  test('the flat list expands repeated fields', () => {
    assert.deepEqual(clientHeaderList(stored), [
      'content-type',
      'text/html',
      'set-cookie',
      'a=1',
      'set-cookie',
      'b=2',
    ]);
  });
});
