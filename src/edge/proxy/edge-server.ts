import http from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import type { Logger } from 'pino';
import type { PurgeRequest } from '../../shared/config/config-change.js';
import { EdgewardError } from '../../shared/errors.js';
import { normalizeUrl, normalizedUrlKey } from '../../shared/url/normalize-url.js';
import { cacheKeys } from '../cache/cache-key.js';
import { formatCacheStatus } from '../cache/cache-status.js';
import type { CacheStore, PurgeSelector } from '../store/cache-store.js';
import type { EdgeMetrics } from '../edge-metrics.js';
import type { EdgeState } from '../edge-state.js';
import { installHitFastPath } from './hit-fast-path.js';
import { OriginPools } from './origin-pools.js';
import { RequestPipeline } from './request-pipeline.js';
import type { SiblingCopy, SiblingLookup } from './sibling-copy.js';

export interface EdgeLimits {
  maxHeaderBytes: number;
  connectTimeoutMs: number;
  headersTimeoutMs: number;
  bodyTimeoutMs: number;
  keepAliveTimeoutMs: number;
}

export const DEFAULT_EDGE_LIMITS: EdgeLimits = Object.freeze({
  maxHeaderBytes: 16 * 1024,
  connectTimeoutMs: 5_000,
  headersTimeoutMs: 30_000,
  bodyTimeoutMs: 30_000,
  keepAliveTimeoutMs: 5_000,
});

export interface EdgeServerOptions {
  state: EdgeState;
  store: CacheStore;
  countryOf: (ip: string) => string | null;
  isTrustedProxy: (ip: string) => boolean;
  /** Via and Cache-Status cache name. */
  nodeName: string;
  /** Who implements blocks, named in 451 bodies. */
  operator: { name: string; url: string };
  limits?: Partial<EdgeLimits>;
  logger: Logger;
  metrics: EdgeMetrics;
  scheme?: 'http' | 'https';
  /** The node's other workers, asked before a miss goes to the origin (cluster mode). */
  siblings?: SiblingLookup;
}

export interface EdgeServer {
  readonly server: http.Server;
  listen(host: string, port: number): Promise<AddressInfo>;
  /** Connections whose requests are still all answered by the cache-hit fast path (hit-fast-path.ts). */
  fastPathConnections(): number;
  /** Applies a purge to the store; returns how many objects matched. */
  applyPurge(p: PurgeRequest): number;
  /** A fresh copy of the variant a sibling worker's request selects, or null (see sibling-copy.ts). */
  copyForSibling(primaryKey: string, headers: http.IncomingHttpHeaders): Promise<SiblingCopy | null>;
  /** Graceful: stop accepting, drain in-flight, close idle keep-alive sockets, close origin pools. */
  close(): Promise<void>;
}

/** How long close() waits for in-flight requests before cutting the remaining connections. */
const DRAIN_LIMIT_MS = 30_000;

export function createEdgeServer(opts: EdgeServerOptions): EdgeServer {
  const limits: EdgeLimits = { ...DEFAULT_EDGE_LIMITS, ...opts.limits };
  const pools = new OriginPools(limits, opts.logger);
  const pipeline = new RequestPipeline({
    state: opts.state,
    store: opts.store,
    pools,
    countryOf: opts.countryOf,
    isTrustedProxy: opts.isTrustedProxy,
    nodeName: opts.nodeName,
    operator: opts.operator,
    logger: opts.logger,
    metrics: opts.metrics,
    scheme: opts.scheme ?? 'http',
    keepAliveTimeoutMs: limits.keepAliveTimeoutMs,
    ...(opts.siblings === undefined ? {} : { siblings: opts.siblings }),
  });
  let closing = false;
  const server = http.createServer(
    {
      maxHeaderSize: limits.maxHeaderBytes,
      keepAliveTimeout: limits.keepAliveTimeoutMs,
      headersTimeout: Math.max(limits.headersTimeoutMs, 1000),
      // Whole-request timeout off: large uploads stream for as long as they flow.
      requestTimeout: 0,
      // Never accept ambiguous framing (CL+TE, bare LF, obsolete line folding): smuggling defence.
      insecureHTTPParser: false,
    },
    (req, res) => {
      if (closing) res.shouldKeepAlive = false;
      pipeline.handle(req, res);
    },
  );

  const fastPath = installHitFastPath(server, {
    maxHeaderBytes: limits.maxHeaderBytes,
    headersTimeoutMs: Math.max(limits.headersTimeoutMs, 1000),
    keepAliveTimeoutMs: limits.keepAliveTimeoutMs,
    closing: () => closing,
    serve: pipeline.serveFastHit,
  });

  const parseErrorStatus = formatCacheStatus(opts.nodeName, { hit: false, detail: 'invalid-request' });
  server.on('clientError', (err: NodeJS.ErrnoException, socket: Socket) => {
    // Malformed or ambiguous requests (smuggling attempts among them) get a clean error and the connection closes.
    if (err.code === 'ECONNRESET' || !socket.writable) {
      socket.destroy();
      return;
    }
    const inFlight = (socket as Socket & { _httpMessage?: http.ServerResponse | null })._httpMessage;
    if (inFlight && inFlight.headersSent) {
      socket.destroy();
      return;
    }
    const tooLarge = err.code === 'HPE_HEADER_OVERFLOW';
    const timeout = err.code === 'ERR_HTTP_REQUEST_TIMEOUT';
    const status = tooLarge ? 431 : timeout ? 408 : 400;
    const reason = tooLarge ? 'Request Header Fields Too Large' : timeout ? 'Request Timeout' : 'Bad Request';
    const body =
      JSON.stringify({
        error: {
          code: tooLarge ? 'headers_too_large' : timeout ? 'request_timeout' : 'bad_request',
          message: reason,
        },
      }) + '\n';
    opts.logger.info(
      { status, err: { code: err.code, message: err.message }, peer: socket.remoteAddress },
      'client error',
    );
    opts.metrics.countRequest('error');
    socket.end(
      `HTTP/1.1 ${status} ${reason}\r\nContent-Type: application/json; charset=utf-8\r\nContent-Length: ${Buffer.byteLength(body)}\r\n` +
        `Cache-Control: no-store\r\nCache-Status: ${parseErrorStatus}\r\nConnection: close\r\n\r\n${body}`,
    );
    socket.destroySoon();
  });

  const applyPurge = (p: PurgeRequest): number => {
    const selector = purgeSelector(opts.state, p);
    const n = opts.store.purge(selector, p.soft);
    if (n > 0) opts.metrics.purged.labels(p.kind).inc(n);
    opts.logger.info({ purge: p, matched: n }, 'purge applied');
    return n;
  };

  return {
    server,
    listen: (host, port) =>
      new Promise((resolve, reject) => {
        const onError = (e: Error) => reject(e);
        server.once('error', onError);
        server.listen(port, host, () => {
          server.off('error', onError);
          resolve(server.address() as AddressInfo);
        });
      }),
    applyPurge,
    copyForSibling: (primaryKey, headers) => pipeline.copyForSibling(primaryKey, headers),
    fastPathConnections: () => fastPath.connections,
    close: async () => {
      if (closing) return;
      closing = true;
      const closed = new Promise<void>((resolve) => server.close(() => resolve()));
      const closeIdle = () => {
        server.closeIdleConnections();
        fastPath.closeIdle();
      };
      closeIdle();
      // Sockets finishing a response become idle; close them as they do, until every connection is gone.
      const sweep = setInterval(closeIdle, 50);
      const limit = setTimeout(() => {
        opts.logger.warn('drain limit reached; closing the remaining connections');
        server.closeAllConnections();
        fastPath.closeAll();
      }, DRAIN_LIMIT_MS);
      try {
        await closed;
      } finally {
        clearInterval(sweep);
        clearTimeout(limit);
      }
      pipeline.flushLogs();
      await pools.close();
    },
  };
}

/** Maps a purge request onto the store's selectors, with the same normalization requests get. */
export function purgeSelector(state: EdgeState, p: PurgeRequest): PurgeSelector {
  switch (p.kind) {
    case 'zone':
      if (p.zone === null)
        throw new EdgewardError('invalid_purge', 'a zone purge needs a zone', { field: 'zone' });
      return { kind: 'zone', zone: p.zone };
    case 'tag':
      if (!p.value) throw new EdgewardError('invalid_purge', 'a tag purge needs a tag', { field: 'value' });
      return { kind: 'tag', zone: p.zone, tag: p.value };
    case 'url':
    case 'prefix': {
      if (!p.value)
        throw new EdgewardError('invalid_purge', `a ${p.kind} purge needs a URL`, { field: 'value' });
      const u = normalizeUrl(p.value);
      const zone = p.zone === null ? state.zoneForHost(u.host) : (state.zone(p.zone) ?? null);
      if (zone === null)
        throw new EdgewardError('zone_not_found', `no zone for ${p.value}`, { field: 'zone' });
      if (p.kind === 'url')
        return { kind: 'key', primaryKey: cacheKeys(zone.id, u, zone.cache.queryString).primaryKey };
      return { kind: 'prefix', zone: zone.id, urlPrefix: normalizedUrlKey(u) };
    }
  }
}
