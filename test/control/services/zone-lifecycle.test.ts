import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { describeBothDatabases } from '../../helpers/databases.js';
import { changesSince } from '../../../src/control/changes/config-change-log.js';
import { listAudit } from '../../../src/control/audit/audit-log.js';
import { verifyAuditChain } from '../../../src/control/audit/verify-audit-chain.js';
import type { Principal } from '../../../src/control/auth/principal.js';
import {
  createCustomer,
  createCustomerUser,
  updateCustomerAccount,
} from '../../../src/control/services/accounts-service.js';
import { addBlockRule, removeBlockRule } from '../../../src/control/services/block-rules-service.js';
import { purgeZone } from '../../../src/control/services/purges-service.js';
import type { ServiceDeps } from '../../../src/control/services/service-deps.js';
import {
  activateZone,
  createZone,
  suspendZone,
  terminateZone,
  verifyZoneHostname,
  zoneHistory,
} from '../../../src/control/services/zones-service.js';
import { makeOperator, startVerificationSite, testDeps, type VerificationSite } from './service-fixture.js';

describeBothDatabases('zone lifecycle through the services', (ctx) => {
  let site: VerificationSite;
  let deps: ServiceDeps;
  let admin: Principal;
  let analyst: Principal;
  let owner: Principal;
  const notified: number[] = [];

  before(async () => {
    site = await startVerificationSite();
    deps = testDeps(ctx.db, site.port);
    deps.notifier.subscribe((v) => notified.push(v));
    admin = await makeOperator(deps, 'admin@example.org', 'admin');
    analyst = await makeOperator(deps, 'analyst@example.org', 'analyst');
    const c = await createCustomer(deps, admin, { name: 'Acme' });
    const u = await createCustomerUser(deps, admin, c.id, {
      email: 'owner@acme.test',
      name: 'O',
      password: 'a long enough password',
      role: 'owner',
    });
    owner = {
      kind: 'customer_user',
      id: u.id,
      customerId: c.id,
      role: 'owner',
      email: u.email,
      scopes: null,
    };
  });
  after(() => site.close());

  test('pending -> active -> suspended -> active -> terminated, each with audit entries and config changes', async () => {
    const zone = await createZone(deps, owner, {
      name: 'shop',
      hostnames: ['Shop.test', 'www.shop.test'],
      origins: ['http://127.0.0.1:9/'],
    });
    assert.equal(zone.state, 'pending');
    assert.deepEqual(zone.origins, ['http://127.0.0.1:9']);
    let changes = await changesSince(ctx.db, 0, 100);
    const created = changes.at(-1)!;
    assert.equal(created.kind, 'zone.upsert');
    assert.deepEqual(
      created.kind === 'zone.upsert' && created.zone.hostnames,
      [],
      'unverified hostnames never reach edges',
    );
    assert.equal(
      notified.at(-1),
      created.version,
      'the notifier fires after the commit with the new version',
    );

    await assert.rejects(activateZone(deps, owner, zone.id, {}), { code: 'hostnames_unverified' });
    await assert.rejects(verifyZoneHostname(deps, owner, zone.id, 'shop.test'), {
      code: 'verification_failed',
      field: 'hostname',
    });
    for (const h of zone.hostnames) site.publish(h.verification.token);
    await verifyZoneHostname(deps, owner, zone.id, 'shop.test');
    const verified = await verifyZoneHostname(deps, owner, zone.id, 'www.shop.test');
    assert.ok(verified.hostnames.every((h) => h.verified && h.verificationMethod === 'http'));
    changes = await changesSince(ctx.db, created.version, 100);
    const last = changes.at(-1)!;
    assert.deepEqual(last.kind === 'zone.upsert' && last.zone.hostnames, ['shop.test', 'www.shop.test']);

    // KYC: the customer is unverified, so only an admin override with a reason activates.
    await assert.rejects(activateZone(deps, owner, zone.id, {}), { code: 'kyc_required' });
    await assert.rejects(activateZone(deps, owner, zone.id, { kycOverride: true, reason: 'x' }), {
      code: 'forbidden',
    });
    await assert.rejects(activateZone(deps, admin, zone.id, { kycOverride: true }), {
      code: 'invalid_request',
      field: 'reason',
    });
    const active = await activateZone(deps, admin, zone.id, {
      kycOverride: true,
      reason: 'KYC documents checked by phone',
    });
    assert.equal(active.state, 'active');

    await assert.rejects(activateZone(deps, admin, zone.id, {}), { code: 'invalid_state' });
    assert.equal((await suspendZone(deps, analyst, zone.id, 'phishing reported')).state, 'suspended');
    await assert.rejects(
      activateZone(deps, owner, zone.id, {}),
      { code: 'forbidden' },
      'only admins reinstate',
    );
    await updateCustomerAccount(deps, admin, owner.kind === 'customer_user' ? owner.customerId : 0, {
      kycStatus: 'verified',
      reason: 'KYC passed',
    });
    assert.equal((await activateZone(deps, admin, zone.id, { reason: 'cleaned up' })).state, 'active');
    assert.equal((await terminateZone(deps, owner, zone.id, 'closing the shop')).state, 'terminated');
    const removed = (await changesSince(ctx.db, 0, 1000)).at(-1)!;
    assert.deepEqual(removed.kind === 'zone.remove' && removed.zoneId, zone.id);
    await assert.rejects(purgeZone(deps, owner, zone.id, { kind: 'everything' }), { code: 'invalid_state' });

    const history = await zoneHistory(deps, owner, zone.id);
    assert.deepEqual(
      history.map((h) => [h.fromState, h.toState, h.actor, h.reason]),
      [
        [null, 'pending', `customer_user:${owner.kind === 'customer_user' ? owner.id : 0}`, null],
        [
          'pending',
          'active',
          `operator:${admin.kind === 'operator' ? admin.id : 0}`,
          'KYC documents checked by phone',
        ],
        [
          'active',
          'suspended',
          `operator:${analyst.kind === 'operator' ? analyst.id : 0}`,
          'phishing reported',
        ],
        ['suspended', 'active', `operator:${admin.kind === 'operator' ? admin.id : 0}`, 'cleaned up'],
        [
          'active',
          'terminated',
          `customer_user:${owner.kind === 'customer_user' ? owner.id : 0}`,
          'closing the shop',
        ],
      ],
    );
    const audit = (await listAudit(ctx.db, { objectType: 'zone', objectId: zone.id })).reverse();
    assert.deepEqual(
      audit.map((a) => a.action),
      [
        'zone.create',
        'zone.hostname.verify',
        'zone.hostname.verify',
        'zone.activate',
        'zone.suspend',
        'zone.activate',
        'zone.terminate',
      ],
    );
    const override = audit[3]!;
    assert.equal((override.after as { kycOverride?: boolean }).kycOverride, true);
    assert.equal((override.before as { state: string }).state, 'pending');
    assert.equal(override.reason, 'KYC documents checked by phone');
    assert.deepEqual(await verifyAuditChain(ctx.db).then((v) => v.ok), true);
  });

  test('origins that resolve to forbidden addresses are refused naming the field; nothing is written', async () => {
    const before = (await changesSince(ctx.db, 0, 1000)).length;
    await assert.rejects(
      createZone(deps, owner, {
        name: 'x',
        hostnames: ['x.test'],
        origins: ['http://93.184.216.34', 'http://10.0.0.8:8080'],
      }),
      { code: 'origin_forbidden', field: 'origins[1]' },
    );
    await assert.rejects(
      createZone(deps, owner, {
        name: 'x',
        hostnames: ['ok.test', '127.0.0.1'],
        origins: ['http://127.0.0.1:9'],
      }),
      {
        field: 'hostnames[1]',
      },
    );
    assert.equal((await changesSince(ctx.db, 0, 1000)).length, before);
  });

  test('purges and block rules are relayed as config changes with audit entries', async () => {
    const zone = await createZone(deps, owner, {
      name: 'blog',
      hostnames: ['blog.test'],
      origins: ['http://127.0.0.1:9'],
    });
    const p = await purgeZone(deps, owner, zone.id, {
      kind: 'url',
      value: 'https://blog.test/a?b=1',
      soft: true,
    });
    const change = (await changesSince(ctx.db, p.configVersion - 1, 1))[0]!;
    assert.deepEqual(change.kind === 'purge' && change.purge, {
      zone: zone.id,
      kind: 'url',
      value: 'https://blog.test/a?b=1',
      soft: true,
    });
    await assert.rejects(purgeZone(deps, owner, zone.id, { kind: 'url', value: 'https://elsewhere.test/' }), {
      field: 'value',
    });
    await assert.rejects(purgeZone(deps, owner, zone.id, { kind: 'tag' }), { field: 'value' });
    const all = await purgeZone(deps, analyst, zone.id, { kind: 'everything' });
    assert.equal(all.kind, 'zone');

    await assert.rejects(
      addBlockRule(deps, owner, {
        match: 'exact',
        url: 'https://blog.test/x',
        noticeUrl: 'https://notices.test/1',
      }),
      { code: 'forbidden' },
    );
    await assert.rejects(
      addBlockRule(deps, analyst, { match: 'exact', url: 'not a url', noticeUrl: 'https://notices.test/1' }),
      { field: 'url' },
    );
    const rule = await addBlockRule(deps, analyst, {
      match: 'prefix',
      url: 'https://blog.test/leak/',
      countries: ['de'],
      noticeUrl: 'https://notices.test/2',
      reason: 'court order 12/3',
    });
    const added = (await changesSince(ctx.db, rule.configVersion - 1, 1))[0]!;
    assert.equal(added.kind, 'rule.add');
    assert.deepEqual(added.kind === 'rule.add' && added.rule.countries, ['DE']);
    const lifted = await removeBlockRule(deps, admin, rule.id, 'order overturned');
    assert.equal(lifted.removalReason, 'order overturned');
    await assert.rejects(removeBlockRule(deps, admin, rule.id, 'again'), { code: 'invalid_state' });
    const audit = await listAudit(ctx.db, { objectType: 'block_rule', objectId: String(rule.id) });
    assert.deepEqual(
      audit.map((a) => [a.action, a.reason]),
      [
        ['rule.remove', 'order overturned'],
        ['rule.add', 'court order 12/3'],
      ],
    );
  });
});
