import { createServer, type Server } from 'node:http';
import { WELL_KNOWN_PREFIX } from '../control/zones/hostname-verification.js';

/**
 * The demo site `npm start` puts behind the edge: a small cacheable page tagged for purges, a page that is never
 * cached, and the ownership-verification token its operator was given (as a real site owner would publish it).
 */
export interface DemoOrigin {
  readonly server: Server;
  readonly port: number;
  /** Publishes a hostname-verification token at /.well-known/edgeward-verification/<token>. */
  publishVerificationToken(token: string): void;
  close(): Promise<void>;
}

const PAGE = (title: string, body: string) =>
  `<!doctype html><html><head><meta charset="utf-8"><title>${title}</title></head><body><h1>${title}</h1>${body}</body></html>\n`;

export function startDemoOrigin(host: string, port: number): Promise<DemoOrigin> {
  const tokens = new Set<string>();
  let served = 0;
  const server = createServer((req, res) => {
    const path = (req.url ?? '/').split('?')[0]!;
    if (
      path.startsWith(WELL_KNOWN_PREFIX) &&
      tokens.has(decodeURIComponent(path.slice(WELL_KNOWN_PREFIX.length)))
    ) {
      res.writeHead(200, { 'content-type': 'text/plain', 'cache-control': 'no-store' });
      res.end(decodeURIComponent(path.slice(WELL_KNOWN_PREFIX.length)));
      return;
    }
    served++;
    if (path === '/') {
      res.writeHead(200, {
        'content-type': 'text/html; charset=utf-8',
        'cache-control': 'public, max-age=60, stale-while-revalidate=30',
        'surrogate-key': 'demo home',
        'x-origin-responses': String(served),
      });
      res.end(
        PAGE(
          'Edgeward demo site',
          `<p>Served by the demo origin (response #${served}). Ask again: the edge answers from its cache.</p>` +
            '<p><a href="/chapter/1.html">Chapter 1</a> · <a href="/live">a page that is never cached</a></p>',
        ),
      );
    } else if (path.startsWith('/chapter/')) {
      res.writeHead(200, {
        'content-type': 'text/html; charset=utf-8',
        'cache-control': 'public, max-age=300',
        'surrogate-key': 'demo chapters',
      });
      res.end(
        PAGE(`Demo ${path}`, '<p>A page a rights holder might ask to block: try a block rule on it.</p>'),
      );
    } else if (path === '/live') {
      res.writeHead(200, { 'content-type': 'text/plain', 'cache-control': 'no-store' });
      res.end(`live response #${served} at ${new Date().toISOString()}\n`);
    } else {
      res.writeHead(404, { 'content-type': 'text/plain', 'cache-control': 'public, max-age=10' });
      res.end('not found\n');
    }
  });
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => {
      const addr = server.address();
      resolve({
        server,
        port: typeof addr === 'object' && addr ? addr.port : port,
        publishVerificationToken: (t) => void tokens.add(t),
        close: () =>
          new Promise<void>((r) => {
            server.close(() => r());
            server.closeAllConnections();
          }),
      });
    });
  });
}
