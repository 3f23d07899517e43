import { test, beforeEach } from 'node:test';
import assert from 'node:assert/strict';
import { sql } from 'kysely';
import fc from 'fast-check';
import type {
  ConfigChange,
  ConfigChangeBody,
  EdgeSnapshot,
} from '../../../src/shared/config/config-change.js';
import {
  DEFAULT_ZONE_CACHE_SETTINGS,
  type ZoneConfig,
  type ZoneState,
} from '../../../src/shared/config/zone-config.js';
import type { BlockRule } from '../../../src/shared/rules/block-rule.js';
import { describeBothDatabases } from '../../helpers/databases.js';
import { transact, type Executor } from '../../../src/control/db/transact.js';
import {
  appendConfigChange,
  changesSince,
  currentConfigVersion,
} from '../../../src/control/changes/config-change-log.js';
import { buildEdgeSnapshot } from '../../../src/control/changes/edge-snapshot.js';
import { zoneChangeFor } from '../../../src/control/changes/zone-change.js';
import { insertCustomer } from '../../../src/control/repos/customers.js';
import {
  insertZone,
  insertZoneHostname,
  listZoneHostnames,
  markZoneHostnameVerified,
  updateZone,
} from '../../../src/control/repos/zones.js';
import {
  blockRuleOf,
  insertBlockRule,
  markBlockRuleRemoved,
} from '../../../src/control/repos/block-rules.js';
import { insertPurge } from '../../../src/control/repos/purges.js';
import { appendAudit } from '../../../src/control/audit/audit-log.js';
import { verifyAuditChain } from '../../../src/control/audit/verify-audit-chain.js';

const purgeBody: ConfigChangeBody = {
  kind: 'purge',
  purge: { zone: null, kind: 'tag', value: 't', soft: false },
};

/** What an edge does: apply changes in order onto a snapshot. */
function fold(snapshot: EdgeSnapshot, changes: readonly ConfigChange[]): EdgeSnapshot {
  const zones = new Map<string, ZoneConfig>(snapshot.zones.map((z) => [z.id, z]));
  const rules = new Map<number, BlockRule>(snapshot.rules.map((r) => [r.id, r]));
  let version = snapshot.version;
  for (const c of changes) {
    assert.equal(c.version, version + 1, 'changes arrive gapless and in order');
    version = c.version;
    if (c.kind === 'zone.upsert') zones.set(c.zone.id, c.zone);
    else if (c.kind === 'zone.remove') zones.delete(c.zoneId);
    else if (c.kind === 'rule.add') rules.set(c.rule.id, c.rule);
    else if (c.kind === 'rule.remove') rules.delete(c.rule.id);
  }
  return { version, zones: [...zones.values()], rules: [...rules.values()] };
}

function normalized(s: EdgeSnapshot): EdgeSnapshot {
  return {
    version: s.version,
    zones: [...s.zones].sort((a, b) => a.id.localeCompare(b.id)),
    rules: [...s.rules].sort((a, b) => a.id - b.id),
  };
}

async function allChanges(db: Executor, after = 0): Promise<ConfigChange[]> {
  const out: ConfigChange[] = [];
  for (;;) {
    const page = await changesSince(db, after, 7);
    out.push(...page);
    const last = page[page.length - 1];
    if (!last) return out;
    after = last.version;
  }
}

describeBothDatabases('config change log', (ctx) => {
  beforeEach(async () => {
    for (const t of [
      'config_changes',
      'purges',
      'block_rules',
      'zone_hostnames',
      'zone_state_changes',
      'zones',
      'customers',
      'audit_log',
    ] as const) {
      await ctx.db.deleteFrom(t).execute();
    }
  });

  test('versions start at 1 and count up; changesSince pages ascending', async () => {
    assert.equal(await currentConfigVersion(ctx.db), 0);
    for (let i = 0; i < 5; i++) {
      const c: ConfigChange = await transact(ctx.db, (trx) => appendConfigChange(trx, purgeBody));
      assert.equal(c.version, i + 1);
      assert.equal(typeof c.committedAt, 'number');
    }
    assert.equal(await currentConfigVersion(ctx.db), 5);
    assert.deepEqual(
      (await changesSince(ctx.db, 1, 2)).map((c) => c.version),
      [2, 3],
    );
    assert.deepEqual(await changesSince(ctx.db, 5, 10), []);
    const all = await changesSince(ctx.db, 0, 100);
    assert.deepEqual(
      all.map((c) => c.version),
      [1, 2, 3, 4, 5],
    );
    assert.deepEqual(
      { kind: all[0]!.kind, purge: (all[0] as Extract<ConfigChange, { kind: 'purge' }>).purge },
      purgeBody,
    );
    await assert.rejects(changesSince(ctx.db, -1, 10), /version/);
    await assert.rejects(changesSince(ctx.db, 0, 0), /limit/);
  });

  test('appending outside a transaction or with an unknown kind is refused', async () => {
    await assert.rejects(appendConfigChange(ctx.db, purgeBody), /transact/);
    await assert.rejects(
      transact(ctx.db, (trx) => appendConfigChange(trx, { kind: 'nope' } as unknown as ConfigChangeBody)),
      /unknown config change kind/,
    );
  });

  test('a rolled-back append leaves no gap', async () => {
    await transact(ctx.db, (trx) => appendConfigChange(trx, purgeBody));
    await assert.rejects(
      transact(ctx.db, async (trx) => {
        await appendConfigChange(trx, purgeBody);
        throw new Error('rollback');
      }),
    );
    const c = await transact(ctx.db, (trx) => appendConfigChange(trx, purgeBody));
    assert.equal(c.version, 2);
  });

  test('many concurrent writers: gapless versions, and a reader never sees a later version before an earlier one', async () => {
    const writers = 60;
    let writing = true;
    const seen: number[][] = [];
    const reader = (async () => {
      while (writing) {
        const rows = await ctx.db.selectFrom('config_changes').select('version').orderBy('version').execute();
        seen.push(rows.map((r) => Number(r.version)));
        await new Promise((r) => setImmediate(r));
      }
    })();
    const results = await Promise.all(
      Array.from({ length: writers }, (_, i) =>
        transact(ctx.db, async (trx) => {
          const c = await appendConfigChange(trx, purgeBody);
          await appendAudit(trx, {
            actor: 'system',
            action: 'purge',
            objectType: 'purge',
            objectId: String(i),
          });
          // Hold the transaction open a little after the append, so without the lock commits would reorder.
          if (ctx.dialect === 'postgres') await sql`select pg_sleep(${(i % 4) * 0.002})`.execute(trx);
          return c.version;
        }),
      ),
    );
    writing = false;
    await reader;
    assert.deepEqual(
      [...results].sort((a, b) => a - b),
      Array.from({ length: writers }, (_, i) => i + 1),
    );
    assert.ok(seen.length > 0);
    for (const versions of seen) {
      versions.forEach((v, i) =>
        assert.equal(v, i + 1, `visible versions form a prefix: ${versions.join(',')}`),
      );
    }
    assert.equal((await verifyAuditChain(ctx.db)).ok, true);
  });

  test('snapshot + changesSince reproduce the state; unverified hostnames and removed rules never reach edges', async () => {
    const ops = makeOps(ctx);
    const customer = await insertCustomer(ctx.db, { name: 'Acme' });
    await ops.createZone(customer.id, 'z_a', ['a.example', 'www.a.example']);
    await ops.verify('z_a', 'a.example');
    await ops.createZone(customer.id, 'z_b', ['b.example']);
    const r1 = await ops.addRule('https://a.example/x');
    const s1 = await buildEdgeSnapshot(ctx.db);
    assert.equal(s1.version, await currentConfigVersion(ctx.db));
    assert.deepEqual(s1.zones.find((z) => z.id === 'z_a')?.hostnames, ['a.example']);
    assert.deepEqual(s1.zones.find((z) => z.id === 'z_b')?.hostnames, []);
    assert.deepEqual(
      s1.rules.map((r) => r.id),
      [r1],
    );

    await ops.verify('z_a', 'www.a.example');
    await ops.setState('z_a', 'active');
    await ops.setState('z_b', 'suspended');
    const r2 = await ops.addRule('https://b.example/', 'prefix');
    await ops.removeRule(r1);
    await ops.purge('z_a');
    await ops.createZone(customer.id, 'z_c', ['c.example']);
    await ops.setState('z_c', 'terminated');

    const s2 = await buildEdgeSnapshot(ctx.db);
    assert.deepEqual(normalized(fold(s1, await allChanges(ctx.db, s1.version))), normalized(s2));
    assert.deepEqual(
      normalized(fold({ version: 0, zones: [], rules: [] }, await allChanges(ctx.db))),
      normalized(s2),
    );
    assert.deepEqual(s2.zones.map((z) => [z.id, z.state]).sort(), [
      ['z_a', 'active'],
      ['z_b', 'suspended'],
    ]);
    assert.deepEqual(s2.zones.find((z) => z.id === 'z_a')?.hostnames, ['a.example', 'www.a.example']);
    assert.deepEqual(
      s2.rules.map((r) => r.id),
      [r2],
    );
    assert.equal(s2.rules[0]!.match, 'prefix');
  });

  test('property: any sequence of operations; any snapshot plus the changes after it equals the final snapshot', async () => {
    const opArb = fc.oneof(
      fc.record({ op: fc.constant('zone' as const), n: fc.nat(3) }),
      fc.record({ op: fc.constant('verify' as const), n: fc.nat(3) }),
      fc.record({
        op: fc.constant('state' as const),
        n: fc.nat(3),
        state: fc.constantFrom<ZoneState>('pending', 'active', 'suspended', 'terminated'),
      }),
      fc.record({ op: fc.constant('rule' as const), n: fc.nat(3) }),
      fc.record({ op: fc.constant('unrule' as const), n: fc.nat(5) }),
      fc.record({ op: fc.constant('purge' as const), n: fc.nat(3) }),
      fc.record({ op: fc.constant('snapshot' as const) }),
    );
    await fc.assert(
      fc.asyncProperty(fc.array(opArb, { minLength: 1, maxLength: 14 }), async (script) => {
        for (const t of [
          'config_changes',
          'purges',
          'block_rules',
          'zone_hostnames',
          'zone_state_changes',
          'zones',
          'customers',
        ] as const) {
          await ctx.db.deleteFrom(t).execute();
        }
        const ops = makeOps(ctx);
        const customer = await insertCustomer(ctx.db, { name: 'P' });
        const snapshots: EdgeSnapshot[] = [await buildEdgeSnapshot(ctx.db)];
        const created = new Set<string>();
        const rules: number[] = [];
        for (const step of script) {
          const zoneId = `z_${'n' in step ? step.n : 0}`;
          if (step.op === 'zone' && !created.has(zoneId)) {
            created.add(zoneId);
            await ops.createZone(customer.id, zoneId, [`${zoneId}.example`, `www.${zoneId}.example`]);
          } else if (step.op === 'verify' && created.has(zoneId))
            await ops.verify(zoneId, `${zoneId}.example`);
          else if (step.op === 'state' && created.has(zoneId)) await ops.setState(zoneId, step.state);
          else if (step.op === 'rule') rules.push(await ops.addRule(`https://${zoneId}.example/p`));
          else if (step.op === 'unrule' && rules[step.n] !== undefined) await ops.removeRule(rules[step.n]!);
          else if (step.op === 'purge' && created.has(zoneId)) await ops.purge(zoneId);
          else if (step.op === 'snapshot') snapshots.push(await buildEdgeSnapshot(ctx.db));
        }
        const final = normalized(await buildEdgeSnapshot(ctx.db));
        for (const s of snapshots)
          assert.deepEqual(normalized(fold(s, await allChanges(ctx.db, s.version))), final);
      }),
      { numRuns: 12 },
    );
  });
});

/** Service-like writes: table changes, their config change and audit entry in one transaction. */
function makeOps(ctx: { db: Executor }) {
  const zoneChange = async (trx: Executor, zoneId: string) => {
    const c = await appendConfigChange(trx, await zoneChangeFor(trx, zoneId));
    await appendAudit(trx, {
      actor: 'operator:1',
      action: 'zone.change',
      objectType: 'zone',
      objectId: zoneId,
      after: c,
    });
  };
  return {
    createZone: (customerId: number, id: string, hostnames: string[]) =>
      transact(ctx.db, async (trx) => {
        await insertZone(trx, {
          id,
          customerId,
          name: id,
          origins: ['http://127.0.0.1:9'],
          cache: DEFAULT_ZONE_CACHE_SETTINGS,
        });
        for (const h of hostnames)
          await insertZoneHostname(trx, { zoneId: id, hostname: h, verificationToken: `tok-${h}` });
        await zoneChange(trx, id);
      }),
    verify: (zoneId: string, hostname: string) =>
      transact(ctx.db, async (trx) => {
        const h = (await listZoneHostnames(trx, zoneId)).find((x) => x.hostname === hostname);
        assert.ok(h);
        await markZoneHostnameVerified(trx, h.id, 'http');
        await zoneChange(trx, zoneId);
      }),
    setState: (zoneId: string, state: ZoneState) =>
      transact(ctx.db, async (trx) => {
        await updateZone(trx, zoneId, { state });
        await zoneChange(trx, zoneId);
      }),
    addRule: (url: string, match: 'exact' | 'prefix' = 'exact') =>
      transact(ctx.db, async (trx) => {
        const r = await insertBlockRule(trx, {
          match,
          url,
          countries: ['DE'],
          noticeUrl: 'https://n.example/1',
          createdBy: 'operator:1',
          law: 'DSA Art. 16',
        });
        await appendConfigChange(trx, { kind: 'rule.add', rule: blockRuleOf(r) });
        return r.id;
      }),
    removeRule: (id: number) =>
      transact(ctx.db, async (trx) => {
        const r = await markBlockRuleRemoved(trx, id, 'operator:1', 'counter-notice');
        if (r) await appendConfigChange(trx, { kind: 'rule.remove', rule: blockRuleOf(r) });
      }),
    purge: (zoneId: string) =>
      transact(ctx.db, async (trx) => {
        const c = await appendConfigChange(trx, {
          kind: 'purge',
          purge: { zone: zoneId, kind: 'zone', soft: true },
        });
        await insertPurge(trx, {
          zoneId,
          kind: 'zone',
          value: null,
          soft: true,
          requestedBy: 'operator:1',
          configVersion: c.version,
        });
      }),
  };
}
