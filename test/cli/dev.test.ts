import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { request } from 'undici';

const bin = fileURLToPath(new URL('../../../bin/edgeward.js', import.meta.url));

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const a = s.address();
      s.close(() => resolve(typeof a === 'object' && a ? a.port : 0));
    });
  });
}

// What `npm start` runs: the newcomer's path from nothing to a cached page, then a block enforced by the edge.
test(
  'edgeward dev serves the demo site through the edge, cached, and enforces a block rule',
  { timeout: 120_000 },
  async (t) => {
    const [control, edge, edgeAdmin, origin] = await Promise.all([
      freePort(),
      freePort(),
      freePort(),
      freePort(),
    ]);
    const dataDir = mkdtempSync(join(tmpdir(), 'edgeward-dev-'));
    const child = spawn(
      process.execPath,
      [
        bin,
        'dev',
        '--data-dir',
        dataDir,
        '--control',
        `127.0.0.1:${control}`,
        '--edge',
        `127.0.0.1:${edge}`,
        '--edge-admin',
        `127.0.0.1:${edgeAdmin}`,
        '--demo-origin',
        `127.0.0.1:${origin}`,
      ],
      { stdio: ['ignore', 'pipe', 'pipe'] },
    );
    t.after(async () => {
      if (child.exitCode === null) {
        const exited = new Promise((r) => child.once('exit', r));
        child.kill('SIGTERM');
        await exited;
      }
      rmSync(dataDir, { recursive: true, force: true });
    });
    let out = '';
    child.stdout.on('data', (d: Buffer) => (out += d.toString()));
    child.stderr.on('data', (d: Buffer) => (out += d.toString()));
    const deadline = Date.now() + 90_000;
    while (!out.includes('Edgeward is running.')) {
      assert.ok(Date.now() < deadline, `dev did not start:\n${out}`);
      assert.equal(child.exitCode, null, `dev exited:\n${out}`);
      await new Promise((r) => setTimeout(r, 100));
    }
    const password = /admin@localhost \/ (\S+)/.exec(out)?.[1];
    assert.ok(password, `no one-time admin password printed:\n${out}`);

    const page = `http://127.0.0.1:${edge}/`;
    // fetch() may not set Host; undici's request may, as curl -H 'Host: ...' does.
    const get = async () => {
      const r = await request(page, { headers: { host: 'demo.localhost' } });
      await r.body.dump();
      return { status: r.statusCode, header: (n: string) => String(r.headers[n] ?? '') };
    };
    assert.equal((await get()).status, 200);
    assert.match((await get()).header('cache-status'), /; hit/);

    const login = await fetch(`http://127.0.0.1:${control}/v1/auth/login`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ email: 'admin@localhost', password }),
    });
    assert.equal(login.status, 200);
    const { csrfToken } = (await login.json()) as { csrfToken: string };
    const cookie = (login.headers.get('set-cookie') ?? '').split(';')[0]!;
    const rule = await fetch(`http://127.0.0.1:${control}/v1/rules`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', cookie, 'x-csrf-token': csrfToken },
      body: JSON.stringify({
        match: 'exact',
        url: 'http://demo.localhost/',
        countries: null,
        noticeUrl: 'https://notices.example/1',
      }),
    });
    assert.equal(rule.status, 201, await rule.text());

    // The cached copy must never be served once the block reaches the edge.
    const blockedBy = Date.now() + 10_000;
    for (;;) {
      const r = await get();
      if (r.status === 451) {
        assert.match(r.header('link'), /<https:\/\/notices\.example\/1>; rel="blocked-by"/);
        break;
      }
      assert.ok(Date.now() < blockedBy, 'the block never reached the edge');
      await new Promise((res) => setTimeout(res, 50));
    }
  },
);
