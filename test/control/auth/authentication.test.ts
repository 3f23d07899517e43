import { test } from 'node:test';
import assert from 'node:assert/strict';
import { describeBothDatabases } from '../../helpers/databases.js';
import {
  authenticateBearer,
  authenticateEdgeBearer,
  authenticateSession,
} from '../../../src/control/auth/authenticate.js';
import { bootstrapAdmin } from '../../../src/control/auth/bootstrap-admin.js';
import { hashPassword, verifyPassword } from '../../../src/control/auth/passwords.js';
import { updateOperatorAccount } from '../../../src/control/services/accounts-service.js';
import { login } from '../../../src/control/services/sessions-service.js';
import { createApiToken } from '../../../src/control/services/tokens-service.js';
import { makeOperator, testDeps } from '../services/service-fixture.js';

test('passwords are argon2id hashes that verify only the right password', async () => {
  const h = await hashPassword('correct horse battery');
  assert.match(h, /^\$argon2id\$v=19\$m=19456,t=2,p=1\$/);
  assert.equal(await verifyPassword(h, 'correct horse battery'), true);
  assert.equal(await verifyPassword(h, 'correct horse batterY'), false);
  await assert.rejects(verifyPassword('not a hash', 'x'), { code: 'corrupt_password_hash' });
});

describeBothDatabases('authentication', (ctx) => {
  test('bootstrap creates one admin on first start only, and its password logs in', async () => {
    const deps = testDeps(ctx.db, 80);
    const first = await bootstrapAdmin(deps, 'admin@localhost');
    assert.ok(first);
    assert.equal(await bootstrapAdmin(deps, 'admin@localhost'), undefined);
    const s = await login(deps, 'ADMIN@localhost', first.password);
    assert.equal(s.principal.type, 'operator');
    await assert.rejects(login(deps, 'admin@localhost', 'wrong'), { code: 'invalid_credentials' });
    await assert.rejects(login(deps, 'nobody@localhost', 'wrong'), { code: 'invalid_credentials' });
    const row = await ctx.db.selectFrom('sessions').selectAll().executeTakeFirstOrThrow();
    assert.notEqual(row.id, s.sessionSecret, 'only the hash of the session secret is stored');
    assert.equal((await authenticateSession(ctx.db, s.sessionSecret))?.principal.kind, 'operator');
    assert.equal(await authenticateSession(ctx.db, s.sessionSecret + 'x'), null);
  });

  test('disabling an operator ends its sessions and revokes its tokens; the last admin cannot be removed', async () => {
    const deps = testDeps(ctx.db, 80);
    const root = await makeOperator(deps, 'root@ops.test', 'admin');
    const analyst = await makeOperator(deps, 'an@ops.test', 'analyst');
    const t = await createApiToken(deps, analyst, { name: 'x', scopes: ['rules:write'] });
    const s = await login(deps, 'an@ops.test', 'correct horse battery');
    const p = await authenticateBearer(ctx.db, `Bearer ${t.token}`);
    assert.deepEqual(p && p.kind === 'operator' && [p.role, p.scopes], ['analyst', ['rules:write']]);
    assert.equal(await authenticateEdgeBearer(ctx.db, `Bearer ${t.token}`), false);

    await updateOperatorAccount(deps, root, analyst.kind === 'operator' ? analyst.id : 0, {
      disabled: true,
      reason: 'left the company',
    });
    assert.equal(await authenticateBearer(ctx.db, `Bearer ${t.token}`), null);
    assert.equal(await authenticateSession(ctx.db, s.sessionSecret), null);
    await assert.rejects(login(deps, 'an@ops.test', 'correct horse battery'), {
      code: 'invalid_credentials',
    });

    const admins = await ctx.db.selectFrom('operators').select('id').where('role', '=', 'admin').execute();
    for (const a of admins) {
      if (a.id === (root.kind === 'operator' ? root.id : 0)) continue;
      await updateOperatorAccount(deps, root, Number(a.id), { disabled: true });
    }
    await assert.rejects(
      updateOperatorAccount(deps, root, root.kind === 'operator' ? root.id : 0, { role: 'legal' }),
      { code: 'last_admin' },
    );
  });

  test('edge tokens authenticate the sync routes and nothing else', async () => {
    const deps = testDeps(ctx.db, 80);
    const admin = await makeOperator(deps, 'edge-admin@ops.test', 'admin');
    const e = await createApiToken(deps, admin, { name: 'edge-7', scopes: [], edge: true });
    assert.deepEqual(e.scopes, ['edge']);
    assert.equal(await authenticateEdgeBearer(ctx.db, `Bearer ${e.token}`), true);
    assert.equal(await authenticateEdgeBearer(ctx.db, `Basic ${e.token}`), false);
    assert.equal(await authenticateEdgeBearer(ctx.db, undefined), false);
  });
});
