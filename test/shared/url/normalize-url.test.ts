import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import {
  formatNormalizedUrl,
  normalizeRequest,
  normalizeUrl,
  normalizedUrlKey,
} from '../../../src/shared/url/normalize-url.js';
import { EdgewardError } from '../../../src/shared/errors.js';
import { formatSimple, urlSpellings, simpleUrl } from './url-arbitraries.js';

test('host: case, trailing dot, default port, IDN, IPv4 and IPv6 literals', () => {
  assert.equal(normalizeUrl('HTTPS://Example.COM./a').host, 'example.com');
  assert.equal(normalizeUrl('https://example.com:443/a').host, 'example.com');
  assert.equal(normalizeUrl('http://example.com:80/a').host, 'example.com');
  assert.equal(normalizeUrl('http://example.com:8080/a').host, 'example.com:8080');
  assert.equal(normalizeUrl('https://example.com:80/a').host, 'example.com:80');
  assert.equal(normalizeUrl('http://mañana.example/').host, 'xn--maana-pta.example');
  assert.equal(normalizeUrl('http://0x7f.1/').host, '127.0.0.1');
  assert.equal(normalizeUrl('http://[2001:DB8:0:0::1]:80/').host, '[2001:db8::1]');
  assert.equal(normalizeUrl('http://user:pw@example.com/').host, 'example.com');
});

test('path: unreserved escapes decoded, hex upper-cased, dot segments removed, illegal characters encoded', () => {
  assert.equal(normalizeUrl('http://e.com/%7Euser/%61bc').path, '/~user/abc');
  assert.equal(normalizeUrl('http://e.com/a%2fb%3a').path, '/a%2Fb%3A');
  assert.equal(normalizeUrl('http://e.com/a/./b/../c').path, '/a/c');
  assert.equal(normalizeUrl('http://e.com/a/%2E%2e/c').path, '/c');
  assert.equal(normalizeUrl('http://e.com/../../x').path, '/x');
  assert.equal(normalizeUrl('http://e.com/a/b/..').path, '/a/');
  assert.equal(normalizeUrl('http://e.com').path, '/');
  assert.equal(normalizeUrl('http://e.com/a b/ü').path, '/a%20b/%C3%BC');
  assert.equal(normalizeUrl('http://e.com/100%').path, '/100%25');
  assert.equal(normalizeUrl('http://e.com/a\\b').path, '/a/b');
  assert.equal(normalizeUrl('http://e.com/x#frag').path, '/x');
});

test('query: order kept, escapes normalized, fragment dropped', () => {
  const u = normalizeUrl('http://e.com/p?b=2&a=%7e%2f#top');
  assert.equal(u.query, 'b=2&a=~%2F');
  assert.equal(normalizedUrlKey(u), 'e.com/p?b=2&a=~%2F');
  assert.equal(formatNormalizedUrl(u), 'http://e.com/p?b=2&a=~%2F');
});

test('requests: Host header plus origin-form target, or absolute-form target', () => {
  const a = normalizeRequest('http', 'Example.com:80', '/a/../b?x=1');
  assert.deepEqual(a, { scheme: 'http', host: 'example.com', path: '/b', query: 'x=1' });
  const b = normalizeRequest('http', 'ignored.example', 'http://Other.example/p');
  assert.equal(b.host, 'other.example');
});

test('bad input is an error with a code', () => {
  for (const bad of [
    'ftp://e.com/',
    'e.com/path',
    'http://exa mple.com/',
    'http://e.com:99999/',
    'http://[::1/',
  ]) {
    assert.throws(
      () => normalizeUrl(bad),
      (e: unknown) => e instanceof EdgewardError && e.code === 'invalid_url',
      bad,
    );
  }
  assert.throws(
    () => normalizeRequest('http', undefined, '/'),
    (e: unknown) => e instanceof EdgewardError && e.code === 'invalid_host',
  );
  assert.throws(
    () => normalizeRequest('http', 'e.com', '*'),
    (e: unknown) => e instanceof EdgewardError && e.code === 'invalid_target',
  );
});

test('property: normalization is idempotent', () => {
  fc.assert(
    fc.property(
      simpleUrl.chain((u) => urlSpellings(u)),
      (spelled) => {
        const once = formatNormalizedUrl(normalizeUrl(spelled));
        assert.equal(formatNormalizedUrl(normalizeUrl(once)), once);
      },
    ),
    { numRuns: 500 },
  );
});

test('property: idempotent on arbitrary strings that parse at all', () => {
  fc.assert(
    fc.property(fc.string(), fc.string(), (path, query) => {
      let first: string;
      try {
        first = formatNormalizedUrl(normalizeUrl(`http://e.com/${path}?${query}`));
      } catch {
        return; // rejected input is fine; only what is accepted must be stable
      }
      assert.equal(formatNormalizedUrl(normalizeUrl(first)), first);
    }),
    { numRuns: 1000 },
  );
});

test('property: every equivalent spelling of a URL normalizes to the same URL', () => {
  fc.assert(
    fc.property(
      simpleUrl.chain((u) => fc.tuple(fc.constant(u), urlSpellings(u))),
      ([canonical, spelled]) => {
        assert.equal(
          normalizedUrlKey(normalizeUrl(spelled)),
          normalizedUrlKey(normalizeUrl(formatSimple(canonical))),
        );
      },
    ),
    { numRuns: 1000 },
  );
});

test('a backslash ends the authority and separates path segments', () => {
  assert.deepEqual(normalizeUrl('https://e.com\\manga\\1'), {
    scheme: 'https',
    host: 'e.com',
    path: '/manga/1',
    query: '',
  });
  assert.equal(normalizeRequest('http', 'e.com', '/a\\..\\b').path, '/b');
});

test('garbage Host headers and targets are refused with the field named', () => {
  for (const bad of ['e.com/evil', 'user@e.com', 'e .com', 'e.com:x', '[::1', 'e.com:70000', '.']) {
    assert.throws(
      () => normalizeRequest('http', bad, '/'),
      (e: unknown) => e instanceof EdgewardError && e.code === 'invalid_host' && e.field === 'host',
      bad,
    );
  }
  assert.throws(
    () => normalizeRequest('http', 'e.com', 'http://e com/x'),
    (e: unknown) => e instanceof EdgewardError && e.code === 'invalid_host' && e.field === 'target',
  );
  assert.throws(
    () => normalizeRequest('http', 'e.com', 'ftp://e.com/x'),
    (e: unknown) => e instanceof EdgewardError && e.code === 'invalid_target',
  );
});

test('the fast path returns the very strings it was given', () => {
  const target = '/manga/one-piece/chapter-1.html';
  const u = normalizeRequest('https', 'cdn.example.com', target);
  assert.equal(u.path, target);
  assert.equal(u.host, 'cdn.example.com');
  assert.deepEqual(normalizeRequest('https', 'cdn.example.com:443', '/a?b=1&a=2'), {
    scheme: 'https',
    host: 'cdn.example.com',
    path: '/a',
    query: 'b=1&a=2',
  });
});

test('property: a request and the same absolute URL normalize alike, idempotently, for any target', () => {
  fc.assert(
    fc.property(fc.string({ unit: 'binary-ascii' }), fc.string(), (path, query) => {
      const target = '/' + path.replace(/#/g, '') + (query ? '?' + query.replace(/#/g, '') : '');
      fc.pre(target === target.trim()); // normalizeUrl trims a configured URL; a request target has no spaces
      const r = normalizeRequest('http', 'e.com', target);
      assert.deepEqual(r, normalizeUrl('http://e.com' + target));
      assert.deepEqual(normalizeRequest('http', 'e.com', normalizedUrlKey(r).slice('e.com'.length)), r);
    }),
    { numRuns: 1000 },
  );
});

test('property: distinct canonical URLs stay distinct (normalization never merges two resources)', () => {
  fc.assert(
    fc.property(simpleUrl, simpleUrl, (a, b) => {
      const fa = formatSimple(a).replace(/^https?/, 'http');
      const fb = formatSimple(b).replace(/^https?/, 'http');
      fc.pre(fa !== fb);
      assert.notEqual(normalizedUrlKey(normalizeUrl(fa)), normalizedUrlKey(normalizeUrl(fb)));
    }),
    { numRuns: 1000 },
  );
});
