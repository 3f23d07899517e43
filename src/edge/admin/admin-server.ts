import http from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Logger } from 'pino';
import { EdgewardError } from '../../shared/errors.js';
import type { EdgeNode } from '../node/edge-node.js';
import { bearerTokenMatches } from './admin-token.js';
import { parsePurgeBody } from './purge-body.js';

/**
 * The node's operations port (node:http, in the primary): health, Prometheus metrics, purge and rules reload.
 * Bind it to a private address; the mutating endpoints need the admin bearer token anyway.
 */
export interface RulesReloadResult {
  readonly ok: boolean;
  readonly rules?: number;
  readonly errors?: readonly string[];
  readonly error?: { code: string; message: string; field?: string };
}

export interface AdminServerOptions {
  node: EdgeNode;
  token: string;
  /** Zone a purge without "zone" applies to (proxy mode's catch-all), or null. */
  defaultPurgeZone: string | null;
  reloadRules: () => Promise<RulesReloadResult>;
  /** Extra facts for /healthz (mode, rules file, ...). */
  describe: () => Record<string, unknown>;
  logger: Logger;
}

export interface AdminServer {
  readonly server: http.Server;
  listen(host: string, port: number): Promise<AddressInfo>;
  close(): Promise<void>;
}

const MAX_BODY_BYTES = 64 * 1024;

class HttpError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly field?: string,
  ) {
    super(message);
  }
}

function send(
  res: http.ServerResponse,
  status: number,
  body: unknown,
  headers: Record<string, string> = {},
): void {
  const text = JSON.stringify(body) + '\n';
  res.writeHead(status, {
    'content-type': 'application/json; charset=utf-8',
    'cache-control': 'no-store',
    'content-length': Buffer.byteLength(text),
    ...headers,
  });
  res.end(text);
}

async function readJson(req: http.IncomingMessage): Promise<unknown> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const c of req as AsyncIterable<Buffer>) {
    size += c.length;
    if (size > MAX_BODY_BYTES)
      throw new HttpError(413, 'body_too_large', `the body must be at most ${MAX_BODY_BYTES} bytes`);
    chunks.push(c);
  }
  const text = Buffer.concat(chunks).toString('utf8');
  if (text.trim() === '') return {};
  // The body is read as JSON whatever its Content-Type says: `curl -d` sends form-urlencoded by default.
  try {
    return JSON.parse(text) as unknown;
  } catch (e) {
    throw new HttpError(400, 'invalid_json', `the body is not JSON: ${(e as Error).message}`, 'body');
  }
}

export function createAdminServer(o: AdminServerOptions): AdminServer {
  const { node, logger } = o;
  const authorize = (req: http.IncomingMessage): void => {
    if (!bearerTokenMatches(req.headers.authorization, o.token)) {
      throw new HttpError(401, 'unauthorized', 'send Authorization: Bearer <admin token>');
    }
  };

  const route = async (req: http.IncomingMessage, res: http.ServerResponse): Promise<void> => {
    const path = (req.url ?? '/').split('?')[0];
    const method = req.method ?? 'GET';
    if (path === '/healthz' && (method === 'GET' || method === 'HEAD')) {
      const up = node.workersUp();
      const stats = await node.stats().catch((e: unknown) => {
        logger.warn({ err: e }, 'healthz: a worker did not answer');
        return [];
      });
      const summary = node.summary();
      const healthy = up === node.workersExpected;
      send(res, healthy ? 200 : 503, {
        status: healthy ? 'ok' : 'degraded',
        workers: { up, expected: node.workersExpected, pids: stats.map((s) => s.pid) },
        rules: { loaded: summary.rules, perWorker: stats.map((s) => s.rules) },
        config: { version: summary.version, zones: summary.zones },
        cache: { objects: stats.reduce((n, s) => n + s.objects, 0) },
        ...o.describe(),
      });
      return;
    }
    if (path === '/metrics' && method === 'GET') {
      const m = await node.metrics();
      res.writeHead(200, { 'content-type': m.contentType, 'cache-control': 'no-store' });
      res.end(m.text);
      return;
    }
    if (path === '/purge' && method === 'POST') {
      authorize(req);
      const body = await readJson(req);
      const purge = parsePurgeBody(body, o.defaultPurgeZone);
      const purged = await node.purge(purge);
      logger.info({ purge, purged }, 'admin purge');
      send(res, 200, { purged });
      return;
    }
    if (path === '/rules/reload' && method === 'POST') {
      authorize(req);
      const r = await o.reloadRules();
      send(res, r.ok ? 200 : 422, r);
      return;
    }
    if (['/healthz', '/metrics', '/purge', '/rules/reload'].includes(path ?? '')) {
      throw new HttpError(405, 'method_not_allowed', `${method} is not allowed on ${path}`);
    }
    throw new HttpError(404, 'not_found', `no admin endpoint ${path}`);
  };

  const server = http.createServer((req, res) => {
    route(req, res).catch((e: unknown) => {
      let status = 500;
      let body: { code: string; message: string; field?: string };
      if (e instanceof HttpError) {
        status = e.status;
        body = { code: e.code, message: e.message, ...(e.field === undefined ? {} : { field: e.field }) };
      } else if (e instanceof EdgewardError) {
        status = e.code === 'zone_not_found' ? 404 : e.code.startsWith('invalid') ? 400 : 500;
        body = { code: e.code, message: e.message, ...(e.field === undefined ? {} : { field: e.field }) };
      } else {
        body = { code: 'internal_error', message: (e as Error).message ?? String(e) };
      }
      if (status >= 500) logger.error({ err: e, url: req.url }, 'admin request failed');
      if (res.headersSent) {
        res.destroy();
        return;
      }
      send(
        res,
        status,
        { error: body },
        status === 401 ? { 'www-authenticate': 'Bearer realm="edgeward-admin"' } : {},
      );
    });
  });

  return {
    server,
    listen: (host, port) =>
      new Promise((resolve, reject) => {
        server.once('error', reject);
        server.listen(port, host, () => {
          server.off('error', reject);
          resolve(server.address() as AddressInfo);
        });
      }),
    close: () =>
      new Promise((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}
