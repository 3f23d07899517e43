import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { describeBothDatabases } from '../../helpers/databases.js';
import type { Principal } from '../../../src/control/auth/principal.js';
import {
  createCustomer,
  createCustomerUser,
  getCustomerView,
  listCustomerUserViews,
} from '../../../src/control/services/accounts-service.js';
import { listZonePurges, purgeZone } from '../../../src/control/services/purges-service.js';
import type { ServiceDeps } from '../../../src/control/services/service-deps.js';
import {
  createApiToken,
  listApiTokenViews,
  revokeApiTokenById,
} from '../../../src/control/services/tokens-service.js';
import {
  activateZone,
  addZoneHostname,
  createZone,
  getZoneView,
  listZoneViews,
  terminateZone,
  updateZoneSettings,
  verifyZoneHostname,
  zoneHistory,
} from '../../../src/control/services/zones-service.js';
import { makeOperator, startVerificationSite, testDeps, type VerificationSite } from './service-fixture.js';

describeBothDatabases('customer isolation in the services', (ctx) => {
  let site: VerificationSite;
  let deps: ServiceDeps;
  const users: Principal[] = [];
  let customerIds: number[] = [];

  before(async () => {
    site = await startVerificationSite();
    deps = testDeps(ctx.db, site.port);
    const admin = await makeOperator(deps, 'root@example.org', 'admin');
    customerIds = [];
    for (const n of ['a', 'b']) {
      const c = await createCustomer(deps, admin, { name: n });
      customerIds.push(c.id);
      const u = await createCustomerUser(deps, admin, c.id, {
        email: `${n}@${n}.test`,
        name: n,
        password: 'a long enough password',
        role: 'owner',
      });
      users.push({
        kind: 'customer_user',
        id: u.id,
        customerId: c.id,
        role: 'owner',
        email: u.email,
        scopes: null,
      });
    }
  });
  after(() => site.close());

  test("a customer can never read or touch another customer's zones, purges, users or tokens: always not_found", async () => {
    const [a, b] = users as [Principal, Principal];
    const zone = await createZone(deps, a, {
      name: 'a',
      hostnames: ['a-site.test'],
      origins: ['http://127.0.0.1:9'],
    });
    const tokenA = await createApiToken(deps, a, { name: 'ci', scopes: ['purge'] });
    const notFound = { code: 'not_found' };
    await assert.rejects(getZoneView(deps, b, zone.id), notFound);
    await assert.rejects(zoneHistory(deps, b, zone.id), notFound);
    await assert.rejects(updateZoneSettings(deps, b, zone.id, { name: 'mine' }), notFound);
    await assert.rejects(addZoneHostname(deps, b, zone.id, 'evil.test'), notFound);
    await assert.rejects(verifyZoneHostname(deps, b, zone.id, 'a-site.test'), notFound);
    await assert.rejects(activateZone(deps, b, zone.id, {}), notFound);
    await assert.rejects(terminateZone(deps, b, zone.id, 'spite'), notFound);
    await assert.rejects(purgeZone(deps, b, zone.id, { kind: 'everything' }), notFound);
    await assert.rejects(listZonePurges(deps, b, zone.id), notFound);
    await assert.rejects(getCustomerView(deps, b, customerIds[0]!), notFound);
    await assert.rejects(listCustomerUserViews(deps, b, customerIds[0]!), notFound);
    await assert.rejects(
      createCustomerUser(deps, b, customerIds[0]!, {
        email: 'x@x.test',
        name: 'x',
        password: 'a long enough password',
        role: 'owner',
      }),
      notFound,
    );
    await assert.rejects(revokeApiTokenById(deps, b, tokenA.id), notFound);
    assert.deepEqual(
      (await listZoneViews(deps, b, { customerId: customerIds[0]! })).map((z) => z.id),
      [],
      'customerId filter cannot widen a customer view',
    );
    assert.ok(!(await listApiTokenViews(deps, b)).some((t) => t.id === tokenA.id));
    // And the owner still can.
    assert.equal((await getZoneView(deps, a, zone.id)).id, zone.id);
    assert.equal((await revokeApiTokenById(deps, a, tokenA.id)).revokedAt !== null, true);
  });

  test('a token is shown once and stored only as a hash with its prefix', async () => {
    const a = users[0]!;
    const t = await createApiToken(deps, a, { name: 'deploy', scopes: ['zones:read'] });
    assert.match(t.token, /^ew_[A-Za-z0-9_-]{43}$/);
    assert.equal(t.prefix, t.token.slice(0, 11));
    const row = await ctx.db
      .selectFrom('api_tokens')
      .selectAll()
      .where('id', '=', t.id)
      .executeTakeFirstOrThrow();
    assert.notEqual(row.token_hash, t.token);
    assert.ok(!JSON.stringify(row).includes(t.token));
    assert.ok(!JSON.stringify(await listApiTokenViews(deps, a)).includes(t.token));
    await assert.rejects(createApiToken(deps, a, { name: 'x', scopes: ['rules:write'] }), {
      field: 'scopes[0]',
    });
  });
});
