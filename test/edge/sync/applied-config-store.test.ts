import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, readFile, rm, writeFile, appendFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pino } from 'pino';
import {
  AppliedConfigStore,
  CHANGES_FILE,
  SNAPSHOT_FILE,
} from '../../../src/edge/sync/applied-config-store.js';
import type { ConfigChange } from '../../../src/shared/config/config-change.js';
import type { BlockRule } from '../../../src/shared/rules/block-rule.js';
import { DEFAULT_ZONE_CACHE_SETTINGS, type ZoneConfig } from '../../../src/shared/config/zone-config.js';

const logger = pino({ level: 'silent' });
const rule = (id: number): BlockRule => ({
  id,
  match: 'exact',
  url: `https://example.com/r${id}`,
  countries: null,
  notice: `https://n.example/${id}`,
});
const zone = (id: string): ZoneConfig => ({
  id,
  hostnames: [`${id}.example`],
  origins: ['http://127.0.0.1:1'],
  state: 'active',
  cache: DEFAULT_ZONE_CACHE_SETTINGS,
});
const add = (version: number, id = version): ConfigChange => ({
  kind: 'rule.add',
  rule: rule(id),
  version,
  committedAt: 1000 + version,
});

async function withDir(fn: (dir: string) => Promise<void>): Promise<void> {
  const dir = await mkdtemp(join(tmpdir(), 'edgeward-applied-'));
  try {
    await fn(dir);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

test('changes survive a reopen, folded by id; purges only move the version', () =>
  withDir(async (dir) => {
    const s = await AppliedConfigStore.open({ dataDir: dir, logger });
    assert.equal(s.version, 0);
    await s.append([
      add(1),
      add(2),
      { kind: 'zone.upsert', zone: zone('z1'), version: 3, committedAt: 3 },
      { kind: 'rule.remove', rule: rule(1), version: 4, committedAt: 4 },
      { kind: 'purge', purge: { zone: 'z1', kind: 'zone', soft: false }, version: 5, committedAt: 5 },
    ]);
    await s.close();
    const again = await AppliedConfigStore.open({ dataDir: dir, logger });
    const snap = again.snapshot();
    assert.equal(snap.version, 5);
    assert.deepEqual(
      snap.rules.map((r) => r.id),
      [2],
    );
    assert.deepEqual(
      snap.zones.map((z) => z.id),
      ['z1'],
    );
    await again.close();
  }));

test('an append that skips a version is refused and nothing moves', () =>
  withDir(async (dir) => {
    const s = await AppliedConfigStore.open({ dataDir: dir, logger });
    await s.append([add(1)]);
    await assert.rejects(s.append([add(3)]), (e: Error & { code?: string }) => e.code === 'config_gap');
    assert.equal(s.version, 1);
    // Duplicates are ignored.
    await s.append([add(1), add(2)]);
    assert.equal(s.version, 2);
    await s.close();
  }));

test('compaction folds the log into the snapshot file', () =>
  withDir(async (dir) => {
    const s = await AppliedConfigStore.open({ dataDir: dir, logger, compactAfterChanges: 3 });
    for (let v = 1; v <= 7; v++) await s.append([add(v)]);
    await s.close();
    const snapFile = JSON.parse(await readFile(join(dir, SNAPSHOT_FILE), 'utf8')) as {
      snapshot: { version: number };
    };
    assert.equal(snapFile.snapshot.version, 6);
    const log = await readFile(join(dir, CHANGES_FILE), 'utf8');
    assert.equal(log.trim().split('\n').length, 1);
    const again = await AppliedConfigStore.open({ dataDir: dir, logger });
    assert.equal(again.version, 7);
    assert.equal(again.snapshot().rules.length, 7);
    await again.close();
  }));

test('a torn last line (crash mid-append) is dropped; the earlier changes stay', () =>
  withDir(async (dir) => {
    const s = await AppliedConfigStore.open({ dataDir: dir, logger });
    await s.append([add(1), add(2)]);
    await s.close();
    await appendFile(join(dir, CHANGES_FILE), '{"kind":"rule.add","ver');
    const again = await AppliedConfigStore.open({ dataDir: dir, logger });
    assert.equal(again.version, 2);
    await again.close();
  }));

test('a corrupt snapshot file is an error, never an empty configuration', () =>
  withDir(async (dir) => {
    await writeFile(join(dir, SNAPSHOT_FILE), '{not json');
    await assert.rejects(
      AppliedConfigStore.open({ dataDir: dir, logger }),
      (e: Error & { code?: string }) => e.code === 'config_corrupt',
    );
  }));

test('an older snapshot is refused unless a rollback is accepted; a newer one replaces everything', () =>
  withDir(async (dir) => {
    const s = await AppliedConfigStore.open({ dataDir: dir, logger });
    await s.append([add(1), add(2), add(3)]);
    assert.equal(await s.replace({ version: 2, zones: [], rules: [] }), 'refused-rollback');
    assert.equal(s.version, 3);
    assert.equal(s.snapshot().rules.length, 3);
    assert.equal(await s.replace({ version: 9, zones: [zone('z9')], rules: [rule(42)] }), 'applied');
    await s.close();
    const again = await AppliedConfigStore.open({ dataDir: dir, logger });
    assert.deepEqual(again.snapshot(), { version: 9, zones: [zone('z9')], rules: [rule(42)] });
    assert.equal(
      await again.replace({ version: 4, zones: [], rules: [] }, { acceptRollback: true }),
      'applied',
    );
    assert.equal(again.version, 4);
    await again.close();
  }));
