import { test, describe, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { ROUTE_TABLE, type RouteAccess } from '../../../src/control/api/route-table.js';
import type { RoleName } from '../../../src/control/auth/principal.js';
import { ApiClient, startTestControlPlane } from './control-fixture.js';

/**
 * The authorization matrix: every route of ROUTE_TABLE called by every role (console session AND API token with
 * scope '*'), plus an edge token and an anonymous caller, over real HTTP. Refused = 403 (401 when anonymous);
 * allowed = anything but 401/403 (the request body is empty, so an allowed write fails validation: no side effects).
 */
const PASSWORD = 'matrix password 123';
type Caller = RoleName | 'anonymous';
const CALLERS: Caller[] = ['admin', 'analyst', 'legal', 'customer', 'reporter', 'edge', 'anonymous'];

describe('role matrix: each role x each route', () => {
  let cp: Awaited<ReturnType<typeof startTestControlPlane>>;
  const sessions = new Map<Caller, ApiClient>();
  const tokens = new Map<Caller, ApiClient>();
  const ids = { operator: 0, customer: 0, zone: '' };

  before(async () => {
    cp = await startTestControlPlane({ rateLimits: { loginPerMinute: 1000, publicPerMinute: 100000 } });
    const admin = await ApiClient.loggedIn(cp.url, cp.bootstrap!.email, cp.bootstrap!.password);
    sessions.set('admin', admin);
    ids.operator = (await admin.call('GET', '/v1/auth/me')).body.principal.id;
    for (const role of ['analyst', 'legal'] as const) {
      const r = await admin.call('POST', '/v1/operators', {
        email: `${role}@ops.test`,
        name: role,
        role,
        password: PASSWORD,
      });
      assert.equal(r.status, 201);
      sessions.set(role, await ApiClient.loggedIn(cp.url, `${role}@ops.test`, PASSWORD));
    }
    const customer = await admin.call('POST', '/v1/customers', { name: 'Matrix Inc' });
    ids.customer = customer.body.id;
    await admin.call('POST', `/v1/customers/${ids.customer}/users`, {
      email: 'owner@matrix.test',
      name: 'o',
      password: PASSWORD,
      role: 'owner',
    });
    sessions.set('customer', await ApiClient.loggedIn(cp.url, 'owner@matrix.test', PASSWORD));
    await admin.call('POST', '/v1/reporters', {
      name: 'Rights Co',
      email: 'agent@rights.test',
      password: PASSWORD,
    });
    sessions.set('reporter', await ApiClient.loggedIn(cp.url, 'agent@rights.test', PASSWORD));
    sessions.set('anonymous', new ApiClient(cp.url));

    const zone = await sessions
      .get('customer')!
      .call('POST', '/v1/zones', { name: 'm', hostnames: ['m.test'], origins: ['http://127.0.0.1:9'] });
    assert.equal(zone.status, 201);
    ids.zone = zone.body.id;

    for (const role of ['admin', 'analyst', 'legal', 'customer', 'reporter'] as const) {
      const t = await sessions.get(role)!.call('POST', '/v1/tokens', { name: 'matrix', scopes: ['*'] });
      assert.equal(t.status, 201, `${role} token: ${JSON.stringify(t.body)}`);
      tokens.set(role, ApiClient.withToken(cp.url, t.body.token));
    }
    const edge = await admin.call('POST', '/v1/edge-tokens', { name: 'edge-1' });
    assert.equal(edge.status, 201);
    tokens.set('edge', ApiClient.withToken(cp.url, edge.body.token));
    tokens.set('anonymous', new ApiClient(cp.url));
  });
  after(() => cp.stop());

  function pathOf(r: RouteAccess): string {
    let id = '999999';
    if (r.url.startsWith('/v1/operators/')) id = String(ids.operator);
    else if (r.url.startsWith('/v1/customers/')) id = String(ids.customer);
    else if (r.url.startsWith('/v1/zones/')) id = ids.zone;
    return r.url.replace(':id', id).replace(':hostname', 'm.test');
  }

  // Logout last: it ends the session the other rows use.
  const routes = [...ROUTE_TABLE].sort(
    (a, b) => Number(a.url === '/v1/auth/logout') - Number(b.url === '/v1/auth/logout'),
  );

  for (const via of ['API token', 'console session'] as const) {
    test(`every route refuses or admits each role as the table says (${via})`, async () => {
      const table: string[] = [];
      const mismatches: string[] = [];
      for (const r of routes) {
        const row: string[] = [];
        for (const caller of CALLERS) {
          const client = via === 'API token' ? tokens.get(caller) : sessions.get(caller);
          if (!client) {
            row.push('-');
            continue; // edges have no console session
          }
          const body = r.method === 'GET' ? undefined : {};
          const res = await client.call(r.method, pathOf(r), body);
          const allowed = r.allow === 'public' || (caller !== 'anonymous' && r.allow.includes(caller));
          row.push(`${caller}:${res.status}`);
          if (allowed) {
            if (res.status === 401 || res.status === 403)
              mismatches.push(
                `${r.method} ${r.url} as ${caller}: expected allowed, got ${res.status} ${JSON.stringify(res.body)}`,
              );
            if (res.status === 404 && /^no route/.test(res.body?.error?.message ?? ''))
              mismatches.push(`${r.method} ${r.url} is not served`);
          } else {
            const expected = caller === 'anonymous' ? 401 : 403;
            if (res.status !== expected)
              mismatches.push(`${r.method} ${r.url} as ${caller}: expected ${expected}, got ${res.status}`);
          }
        }
        table.push(`${r.method} ${r.url} ${row.join(' ')}`);
      }
      assert.deepEqual(mismatches, [], table.join('\n'));
    });
  }

  test('the table has one entry per route and covers every /v1 path in the OpenAPI document', async () => {
    const keys = ROUTE_TABLE.map((r) => `${r.method} ${r.url}`);
    assert.equal(new Set(keys).size, keys.length);
    const doc = (await new ApiClient(cp.url).call('GET', '/openapi.json')).body as {
      paths: Record<string, Record<string, unknown>>;
    };
    for (const [path, ops] of Object.entries(doc.paths)) {
      if (path.startsWith('/v1/edge/')) continue; // edge sync routes: edge tokens, their own check
      for (const method of Object.keys(ops)) {
        const url = path.replace(/\{(\w+)\}/g, ':$1');
        if (method === 'head') continue;
        assert.ok(
          keys.includes(`${method.toUpperCase()} ${url}`),
          `${method} ${path} missing from ROUTE_TABLE`,
        );
      }
    }
  });

  test('edge sync routes take the edge token and refuse people tokens', async () => {
    const edge = tokens.get('edge')!;
    assert.equal((await edge.call('GET', '/v1/edge/snapshot')).status, 200);
    assert.equal((await tokens.get('admin')!.call('GET', '/v1/edge/snapshot')).status, 401);
    assert.equal((await new ApiClient(cp.url).call('GET', '/v1/edge/snapshot')).status, 401);
  });
});
