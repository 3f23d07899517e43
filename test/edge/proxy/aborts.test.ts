import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import http from 'node:http';
import { startOrigin } from '../../helpers/origin-server.js';
import { startEdge } from '../../helpers/edge-harness.js';
import { httpRequest } from '../../helpers/http-client.js';

describe('aborted transfers', { timeout: 30_000 }, () => {
  test('a client leaving mid-body does not stop the cache fill', async () => {
    const size = 4 * 1024 * 1024;
    let release!: () => void;
    const gate = new Promise<void>((resolve) => (release = resolve));
    const origin = await startOrigin(async (_req, res) => {
      res.setHeader('cache-control', 'max-age=600');
      res.setHeader('content-length', String(size));
      res.write(Buffer.alloc(64 * 1024, 1));
      await gate;
      res.end(Buffer.alloc(size - 64 * 1024, 2));
    });
    // On disk: a memory-only store keeps no object over its 1 MiB per-object bound.
    const edge = await startEdge({ origins: [origin.url], disk: true });
    try {
      await new Promise<void>((resolve, reject) => {
        const req = http.get(
          {
            host: '127.0.0.1',
            port: edge.port,
            path: '/big',
            headers: { host: 'example.com' },
            agent: false,
          },
          (res) => {
            res.once('data', () => {
              req.destroy();
              resolve();
            });
          },
        );
        req.on('error', (e) => ((e as NodeJS.ErrnoException).code === 'ECONNRESET' ? undefined : reject(e)));
      });
      release();
      let r = await httpRequest(edge.port, '/big');
      for (let i = 0; i < 100 && !/; hit/.test(String(r.headers['cache-status'])); i++) {
        await new Promise((res) => setTimeout(res, 20));
        r = await httpRequest(edge.port, '/big');
      }
      assert.match(String(r.headers['cache-status']), /; hit|; collapsed/);
      assert.equal(r.body.length, size);
      assert.equal(origin.count('/big'), 1);
    } finally {
      await edge.close();
      await origin.close();
    }
  });

  test('an origin dying mid-body cuts the client off and stores nothing', async () => {
    let n = 0;
    const origin = await startOrigin((_req, res) => {
      n++;
      res.setHeader('cache-control', 'max-age=600');
      res.setHeader('content-length', '100000');
      res.write(Buffer.alloc(1000, 1));
      setTimeout(() => res.destroy(), 20);
    });
    const edge = await startEdge({ origins: [origin.url] });
    try {
      await assert.rejects(httpRequest(edge.port, '/broken'));
      await assert.rejects(httpRequest(edge.port, '/broken'));
      assert.equal(n, 2, 'the truncated body was not stored');
    } finally {
      await edge.close();
      await origin.close();
    }
  });
});
