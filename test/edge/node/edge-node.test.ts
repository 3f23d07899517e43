import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { pino } from 'pino';
import { DEFAULT_ZONE_CACHE_SETTINGS, type ZoneConfig } from '../../../src/shared/config/zone-config.js';
import type { BlockRule } from '../../../src/shared/rules/block-rule.js';
import { proxyConfigFromFlags } from '../../../src/edge/config/proxy-config.js';
import { startEdgeNode, type EdgeNode } from '../../../src/edge/node/edge-node.js';
import { startOrigin, type TestOrigin } from '../../helpers/origin-server.js';
import { request } from '../cli/cli-process.js';

/**
 * The node supervisor as the live-config client drives it (replace-state, apply-change, purge), in-process and as
 * a real two-worker cluster: every worker must end up with the same configuration.
 */
const zone = (id: string, hostnames: string[], origin: string): ZoneConfig => ({
  id,
  hostnames,
  origins: [origin],
  state: 'active',
  cache: DEFAULT_ZONE_CACHE_SETTINGS,
});
const rule = (id: number, url: string): BlockRule => ({
  id,
  match: 'exact',
  url,
  countries: null,
  notice: `https://notices.example/${id}`,
});

for (const workers of [1, 2]) {
  describe(`edge node with ${workers} worker(s)`, () => {
    let origin: TestOrigin;
    let node: EdgeNode;
    let base: string;
    const get = (path: string, host: string) => request(`${base}${path}`, { headers: { host } });
    /** In a cluster a request lands on any worker: ask enough times to reach each. */
    const statusesOf = async (path: string, host: string) => {
      const s = new Set<number>();
      for (let i = 0; i < 4 * workers; i++) s.add((await get(path, host)).status);
      return [...s].sort();
    };

    before(async () => {
      origin = await startOrigin((req, res) => {
        res.writeHead(200, { 'cache-control': 'max-age=300' });
        res.end(`ok ${req.headers.host}`);
      });
      const config = {
        ...proxyConfigFromFlags(
          { origin: [origin.url], listen: '127.0.0.1:0', workers: String(workers), logLevel: 'silent' },
          {},
        ),
        zones: [],
      };
      node = await startEdgeNode({
        config,
        snapshot: { version: 1, zones: [zone('a', ['a.example'], origin.url)], rules: [] },
        logger: pino({ level: 'silent' }),
      });
      base = `http://127.0.0.1:${node.address.port}`;
    });

    after(async () => {
      await node?.close();
      await origin?.close();
    });

    test('serves the initial snapshot', async () => {
      assert.equal(node.workersUp(), workers);
      assert.deepEqual(await statusesOf('/', 'a.example'), [200]);
      assert.deepEqual(await statusesOf('/', 'b.example'), [421]);
    });

    test('apply-change reaches every worker: zone upsert, rule add and remove', async () => {
      await node.applyChange({
        version: 2,
        committedAt: Date.now(),
        kind: 'zone.upsert',
        zone: zone('b', ['b.example'], origin.url),
      });
      assert.deepEqual(await statusesOf('/', 'b.example'), [200]);
      const r = rule(10, 'http://b.example/gone');
      await node.applyChange({ version: 3, committedAt: Date.now(), kind: 'rule.add', rule: r });
      assert.deepEqual(await statusesOf('/gone', 'b.example'), [451]);
      const stats = await node.stats();
      assert.deepEqual(
        stats.map((s) => [s.version, s.rules]),
        Array.from({ length: workers }, () => [3, 1]),
      );
      await node.applyChange({ version: 4, committedAt: Date.now(), kind: 'rule.remove', rule: r });
      assert.deepEqual(await statusesOf('/gone', 'b.example'), [200]);
      assert.equal(node.summary().version, 4);
      assert.equal(node.summary().rules, 0);
    });

    test('replace-state swaps zones and rules everywhere', async () => {
      await node.replaceState(
        { version: 9, zones: [zone('c', ['c.example'], origin.url)], rules: [rule(1, 'http://c.example/x')] },
        { gap: false },
      );
      assert.deepEqual(await statusesOf('/', 'a.example'), [421]);
      assert.deepEqual(await statusesOf('/', 'c.example'), [200]);
      assert.deepEqual(await statusesOf('/x', 'c.example'), [451]);
      assert.ok((await node.stats()).every((s) => s.version === 9 && s.rules === 1));
    });

    test('purge sums the objects matched in every worker', async () => {
      await statusesOf('/cached', 'c.example');
      const purged = await node.purge({ zone: 'c', kind: 'zone', soft: false });
      // Each worker that served /cached (or /) holds its own copy.
      assert.ok(purged >= 1, `purged ${purged}`);
      assert.equal(await node.purge({ zone: 'c', kind: 'zone', soft: false }), 0);
    });

    test('setRules replaces the rules only', async () => {
      await node.setRules([rule(5, 'http://c.example/y')]);
      assert.deepEqual(await statusesOf('/x', 'c.example'), [200]);
      assert.deepEqual(await statusesOf('/y', 'c.example'), [451]);
      const m = await node.metrics();
      assert.match(m.text, /^edgeward_rules_loaded 1$/m);
      assert.match(m.text, new RegExp(`^edgeward_workers_up ${workers}$`, 'm'));
    });
  });
}
