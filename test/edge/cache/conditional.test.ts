import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import {
  evaluateConditional,
  notModifiedHeaders,
  revalidationHeaders,
} from '../../../src/edge/cache/conditional.js';
import { httpDate, T0 } from './cache-fixtures.js';

const LM = T0 - 3600_000;
const stored = {
  status: 200,
  headers: { etag: '"v1"', 'last-modified': httpDate(LM), date: httpDate(T0), 'content-type': 'text/plain' },
};
const ev = (
  headers: Record<string, string>,
  method = 'GET',
  s: { status: number; headers: Record<string, string> } = stored,
) => evaluateConditional({ method, headers }, s);

describe('evaluateConditional (RFC 9110 13.2.2)', () => {
  test('no preconditions', () => {
    assert.equal(ev({}), 'proceed');
  });

  test('If-None-Match: weak comparison, lists, *', () => {
    assert.equal(ev({ 'if-none-match': '"v1"' }), 'not-modified');
    assert.equal(ev({ 'if-none-match': 'W/"v1"' }), 'not-modified');
    assert.equal(ev({ 'if-none-match': '"a", "v1"' }), 'not-modified');
    assert.equal(ev({ 'if-none-match': '"a,b", "c"' }), 'proceed');
    assert.equal(ev({ 'if-none-match': '*' }), 'not-modified');
    assert.equal(ev({ 'if-none-match': '"v2"' }), 'proceed');
    assert.equal(ev({ 'if-none-match': '"v1"' }, 'HEAD'), 'not-modified');
    const weakStored = { status: 200, headers: { etag: 'W/"v1"' } };
    assert.equal(ev({ 'if-none-match': '"v1"' }, 'GET', weakStored), 'not-modified');
  });

  test('a comma inside an entity tag is part of it', () => {
    const s = { status: 200, headers: { etag: '"a,b"' } };
    assert.equal(ev({ 'if-none-match': '"x", "a,b"' }, 'GET', s), 'not-modified');
    assert.equal(ev({ 'if-none-match': '"a", "b"' }, 'GET', s), 'proceed');
  });

  test('If-Modified-Since against Last-Modified', () => {
    assert.equal(ev({ 'if-modified-since': httpDate(LM) }), 'not-modified');
    assert.equal(ev({ 'if-modified-since': httpDate(LM + 1000) }), 'not-modified');
    assert.equal(ev({ 'if-modified-since': httpDate(LM - 1000) }), 'proceed');
    assert.equal(ev({ 'if-modified-since': 'garbage' }), 'proceed');
  });

  test('If-Modified-Since falls back to the stored Date (RFC 9111 4.3.2)', () => {
    const s = { status: 200, headers: { date: httpDate(T0) } };
    assert.equal(ev({ 'if-modified-since': httpDate(T0) }, 'GET', s), 'not-modified');
    assert.equal(ev({ 'if-modified-since': httpDate(T0 - 1000) }, 'GET', s), 'proceed');
  });

  test('If-None-Match wins over If-Modified-Since', () => {
    assert.equal(ev({ 'if-none-match': '"v2"', 'if-modified-since': httpDate(T0) }), 'proceed');
  });

  test('If-Match: strong comparison; failure is 412', () => {
    assert.equal(ev({ 'if-match': '"v1"' }), 'proceed');
    assert.equal(ev({ 'if-match': '"v2"' }), 'precondition-failed');
    assert.equal(ev({ 'if-match': 'W/"v1"' }), 'precondition-failed');
    assert.equal(ev({ 'if-match': '*' }), 'proceed');
    assert.equal(ev({ 'if-match': '"v1"' }, 'GET', { status: 200, headers: {} }), 'precondition-failed');
    // evaluated before If-None-Match
    assert.equal(ev({ 'if-match': '"v2"', 'if-none-match': '"v1"' }), 'precondition-failed');
    assert.equal(ev({ 'if-match': '"v1"', 'if-none-match': '"v1"' }), 'not-modified');
  });

  test('If-Unmodified-Since only without If-Match', () => {
    assert.equal(ev({ 'if-unmodified-since': httpDate(LM - 1000) }), 'precondition-failed');
    assert.equal(ev({ 'if-unmodified-since': httpDate(LM) }), 'proceed');
    assert.equal(ev({ 'if-match': '"v1"', 'if-unmodified-since': httpDate(LM - 1000) }), 'proceed');
  });

  test('preconditions are ignored for non-2xx stored responses and for other methods', () => {
    const notFound = { status: 404, headers: stored.headers };
    assert.equal(ev({ 'if-none-match': '"v1"' }, 'GET', notFound), 'proceed');
    assert.equal(ev({ 'if-match': '"zz"' }, 'GET', notFound), 'proceed');
    assert.equal(ev({ 'if-none-match': '"v1"' }, 'POST'), 'proceed');
  });
});

describe('revalidationHeaders', () => {
  test('both validators when present', () => {
    assert.deepEqual(revalidationHeaders(stored.headers), {
      'if-none-match': '"v1"',
      'if-modified-since': httpDate(LM),
    });
    assert.deepEqual(revalidationHeaders({ etag: 'W/"x"' }), { 'if-none-match': 'W/"x"' });
    assert.deepEqual(revalidationHeaders({ 'last-modified': 'nonsense' }), {});
    assert.deepEqual(revalidationHeaders({}), {});
  });
});

describe('notModifiedHeaders (RFC 9110 15.4.5)', () => {
  test('keeps the metadata a 304 carries, nothing else', () => {
    const h = notModifiedHeaders({
      'cache-control': 'max-age=60',
      'content-location': '/x',
      date: 'd',
      etag: '"v1"',
      expires: 'e',
      vary: 'Accept',
      'last-modified': 'l',
      'content-type': 'text/html',
      'content-length': '10',
      'cdn-cache-control': 'max-age=600',
      'set-cookie': ['a=1'],
    });
    assert.deepEqual(Object.keys(h).sort(), [
      'cache-control',
      'content-location',
      'date',
      'etag',
      'expires',
      'last-modified',
      'vary',
    ]);
  });
});
