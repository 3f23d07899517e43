import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { forbiddenAddressReason } from '../../../src/control/zones/address-policy.js';
import { parseAllowList } from '../../../src/control/zones/allow-list.js';
import { guardHost, guardOriginUrl } from '../../../src/control/zones/origin-guard.js';
import { parseIp } from '../../../src/control/zones/ip-address.js';
import { EdgewardError } from '../../../src/shared/errors.js';

const v4 = (a: number, b: number, c: number, d: number) => `${a}.${b}.${c}.${d}`;
const hex = (n: number) => n.toString(16);
/** The same IPv4 address written as IPv6 in several ways (all must be treated as the IPv4 address). */
function ipv6Forms(a: number, b: number, c: number, d: number): string[] {
  const hi = (a << 8) | b;
  const lo = (c << 8) | d;
  return [
    `::ffff:${v4(a, b, c, d)}`,
    `::FFFF:${hex(hi)}:${hex(lo)}`,
    `0:0:0:0:0:ffff:${hex(hi)}:${hex(lo)}`,
    `0000:0000:0000:0000:0000:ffff:${v4(a, b, c, d)}`,
    `64:ff9b::${v4(a, b, c, d)}`,
  ];
}

describe('forbidden addresses', () => {
  test('names each class', () => {
    const cases: [string, string | undefined][] = [
      ['127.0.0.1', 'loopback'],
      ['127.255.0.9', 'loopback'],
      ['10.1.2.3', 'private'],
      ['172.16.0.1', 'private'],
      ['172.31.255.255', 'private'],
      ['192.168.1.1', 'private'],
      ['100.64.0.1', 'carrier-grade NAT'],
      ['100.127.255.254', 'carrier-grade NAT'],
      ['169.254.169.254', 'cloud metadata'],
      ['169.254.1.1', 'link-local'],
      ['0.0.0.0', 'unspecified'],
      ['224.0.0.1', 'multicast'],
      ['::', 'unspecified'],
      ['::1', 'loopback'],
      ['fd00:ec2::254', 'cloud metadata'],
      ['fc00::1', 'private (unique local)'],
      ['fdab:1234::9', 'private (unique local)'],
      ['fe80::1%eth0', 'link-local'],
      ['FE80::abcd', 'link-local'],
      ['ff02::1', 'multicast'],
      ['::ffff:127.0.0.1', 'loopback'],
      ['::ffff:7f00:1', 'loopback'],
      ['::ffff:169.254.169.254', 'cloud metadata'],
      ['::ffff:a9fe:a9fe', 'cloud metadata'],
      ['::10.0.0.1', 'private'],
      ['not-an-ip', 'not an IP address'],
      ['8.8.8.8', undefined],
      ['172.32.0.1', undefined],
      ['100.128.0.1', undefined],
      ['2001:4860:4860::8888', undefined],
      ['::ffff:8.8.8.8', undefined],
    ];
    for (const [addr, why] of cases) assert.equal(forbiddenAddressReason(addr), why, addr);
  });

  test('property: every IPv6 spelling of an IPv4 address gets the same verdict as the address', () => {
    fc.assert(
      fc.property(fc.nat(255), fc.nat(255), fc.nat(255), fc.nat(255), (a, b, c, d) => {
        const expected = forbiddenAddressReason(v4(a, b, c, d));
        for (const form of ipv6Forms(a, b, c, d)) assert.equal(forbiddenAddressReason(form), expected, form);
      }),
      { numRuns: 2000 },
    );
  });

  test('property: private, loopback and link-local ranges are always refused, whatever the host bits', () => {
    fc.assert(
      fc.property(fc.nat(255), fc.nat(255), fc.nat(255), fc.nat(15), (x, y, z, k) => {
        for (const addr of [
          v4(10, x, y, z),
          v4(127, x, y, z),
          v4(192, 168, y, z),
          v4(172, 16 + k, y, z),
          v4(169, 254, y, z),
          v4(100, 64 + (x & 63), y, z),
        ]) {
          assert.notEqual(forbiddenAddressReason(addr), undefined, addr);
        }
      }),
    );
  });

  test('property: ULA and link-local IPv6 are refused for any interface id', () => {
    fc.assert(
      fc.property(
        fc.array(fc.nat(0xffff), { minLength: 7, maxLength: 7 }),
        fc.nat(0x1ff),
        fc.nat(0x3f),
        (groups, ula, ll) => {
          const tail = groups.map(hex).join(':');
          assert.notEqual(forbiddenAddressReason(`${hex(0xfc00 | ula)}:${tail}`), undefined);
          assert.notEqual(forbiddenAddressReason(`${hex(0xfe80 | ll)}:${tail}`), undefined);
        },
      ),
    );
  });

  test('property: parseIp never throws on arbitrary strings', () => {
    fc.assert(fc.property(fc.string(), (s) => void parseIp(s)));
  });
});

describe('origin guard', () => {
  const resolve = (map: Record<string, string[]>) => async (h: string) => {
    const a = map[h];
    if (!a) throw new Error(`ENOTFOUND ${h}`);
    return a;
  };
  const noAllow = parseAllowList([], 'originAllowList');

  test('refuses a name with ANY forbidden address, naming the field', async () => {
    const r = resolve({ 'mixed.example': ['93.184.216.34', '::ffff:10.0.0.7'] });
    await assert.rejects(
      guardOriginUrl('http://mixed.example:8080', 'origins[1]', { allowList: noAllow, resolve: r }),
      (e) => {
        assert.ok(e instanceof EdgewardError);
        assert.equal(e.code, 'origin_forbidden');
        assert.equal(e.field, 'origins[1]');
        return true;
      },
    );
  });

  test('accepts a public origin and normalizes it', async () => {
    const r = resolve({ 'origin.example': ['93.184.216.34'] });
    assert.equal(
      await guardOriginUrl('https://origin.example/base/', 'origins[0]', { allowList: noAllow, resolve: r }),
      'https://origin.example/base',
    );
  });

  test('literal addresses are checked too, and the allow-list exempts by CIDR or host name', async () => {
    const r = resolve({ localhost: ['127.0.0.1', '::1'] });
    await assert.rejects(
      guardHost('127.0.0.1', 'origins[0]', { allowList: noAllow, resolve: async (h) => [h] }),
      /loopback/,
    );
    await assert.rejects(
      guardHost('[::1]', 'origins[0]', { allowList: noAllow, resolve: async (h) => [h] }),
      /loopback/,
    );
    const byCidr = parseAllowList(['127.0.0.0/8', '::1'], 'originAllowList');
    assert.deepEqual(await guardHost('localhost', 'f', { allowList: byCidr, resolve: r }), [
      '127.0.0.1',
      '::1',
    ]);
    const onlyV4 = parseAllowList(['127.0.0.1'], 'originAllowList');
    await assert.rejects(guardHost('localhost', 'f', { allowList: onlyV4, resolve: r }), /::1/);
    const byName = parseAllowList(['localhost'], 'originAllowList');
    assert.deepEqual(await guardHost('localhost', 'f', { allowList: byName, resolve: r }), [
      '127.0.0.1',
      '::1',
    ]);
  });

  test('bad URLs and bad allow-list entries name their field', async () => {
    await assert.rejects(
      guardOriginUrl('ftp://x', 'origins[0]', { allowList: noAllow, resolve: async () => ['8.8.8.8'] }),
      { field: 'origins[0]' },
    );
    await assert.rejects(
      guardOriginUrl('http://u:p@x', 'origins[0]', { allowList: noAllow, resolve: async () => ['8.8.8.8'] }),
      { field: 'origins[0]' },
    );
    assert.throws(() => parseAllowList(['10.0.0.0/99'], 'originAllowList'), { field: 'originAllowList[0]' });
  });
});
