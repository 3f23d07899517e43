import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startOrigin, type TestOrigin } from '../../helpers/origin-server.js';
import { request, startProxy, TEST_ADMIN_TOKEN as TOKEN, type CliProcess } from './cli-process.js';

/**
 * `edgeward proxy` with a disk cache, stopped and started again on the same directory: what was cached is
 * served from disk without asking the origin, and what was purged stays purged. Every purge kind and soft purge
 * go through the admin API as an operator sends them.
 */
const auth = { authorization: `Bearer ${TOKEN}` };
// One Host for every request: the listen port changes with each start and would be part of the cache key.
const SITE = 'site.example';
const onSite = { headers: { host: SITE } };

describe(
  'edgeward proxy: disk cache across a restart, purges through the admin API',
  { timeout: 90_000 },
  () => {
    let origin: TestOrigin;
    let dir: string;
    let edge: CliProcess | null = null;
    let base = '';
    let admin = '';

    const start = async () => {
      edge = await startProxy(origin.url, ['--cache-dir', join(dir, 'cache'), '--workers', '1']);
      base = `http://127.0.0.1:${edge.port}`;
      admin = `http://127.0.0.1:${edge.adminPort}`;
    };
    const restart = async () => {
      assert.equal(await edge!.stop('SIGTERM'), 0);
      await start();
    };
    const purge = async (body: Record<string, unknown>) => {
      const r = await request(`${admin}/purge`, {
        method: 'POST',
        body: JSON.stringify(body),
        headers: auth,
      });
      assert.equal(r.status, 200, r.body);
      return (JSON.parse(r.body) as { purged: number }).purged;
    };
    const cacheStatus = async (path: string) =>
      String((await request(`${base}${path}`, onSite)).headers['cache-status']);

    before(async () => {
      origin = await startOrigin((req, res) => {
        const url = req.url ?? '';
        if (req.headers['if-none-match'] === '"v1"') {
          res.writeHead(304, { etag: '"v1"', 'cache-control': 'max-age=300' });
          return void res.end();
        }
        res.writeHead(200, {
          'cache-control': 'max-age=300',
          etag: '"v1"',
          'content-type': 'text/plain',
          'surrogate-key': url.startsWith('/tagged') ? 'series-7 all' : 'all',
        });
        res.end(`origin says ${url}`);
      });
      dir = await mkdtemp(join(tmpdir(), 'edgeward-restart-'));
      await start();
    });
    after(async () => {
      await edge?.stop('SIGKILL');
      await origin?.close();
      await rm(dir, { recursive: true, force: true });
    });

    test('objects cached before a restart are hits after it, from disk, without an origin request', async () => {
      for (const p of ['/kept/a', '/kept/b']) {
        await request(`${base}${p}`, onSite);
        assert.match(await cacheStatus(p), /; hit/);
      }
      await restart();
      for (const p of ['/kept/a', '/kept/b']) {
        const r = await request(`${base}${p}`, onSite);
        assert.equal(r.body, `origin says ${p}`);
        assert.match(String(r.headers['cache-status']), /; hit/);
        assert.equal(origin.count(p), 1, `${p} was fetched once, before the restart`);
      }
    });

    test('every purge kind through the admin API, and each stays purged across a restart', async () => {
      const paths = ['/p/url', '/p/prefix/1', '/p/prefix/2', '/tagged/1', '/tagged/2', '/p/other'];
      for (const p of paths) await request(`${base}${p}`, onSite);
      assert.equal(await purge({ kind: 'url', value: `http://${SITE}/p/url` }), 1);
      assert.equal(await purge({ kind: 'prefix', value: `http://${SITE}/p/prefix/` }), 2);
      assert.equal(await purge({ kind: 'tag', value: 'series-7' }), 2);
      await restart();
      for (const p of paths.slice(0, 5)) assert.doesNotMatch(await cacheStatus(p), /; hit/, p);
      assert.match(await cacheStatus('/p/other'), /; hit/, 'an object no purge named is still cached');
      for (const p of paths.slice(0, 5)) assert.equal(origin.count(p), 2, p);
      assert.equal(origin.count('/p/other'), 1);
    });

    test('a soft purge marks the copy stale: the next request revalidates it with the origin (304), no refetch', async () => {
      await request(`${base}/soft`, onSite);
      assert.match(await cacheStatus('/soft'), /; hit/);
      assert.equal(await purge({ kind: 'url', value: `http://${SITE}/soft`, soft: true }), 1);
      const seen = origin.requests.length;
      const r = await request(`${base}/soft`, onSite);
      assert.equal(r.status, 200);
      assert.equal(r.body, 'origin says /soft');
      assert.doesNotMatch(String(r.headers['cache-status']), /; hit; ttl/);
      const asked = origin.requests.slice(seen);
      assert.equal(asked.length, 1);
      assert.equal(asked[0]!.headers['if-none-match'], '"v1"', 'revalidated with the stored validator');
      assert.match(await cacheStatus('/soft'), /; hit/, 'fresh again after the 304');
    });

    test('a zone purge empties the cache, also after a restart', async () => {
      await request(`${base}/z/1`, onSite);
      assert.match(await cacheStatus('/z/1'), /; hit/);
      assert.ok((await purge({ kind: 'zone' })) >= 2);
      await restart();
      assert.doesNotMatch(await cacheStatus('/z/1'), /; hit/);
      assert.doesNotMatch(await cacheStatus('/kept/a'), /; hit/);
    });
  },
);
