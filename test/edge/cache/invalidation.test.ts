import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { invalidatedUrls } from '../../../src/edge/cache/invalidation.js';
import { EdgewardError } from '../../../src/shared/errors.js';

const U = 'https://a.com/items/1?x=1';

describe('invalidatedUrls (RFC 9111 4.4)', () => {
  test('safe methods invalidate nothing', () => {
    for (const m of ['GET', 'HEAD', 'OPTIONS', 'TRACE', 'get'])
      assert.deepEqual(invalidatedUrls(m, 200, U, {}), [], m);
  });

  test('unsafe methods with 2xx/3xx invalidate the target', () => {
    for (const m of ['POST', 'PUT', 'DELETE', 'PATCH', 'PURGE'])
      assert.deepEqual(invalidatedUrls(m, 204, U, {}), [U], m);
    assert.deepEqual(invalidatedUrls('POST', 303, U, {}), [U]);
  });

  test('error or informational statuses invalidate nothing', () => {
    assert.deepEqual(invalidatedUrls('POST', 404, U, {}), []);
    assert.deepEqual(invalidatedUrls('POST', 500, U, {}), []);
    assert.deepEqual(invalidatedUrls('POST', 100, U, {}), []);
  });

  test('Location and Content-Location, resolved, same origin only', () => {
    const got = invalidatedUrls('POST', 201, U, {
      location: '/items/2#frag',
      'content-location': 'other?y=2',
    });
    assert.deepEqual(got, [U, 'https://a.com/items/2', 'https://a.com/items/other?y=2']);
    assert.deepEqual(invalidatedUrls('POST', 201, U, { location: 'https://b.com/items/2' }), [U]);
    assert.deepEqual(invalidatedUrls('POST', 201, U, { location: 'http://a.com/items/2' }), [U]); // other scheme
    assert.deepEqual(invalidatedUrls('POST', 201, U, { location: 'https://a.com:8443/x' }), [U]); // other port
    assert.deepEqual(invalidatedUrls('POST', 201, U, { location: U }), [U]); // deduped
    assert.deepEqual(invalidatedUrls('POST', 201, U, { location: 'http://[bad' }), [U]);
  });

  test('a non-absolute request URL is a programming error with the field named', () => {
    assert.throws(
      () => invalidatedUrls('POST', 200, '/relative', {}),
      (e: unknown) => e instanceof EdgewardError && e.field === 'requestUrl',
    );
  });
});
