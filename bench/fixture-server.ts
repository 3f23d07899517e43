/**
 * A small HTTP server used by the benchmark in two roles, run as its own process so it never competes with the
 * orchestrator's event loop:
 *  - `origin`: what the edge and nginx sit in front of; answers /obj/<size> with a cacheable body.
 *  - `bare`: the platform's ceiling; answers the same bytes from memory, with no proxying and no cache logic.
 * Prints `listening <port>` on stdout once it accepts connections.
 */
import { createServer } from 'node:http';

const role = process.argv[2] ?? 'origin';
const port = Number(process.argv[3] ?? 0);

const bodies = new Map<string, Buffer>();
export function bodyFor(size: number): Buffer {
  const key = String(size);
  let b = bodies.get(key);
  if (!b) {
    b = Buffer.alloc(size);
    for (let i = 0; i < size; i++) b[i] = 97 + (i % 26);
    bodies.set(key, b);
  }
  return b;
}

const SIZE_RE = /^\/(?:obj|miss\/[^/]+)\/(\d+)/;

const server = createServer((req, res) => {
  const m = SIZE_RE.exec(req.url ?? '');
  if (!m) {
    res.writeHead(404, { 'content-length': '0' });
    res.end();
    return;
  }
  const body = bodyFor(Number(m[1]));
  res.writeHead(200, {
    'content-type': 'application/octet-stream',
    'content-length': String(body.length),
    'cache-control': 'public, max-age=3600',
    'last-modified': 'Mon, 02 Nov 2026 10:00:00 GMT',
    etag: `"b${body.length}"`,
    ...(role === 'origin' ? { 'x-served-by': 'origin' } : {}),
  });
  res.end(req.method === 'HEAD' ? undefined : body);
});
server.keepAliveTimeout = 65_000;
server.listen(port, '127.0.0.1', () => {
  const addr = server.address();
  if (addr && typeof addr === 'object') process.stdout.write(`listening ${addr.port}\n`);
});
process.on('SIGTERM', () => server.close(() => process.exit(0)));
