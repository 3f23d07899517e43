import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { parseTrustedProxies, resolveClientAddress } from '../../../src/edge/net/client-address.js';
import { EdgewardError } from '../../../src/shared/errors.js';

const trusted = parseTrustedProxies(['127.0.0.1', '10.0.0.0/8', '::1']);

test('an untrusted peer is the client, whatever X-Forwarded-For says', () => {
  assert.equal(resolveClientAddress('203.0.113.9', '133.0.0.1', trusted), '203.0.113.9');
});

test('a trusted peer vouches for the last hop it saw', () => {
  assert.equal(resolveClientAddress('127.0.0.1', '133.0.0.1', trusted), '133.0.0.1');
  assert.equal(resolveClientAddress('::ffff:127.0.0.1', '133.0.0.1', trusted), '133.0.0.1');
});

test('the walk skips trusted proxies from the right and stops at the first untrusted address', () => {
  assert.equal(resolveClientAddress('127.0.0.1', '8.8.8.8, 133.0.0.1, 10.1.2.3', trusted), '133.0.0.1');
  assert.equal(resolveClientAddress('127.0.0.1', ['8.8.8.8', '133.0.0.1'], trusted), '133.0.0.1');
});

test('garbage in the chain stops the walk at the last good hop', () => {
  assert.equal(resolveClientAddress('127.0.0.1', 'evil, 10.0.0.7', trusted), '10.0.0.7');
  assert.equal(resolveClientAddress('127.0.0.1', 'not-an-ip', trusted), '127.0.0.1');
});

test('ports and brackets in X-Forwarded-For elements are tolerated', () => {
  assert.equal(resolveClientAddress('127.0.0.1', '133.0.0.1:5555', trusted), '133.0.0.1');
  assert.equal(resolveClientAddress('127.0.0.1', '[2001:200::1]:443', trusted), '2001:200::1');
});

test('a bad trusted-proxy entry is an error naming the field', () => {
  assert.throws(
    () => parseTrustedProxies(['127.0.0.1', 'proxy.example']),
    (e: unknown) => e instanceof EdgewardError && e.field === 'trustProxy[1]',
  );
  assert.throws(
    () => parseTrustedProxies(['10.0.0.0/33']),
    (e: unknown) => e instanceof EdgewardError,
  );
});

test('property: a client cannot spoof its address by prepending entries', () => {
  const ipv4 = fc.tuple(fc.nat(255), fc.nat(255), fc.nat(255), fc.nat(255)).map((p) => p.join('.'));
  fc.assert(
    fc.property(fc.array(fc.oneof(ipv4, fc.string()), { maxLength: 6 }), ipv4, (spoofed, real) => {
      fc.pre(!trusted(real));
      // The trusted proxy appends the address it saw (the real client) to whatever the client sent.
      const header = [...spoofed, real].join(', ');
      assert.equal(resolveClientAddress('127.0.0.1', header, trusted), real);
    }),
  );
});

test('CIDRs of both families and IPv4-mapped spellings are matched', () => {
  const t = parseTrustedProxies(['2001:db8::/32', '::ffff:192.168.0.0/112']);
  assert.equal(t('2001:db8:1::5'), true);
  assert.equal(t('2001:db9::5'), false);
  assert.equal(t('192.168.4.4'), true);
  assert.equal(t('::ffff:192.168.4.4'), true);
  assert.equal(t('192.169.0.1'), false);
  assert.equal(parseTrustedProxies([])('127.0.0.1'), false);
});
