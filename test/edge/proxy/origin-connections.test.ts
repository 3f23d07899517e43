import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { once } from 'node:events';
import { startEdge } from '../../helpers/edge-harness.js';
import { httpRequest } from '../../helpers/http-client.js';

/** How the edge talks to an origin: pooled keep-alive connections, and request bodies passed on as they arrive. */
async function countingOrigin(handler: http.RequestListener) {
  const server = http.createServer(handler);
  let connections = 0;
  server.on('connection', () => connections++);
  server.keepAliveTimeout = 30_000;
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    connections: () => connections,
    close: async () => {
      server.closeAllConnections();
      await new Promise((r) => server.close(r));
    },
  };
}

describe('origin connections', { timeout: 30_000 }, () => {
  test('sequential misses reuse one keep-alive connection to the origin', async () => {
    const origin = await countingOrigin((req, res) => {
      res.setHeader('cache-control', 'no-store');
      res.end(`for ${req.url}`);
    });
    const edge = await startEdge({ origins: [origin.url] });
    try {
      for (let i = 0; i < 20; i++) {
        const r = await httpRequest(edge.port, `/item/${i}`);
        assert.equal(r.text, `for /item/${i}`);
      }
      // Twenty client connections (httpRequest opens a fresh one each time), one origin connection.
      assert.equal(origin.connections(), 1);
    } finally {
      await edge.close();
      await origin.close();
    }
  });

  test('a request body reaches the origin while the client is still sending it', async () => {
    let firstBytes!: () => void;
    const originSawBytes = new Promise<void>((resolve) => (firstBytes = resolve));
    const origin = await countingOrigin((req, res) => {
      let size = 0;
      req.on('data', (c: Buffer) => {
        size += c.length;
        firstBytes();
      });
      req.on('end', () => {
        res.setHeader('cache-control', 'no-store');
        res.end(`received ${size}`);
      });
    });
    const edge = await startEdge({ origins: [origin.url] });
    try {
      const piece = Buffer.alloc(64 * 1024, 0x62);
      const reply = new Promise<{ status: number; text: string }>((resolve, reject) => {
        const req = http.request(
          {
            host: '127.0.0.1',
            port: edge.port,
            path: '/upload',
            method: 'POST',
            headers: { host: 'example.com', 'content-length': String(piece.length * 2) },
            agent: false,
          },
          (res) => {
            let text = '';
            res.on('data', (c: Buffer) => (text += c.toString()));
            res.on('end', () => resolve({ status: res.statusCode ?? 0, text }));
          },
        );
        req.on('error', reject);
        req.write(piece);
        // The second half is sent only once the origin has seen the first: a proxy that buffered the whole
        // body before forwarding would wait here for ever (and the test would time out).
        void originSawBytes.then(() => req.end(piece));
      });
      const r = await reply;
      assert.equal(r.status, 200);
      assert.equal(r.text, `received ${piece.length * 2}`);
    } finally {
      await edge.close();
      await origin.close();
    }
  });
});
