import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import http from 'node:http';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { startOrigin, type TestOrigin } from '../../helpers/origin-server.js';
import { request, runCli, startProxy, TEST_ADMIN_TOKEN as TOKEN, type CliProcess } from './cli-process.js';

/**
 * `edgeward proxy` as a real process (one worker, in-process) in front of a real origin: caching, the admin API,
 * country-scoped blocking through a trusted proxy, rule reloads on a live keep-alive connection, graceful stop.
 */
const JP = '133.0.0.1'; // in the bundled GeoLite2 database: Japan
const US = '8.8.8.8'; // United States

describe('edgeward proxy (single process)', () => {
  let origin: TestOrigin;
  let dir: string;
  let rulesPath: string;
  let edge: CliProcess;
  let base: string;
  let admin: string;
  const auth = { authorization: `Bearer ${TOKEN}` };

  const rule = (o: Record<string, unknown>) =>
    JSON.stringify({ notice: 'https://notices.example/n/1', countries: null, ...o });

  before(async () => {
    origin = await startOrigin((req, res) => {
      if (req.url === '/slow') {
        setTimeout(() => res.end('slow done'), 1500);
        return;
      }
      res.writeHead(200, {
        'cache-control': 'max-age=300',
        'content-type': 'text/plain',
        'surrogate-key': 'all',
      });
      res.end(`origin says ${req.url}`);
    });
    dir = await mkdtemp(join(tmpdir(), 'edgeward-cli-'));
    rulesPath = join(dir, 'rules.jsonl');
    await writeFile(
      rulesPath,
      rule({ match: 'prefix', url: 'http://manga.example/raw/', countries: ['JP'] }) + '\n',
    );
    edge = await startProxy(origin.url, [
      '--rules',
      rulesPath,
      '--trust-proxy',
      '127.0.0.1',
      '--cache-dir',
      join(dir, 'cache'),
      '--workers',
      '1',
    ]);
    base = `http://127.0.0.1:${edge.port}`;
    admin = `http://127.0.0.1:${edge.adminPort}`;
  });

  after(async () => {
    await edge?.stop('SIGKILL');
    await origin?.close();
    await rm(dir, { recursive: true, force: true });
  });

  test('the second request is a cache hit', async () => {
    const a = await request(`${base}/page`);
    assert.equal(a.status, 200);
    assert.equal(a.body, 'origin says /page');
    assert.match(String(a.headers['cache-status']), /fwd=/);
    const b = await request(`${base}/page`);
    assert.equal(b.body, 'origin says /page');
    assert.match(String(b.headers['cache-status']), /; hit/);
    assert.equal(origin.count('/page'), 1);
  });

  test('purge through the admin API: 401 without the token, 400 on a bad body, then it purges', async () => {
    await request(`${base}/p1`);
    assert.match(String((await request(`${base}/p1`)).headers['cache-status']), /; hit/);
    const body = JSON.stringify({ kind: 'url', value: `${base}/p1` });
    const noToken = await request(`${admin}/purge`, {
      method: 'POST',
      body,
      headers: { 'content-type': 'application/json' },
    });
    assert.equal(noToken.status, 401);
    const wrongToken = await request(`${admin}/purge`, {
      method: 'POST',
      body,
      headers: { authorization: 'Bearer nope' },
    });
    assert.equal(wrongToken.status, 401);
    const bad = await request(`${admin}/purge`, {
      method: 'POST',
      body: JSON.stringify({ kind: 'url' }),
      headers: auth,
    });
    assert.equal(bad.status, 400);
    assert.deepEqual(JSON.parse(bad.body).error.field, 'value');
    const notJson = await request(`${admin}/purge`, { method: 'POST', body: '{', headers: auth });
    assert.equal(notJson.status, 400);
    // As `curl -d` sends it: the body is JSON whatever the Content-Type says.
    const ok = await request(`${admin}/purge`, {
      method: 'POST',
      body,
      headers: { ...auth, 'content-type': 'application/x-www-form-urlencoded' },
    });
    assert.equal(ok.status, 200, ok.body);
    assert.equal(JSON.parse(ok.body).purged, 1);
    const after = await request(`${base}/p1`);
    assert.doesNotMatch(String(after.headers['cache-status']), /; hit/);
    assert.equal(origin.count('/p1'), 2);
  });

  test('a country rule blocks a client of that country behind the trusted proxy, not one of another country', async () => {
    const jp = await request(`${base}/raw/title-1`, {
      headers: { host: 'manga.example', 'x-forwarded-for': JP },
    });
    assert.equal(jp.status, 451);
    assert.match(String(jp.headers.link), /<https:\/\/notices\.example\/n\/1>; rel="blocked-by"/);
    const us = await request(`${base}/raw/title-1`, {
      headers: { host: 'manga.example', 'x-forwarded-for': US },
    });
    assert.equal(us.status, 200);
    // A client cannot pick its country by prepending to the header the trusted proxy appends to.
    const spoof = await request(`${base}/raw/title-1`, {
      headers: { host: 'manga.example', 'x-forwarded-for': `${US}, ${JP}` },
    });
    assert.equal(spoof.status, 451);
  });

  test('/healthz and /metrics', async () => {
    const h = await request(`${admin}/healthz`);
    assert.equal(h.status, 200);
    const hj = JSON.parse(h.body);
    assert.equal(hj.workers.up, 1);
    assert.equal(hj.workers.expected, 1);
    assert.equal(hj.rules.loaded, 1);
    const m = await request(`${admin}/metrics`);
    assert.equal(m.status, 200);
    assert.match(m.body, /^edgeward_requests_total\{cache="hit"\} [1-9]/m);
    assert.match(m.body, /^edgeward_blocked_requests_total\{country="JP"\} [1-9]/m);
    assert.match(m.body, /^edgeward_rules_loaded 1$/m);
  });

  test('SIGHUP reloads the rules on a live keep-alive connection; a bad file keeps the old rules', async () => {
    const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });
    try {
      const before = await request(`${base}/reload-me`, { agent, headers: { host: 'site.example' } });
      assert.equal(before.status, 200);
      await writeFile(
        rulesPath,
        rule({ match: 'prefix', url: 'http://manga.example/raw/', countries: ['JP'] }) +
          '\n' +
          rule({ match: 'exact', url: 'http://site.example/reload-me' }) +
          '\n',
      );
      edge.proc.kill('SIGHUP');
      let blocked: Awaited<ReturnType<typeof request>> | null = null;
      for (let i = 0; i < 100; i++) {
        const h = JSON.parse((await request(`${admin}/healthz`)).body);
        if (h.rulesVersion === 2) break;
        await new Promise((r) => setTimeout(r, 50));
      }
      blocked = await request(`${base}/reload-me`, { agent, headers: { host: 'site.example' } });
      assert.equal(blocked.status, 451, blocked.body);
      assert.equal(
        blocked.localPort,
        before.localPort,
        'the same connection served before and after the reload',
      );

      // A bad file: the admin reload reports line-numbered errors and the rules in force stay.
      await writeFile(
        rulesPath,
        rule({ match: 'exact', url: 'http://x.example/' }) + '\n{"match":"everything"}\n',
      );
      const r = await request(`${admin}/rules/reload`, { method: 'POST', headers: auth });
      assert.equal(r.status, 422);
      const rj = JSON.parse(r.body);
      assert.equal(rj.ok, false);
      assert.match(rj.errors.join('\n'), /line 2/);
      const still = await request(`${base}/reload-me`, { agent, headers: { host: 'site.example' } });
      assert.equal(still.status, 451);
      assert.equal(still.localPort, before.localPort);
      assert.equal((await request(`${admin}/rules/reload`, { method: 'POST' })).status, 401);
    } finally {
      agent.destroy();
    }
  });

  test('SIGTERM drains: an in-flight slow request completes, then the process exits 0', async () => {
    const slow = request(`${base}/slow`);
    for (let i = 0; i < 200 && origin.count('/slow') === 0; i++) await new Promise((r) => setTimeout(r, 25));
    assert.equal(origin.count('/slow'), 1);
    edge.proc.kill('SIGTERM');
    const res = await slow;
    assert.equal(res.status, 200);
    assert.equal(res.body, 'slow done');
    assert.equal(await edge.exited, 0);
  });
});

describe('edgeward proxy refuses bad input', () => {
  test('a bad rules file refuses to start, with line-numbered errors and exit code 2', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'edgeward-cli-bad-'));
    try {
      const p = join(dir, 'rules.jsonl');
      await writeFile(
        p,
        '{"match":"exact","url":"https://a.example/x","countries":null,"notice":"https://n.example/1"}\nnot json\n{"match":"sideways","url":"https://a.example/","countries":null,"notice":"https://n.example/2"}\n',
      );
      const r = await runCli([
        'proxy',
        '--listen',
        '127.0.0.1:0',
        '--origin',
        'http://127.0.0.1:9',
        '--rules',
        p,
        '--workers',
        '1',
      ]);
      assert.equal(r.code, 2);
      assert.match(r.stderr, /invalid_rules/);
      assert.match(r.stderr, /line 2/);
      assert.match(r.stderr, /line 3/);
      assert.doesNotMatch(r.stderr, /listening/);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  test('a bad flag names the flag and exits 2', async () => {
    const r = await runCli(['proxy', '--origin', 'ftp://x', '--workers', '1']);
    assert.equal(r.code, 2);
    assert.match(r.stderr, /invalid_config \[--origin\]/);
  });
});

test(
  '--memory-object-max reaches the store: without a disk tier a body above it is not cached, one below is',
  { timeout: 60_000 },
  async () => {
    const big = 'b'.repeat(100 * 1024);
    const small = 's'.repeat(10 * 1024);
    const origin = await startOrigin((req, res) => {
      res.setHeader('cache-control', 'max-age=300');
      res.end(req.url === '/big' ? big : small);
    });
    // 64 KiB: below the store's 1 MiB default, so a 100 KiB body would be cached were the flag ignored.
    const edge = await startProxy(origin.url, ['--memory-object-max', '64KiB', '--workers', '1'], {
      admin: false,
    });
    try {
      const base = `http://127.0.0.1:${edge.port}`;
      for (let i = 1; i <= 2; i++) {
        const r = await request(`${base}/big`);
        assert.equal(r.body, big);
        assert.equal(origin.count('/big'), i, 'the body above the threshold is not cached');
      }
      assert.equal((await request(`${base}/small`)).body, small);
      const hit = await request(`${base}/small`);
      assert.equal(hit.body, small);
      assert.match(String(hit.headers['cache-status']), /; hit/);
      assert.equal(origin.count('/small'), 1);
    } finally {
      await edge.stop('SIGKILL');
      await origin.close();
    }
  },
);

test('a bad --memory-object-max names the flag and exits 2', { timeout: 30_000 }, async () => {
  const r = await runCli(['proxy', '--origin', 'http://127.0.0.1:1', '--memory-object-max', 'huge']);
  assert.equal(r.code, 2);
  assert.match(r.stderr, /invalid_config \[--memory-object-max\]/);
});

test('--geoip names the country database: it decides the client country; a missing file refuses to start', async () => {
  const origin = await startOrigin((_req, res) => res.end('ok'));
  const dir = await mkdtemp(join(tmpdir(), 'edgeward-geoip-'));
  try {
    const rulesPath = join(dir, 'rules.jsonl');
    await writeFile(
      rulesPath,
      JSON.stringify({
        match: 'host',
        url: 'http://site.example/',
        countries: ['JP'],
        notice: 'https://n.example/1',
      }) + '\n',
    );
    const mmdb = fileURLToPath(
      new URL(
        '../../../../node_modules/@ip-location-db/geolite2-country-mmdb/geolite2-country-ipv4.mmdb',
        import.meta.url,
      ),
    );
    const edge = await startProxy(origin.url, [
      '--geoip',
      mmdb,
      '--rules',
      rulesPath,
      '--trust-proxy',
      '127.0.0.1',
      '--workers',
      '1',
    ]);
    try {
      const base = `http://127.0.0.1:${edge.port}`;
      const as = (ip: string) =>
        request(`${base}/`, { headers: { host: 'site.example', 'x-forwarded-for': ip } });
      assert.equal((await as(JP)).status, 451);
      assert.equal((await as(US)).status, 200);
    } finally {
      await edge.stop('SIGKILL');
    }
    const missing = await runCli([
      'proxy',
      '--origin',
      origin.url,
      '--geoip',
      join(dir, 'none.mmdb'),
      '--workers',
      '1',
    ]);
    assert.equal(missing.code, 2);
    assert.match(missing.stderr, /geoip/);
    assert.match(missing.stderr, /none\.mmdb/);
  } finally {
    await origin.close();
    await rm(dir, { recursive: true, force: true });
  }
});
