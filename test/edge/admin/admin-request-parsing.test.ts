import { test } from 'node:test';
import assert from 'node:assert/strict';
import { bearerTokenMatches, generateAdminToken } from '../../../src/edge/admin/admin-token.js';
import { parsePurgeBody } from '../../../src/edge/admin/purge-body.js';
import { EdgewardError } from '../../../src/shared/errors.js';

test('bearer tokens: only the exact token passes', () => {
  const t = generateAdminToken();
  assert.ok(t.length >= 40);
  assert.notEqual(generateAdminToken(), t);
  assert.equal(bearerTokenMatches(`Bearer ${t}`, t), true);
  assert.equal(bearerTokenMatches(`bearer ${t}`, t), true);
  assert.equal(bearerTokenMatches(`Bearer ${t}x`, t), false);
  assert.equal(bearerTokenMatches(`Basic ${t}`, t), false);
  assert.equal(bearerTokenMatches(t, t), false);
  assert.equal(bearerTokenMatches(undefined, t), false);
  assert.equal(bearerTokenMatches('Bearer ', t), false);
});

const fieldOf = (body: unknown, zone: string | null = null): string | undefined => {
  try {
    parsePurgeBody(body, zone);
  } catch (e) {
    assert.ok(e instanceof EdgewardError);
    assert.equal(e.code, 'invalid_purge');
    return e.field;
  }
  assert.fail('expected invalid_purge');
};

test('purge bodies are validated with the field named', () => {
  assert.equal(fieldOf([]), 'body');
  assert.equal(fieldOf({ kind: 'everything' }), 'kind');
  assert.equal(fieldOf({ kind: 'url' }), 'value');
  assert.equal(fieldOf({ kind: 'url', value: '/relative' }), 'value');
  assert.equal(fieldOf({ kind: 'tag', value: 'x', soft: 'yes' }), 'soft');
  assert.equal(fieldOf({ kind: 'zone' }), 'zone');
  assert.equal(fieldOf({ kind: 'tag', value: 'x', extra: 1 }), 'extra');
});

test('purge bodies: the default zone fills a missing zone', () => {
  assert.deepEqual(parsePurgeBody({ kind: 'zone' }, 'default'), {
    zone: 'default',
    kind: 'zone',
    soft: false,
  });
  assert.deepEqual(
    parsePurgeBody({ kind: 'url', value: 'http://a.example/x', soft: true, zone: 'z' }, 'default'),
    {
      zone: 'z',
      kind: 'url',
      value: 'http://a.example/x',
      soft: true,
    },
  );
  assert.deepEqual(parsePurgeBody({ kind: 'tag', value: 'product-1' }, null), {
    zone: null,
    kind: 'tag',
    value: 'product-1',
    soft: false,
  });
});
