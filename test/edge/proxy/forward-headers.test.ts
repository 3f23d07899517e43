import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { HOP_BY_HOP } from '../../../src/edge/cache/hop-by-hop.js';
import {
  originRequestHeaders,
  originResponseHeaders,
  UNTRUSTED_CLIENT_HEADERS,
} from '../../../src/edge/proxy/forward-headers.js';
import { blockedResponse } from '../../../src/edge/proxy/blocked-response.js';

const ctx = {
  host: 'origin.internal',
  clientHost: 'example.com',
  scheme: 'https' as const,
  peer: '192.0.2.1',
  peerTrusted: false,
  via: '1.1 edge',
};

const headerName = fc.oneof(
  fc.constantFrom(...UNTRUSTED_CLIENT_HEADERS, ...HOP_BY_HOP, 'accept', 'x-custom', 'cookie', 'user-agent'),
  fc.stringMatching(/^[a-z][a-z0-9-]{0,15}$/),
);
const headerValue = fc.stringMatching(/^[\x20-\x7e]{0,30}$/);

describe('origin request headers (property)', () => {
  test("whatever the client sends, untrusted and hop-by-hop headers never reach the origin and X-Forwarded-* are the edge's", () => {
    fc.assert(
      fc.property(fc.dictionary(headerName, headerValue), fc.boolean(), (incoming, trusted) => {
        const out = originRequestHeaders(incoming, { ...ctx, peerTrusted: trusted });
        const connectionListed = new Set(
          String(incoming.connection ?? '')
            .split(',')
            .map((t) => t.trim().toLowerCase())
            .filter(Boolean),
        );
        for (const name of Object.keys(out)) {
          if (['host', 'via', 'x-forwarded-for', 'x-forwarded-proto', 'x-forwarded-host'].includes(name))
            continue;
          assert.ok(!UNTRUSTED_CLIENT_HEADERS.has(name), name);
          assert.ok(!HOP_BY_HOP.has(name), name);
          assert.ok(!connectionListed.has(name), name);
        }
        assert.equal(out.host, 'origin.internal');
        assert.equal(out['x-forwarded-host'], 'example.com');
        assert.equal(out['x-forwarded-proto'], 'https');
        const xff = out['x-forwarded-for'];
        if (!trusted || !incoming['x-forwarded-for']) assert.equal(xff, '192.0.2.1');
        else assert.equal(xff, `${incoming['x-forwarded-for']}, 192.0.2.1`);
        assert.ok(String(out.via).endsWith('1.1 edge'));
      }),
    );
  });

  test('response headers lose hop-by-hop ones, including those named in Connection', () => {
    const out = originResponseHeaders({
      connection: 'x-a, close',
      'x-a': '1',
      'x-b': '2',
      'transfer-encoding': 'chunked',
      'keep-alive': 'timeout=1',
    });
    assert.deepEqual(out, { 'x-b': '2' });
  });
});

describe('451 body (property)', () => {
  test('no field of a rule can inject markup into the HTML body or break the Link header', () => {
    fc.assert(
      fc.property(fc.string(), fc.string(), fc.webUrl(), (demandedBy, law, notice) => {
        const hit = {
          ruleId: 1,
          match: 'exact' as const,
          notice: `${notice}<>"\r\n`,
          countries: null,
          demandedBy,
          law,
        };
        const r = blockedResponse(
          hit,
          'http://example.com/<script>',
          { name: '<b>op</b>', url: 'https://op.example' },
          false,
          'edge',
        );
        const html = r.body.toString('utf8');
        assert.doesNotMatch(html, /<script>|<b>/);
        if (demandedBy.includes('<'))
          assert.ok(!html.includes(`demand by ${demandedBy}`), 'demandedBy is escaped');
        assert.doesNotMatch(r.headers.link!, /[\r\n]/);
        assert.match(r.headers.link!, /^<[^<>]*>; rel="blocked-by"$/);
        const json = JSON.parse(
          blockedResponse(hit, 'http://example.com/', { name: 'op', url: 'u' }, true, 'edge').body.toString(
            'utf8',
          ),
        ) as Record<string, unknown>;
        assert.equal(json.demandedBy, demandedBy || 'a rights holder');
      }),
    );
  });
});
