import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { DEFAULT_ZONE_CACHE_SETTINGS, type ZoneConfig } from '../../src/shared/config/zone-config.js';
import { RuleSet } from '../../src/shared/rules/rule-set.js';
import { EdgeState } from '../../src/edge/edge-state.js';

const z = (id: string, hostnames: string[]): ZoneConfig => ({
  id,
  hostnames,
  origins: ['http://127.0.0.1:1'],
  state: 'active',
  cache: DEFAULT_ZONE_CACHE_SETTINGS,
});

describe('EdgeState zone lookup', () => {
  test('exact hostname (port ignored), else the catch-all, else null', () => {
    const s = new EdgeState({ zones: [z('a', ['a.example', 'www.a.example'])], rules: RuleSet.from([]) });
    assert.equal(s.zoneForHost('a.example')?.id, 'a');
    assert.equal(s.zoneForHost('www.a.example:8080')?.id, 'a');
    assert.equal(s.zoneForHost('b.example'), null);
    s.upsertZone(z('all', ['*']));
    assert.equal(s.zoneForHost('b.example')?.id, 'all');
    assert.equal(s.zoneForHost('[::1]:8080')?.id, 'all');
    assert.equal(s.zoneForHost('a.example')?.id, 'a');
  });

  test("upsert replaces a zone's hostnames; remove and replaceZones drop them", () => {
    const s = new EdgeState({ zones: [z('a', ['a.example'])], rules: RuleSet.from([]), version: 3 });
    assert.equal(s.version, 3);
    s.upsertZone(z('a', ['a2.example']));
    assert.equal(s.zoneForHost('a.example'), null);
    assert.equal(s.zoneForHost('a2.example')?.id, 'a');
    s.upsertZone(z('b', ['b.example']));
    s.removeZone('a');
    assert.equal(s.zoneForHost('a2.example'), null);
    assert.equal(s.zone('a'), undefined);
    assert.equal(s.zone('b')?.id, 'b');
    s.replaceZones([z('c', ['c.example'])]);
    assert.equal(s.zoneForHost('b.example'), null);
    assert.equal(s.zoneForHost('c.example')?.id, 'c');
  });

  test('removing a zone does not unmap a hostname another zone has since taken', () => {
    const s = new EdgeState({ zones: [z('a', ['shared.example'])], rules: RuleSet.from([]) });
    s.upsertZone(z('b', ['shared.example']));
    s.removeZone('a');
    assert.equal(s.zoneForHost('shared.example')?.id, 'b');
  });
});
