import { test, describe, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { ApiClient, startTestControlPlane } from './control-fixture.js';
import { startVerificationSite, type VerificationSite } from '../services/service-fixture.js';

type CP = Awaited<ReturnType<typeof startTestControlPlane>>;
/** Logins per minute per IP+email; the admin logs in a few times below, under this limit. */
const LOGIN_LIMIT = 6;

describe('control plane API over HTTP', () => {
  let cp: CP;
  let site: VerificationSite;
  let admin: ApiClient;

  before(async () => {
    site = await startVerificationSite();
    cp = await startTestControlPlane({
      hostnameVerification: { httpPort: site.port, dnsEnabled: false },
      rateLimits: { loginPerMinute: LOGIN_LIMIT },
    });
    assert.ok(cp.bootstrap, 'first start creates the admin');
    assert.equal(cp.bootstrap.email, 'admin@localhost');
    admin = await ApiClient.loggedIn(cp.url, cp.bootstrap.email, cp.bootstrap.password);
  });
  after(async () => {
    await cp.stop();
    await site.close();
  });

  test('login sets an HttpOnly SameSite=Strict cookie; unsafe cookie requests need the CSRF token', async () => {
    const c = new ApiClient(cp.url);
    const r = await c.login(cp.bootstrap!.email, cp.bootstrap!.password);
    assert.equal(r.status, 200);
    const set = r.headers.get('set-cookie')!;
    assert.match(set, /HttpOnly/i);
    assert.match(set, /SameSite=Strict/i);
    assert.doesNotMatch(set, /Secure/i, 'plain-http publicUrl: no Secure flag');
    assert.equal(typeof r.body.csrfToken, 'string');

    assert.equal((await c.call('GET', '/v1/auth/me')).status, 200, 'safe methods need no CSRF token');
    const none = await c.call('POST', '/v1/customers', { name: 'X' }, { csrf: null });
    assert.equal(none.status, 403);
    assert.equal(none.body.error.code, 'csrf_failed');
    assert.equal((await c.call('POST', '/v1/customers', { name: 'X' }, { csrf: 'wrong' })).status, 403);
    assert.equal((await c.call('POST', '/v1/customers', { name: 'X' })).status, 201);

    assert.equal((await c.call('POST', '/v1/auth/logout', {})).status, 200);
    assert.equal((await c.call('GET', '/v1/auth/me')).status, 401, 'the session ends at logout');
  });

  test('sessions expire', async () => {
    const c = await ApiClient.loggedIn(cp.url, cp.bootstrap!.email, cp.bootstrap!.password);
    assert.equal((await c.call('GET', '/v1/auth/me')).status, 200);
    await cp.db
      .updateTable('sessions')
      .set({ expires_at: new Date(Date.now() - 1000).toISOString() })
      .execute();
    assert.equal((await c.call('GET', '/v1/auth/me')).status, 401);
    admin = await ApiClient.loggedIn(cp.url, cp.bootstrap!.email, cp.bootstrap!.password);
  });

  test('bearer tokens: no CSRF needed, limited to their scopes, dead once revoked', async () => {
    const created = await admin.call('POST', '/v1/tokens', { name: 'read-only', scopes: ['zones:read'] });
    assert.equal(created.status, 201);
    const t = ApiClient.withToken(cp.url, created.body.token);
    assert.equal((await t.call('GET', '/v1/zones')).status, 200);
    const denied = await t.call('POST', '/v1/customers', { name: 'Y' });
    assert.equal(denied.status, 403);
    assert.equal(denied.body.error.field, 'scopes');
    const list = await admin.call('GET', '/v1/tokens');
    assert.ok(!JSON.stringify(list.body).includes(created.body.token), 'the secret is never listed');
    assert.equal(
      list.body.tokens.find((x: { id: number }) => x.id === created.body.id).prefix,
      created.body.token.slice(0, 11),
    );
    assert.equal(
      (await admin.call('DELETE', `/v1/tokens/${created.body.id}`, { reason: 'test' })).status,
      200,
    );
    assert.equal((await t.call('GET', '/v1/zones')).status, 401);
    assert.equal((await ApiClient.withToken(cp.url, 'ew_nonsense').call('GET', '/v1/zones')).status, 401);
  });

  test('schema errors are 400 invalid_request naming the bad field', async () => {
    const cases: [string, string, unknown, string][] = [
      [
        'POST',
        '/v1/zones',
        { name: 'z', hostnames: ['a.test'], origins: ['http://127.0.0.1:1'], colour: 'red' },
        'colour',
      ],
      ['POST', '/v1/zones', { name: 'z', hostnames: ['a.test'] }, 'origins'],
      ['POST', '/v1/zones', { name: 'z', hostnames: [{}], origins: ['http://127.0.0.1:1'] }, 'hostnames[0]'],
      [
        'POST',
        '/v1/zones',
        { name: 'z', hostnames: ['a.test'], origins: ['http://127.0.0.1:1'], cache: { queryString: 'all' } },
        'cache.queryString',
      ],
      [
        'POST',
        '/v1/zones',
        { name: 'z', hostnames: ['a.test'], origins: ['http://127.0.0.1:1'], cache: { ttl: 5 } },
        'cache.ttl',
      ],
      [
        'POST',
        '/v1/rules',
        { match: 'exact', url: 'https://a.test/', noticeUrl: 'https://n.test/1', countries: ['DEU'] },
        'countries[0]',
      ],
      ['POST', '/v1/operators', { email: 'not-an-email', name: 'n', role: 'admin', password: 'p' }, 'email'],
      ['GET', '/v1/audit?after=-1', undefined, 'after'],
      ['GET', '/v1/zones?bogus=1', undefined, 'bogus'],
    ];
    for (const [method, path, body, field] of cases) {
      const r = await admin.call(method, path, body);
      assert.equal(r.status, 400, `${method} ${path} ${JSON.stringify(body)}`);
      assert.equal(r.body.error.code, 'invalid_request');
      assert.equal(r.body.error.field, field, `${method} ${path}: ${r.body.error.message}`);
    }
    const forbiddenOrigin = await admin.call('POST', '/v1/zones', {
      customerId: 1,
      name: 'z',
      hostnames: ['a.test'],
      origins: ['http://169.254.169.254/'],
    });
    assert.equal(forbiddenOrigin.status, 400);
    assert.equal(forbiddenOrigin.body.error.code, 'origin_forbidden');
    assert.equal(forbiddenOrigin.body.error.field, 'origins[0]');
  });

  test('a whole zone through the API: customer, user, zone, hostname proof, activation, purge, audit', async () => {
    const cust = await admin.call('POST', '/v1/customers', { name: 'Acme', kycStatus: 'verified' });
    const other = await admin.call('POST', '/v1/customers', { name: 'Globex' });
    for (const [id, email] of [
      [cust.body.id, 'ops@acme.test'],
      [other.body.id, 'ops@globex.test'],
    ] as const) {
      const u = await admin.call('POST', `/v1/customers/${id}/users`, {
        email,
        name: 'Ops',
        password: 'a long enough password',
        role: 'owner',
      });
      assert.equal(u.status, 201);
    }
    const acme = await ApiClient.loggedIn(cp.url, 'ops@acme.test', 'a long enough password');
    const globex = await ApiClient.loggedIn(cp.url, 'ops@globex.test', 'a long enough password');
    const zone = await acme.call('POST', '/v1/zones', {
      name: 'shop',
      hostnames: ['shop.test'],
      origins: [`http://127.0.0.1:${site.port}`],
      cache: { queryString: 'sort', defaultTtlSeconds: 60 },
    });
    assert.equal(zone.status, 201, JSON.stringify(zone.body));
    const id = zone.body.id as string;
    assert.equal(zone.body.customerId, cust.body.id);

    // Another customer cannot see it: 404, exactly as for a zone that does not exist.
    assert.equal((await globex.call('GET', `/v1/zones/${id}`)).status, 404);
    assert.equal((await globex.call('POST', `/v1/zones/${id}/purge`, { kind: 'everything' })).status, 404);
    assert.equal((await globex.call('GET', `/v1/zones/z_doesnotexist`)).status, 404);
    assert.deepEqual((await globex.call('GET', '/v1/zones')).body.zones, []);

    const failed = await acme.call('POST', `/v1/zones/${id}/hostnames/shop.test/verify`);
    assert.equal(failed.status, 422);
    site.publish(zone.body.hostnames[0].verification.token);
    const ok = await acme.call('POST', `/v1/zones/${id}/hostnames/shop.test/verify`);
    assert.equal(ok.status, 200);
    assert.equal(ok.body.hostnames[0].verified, true);
    const active = await acme.call('POST', `/v1/zones/${id}/activate`, {});
    assert.equal(active.status, 200, JSON.stringify(active.body));
    assert.equal(active.body.state, 'active');

    const purge = await acme.call('POST', `/v1/zones/${id}/purge`, {
      kind: 'prefix',
      value: 'https://shop.test/img/',
      soft: false,
    });
    assert.equal(purge.status, 202);
    assert.equal(typeof purge.body.configVersion, 'number');
    const suspended = await admin.call('POST', `/v1/zones/${id}/suspend`, { reason: 'abuse report 42' });
    assert.equal(suspended.body.state, 'suspended');
    const history = await acme.call('GET', `/v1/zones/${id}/history`);
    assert.deepEqual(
      history.body.changes.map((c: { toState: string }) => c.toState),
      ['pending', 'active', 'suspended'],
    );
    assert.equal(history.body.changes[2].reason, 'abuse report 42');

    const verify = await admin.call('GET', '/v1/audit/verify');
    assert.equal(verify.body.ok, true);
    const page = await admin.call('GET', '/v1/audit?after=0&limit=1000');
    const actions = page.body.entries.map((e: { action: string }) => e.action);
    for (const a of [
      'operator.bootstrap',
      'customer.create',
      'zone.create',
      'zone.hostname.verify',
      'zone.activate',
      'zone.purge',
      'zone.suspend',
    ]) {
      assert.ok(actions.includes(a), a);
    }
    const exported = await admin.call('GET', '/v1/audit/export');
    assert.match(exported.headers.get('content-type') ?? '', /ndjson/);
    const lines = String(exported.body).trim().split('\n');
    assert.equal(lines.length, page.body.entries.length);
    assert.equal(JSON.parse(lines[0]!).seq, 1);

    const edges = await admin.call('GET', '/v1/edges');
    assert.equal(edges.status, 200);
    assert.ok(edges.body.currentVersion >= purge.body.configVersion);
  });

  test('login is rate limited per IP and email', async () => {
    const c = new ApiClient(cp.url);
    const statuses: number[] = [];
    for (let i = 0; i <= LOGIN_LIMIT; i++)
      statuses.push((await c.login('victim@example.org', 'wrong password')).status);
    assert.deepEqual(statuses, [...new Array<number>(LOGIN_LIMIT).fill(401), 429]);
    const limited = await c.login('victim@example.org', 'wrong password');
    assert.equal(limited.body.error.code, 'rate_limited');
    assert.equal(
      (await c.login('someone-else@example.org', 'wrong password')).status,
      401,
      'other emails are not locked out',
    );
  });

  test('OpenAPI document, reference page, health and metrics', async () => {
    const doc = await new ApiClient(cp.url).call('GET', '/openapi.json');
    assert.equal(doc.status, 200);
    assert.ok(doc.body.paths['/v1/zones'].post.requestBody, 'schemas are in the document');
    assert.ok(doc.body.paths['/v1/zones/{id}/purge']);
    assert.equal((await fetch(`${cp.url}/docs/`)).status, 200);
    assert.deepEqual((await new ApiClient(cp.url).call('GET', '/healthz')).body, { ok: true });
    const metrics = await (await fetch(`${cp.url}/metrics`)).text();
    assert.match(metrics, /edgeward_control_http_request_duration_seconds_bucket\{.*route="\/v1\/zones"/);
  });
});

describe('control plane behind https', () => {
  test('session cookies are Secure when publicUrl is https', async () => {
    const cp = await startTestControlPlane({ publicUrl: 'https://control.example.org' });
    try {
      const r = await new ApiClient(cp.url).login(cp.bootstrap!.email, cp.bootstrap!.password);
      assert.match(r.headers.get('set-cookie') ?? '', /;\s*Secure/i);
    } finally {
      await cp.stop();
    }
  });
});

describe('control plane public endpoints', () => {
  test('are rate limited per client address, with an error code and Retry-After', async () => {
    const cp = await startTestControlPlane({ rateLimits: { publicPerMinute: 5 } });
    try {
      const c = new ApiClient(cp.url);
      const statuses: number[] = [];
      for (let i = 0; i < 6; i++) statuses.push((await c.call('GET', '/openapi.json')).status);
      assert.deepEqual(statuses, [200, 200, 200, 200, 200, 429]);
      const limited = await c.call('GET', '/openapi.json');
      assert.equal(limited.body.error.code, 'rate_limited');
      assert.ok(Number(limited.headers.get('retry-after')) > 0);
    } finally {
      await cp.stop();
    }
  });
});
