import { test } from 'node:test';
import assert from 'node:assert/strict';
import { DEFAULT_ZONE_CACHE_SETTINGS } from '../../../src/shared/config/zone-config.js';
import { describeBothDatabases } from '../../helpers/databases.js';
import {
  countOperators,
  getOperatorByEmail,
  insertOperator,
  listOperators,
  updateOperator,
} from '../../../src/control/repos/operators.js';
import {
  getCustomer,
  getCustomerUserByEmail,
  insertCustomer,
  insertCustomerUser,
  listCustomerUsers,
  updateCustomer,
  updateCustomerUser,
} from '../../../src/control/repos/customers.js';
import {
  findReportersByEmail,
  insertReporter,
  updateReporter,
} from '../../../src/control/repos/reporters.js';
import {
  deleteExpiredSessions,
  deleteSessionsOf,
  getLiveSession,
  insertSession,
} from '../../../src/control/repos/sessions.js';
import {
  getActiveApiTokenByHash,
  insertApiToken,
  listApiTokens,
  revokeApiToken,
  touchApiToken,
} from '../../../src/control/repos/api-tokens.js';
import {
  deleteZoneHostname,
  getZone,
  getZoneHostname,
  insertZone,
  insertZoneHostname,
  insertZoneStateChange,
  listZones,
  listZoneStateChanges,
  loadZoneConfig,
  markZoneHostnameVerified,
  updateZone,
} from '../../../src/control/repos/zones.js';
import {
  blockRuleOf,
  getBlockRule,
  insertBlockRule,
  listBlockRules,
  markBlockRuleRemoved,
} from '../../../src/control/repos/block-rules.js';
import { insertPurge, listPurges } from '../../../src/control/repos/purges.js';

describeBothDatabases('control repos', (ctx) => {
  test('operators: emails are case-insensitive and unique; updates and counts', async () => {
    const o = await insertOperator(ctx.db, {
      email: 'Admin@Example.com',
      name: 'Ada',
      role: 'admin',
      passwordHash: 'h1',
    });
    assert.equal(o.email, 'admin@example.com');
    assert.equal(typeof o.id, 'number');
    assert.equal(o.disabledAt, null);
    assert.deepEqual(await getOperatorByEmail(ctx.db, 'ADMIN@example.COM'), o);
    await assert.rejects(
      insertOperator(ctx.db, { email: 'admin@example.com', name: 'Dup', role: 'legal', passwordHash: 'h' }),
    );
    const disabledAt = new Date().toISOString();
    const u = await updateOperator(ctx.db, o.id, { role: 'analyst', disabledAt });
    assert.equal(u?.role, 'analyst');
    assert.equal(u?.disabledAt, disabledAt);
    assert.equal((await updateOperator(ctx.db, o.id, {}))?.role, 'analyst');
    assert.equal(await updateOperator(ctx.db, 999_999, { name: 'x' }), undefined);
    assert.equal(await countOperators(ctx.db), (await listOperators(ctx.db)).length);
  });

  test('customers and their users', async () => {
    const c = await insertCustomer(ctx.db, { name: 'Acme' });
    assert.equal(c.kycStatus, 'unverified');
    assert.equal((await updateCustomer(ctx.db, c.id, { kycStatus: 'verified' }))?.kycStatus, 'verified');
    assert.equal((await getCustomer(ctx.db, c.id))?.kycStatus, 'verified');
    const u = await insertCustomerUser(ctx.db, {
      customerId: c.id,
      email: 'Owner@Acme.test',
      name: 'O',
      passwordHash: 'h',
      role: 'owner',
    });
    assert.equal(u.customerId, c.id);
    assert.deepEqual(await getCustomerUserByEmail(ctx.db, 'owner@acme.test'), u);
    assert.deepEqual(await listCustomerUsers(ctx.db, c.id), [u]);
    assert.equal((await updateCustomerUser(ctx.db, u.id, { role: 'member' }))?.role, 'member');
    await assert.rejects(
      insertCustomerUser(ctx.db, {
        customerId: c.id + 9999,
        email: 'x@acme.test',
        name: 'X',
        passwordHash: 'h',
        role: 'member',
      }),
    );
  });

  test('reporters may share an email and have no password', async () => {
    const a = await insertReporter(ctx.db, {
      name: 'Agency for A',
      email: 'Agent@Rights.test',
      organization: 'Rights Inc',
    });
    const b = await insertReporter(ctx.db, { name: 'Agency for B', email: 'agent@rights.test' });
    assert.equal(a.passwordHash, null);
    assert.equal(b.organization, null);
    assert.deepEqual(
      (await findReportersByEmail(ctx.db, 'AGENT@rights.test')).map((r) => r.id),
      [a.id, b.id],
    );
    assert.equal((await updateReporter(ctx.db, b.id, { organization: 'B Ltd' }))?.organization, 'B Ltd');
  });

  test('sessions: live until expiry; ended per principal; expired ones swept', async () => {
    const past = new Date(Date.now() - 1000).toISOString();
    const future = new Date(Date.now() + 3_600_000).toISOString();
    await insertSession(ctx.db, {
      id: 'a'.repeat(64),
      principalType: 'operator',
      principalId: 1,
      csrfToken: 'c1',
      expiresAt: future,
    });
    await insertSession(ctx.db, {
      id: 'b'.repeat(64),
      principalType: 'operator',
      principalId: 1,
      csrfToken: 'c2',
      expiresAt: past,
    });
    await insertSession(ctx.db, {
      id: 'c'.repeat(64),
      principalType: 'customer_user',
      principalId: 1,
      csrfToken: 'c3',
      expiresAt: future,
    });
    assert.equal((await getLiveSession(ctx.db, 'a'.repeat(64)))?.csrfToken, 'c1');
    assert.equal(await getLiveSession(ctx.db, 'b'.repeat(64)), undefined);
    assert.equal(await deleteExpiredSessions(ctx.db), 1);
    assert.equal(await deleteSessionsOf(ctx.db, 'operator', 1), 1);
    assert.equal((await getLiveSession(ctx.db, 'c'.repeat(64)))?.principalType, 'customer_user');
  });

  test('API tokens: found by hash until revoked; scopes round-trip; edge tokens have no principal', async () => {
    const t = await insertApiToken(ctx.db, {
      principalType: 'reporter',
      principalId: 5,
      name: 'ci',
      tokenHash: 'f'.repeat(64),
      tokenPrefix: 'ew_ab',
      scopes: ['notices:write', 'notices:read'],
    });
    const e = await insertApiToken(ctx.db, {
      principalType: 'edge',
      principalId: null,
      name: 'edge-1',
      tokenHash: 'e'.repeat(64),
      tokenPrefix: 'ew_ed',
      scopes: ['edge'],
    });
    assert.deepEqual((await getActiveApiTokenByHash(ctx.db, 'f'.repeat(64)))?.scopes, [
      'notices:write',
      'notices:read',
    ]);
    await touchApiToken(ctx.db, t.id);
    assert.notEqual((await getActiveApiTokenByHash(ctx.db, 'f'.repeat(64)))?.lastUsedAt, null);
    assert.deepEqual(
      (await listApiTokens(ctx.db, { principalType: 'edge', principalId: null })).map((x) => x.id),
      [e.id],
    );
    assert.ok(await revokeApiToken(ctx.db, t.id));
    assert.equal(await revokeApiToken(ctx.db, t.id), undefined, 'revoking twice');
    assert.equal(await getActiveApiTokenByHash(ctx.db, 'f'.repeat(64)), undefined);
    await assert.rejects(
      insertApiToken(ctx.db, {
        principalType: 'edge',
        principalId: null,
        name: 'dup',
        tokenHash: 'e'.repeat(64),
        tokenPrefix: 'x',
        scopes: [],
      }),
    );
  });

  test('zones, hostnames, state history; the edge view keeps only verified hostnames', async () => {
    const c = await insertCustomer(ctx.db, { name: 'Zoned' });
    const z = await insertZone(ctx.db, {
      id: 'z_repo1',
      customerId: c.id,
      name: 'site',
      origins: ['https://origin.test'],
      originHost: 'origin.test',
      cache: { ...DEFAULT_ZONE_CACHE_SETTINGS, defaultTtlSeconds: 60 },
    });
    assert.equal(z.state, 'pending');
    assert.deepEqual(z.origins, ['https://origin.test']);
    assert.equal(z.cache.defaultTtlSeconds, 60);
    const h1 = await insertZoneHostname(ctx.db, {
      zoneId: z.id,
      hostname: 'WWW.Site.test',
      verificationToken: 't1',
    });
    const h2 = await insertZoneHostname(ctx.db, {
      zoneId: z.id,
      hostname: 'site.test',
      verificationToken: 't2',
    });
    assert.equal(h1.hostname, 'www.site.test');
    await assert.rejects(
      insertZoneHostname(ctx.db, { zoneId: z.id, hostname: 'site.test', verificationToken: 't3' }),
      'hostnames are unique',
    );
    assert.deepEqual((await loadZoneConfig(ctx.db, z.id))?.hostnames, []);
    await markZoneHostnameVerified(ctx.db, h2.id, 'dns');
    const cfg = await loadZoneConfig(ctx.db, z.id);
    assert.deepEqual(cfg, {
      id: z.id,
      hostnames: ['site.test'],
      origins: ['https://origin.test'],
      originHost: 'origin.test',
      state: 'pending',
      cache: { ...DEFAULT_ZONE_CACHE_SETTINGS, defaultTtlSeconds: 60 },
    });
    assert.equal((await getZoneHostname(ctx.db, 'SITE.test'))?.verificationMethod, 'dns');
    assert.ok(await deleteZoneHostname(ctx.db, h1.id));
    const updated = await updateZone(ctx.db, z.id, { state: 'active', originHost: null });
    assert.equal(updated?.state, 'active');
    assert.equal(updated?.originHost, null);
    assert.ok(updated!.updatedAt >= z.updatedAt);
    assert.equal('originHost' in (await loadZoneConfig(ctx.db, z.id))!, false);
    await insertZoneStateChange(ctx.db, {
      zoneId: z.id,
      fromState: 'pending',
      toState: 'active',
      actor: 'operator:1',
      reason: 'verified',
    });
    assert.deepEqual(
      (await listZoneStateChanges(ctx.db, z.id)).map((s) => [s.fromState, s.toState, s.reason]),
      [['pending', 'active', 'verified']],
    );
    assert.deepEqual(
      (await listZones(ctx.db, { customerId: c.id, states: ['active'] })).map((x) => x.id),
      [z.id],
    );
    assert.deepEqual(await listZones(ctx.db, { customerId: c.id, states: [] }), []);
    assert.equal((await getZone(ctx.db, z.id))?.name, 'site');
  });

  test('block rules: edge form, lifting keeps the row; purges', async () => {
    const r = await insertBlockRule(ctx.db, {
      match: 'host',
      url: 'https://pirate.test/',
      countries: ['DE', 'FR'],
      noticeUrl: 'https://notices.test/1',
      demandedBy: 'Court of X',
      createdBy: 'operator:2',
    });
    assert.deepEqual(blockRuleOf(r), {
      id: r.id,
      match: 'host',
      url: 'https://pirate.test/',
      countries: ['DE', 'FR'],
      notice: 'https://notices.test/1',
      demandedBy: 'Court of X',
    });
    const lifted = await markBlockRuleRemoved(ctx.db, r.id, 'operator:3', 'appeal upheld');
    assert.equal(lifted?.removalReason, 'appeal upheld');
    assert.equal(await markBlockRuleRemoved(ctx.db, r.id, 'operator:3', 'again'), undefined);
    assert.equal((await getBlockRule(ctx.db, r.id))?.removedBy, 'operator:3');
    assert.equal(
      (await listBlockRules(ctx.db, { activeOnly: true })).some((x) => x.id === r.id),
      false,
    );

    const p = await insertPurge(ctx.db, {
      zoneId: null,
      kind: 'tag',
      value: 'news',
      soft: true,
      requestedBy: 'operator:1',
      configVersion: 7,
    });
    assert.equal(p.soft, true);
    assert.equal((await listPurges(ctx.db))[0]?.id, p.id);
  });
});
