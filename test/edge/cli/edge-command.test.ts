import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import http from 'node:http';
import { mkdtemp, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startOrigin, type TestOrigin } from '../../helpers/origin-server.js';
import { request, runCli, startCli, type CliProcess } from './cli-process.js';

/**
 * `edgeward edge --config edge.yaml` as a real node:cluster of two workers: routing by Host, per-worker cache
 * directories filled from each other, admin operations fanned out to every worker, metrics aggregated, a crashed
 * worker restarted.
 */
const TOKEN = 'cluster-admin-token-0123456789';
const JP = '133.0.0.1';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe('edgeward edge (cluster of 2 workers)', () => {
  let a: TestOrigin;
  let b: TestOrigin;
  let dir: string;
  let rulesPath: string;
  let edge: CliProcess;
  let base: string;
  let admin: string;
  const auth = { authorization: `Bearer ${TOKEN}` };
  const rule = (o: Record<string, unknown>) =>
    JSON.stringify({ notice: 'https://notices.example/n/7', countries: null, ...o });
  const health = async () => JSON.parse((await request(`${admin}/healthz`)).body);

  before(async () => {
    a = await startOrigin((req, res) => {
      if (req.url === '/slow') {
        setTimeout(() => res.end('slow done'), 1500);
        return;
      }
      if (req.url === '/vary') {
        res.writeHead(200, { 'cache-control': 'max-age=300', vary: 'accept-language' });
        res.end(`lang ${req.headers['accept-language']}`);
        return;
      }
      if (req.url === '/expired') {
        res.writeHead(200, { 'cache-control': 'max-age=1' });
        res.end('short-lived');
        return;
      }
      res.writeHead(200, { 'cache-control': 'max-age=300', 'cache-tag': 'a-all' });
      res.end('from A');
    });
    b = await startOrigin((_req, res) => {
      res.writeHead(200, { 'cache-control': 'max-age=300' });
      res.end('from B');
    });
    dir = await mkdtemp(join(tmpdir(), 'edgeward-cluster-'));
    rulesPath = join(dir, 'rules.jsonl');
    await writeFile(
      rulesPath,
      rule({ match: 'prefix', url: 'http://a.example/raw/', countries: ['JP'] }) + '\n',
    );
    const yaml = [
      'listen: 127.0.0.1:0',
      'admin: 127.0.0.1:0',
      'workers: 2',
      'nodeName: edge-test-1',
      'operator: { name: Test CDN, url: https://cdn.example/abuse }',
      'cache: { dir: cache, memoryBytes: 16MiB, diskBytes: 64MiB }',
      'rules: rules.jsonl',
      'log: { level: warn }',
      'zones:',
      `  - { id: a, hostnames: [a.example], origins: ['${a.url}'] }`,
      `  - { id: b, hostnames: [b.example, www.b.example], origins: ['${b.url}'], cache: { queryString: sort } }`,
    ].join('\n');
    await writeFile(join(dir, 'edge.yaml'), yaml);
    edge = await startCli(['edge', '--config', join(dir, 'edge.yaml')], { EDGEWARD_ADMIN_TOKEN: TOKEN });
    base = `http://127.0.0.1:${edge.port}`;
    admin = `http://127.0.0.1:${edge.adminPort}`;
  });

  after(async () => {
    await edge?.stop('SIGKILL');
    await a?.close();
    await b?.close();
    await rm(dir, { recursive: true, force: true });
  });

  test('both workers serve, zones are routed by Host, and each worker has its own cache directory', async () => {
    const h = await health();
    assert.equal(h.workers.up, 2);
    assert.equal(h.workers.expected, 2);
    assert.equal(new Set(h.workers.pids).size, 2);
    assert.equal((await request(`${base}/x`, { headers: { host: 'a.example' } })).body, 'from A');
    assert.equal((await request(`${base}/x`, { headers: { host: 'www.b.example' } })).body, 'from B');
    assert.equal((await request(`${base}/x`, { headers: { host: 'unknown.example' } })).status, 421);
    assert.deepEqual((await readdir(join(dir, 'cache'))).sort(), ['worker-0', 'worker-1']);
  });

  test('the second request is a hit whichever worker takes it: a miss is copied from the worker that has it', async () => {
    const statuses: string[] = [];
    const bodies: string[] = [];
    for (let i = 0; i < 6; i++) {
      // A new connection each time: the primary hands them to the workers in turn.
      const r = await request(`${base}/hot`, { headers: { host: 'a.example' } });
      statuses.push(String(r.headers['cache-status']));
      bodies.push(r.body);
    }
    assert.equal(a.count('/hot'), 1, 'one origin fetch for the whole node');
    assert.match(statuses[0]!, /fwd=uri-miss; stored/);
    for (const s of statuses.slice(1)) assert.match(s, /; hit/, statuses.join('\n'));
    assert.ok(
      statuses.some((s) => /detail="sibling"/.test(s)),
      `the other worker copied it: ${statuses.join(' | ')}`,
    );
    assert.deepEqual(new Set(bodies), new Set(['from A']));
  });

  test('a sibling copy is only ever the variant the request selects, and only while fresh', async () => {
    const get = (path: string, lang: string) =>
      request(`${base}${path}`, { headers: { host: 'a.example', 'accept-language': lang } });
    // Every request below is a new connection, so the two workers take turns.
    assert.equal((await get('/vary', 'en')).body, 'lang en');
    const fr = await get('/vary', 'fr');
    assert.equal(fr.body, 'lang fr', 'the other language was never handed over');
    for (let i = 0; i < 4; i++) {
      assert.equal((await get('/vary', 'en')).body, 'lang en');
      assert.equal((await get('/vary', 'fr')).body, 'lang fr');
    }
    assert.equal(a.count('/vary'), 2, 'one origin fetch per variant for the node');
    await get('/expired', 'en');
    await sleep(2100);
    // Stale in the worker that stored it: the other worker must go to the origin, not copy the stale one.
    const again = await get('/expired', 'en');
    assert.equal(again.status, 200);
    assert.doesNotMatch(String(again.headers['cache-status']), /sibling/);
    assert.equal(a.count('/expired'), 2);
  });

  test('a client asking for the origin (Cache-Control, Pragma) is never answered with a sibling copy', async () => {
    await request(`${base}/asked`, { headers: { host: 'a.example' } });
    // Two requests: whichever worker took the first, one of these lands on the other.
    for (const h of [{ 'cache-control': 'no-cache' }, { pragma: 'no-cache' }] as Record<string, string>[]) {
      const r = await request(`${base}/asked`, { headers: { host: 'a.example', ...h } });
      assert.equal(r.status, 200);
      assert.doesNotMatch(String(r.headers['cache-status']), /sibling/);
    }
    assert.ok(a.count('/asked') >= 2, `the origin was asked again, saw ${a.count('/asked')}`);
  });

  test('an X-Forwarded-For from an untrusted peer is ignored for the country', async () => {
    const r = await request(`${base}/raw/1`, { headers: { host: 'a.example', 'x-forwarded-for': JP } });
    assert.equal(r.status, 200);
  });

  test('a purge reaches every worker', async () => {
    for (let i = 0; i < 4; i++) await request(`${base}/tagged`, { headers: { host: 'a.example' } });
    const r = await request(`${admin}/purge`, {
      method: 'POST',
      headers: auth,
      body: JSON.stringify({ zone: 'a', kind: 'tag', value: 'a-all' }),
    });
    assert.equal(r.status, 200, r.body);
    assert.ok(JSON.parse(r.body).purged >= 2, r.body);
    const fetched = a.count('/tagged');
    for (let i = 0; i < 2; i++) await request(`${base}/tagged`, { headers: { host: 'a.example' } });
    assert.ok(a.count('/tagged') > fetched, 'the purged object was fetched again');
    const noZone = await request(`${admin}/purge`, {
      method: 'POST',
      headers: auth,
      body: JSON.stringify({ kind: 'zone' }),
    });
    assert.equal(noZone.status, 400);
    assert.equal(JSON.parse(noZone.body).error.field, 'zone');
  });

  test('/metrics aggregates the workers', async () => {
    const m = (await request(`${admin}/metrics`)).body;
    assert.match(m, /^edgeward_workers_up 2$/m);
    assert.match(m, /^edgeward_rules_loaded 1$/m);
    assert.match(m, /^edgeward_requests_total\{cache="hit"\} [1-9]/m);
    assert.match(m, /^edgeward_origin_latency_seconds_bucket/m);
  });

  test('an admin reload applies new rules in every worker without dropping a keep-alive connection', async () => {
    const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });
    try {
      const first = await request(`${base}/takedown`, { agent, headers: { host: 'b.example' } });
      assert.equal(first.status, 200);
      await writeFile(
        rulesPath,
        rule({ match: 'prefix', url: 'http://a.example/raw/', countries: ['JP'] }) +
          '\n' +
          rule({ match: 'exact', url: 'https://b.example/takedown' }) +
          '\n',
      );
      const r = await request(`${admin}/rules/reload`, { method: 'POST', headers: auth });
      assert.equal(r.status, 200, r.body);
      assert.deepEqual(JSON.parse(r.body), { ok: true, rules: 2 });
      const again = await request(`${base}/takedown`, { agent, headers: { host: 'b.example' } });
      assert.equal(again.status, 451);
      assert.equal(again.localPort, first.localPort);
      // Fresh connections (whichever worker takes them) are blocked too.
      for (let i = 0; i < 4; i++)
        assert.equal((await request(`${base}/takedown`, { headers: { host: 'b.example' } })).status, 451);
    } finally {
      agent.destroy();
    }
  });

  test('a bad rules file on reload is refused, naming the file and line, and every worker keeps the rules in force', async () => {
    await writeFile(
      rulesPath,
      rule({ match: 'exact', url: 'https://b.example/takedown' }) + '\n{"match":"exact"}\n',
    );
    const r = await request(`${admin}/rules/reload`, { method: 'POST', headers: auth });
    assert.equal(r.status, 422, r.body);
    assert.match(
      r.body,
      new RegExp(`${rulesPath.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}: 2 invalid rule line`),
    );
    assert.match(r.body, /line 2/);
    assert.deepEqual((await health()).rules.perWorker, [2, 2]);
    for (let i = 0; i < 4; i++)
      assert.equal((await request(`${base}/takedown`, { headers: { host: 'b.example' } })).status, 451);
  });

  test('a crashed worker is restarted with the rules in force (not the file as edited since) and the purges it missed', async () => {
    // Both workers cache /m: one fetches it from the origin, the other copies it from its sibling.
    for (let i = 0; i < 4; i++) await request(`${base}/m`, { headers: { host: 'a.example' } });
    assert.equal(a.count('/m'), 1);
    await sleep(300); // let the stores' journals reach the disk
    const before = await health();
    const victim = before.workers.pids[0] as number;
    // The file on disk changes after the last reload: a restarted worker still gets the rules in force, the
    // node's own copy of what was loaded, not whatever the file says now.
    await writeFile(rulesPath, '');
    process.kill(victim, 'SIGKILL');
    // Purged while one worker is down: the restarted worker must not serve its old disk copy.
    const purge = await request(`${admin}/purge`, {
      method: 'POST',
      headers: auth,
      body: JSON.stringify({ zone: 'a', kind: 'url', value: 'http://a.example/m' }),
    });
    assert.equal(purge.status, 200, purge.body);
    let h = before;
    for (let i = 0; i < 200; i++) {
      await sleep(100);
      h = await health();
      if (h.workers.up === 2 && h.workers.pids.length === 2 && !h.workers.pids.includes(victim)) break;
    }
    assert.equal(h.workers.up, 2);
    assert.ok(!h.workers.pids.includes(victim));
    assert.deepEqual(h.rules.perWorker, [2, 2]);
    for (let i = 0; i < 6; i++) {
      const r = await request(`${base}/m`, { headers: { host: 'a.example' } });
      assert.equal(r.status, 200);
    }
    // Had either worker kept its old copy, the other would have copied it instead of asking the origin.
    assert.equal(a.count('/m'), 2, 'the node fetched /m again after the purge, once');
    for (let i = 0; i < 4; i++)
      assert.equal((await request(`${base}/takedown`, { headers: { host: 'b.example' } })).status, 451);
  });

  test('SIGTERM drains an in-flight request in a worker, stops every worker, and the primary exits 0', async () => {
    const slow = request(`${base}/slow`, { headers: { host: 'a.example' } });
    for (let i = 0; i < 200 && a.count('/slow') === 0; i++) await sleep(25);
    assert.equal(a.count('/slow'), 1);
    const pids = (await health()).workers.pids as number[];
    edge.proc.kill('SIGTERM');
    const res = await slow;
    assert.equal(res.status, 200);
    assert.equal(res.body, 'slow done');
    assert.equal(await edge.exited, 0);
    for (const pid of pids) assert.throws(() => process.kill(pid, 0), 'worker ' + pid + ' is gone');
  });
});

test('edge.yaml errors name the field and exit 2', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'edgeward-badyaml-'));
  try {
    await writeFile(
      join(dir, 'edge.yaml'),
      'zones:\n  - id: a\n    hostnames: [a.example]\n    origins: [http://127.0.0.1:1]\n  - id: b\n    hostnames: [b.example]\n    origins: [gopher://x]\n',
    );
    const r = await runCli(['edge', '--config', join(dir, 'edge.yaml')]);
    assert.equal(r.code, 2);
    assert.match(r.stderr, /invalid_config \[zones\[1\]\.origins\[0\]\]/);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});

test('an edge.yaml that still sets cache.streamThresholdBytes is refused, naming the replacement', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'edgeward-oldyaml-'));
  try {
    await writeFile(
      join(dir, 'edge.yaml'),
      'cache:\n  streamThresholdBytes: 1MiB\nzones:\n  - id: a\n    hostnames: [a.example]\n    origins: [http://127.0.0.1:1]\n',
    );
    const r = await runCli(['edge', '--config', join(dir, 'edge.yaml')]);
    assert.equal(r.code, 2);
    assert.match(r.stderr, /invalid_config \[cache\.streamThresholdBytes\]/);
    assert.match(r.stderr, /use cache\.memoryObjectMaxBytes/);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});
