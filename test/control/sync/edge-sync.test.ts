import { test } from 'node:test';
import assert from 'node:assert/strict';
import { request } from 'undici';
import { describeBothDatabases } from '../../helpers/databases.js';
import { edgeLag } from '../../../src/control/sync/edge-lag.js';
import { AppliedConfigStore } from '../../../src/edge/sync/applied-config-store.js';
import { assertContiguous, eventually, quiet, startClient, startSyncControl } from './sync-fixtures.js';
import type { BlockRule } from '../../../src/shared/rules/block-rule.js';

const url = (n: number) => `https://example.com/blocked/${n}`;

async function histogramCount(registry: import('prom-client').Registry): Promise<number> {
  const m = await registry.getSingleMetric('edgeward_config_propagation_seconds')!.get();
  return (
    m.values.find(
      (v) => (v as { metricName?: string }).metricName === 'edgeward_config_propagation_seconds_count',
    )?.value ?? 0
  );
}

describeBothDatabases('live configuration: control plane <-> edge client', (ctx) => {
  test('an edge takes the snapshot, then follows every change in order, acks it, and the lag and propagation metrics see it', async () => {
    const control = await startSyncControl(ctx.db);
    const edge = await startClient(control, { name: 'edge-follow', region: 'ap-northeast', country: 'JP' });
    try {
      const { version: v0, rule: r1 } = await control.writes.addRule(url(1));
      await edge.client.waitForVersion(v0);
      const first = edge.store.version;
      const rules: BlockRule[] = [r1];
      for (let i = 2; i <= 6; i++) rules.push((await control.writes.addRule(url(i))).rule);
      const last = await control.writes.removeRule(rules[2]!);
      await edge.client.waitForVersion(last);
      // Whatever the snapshot covered, every later version arrived exactly once, in order.
      const applied = edge.target.applied.filter((v) => v > first);
      assertContiguous(applied, first + 1, last);
      assert.deepEqual(
        edge.store
          .snapshot()
          .rules.map((r) => r.url)
          .sort(),
        [url(1), url(2), url(4), url(5), url(6)],
      );
      await eventually('the control plane records the ack', async () => {
        const lag = await edgeLag(ctx.db);
        const me = lag.edges.find((e) => e.name === 'edge-follow');
        return me !== undefined && me.appliedVersion === last && me.lag === 0 && me.live;
      });
      const registered = (await edgeLag(ctx.db)).edges.find((e) => e.name === 'edge-follow')!;
      assert.equal(registered.region, 'ap-northeast');
      assert.equal(registered.country, 'JP');
      await eventually(
        'the propagation histogram observes the changes',
        async () => (await histogramCount(control.registry)) >= 1,
      );
      const text = await control.registry.metrics();
      assert.match(text, /edgeward_config_version \d+/);
      assert.match(text, /edgeward_edge_config_lag_versions\{edge="edge-follow",live="true"\} 0/);
    } finally {
      await edge.close();
      await control.close();
    }
  });

  test('an edge cut off while changes are committed catches up without skipping one (control plane restarted; client restarted from disk)', async () => {
    let control = await startSyncControl(ctx.db);
    const port = control.port;
    const edge = await startClient(control, { name: 'edge-outage' });
    let second: Awaited<ReturnType<typeof startClient>> | null = null;
    try {
      const { version: start } = await control.writes.addRule(url(100));
      await edge.client.waitForVersion(start);
      const base = edge.store.version;

      // 1. The control plane goes away; changes are committed meanwhile (straight into the database).
      await control.close();
      // Written with the stopped control plane's services: no notifier reaches the restarted one, it must find
      // these in the database.
      const offline = control.writes;
      for (let i = 0; i < 5; i++) await offline.addRule(url(101 + i));
      control = await startSyncControl(ctx.db, { port });
      const { version: afterOutage } = await control.writes.addRule(url(110));
      await edge.client.waitForVersion(afterOutage, 20_000);
      assertContiguous(
        edge.target.applied.filter((v) => v > base),
        base + 1,
        afterOutage,
      );

      // 2. The edge's client stops; more changes; a new client on the same data directory resumes from disk.
      await edge.close({ keepData: true });
      for (let i = 0; i < 4; i++) await control.writes.addRule(url(120 + i));
      const latest = await control.writes.purge({ zone: null, kind: 'tag', value: 't', soft: false });
      second = await startClient(control, { name: 'edge-outage', dataDir: edge.dataDir });
      await second.client.waitForVersion(latest);
      assert.deepEqual(second.target.snapshots, [], 'resumed from its own version: no snapshot needed');
      assertContiguous(second.target.applied, afterOutage + 1, latest);
    } finally {
      await second?.close();
      await edge.close();
      await control.close();
    }
  });

  test('long polling delivers the same ordered changes', async () => {
    const control = await startSyncControl(ctx.db);
    const edge = await startClient(control, { name: 'edge-longpoll', transport: 'long-poll' });
    try {
      const { version: a } = await control.writes.addRule(url(200));
      await edge.client.waitForVersion(a);
      const base = edge.store.version;
      let last = 0;
      for (let i = 1; i <= 4; i++) last = (await control.writes.addRule(url(200 + i))).version;
      await edge.client.waitForVersion(last);
      assertContiguous(
        edge.target.applied.filter((v) => v > base),
        base + 1,
        last,
      );
    } finally {
      await edge.close();
      await control.close();
    }
  });

  test('the HTTP contract: auth required, 409 snapshot_required when the edge is ahead, long poll waits for a commit', async () => {
    const control = await startSyncControl(ctx.db);
    const auth = { authorization: `Bearer ${control.token}` };
    try {
      const unauth = await request(`${control.url}/v1/edge/snapshot`);
      assert.equal(unauth.statusCode, 401);
      await unauth.body.dump();

      const { version: head } = await control.writes.addRule(url(300));
      const ahead = await request(`${control.url}/v1/edge/changes?since=${head + 50}`, {
        headers: { ...auth, accept: 'text/event-stream' },
      });
      assert.equal(ahead.statusCode, 409);
      const body = (await ahead.body.json()) as { error: { code: string } };
      assert.equal(body.error.code, 'snapshot_required');

      const bad = await request(`${control.url}/v1/edge/changes?since=-1`, { headers: auth });
      assert.equal(bad.statusCode, 400);
      await bad.body.dump();

      const waiting = request(`${control.url}/v1/edge/changes?since=${head}&wait=20`, { headers: auth });
      await new Promise((r) => setTimeout(r, 100));
      const { version: next, rule: r301 } = await control.writes.addRule(url(301));
      const res = await waiting;
      assert.equal(res.statusCode, 200);
      const lp = (await res.body.json()) as { changes: { version: number }[] };
      assert.deepEqual(
        lp.changes.map((c) => c.version),
        [next],
      );

      const snap = await request(`${control.url}/v1/edge/snapshot`, { headers: auth });
      const s = (await snap.body.json()) as { version: number; rules: { id: number }[] };
      assert.equal(s.version, next);
      assert.ok(s.rules.some((r) => r.id === r301.id));
    } finally {
      await control.close();
    }
  });

  test('an edge ahead of a restored control plane refuses the older snapshot and keeps its blocks, unless the rollback is accepted', async () => {
    const control = await startSyncControl(ctx.db);
    const { version: head, rule: r400 } = await control.writes.addRule(url(400));
    const { mkdtemp, rm } = await import('node:fs/promises');
    const { tmpdir } = await import('node:os');
    const { join } = await import('node:path');
    const dir = await mkdtemp(join(tmpdir(), 'edgeward-ahead-'));
    // This edge's disk says it applied far more than the control plane ever issued.
    const pre = await AppliedConfigStore.open({ dataDir: dir, logger: quiet });
    await pre.replace({
      version: head + 1000,
      zones: [],
      rules: [{ id: 999, match: 'exact', url: url(999), countries: null, notice: 'https://n.example/999' }],
    });
    await pre.close();
    const edge = await startClient(control, { name: 'edge-ahead', dataDir: dir });
    try {
      await eventually('the edge reports the divergence', () => edge.client.status === 'diverged');
      assert.equal(edge.store.version, head + 1000);
      assert.deepEqual(
        edge.store.snapshot().rules.map((r) => r.id),
        [999],
      );
      assert.deepEqual(edge.target.snapshots, []);
      await edge.close({ keepData: true });

      const accepting = await startClient(control, {
        name: 'edge-ahead',
        dataDir: dir,
        acceptRollback: true,
      });
      try {
        await accepting.client.waitForVersion(head);
        await eventually(
          'the older snapshot replaced the configuration',
          () => accepting.store.version === head,
        );
        assert.ok(accepting.store.snapshot().rules.some((r) => r.id === r400.id));
        const { version: later } = await control.writes.addRule(url(401));
        await accepting.client.waitForVersion(later);
      } finally {
        await accepting.close({ keepData: true });
      }
    } finally {
      await edge.close();
      await control.close();
      await rm(dir, { recursive: true, force: true });
    }
  });
});
