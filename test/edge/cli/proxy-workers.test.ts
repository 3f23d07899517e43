import { test } from 'node:test';
import assert from 'node:assert/strict';
import { availableParallelism } from 'node:os';
import { startOrigin } from '../../helpers/origin-server.js';
import { request, startProxy } from './cli-process.js';

test(
  'edgeward proxy uses every core by default: one serving process per core, all up',
  { timeout: 60_000 },
  async () => {
    const origin = await startOrigin((_req, res) => res.end('ok'));
    const edge = await startProxy(origin.url);
    try {
      const cores = availableParallelism();
      let health: { workers: { up: number; expected: number } } | null = null;
      for (let i = 0; i < 100; i++) {
        health = JSON.parse(
          (await request(`http://127.0.0.1:${edge.adminPort}/healthz`)).body,
        ) as typeof health;
        if (health!.workers.up === cores) break;
        await new Promise((r) => setTimeout(r, 100));
      }
      assert.equal(health!.workers.expected, cores);
      assert.equal(health!.workers.up, cores);
      assert.equal((await request(`http://127.0.0.1:${edge.port}/`)).status, 200);
    } finally {
      assert.equal(await edge.stop('SIGTERM'), 0);
      await origin.close();
    }
  },
);
