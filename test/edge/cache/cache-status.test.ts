import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { formatCacheStatus } from '../../../src/edge/cache/cache-status.js';

describe('formatCacheStatus (RFC 9211)', () => {
  test('a hit with ttl', () => {
    assert.equal(formatCacheStatus('Edgeward', { hit: true, ttl: 376 }), 'Edgeward; hit; ttl=376');
  });

  test('a miss that was stored', () => {
    assert.equal(
      formatCacheStatus('Edgeward', {
        hit: false,
        fwd: 'miss',
        fwdStatus: 200,
        stored: true,
        collapsed: false,
      }),
      'Edgeward; fwd=miss; fwd-status=200; stored',
    );
  });

  test('stale revalidation with negative ttl, collapsed, key and detail as sf-strings', () => {
    assert.equal(
      formatCacheStatus('edge-1', {
        hit: false,
        fwd: 'stale',
        fwdStatus: 304,
        ttl: -12.7,
        collapsed: true,
        key: 'z\na.com/"q"',
        detail: 'r\\x',
      }),
      'edge-1; fwd=stale; fwd-status=304; ttl=-12; collapsed; key="z?a.com/\\"q\\""; detail="r\\\\x"',
    );
  });

  test('a cache name that is not a token becomes a string', () => {
    assert.equal(formatCacheStatus('my cache', { hit: true }), '"my cache"; hit');
  });

  test('property: output is printable ASCII and strings stay balanced', () => {
    fc.assert(
      fc.property(fc.string(), fc.string(), fc.string(), fc.integer(), (name, key, detail, ttl) => {
        const out = formatCacheStatus(name, { hit: false, fwd: 'miss', key, detail, ttl });
        assert.match(out, /^[\x20-\x7e]*$/);
        // every unescaped quote opens or closes a string: an even count
        const quotes = out.replace(/\\./g, '').split('"').length - 1;
        assert.equal(quotes % 2, 0);
      }),
    );
  });
});
