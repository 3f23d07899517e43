import { STATUS_CODES, type IncomingMessage, type ServerResponse } from 'node:http';
import type { Socket } from 'node:net';
import type { Readable } from 'node:stream';
import { buffer } from 'node:stream/consumers';
import type { Logger } from 'pino';
import type { Dispatcher } from 'undici';
import type { ZoneConfig } from '../../shared/config/zone-config.js';
import { isEdgewardError } from '../../shared/errors.js';
import type { NormalizedUrl } from '../../shared/url/normalized-url.js';
import { normalizeRequest, normalizeUrl } from '../../shared/url/normalize-url.js';
import type { CacheEntry, CachedHead, StoredHeaders } from '../cache/cache-entry.js';
import { currentAge } from '../cache/age.js';
import { cacheKeys } from '../cache/cache-key.js';
import { formatCacheStatus, type CacheStatusParams } from '../cache/cache-status.js';
import type { Freshness } from '../cache/freshness.js';
import { cacheTags, headersForClient } from '../cache/client-headers.js';
import { evaluateConditional, notModifiedHeaders, revalidationHeaders } from '../cache/conditional.js';
import { invalidatedUrls, isSafeMethod } from '../cache/invalidation.js';
import { ifRangeAllows, parseRange } from '../cache/range.js';
import { canServeStaleOnError, decideReuse, forbidsStaleUse } from '../cache/reuse.js';
import { storability } from '../cache/storability.js';
import { mergeNotModified } from '../cache/update-after-304.js';
import { varyHeaderNames, varyKeyFor, varyMatches } from '../cache/vary.js';
import { canonicalIp, resolveClientAddress } from '../net/client-address.js';
import type { CacheStore } from '../store/cache-store.js';
import type { CacheOutcome, EdgeMetrics } from '../edge-metrics.js';
import type { EdgeState } from '../edge-state.js';
import { createAccessLog, type AccessLog, type AccessRecord } from './access-log.js';
import { blockedResponse, prefersJson } from './blocked-response.js';
import {
  CONDITIONAL_REQUEST_HEADERS,
  originRequestHeaders,
  originResponseHeaders,
  type ForwardContext,
} from './forward-headers.js';
import type { OriginPools } from './origin-pools.js';
import type { PlainHeaders } from './plain-request.js';
import type { RuleSet } from '../../shared/rules/rule-set.js';
import { SIBLING_COPY_MAX_BYTES, type SiblingCopy, type SiblingLookup } from './sibling-copy.js';

export interface PipelineOptions {
  state: EdgeState;
  store: CacheStore;
  pools: OriginPools;
  countryOf: (ip: string) => string | null;
  isTrustedProxy: (ip: string) => boolean;
  nodeName: string;
  operator: { name: string; url: string };
  logger: Logger;
  metrics: EdgeMetrics;
  scheme: 'http' | 'https';
  /** node:http's keep-alive timeout: announced in the fast path's `Keep-Alive` header as node:http does. */
  keepAliveTimeoutMs: number;
  /** The node's other workers, asked for a fresh copy before a miss goes to the origin (cluster mode only). */
  siblings?: SiblingLookup;
}

/** Per-request state, one object so the hot path allocates little. */
interface Ctx {
  readonly req: IncomingMessage;
  readonly res: ServerResponse;
  readonly method: string;
  readonly start: number;
  url: NormalizedUrl | null;
  zone: ZoneConfig | null;
  /** What the edge knows about the TCP connection (peer address, trust, the peer's country). */
  conn: ConnInfo;
  country: string | null;
  primaryKey: string;
  urlKey: string;
  originMs: number;
  bytes: number;
  /** true once something (headers) was written to the client. */
  responded: boolean;
  /** The Cache-Status sent, for the access log. */
  cacheStatus: string;
}

type Fwd = NonNullable<CacheStatusParams['fwd']>;

type FillResult =
  | {
      kind: 'entry';
      entry: CacheEntry;
      /** sibling: copied from another worker of this node, which had it fresh. */
      how: 'stored' | 'revalidated' | 'stale-error' | 'sibling';
      fwdStatus?: number;
      detail?: string;
    }
  | { kind: 'uncacheable' }
  | { kind: 'error'; failure: OriginFailure };

/** How a failed origin request is answered: status, error code and message, and the reason for Cache-Status. */
interface OriginFailure {
  readonly status: 502 | 504;
  readonly code: 'origin_timeout' | 'origin_unreachable' | 'revalidation_failed';
  readonly message: string;
  readonly reason: string;
}

function originFailure(e: unknown): OriginFailure {
  const reason = errorReason(e);
  return isTimeout(e)
    ? { status: 504, code: 'origin_timeout', message: 'the origin server did not answer in time', reason }
    : { status: 502, code: 'origin_unreachable', message: 'the origin server could not be reached', reason };
}

/** RFC 9111 5.2.2.2: a copy its origin says must be revalidated is never reused; the error SHOULD be 504. */
function revalidationFailure(reason: string): OriginFailure {
  return {
    status: 504,
    code: 'revalidation_failed',
    message:
      'the stored response may only be used after revalidation (must-revalidate, proxy-revalidate, ' +
      's-maxage or no-cache), and the origin server could not be asked',
    reason,
  };
}

/** How a fill answers the client that started it. */
const enum Sink {
  /** No client: a background refresh. */
  None,
  /** Stream the origin's response to the client while storing it. */
  Stream,
  /** Store first, then answer from the entry (the client sent a conditional or Range, or asked HEAD). */
  ServeAfter,
}

/** What the hit path precomputes per stored entry (kept in a WeakMap, so it dies with the entry). */
interface HitMemo {
  /** Client headers without Age / Cache-Status / Content-Length, flat [name, value, ...]. */
  readonly base: string[];
  readonly hasVary: boolean;
  /** Freshness deadline computed for a request without cache directives (ms since epoch); 0 = unknown. */
  freshUntil: number;
  /** Freshness lifetime (s) behind freshUntil: ttl = lifetime - age. */
  lifetime: number;
  /** The zone settings freshUntil was computed under: a zone update (max TTL...) invalidates it. */
  settings: ZoneConfig['cache'] | null;
  /** Second (epoch) for which `full` was built, and the complete header array for a plain 200 hit. */
  second: number;
  full: string[] | null;
  cacheStatus: string;
  /** The fast path's whole response for `second` (status line, headers, and the body when small); null = none. */
  wire: Buffer | null;
  wireSecond: number;
  /** The stored headers cannot be written as they are (a character node:http would refuse): no fast path. */
  wireRefused: boolean;
  /**
   * The last request the fast path found unblocked for this entry: the rule set (object and version), the
   * normalized host, path and query, and the client's country. The rule check is a pure function of exactly
   * these, so an identical request skips it; any rule change moves the version. When no rule weighed was limited
   * to countries (or had a query), the verdict holds for every country (or query): a popular object asked for from
   * many countries, or with many query spellings on a zone that ignores the query, is not checked anew each time.
   */
  verdictRules: RuleSet | null;
  verdictVersion: number;
  verdictHost: string;
  verdictPath: string;
  verdictQuery: string;
  verdictCountry: string | null;
  verdictAnyQuery: boolean;
  verdictAnyCountry: boolean;
}

/** Bodies up to this size are copied into a hit's prepared response buffer (one write a hit). */
const WIRE_BODY_LIMIT = 64 * 1024;
/** node:http's checks on header names (a token) and values (no CR, LF or other control characters). */
const HEADER_NAME = /^[\^_`a-zA-Z\-0-9!#$%&'*+.|~]+$/;
const INVALID_HEADER_VALUE = /[^\t\x20-\x7e\x80-\xff]/;
/** How often (bytes) a fill asks the cache writer whether it keeps up. */
const WRITER_CHECK_BYTES = 1024 * 1024;
const TIMEOUT_CODES = new Set(['UND_ERR_CONNECT_TIMEOUT', 'UND_ERR_HEADERS_TIMEOUT', 'UND_ERR_BODY_TIMEOUT']);

export class RequestPipeline {
  private readonly flights = new Map<string, Promise<FillResult>>();
  private readonly memos = new WeakMap<CacheEntry, HitMemo>();
  private readonly conns = new WeakMap<object, ConnInfo>();
  private readonly writeAccessLog: AccessLog;
  private readonly via: string;
  private readonly keepAliveLine: string;
  /** Cache-Status values that never change. */
  private readonly statusFor: {
    blocked: string;
    invalid: string;
    zoneNotFound: string;
    zoneNotActive: string;
    zoneSuspended: string;
  };

  constructor(private readonly o: PipelineOptions) {
    this.writeAccessLog = createAccessLog(o.logger);
    this.via = `1.1 ${o.nodeName}`;
    this.keepAliveLine =
      o.keepAliveTimeoutMs > 0 ? `Keep-Alive: timeout=${Math.floor(o.keepAliveTimeoutMs / 1000)}\r\n` : '';
    const cs = (detail: string) => formatCacheStatus(o.nodeName, { hit: false, detail });
    this.statusFor = {
      blocked: cs('blocked'),
      invalid: cs('invalid-request'),
      zoneNotFound: cs('zone-not-found'),
      zoneNotActive: cs('zone-not-active'),
      zoneSuspended: cs('zone-suspended'),
    };
  }

  readonly handle = (req: IncomingMessage, res: ServerResponse): void => {
    const ctx: Ctx = {
      req,
      res,
      method: req.method ?? 'GET',
      start: Date.now(),
      url: null,
      zone: null,
      conn: this.connInfo(req.socket),
      country: null,
      primaryKey: '',
      urlKey: '',
      originMs: -1,
      bytes: 0,
      responded: false,
      cacheStatus: '',
    };
    try {
      this.route(ctx);
    } catch (e) {
      this.internalError(ctx, e);
    }
  };

  /** Writes buffered access-log lines. */
  flushLogs(): void {
    this.writeAccessLog.flush();
  }

  private connInfo(socket: Socket): ConnInfo {
    let c = this.conns.get(socket);
    if (c === undefined) {
      const peer = peerAddress(socket);
      c = { peer, trusted: this.o.isTrustedProxy(peer), country: undefined };
      this.conns.set(socket, c);
    }
    return c;
  }

  private route(ctx: Ctx): void {
    const { req, o } = { req: ctx.req, o: this.o };
    // 1. Parse: the one normalization rules and cache keys use.
    let url: NormalizedUrl;
    try {
      url = normalizeRequest(o.scheme, req.headers.host, req.url ?? '');
    } catch (e) {
      if (!isEdgewardError(e)) throw e;
      return this.sendError(ctx, 400, e.code, e.message, this.statusFor.invalid, 'error');
    }
    ctx.url = url;
    // 2. Zone.
    const zone = o.state.zoneForHost(url.host);
    if (zone === null || zone.state === 'terminated') {
      return this.sendError(
        ctx,
        421,
        'zone_not_found',
        `no site is configured for host ${url.host}`,
        this.statusFor.zoneNotFound,
        'error',
      );
    }
    ctx.zone = zone;
    if (zone.state === 'pending') {
      return this.sendError(
        ctx,
        421,
        'zone_not_active',
        `the site for host ${url.host} is not active yet`,
        this.statusFor.zoneNotActive,
        'error',
      );
    }
    if (zone.state === 'suspended') {
      return this.sendError(
        ctx,
        403,
        'zone_suspended',
        `the site for host ${url.host} is suspended`,
        this.statusFor.zoneSuspended,
        'error',
      );
    }
    // 3. Client address and country.
    ctx.country = this.clientCountry(ctx.conn, req.headers['x-forwarded-for']);
    // 4. Block check, before anything cached can be considered.
    const hit = o.state.rules.match(url, ctx.country);
    if (hit !== null) {
      const body = blockedResponse(
        hit,
        absoluteUrl(url),
        o.operator,
        prefersJson(req.headers.accept),
        this.statusFor.blocked,
      );
      o.metrics.blocked.labels(ctx.country ?? 'ZZ').inc();
      return this.sendFixed(ctx, 451, body.headers, body.body, 'blocked', this.statusFor.blocked);
    }
    const method = ctx.method;
    if (method === 'GET' || method === 'HEAD') return this.cacheable(ctx, zone, url);
    return this.passThrough(ctx, zone, !isSafeMethod(method), 'method');
  }

  /** X-Forwarded-For only from a trusted peer; never a client country header. */
  private clientCountry(conn: ConnInfo, forwardedFor: string | string[] | undefined): string | null {
    if (conn.trusted)
      return this.o.countryOf(resolveClientAddress(conn.peer, forwardedFor, this.o.isTrustedProxy));
    // An untrusted peer is the client for the whole connection: look its country up once.
    if (conn.country === undefined) conn.country = this.o.countryOf(conn.peer);
    return conn.country;
  }

  // ---- cache lookup ---------------------------------------------------------------------------------------

  private cacheable(ctx: Ctx, zone: ZoneConfig, url: NormalizedUrl): void {
    const keys = cacheKeys(zone.id, url, zone.cache.queryString);
    ctx.primaryKey = keys.primaryKey;
    ctx.urlKey = keys.urlKey;
    const variants = this.o.store.variants(keys.primaryKey);
    const headers = ctx.req.headers;
    const entry = this.matchingVariant(variants, headers);
    if (entry === null) {
      return this.miss(ctx, variants.length === 0 ? 'uri-miss' : 'vary-miss');
    }
    const now = ctx.start;
    if (ctx.method === 'GET') {
      const memo = this.plainFreshMemo(entry, zone, headers, now);
      if (memo !== null) return this.servePlainHit(ctx, entry, memo, now);
    }
    const decision = decideReuse(entry.meta, { method: ctx.method, headers }, zone.cache, now);
    if (decision.kind === 'fresh' && !entry.meta.invalidated) {
      const ttl = ttlOf(decision.freshness);
      const cs = formatCacheStatus(this.o.nodeName, { hit: true, ttl });
      return this.serveEntry(ctx, entry, cs, 'hit', now);
    }
    if (decision.kind === 'stale-while-revalidate' && !entry.meta.invalidated) {
      this.refreshInBackground(ctx, entry);
      const cs = formatCacheStatus(this.o.nodeName, {
        hit: true,
        ttl: ttlOf(decision.freshness),
        detail: 'stale-while-revalidate',
      });
      return this.serveEntry(ctx, entry, cs, 'stale', now);
    }
    // RFC 9211: 'request' when a usable copy was refused because of the client's own directives.
    return this.miss(
      ctx,
      decision.kind === 'revalidate' && decision.reason === 'client-no-cache' ? 'request' : 'stale',
      entry,
    );
  }

  /** The stored variant this request selects (RFC 9111 4.1), or null. */
  private matchingVariant(
    variants: readonly CacheEntry[],
    headers: IncomingMessage['headers'] | PlainHeaders,
  ): CacheEntry | null {
    for (let i = 0; i < variants.length; i++) {
      const v = variants[i]!;
      const memo = this.memos.get(v);
      if (memo !== undefined && !memo.hasVary ? v.meta.varyKey === '' : varyMatches(v.meta, headers))
        return v;
    }
    return null;
  }

  /**
   * The hit memo when a plain GET (no directive that changes how the cache answers) can be answered with the
   * entry's in-memory body as it is; null otherwise. Freshness is computed once per entry and zone settings and
   * kept as a deadline, since a plain request cannot change it.
   */
  private plainFreshMemo(
    entry: CacheEntry,
    zone: ZoneConfig,
    headers: IncomingMessage['headers'] | PlainHeaders,
    now: number,
  ): HitMemo | null {
    if (entry.meta.invalidated || entry.body === null || !isPlainRequest(headers)) return null;
    const memo = this.memos.get(entry);
    if (memo !== undefined && memo.freshUntil > now && memo.settings === zone.cache) return memo;
    const decision = decideReuse(entry.meta, { method: 'GET', headers }, zone.cache, now);
    if (decision.kind !== 'fresh') return null;
    const m = memo ?? this.memoFor(entry);
    m.freshUntil = now + ttlOf(decision.freshness) * 1000;
    m.lifetime = Math.floor(decision.freshness.lifetime);
    m.settings = zone.cache;
    return m;
  }

  /** Misses and revalidations go through one flight per primary key (request collapsing). */
  private miss(
    ctx: Ctx,
    fwd: 'uri-miss' | 'vary-miss' | 'stale' | 'request',
    stale: CacheEntry | null = null,
  ): void {
    const inflight = this.flights.get(ctx.primaryKey);
    if (inflight !== undefined) {
      this.o.metrics.collapsed.inc();
      inflight.then((r) => this.afterWait(ctx, r, fwd)).catch((e: unknown) => this.internalError(ctx, e));
      return;
    }
    if (ctx.method === 'HEAD' && stale === null) {
      // A HEAD response carries no body to store: forward it as it is.
      return this.passThrough(ctx, ctx.zone!, false, fwd);
    }
    const sink =
      ctx.method === 'HEAD' || hasConditionalOrRange(ctx.req.headers) ? Sink.ServeAfter : Sink.Stream;
    // A client's Cache-Control or Pragma may ask for the origin itself: only a plain miss asks the siblings.
    const askSiblings =
      stale === null &&
      this.o.siblings !== undefined &&
      ctx.req.headers['cache-control'] === undefined &&
      ctx.req.headers.pragma === undefined;
    const flight = askSiblings
      ? this.fillFromSibling(ctx, this.o.siblings!, sink, fwd)
      : this.fill(ctx, stale, sink, fwd);
    this.flights.set(ctx.primaryKey, flight);
    const done = () => {
      if (this.flights.get(ctx.primaryKey) === flight) this.flights.delete(ctx.primaryKey);
    };
    flight
      .then(
        (r) => {
          done();
          if (!ctx.responded) this.afterFill(ctx, r, fwd);
        },
        (e: unknown) => {
          done();
          throw e;
        },
      )
      .catch((e: unknown) => this.internalError(ctx, e));
  }

  /** The leader of a fill that did not answer its client while fetching. */
  private afterFill(ctx: Ctx, r: FillResult, fwd: Fwd): void {
    if (r.kind === 'entry') return this.serveFillResult(ctx, r, fwd, false);
    if (r.kind === 'error') return this.originError(ctx, r.failure, fwd);
    // Not storable after all (or the store refused it): forward the client's own request.
    return this.passThrough(ctx, ctx.zone!, false, fwd);
  }

  /** A collapsed request: its leader's result serves it when it fits, otherwise it asks the origin itself. */
  private afterWait(ctx: Ctx, r: FillResult, fwd: Fwd): void {
    if (r.kind === 'entry' && varyMatches(r.entry.meta, ctx.req.headers))
      return this.serveFillResult(ctx, r, fwd, true);
    if (r.kind === 'error') return this.originError(ctx, r.failure, fwd);
    if (ctx.method === 'HEAD') return this.passThrough(ctx, ctx.zone!, false, fwd);
    // Uncacheable responses are not shared: each waiter makes its own origin request (see docs/edge-proxy.md).
    const sink = hasConditionalOrRange(ctx.req.headers) ? Sink.ServeAfter : Sink.Stream;
    this.fill(ctx, null, sink, fwd)
      .then((res) => {
        if (!ctx.responded) {
          if (res.kind === 'entry') this.serveFillResult(ctx, res, fwd, false);
          else if (res.kind === 'error') this.originError(ctx, res.failure, fwd);
          else this.passThrough(ctx, ctx.zone!, false, fwd);
        }
      })
      .catch((e: unknown) => this.internalError(ctx, e));
  }

  private serveFillResult(
    ctx: Ctx,
    r: Extract<FillResult, { kind: 'entry' }>,
    fwd: Fwd,
    collapsed: boolean,
  ): void {
    const now = Date.now();
    if (r.how === 'sibling') {
      // The node's cache held it, in another worker: a hit for the client and for the origin.
      const cs = formatCacheStatus(this.o.nodeName, {
        hit: true,
        ...(collapsed ? { collapsed: true } : {}),
        detail: 'sibling',
      });
      return this.serveEntry(ctx, r.entry, cs, 'hit', now);
    }
    if (r.how === 'stale-error') {
      const cs = formatCacheStatus(this.o.nodeName, {
        hit: false,
        fwd: 'stale',
        ...(r.fwdStatus === undefined ? {} : { fwdStatus: r.fwdStatus }),
        ...(collapsed ? { collapsed: true } : {}),
        detail: r.detail ?? 'stale-if-error',
      });
      return this.serveEntry(ctx, r.entry, cs, 'stale', now);
    }
    const cs = formatCacheStatus(this.o.nodeName, {
      hit: false,
      fwd,
      ...(r.fwdStatus === undefined ? {} : { fwdStatus: r.fwdStatus }),
      ...(r.how === 'stored' ? { stored: true } : {}),
      ...(collapsed ? { collapsed: true } : {}),
    });
    return this.serveEntry(ctx, r.entry, cs, r.how === 'revalidated' ? 'revalidated' : 'miss', now);
  }

  private refreshInBackground(ctx: Ctx, entry: CacheEntry): void {
    if (this.flights.has(ctx.primaryKey)) return;
    const key = ctx.primaryKey;
    const flight = this.fill(ctx, entry, Sink.None, 'stale');
    this.flights.set(key, flight);
    flight.then(
      () => {
        if (this.flights.get(key) === flight) this.flights.delete(key);
      },
      (e: unknown) => {
        if (this.flights.get(key) === flight) this.flights.delete(key);
        this.o.logger.error({ err: e, key }, 'background revalidation failed');
      },
    );
  }

  // ---- copies between the workers of one node ----------------------------------------------------------

  /** A miss asks the node's other workers first; only when none holds a fresh copy does it go to the origin. */
  private async fillFromSibling(
    ctx: Ctx,
    siblings: SiblingLookup,
    sink: Sink,
    fwd: Fwd,
  ): Promise<FillResult> {
    let copy: SiblingCopy | null = null;
    try {
      copy = await siblings(ctx.primaryKey, ctx.req.headers);
    } catch (e) {
      this.o.logger.warn(
        { err: e, key: ctx.primaryKey },
        'asking the sibling workers failed; going to the origin',
      );
    }
    if (copy !== null && copy.meta.primaryKey === ctx.primaryKey && copy.meta.zone === ctx.zone!.id) {
      const writer = this.o.store.createWriter(copy.meta);
      writer.write(copy.body);
      const entry = await writer.commit();
      if (entry !== null && varyMatches(entry.meta, ctx.req.headers))
        return { kind: 'entry', entry, how: 'sibling' };
    }
    return this.fill(ctx, null, sink, fwd);
  }

  /**
   * For a sibling worker's miss: the stored variant its request selects, when it is fresh for a plain GET (no
   * request directives: the sibling's own client rules still apply when it serves it) and small enough to copy.
   */
  async copyForSibling(primaryKey: string, headers: IncomingMessage['headers']): Promise<SiblingCopy | null> {
    const now = Date.now();
    for (const entry of this.o.store.variants(primaryKey)) {
      if (entry.meta.invalidated || entry.meta.bodySize > SIBLING_COPY_MAX_BYTES) continue;
      if (!varyMatches(entry.meta, headers)) continue;
      const zone = this.o.state.zone(entry.meta.zone);
      if (zone === undefined || zone.state !== 'active') return null;
      // Fresh for a request without directives (decideReuse reads only Cache-Control and Pragma of a request).
      if (decideReuse(entry.meta, { method: 'GET', headers: {} }, zone.cache, now).kind !== 'fresh')
        return null;
      const body = entry.body ?? (await buffer(this.o.store.openBody(entry)));
      if (body.length !== entry.meta.bodySize) return null;
      const { bodySize: _size, invalidated: _inv, ...meta } = entry.meta;
      return { meta, body };
    }
    return null;
  }

  // ---- origin fetch that may store ---------------------------------------------------------------------

  private async fill(ctx: Ctx, stale: CacheEntry | null, sink: Sink, fwd: Fwd): Promise<FillResult> {
    const zone = ctx.zone!;
    const o = this.o;
    const headers = originRequestHeaders(
      ctx.req.headers,
      this.forwardContext(ctx, zone),
      CONDITIONAL_REQUEST_HEADERS,
    );
    if (stale !== null) Object.assign(headers, revalidationHeaders(stale.meta.headers));
    const requestTime = Date.now();
    let resp: Dispatcher.ResponseData;
    try {
      resp = await o.pools.forZone(zone).request({ method: 'GET', path: originPath(ctx.url!), headers });
    } catch (e) {
      return this.fetchFailed(ctx, stale, e);
    }
    const responseTime = Date.now();
    ctx.originMs = responseTime - requestTime;
    o.metrics.originLatency.observe(ctx.originMs / 1000);
    const status = resp.statusCode;
    const h = originResponseHeaders(resp.headers);

    if (stale !== null && status === 304) {
      await resp.body.dump();
      const head = mergeNotModified(stale.meta, { headers: h }, requestTime, responseTime);
      const entry = o.store.updateHead(stale, head);
      return { kind: 'entry', entry, how: 'revalidated', fwdStatus: 304 };
    }
    if (stale !== null && status >= 500 && canServeStaleOnError(stale.meta, zone.cache, responseTime)) {
      o.metrics.originErrors.labels(`status_${status}`).inc();
      await resp.body.dump();
      return {
        kind: 'entry',
        entry: stale,
        how: 'stale-error',
        fwdStatus: status,
        detail: `origin-status-${status}`,
      };
    }
    if (status >= 500) o.metrics.originErrors.labels(`status_${status}`).inc();

    const head: CachedHead = { status, headers: h, requestTime, responseTime };
    const fwdStatus = stale !== null ? status : undefined;
    const vary = varyHeaderNames(h);
    const storable =
      vary !== '*' &&
      status !== 304 &&
      storability({ method: 'GET', headers: ctx.req.headers }, head, zone.cache).store;
    if (!storable) {
      // The old copy no longer describes what the origin serves.
      if (stale !== null && status < 500) o.store.remove(stale);
      if (sink === Sink.None) {
        await resp.body.dump();
        return { kind: 'uncacheable' };
      }
      const cs = formatCacheStatus(o.nodeName, {
        hit: false,
        fwd,
        ...(fwdStatus === undefined ? {} : { fwdStatus }),
      });
      const outcome: CacheOutcome = 'miss';
      // Conditional/Range clients get the full response: permitted, and the origin saw no conditionals.
      this.streamToClient(ctx, status, h, resp.body, cs, outcome, ctx.method === 'HEAD');
      return { kind: 'uncacheable' };
    }

    const writer = o.store.createWriter({
      zone: zone.id,
      primaryKey: ctx.primaryKey,
      urlKey: ctx.urlKey,
      varyKey: varyKeyFor(vary, ctx.req.headers),
      tags: cacheTags(h),
      status,
      headers: h,
      requestTime,
      responseTime,
    });
    const res = ctx.res;
    // A client that already left is not written to; the fill still completes for the cache and any waiters.
    let toClient = sink === Sink.Stream && !res.destroyed;
    const body = resp.body;
    // The origin body is paused while the client or the store's disk cannot take more; each holds one "pause".
    let pauses = 0;
    let waitingForDrain = false;
    const hold = () => {
      if (pauses++ === 0) body.pause();
    };
    const release = () => {
      if (--pauses === 0) body.resume();
    };
    const onDrain = () => {
      waitingForDrain = false;
      release();
    };
    if (toClient) {
      const cs = formatCacheStatus(o.nodeName, {
        hit: false,
        fwd,
        ...(fwdStatus === undefined ? {} : { fwdStatus }),
        stored: true,
      });
      ctx.cacheStatus = cs;
      res.writeHead(status, this.freshClientHeaders(head, cs, responseTime));
      ctx.responded = true;
      res.on('close', () => {
        // The client left: keep filling the cache (collapsed waiters depend on it), stop writing to it.
        if (!res.writableFinished && toClient) {
          toClient = false;
          if (waitingForDrain) {
            res.off('drain', onDrain);
            onDrain();
          }
          this.accessLog(ctx, status, 'miss', 'client closed the connection');
        }
      });
    }
    const whenWritable = writer.whenWritable?.bind(writer);
    let sinceCheck = 0;
    return new Promise<FillResult>((resolve) => {
      body.on('data', (chunk: Buffer) => {
        writer.write(chunk);
        if (toClient) {
          ctx.bytes += chunk.length;
          if (!res.write(chunk) && !waitingForDrain) {
            waitingForDrain = true;
            hold();
            res.once('drain', onDrain);
          }
        }
        sinceCheck += chunk.length;
        if (whenWritable !== undefined && sinceCheck >= WRITER_CHECK_BYTES) {
          sinceCheck = 0;
          hold();
          whenWritable().then(release, (e: unknown) => {
            o.logger.warn({ err: e, key: ctx.primaryKey }, 'cache writer failed; the body is still sent');
            release();
          });
        }
      });
      body.once('error', (e: Error) => {
        writer.abort();
        o.metrics.originErrors.labels(errorReason(e)).inc();
        o.logger.warn({ err: e, host: ctx.url!.host, path: ctx.url!.path }, 'origin body failed');
        if (toClient) {
          toClient = false;
          res.destroy(e);
          this.accessLog(ctx, status, 'miss', 'origin body failed');
        }
        resolve({ kind: 'error', failure: originFailure(e) });
      });
      body.once('end', () => {
        if (toClient) {
          toClient = false;
          res.end();
          this.finished(ctx, status, 'miss');
        }
        writer.commit().then(
          (entry) =>
            resolve(
              entry === null
                ? { kind: 'uncacheable' }
                : { kind: 'entry', entry, how: 'stored', ...(fwdStatus === undefined ? {} : { fwdStatus }) },
            ),
          (e: unknown) => {
            o.logger.error({ err: e, key: ctx.primaryKey }, 'cache commit failed');
            resolve({ kind: 'uncacheable' });
          },
        );
      });
    });
  }

  private fetchFailed(ctx: Ctx, stale: CacheEntry | null, e: unknown): FillResult {
    const reason = errorReason(e);
    this.o.metrics.originErrors.labels(reason).inc();
    this.o.logger.warn({ err: e, host: ctx.url!.host, path: ctx.url!.path }, 'origin request failed');
    if (stale !== null && canServeStaleOnError(stale.meta, ctx.zone!.cache, Date.now())) {
      return { kind: 'entry', entry: stale, how: 'stale-error', detail: `origin-${reason}` };
    }
    if (stale !== null && forbidsStaleUse(stale.meta))
      return { kind: 'error', failure: revalidationFailure(reason) };
    return { kind: 'error', failure: originFailure(e) };
  }

  // ---- pass-through (unsafe methods, HEAD misses, uncacheable) ---------------------------------------------

  private passThrough(ctx: Ctx, zone: ZoneConfig, unsafe: boolean, fwd: Fwd = 'bypass'): void {
    const { req, o } = { req: ctx.req, o: this.o };
    const headers = originRequestHeaders(req.headers, this.forwardContext(ctx, zone));
    const hasBody =
      req.headers['content-length'] !== undefined || req.headers['transfer-encoding'] !== undefined;
    const requestTime = Date.now();
    const method = ctx.method;
    const failed = (e: unknown) => {
      const failure = originFailure(e);
      o.metrics.originErrors.labels(failure.reason).inc();
      o.logger.warn({ err: e, host: ctx.url!.host, path: ctx.url!.path }, 'origin request failed');
      this.originError(ctx, failure, unsafe ? 'method' : fwd);
    };
    let pool: Dispatcher;
    try {
      pool = o.pools.forZone(zone);
    } catch (e) {
      return failed(e);
    }
    pool
      .request({
        method,
        path: originPath(ctx.url!),
        headers,
        body: hasBody && !req.readableEnded ? (req as Readable) : null,
      })
      .then((resp) => {
        const responseTime = Date.now();
        ctx.originMs = responseTime - requestTime;
        o.metrics.originLatency.observe(ctx.originMs / 1000);
        const status = resp.statusCode;
        const h = originResponseHeaders(resp.headers);
        if (status >= 500) o.metrics.originErrors.labels(`status_${status}`).inc();
        if (unsafe && status >= 200 && status < 400) this.invalidate(ctx, zone, status, h);
        const cs = formatCacheStatus(o.nodeName, { hit: false, fwd: unsafe ? 'method' : fwd });
        this.streamToClient(
          ctx,
          status,
          h,
          resp.body,
          cs,
          fwd === 'bypass' || fwd === 'method' ? 'bypass' : 'miss',
          method === 'HEAD',
        );
      }, failed)
      .catch((e: unknown) => this.internalError(ctx, e));
  }

  /** RFC 9111 4.4: a successful unsafe request invalidates the target URI and its Location / Content-Location. */
  private invalidate(ctx: Ctx, zone: ZoneConfig, status: number, headers: StoredHeaders): void {
    let urls: string[];
    try {
      urls = invalidatedUrls(ctx.method, status, absoluteUrl(ctx.url!), headers);
    } catch (e) {
      this.o.logger.warn({ err: e }, 'could not compute invalidated URLs');
      return;
    }
    for (const abs of urls) {
      let u: NormalizedUrl;
      try {
        u = normalizeUrl(abs);
      } catch (e) {
        this.o.logger.debug({ err: e, url: abs }, 'invalidation URL not normalizable; skipped');
        continue;
      }
      // Only this zone's objects: another site's Location must not purge a neighbour's cache.
      if (this.o.state.zoneForHost(u.host) !== zone) continue;
      const { primaryKey } = cacheKeys(zone.id, u, zone.cache.queryString);
      const n = this.o.store.purge({ kind: 'key', primaryKey }, false);
      if (n > 0) this.o.metrics.purged.labels('invalidation').inc(n);
    }
  }

  // ---- writing responses -------------------------------------------------------------------------------

  private forwardContext(ctx: Ctx, zone: ZoneConfig): ForwardContext {
    return {
      host: zone.originHost ?? ctx.url!.host,
      clientHost: ctx.url!.host,
      scheme: this.o.scheme,
      peer: ctx.conn.peer,
      peerTrusted: ctx.conn.trusted,
      via: this.via,
    };
  }

  private freshClientHeaders(
    head: CachedHead,
    cacheStatus: string,
    now: number,
  ): Record<string, string | string[]> {
    // headersForClient returns a fresh object: it is filled in place, not copied again.
    const out = headersForClient(head.headers);
    out.via = appendVia(out.via, this.via);
    out.age = String(currentAge(head, now));
    out['cache-status'] = cacheStatus;
    return out;
  }

  private streamToClient(
    ctx: Ctx,
    status: number,
    h: StoredHeaders,
    body: Readable,
    cacheStatus: string,
    outcome: CacheOutcome,
    headOnly: boolean,
  ): void {
    const res = ctx.res;
    if (res.destroyed) {
      // The client left while the origin was answering: free the origin connection.
      body.destroy();
      this.accessLog(ctx, status, outcome, 'client closed the connection');
      return;
    }
    const out = headersForClient(h);
    out.via = appendVia(out.via, this.via);
    out['cache-status'] = cacheStatus;
    ctx.cacheStatus = cacheStatus;
    res.writeHead(status, out);
    ctx.responded = true;
    if (headOnly || status === 204 || status === 304) {
      body.resume();
      res.end();
      this.finished(ctx, status, outcome);
      return;
    }
    res.on('close', () => {
      if (!res.writableFinished) body.destroy();
    });
    pipeWithBackpressure(body, res, ctx);
    body.once('end', () => {
      res.end();
      this.finished(ctx, status, outcome);
    });
    body.once('error', (e: Error) => {
      this.o.metrics.originErrors.labels(errorReason(e)).inc();
      this.o.logger.warn({ err: e, host: ctx.url?.host, path: ctx.url?.path }, 'origin body failed');
      res.destroy(e);
      this.accessLog(ctx, status, outcome, 'origin body failed');
    });
  }

  private memoFor(entry: CacheEntry): HitMemo {
    let memo = this.memos.get(entry);
    if (memo === undefined) {
      const client = headersForClient(entry.meta.headers) as Record<string, string | string[]>;
      const base: string[] = [];
      for (const name in client) {
        if (name === 'age' || name === 'content-length' || name === 'cache-status' || name === 'via')
          continue;
        const v = client[name]!;
        if (Array.isArray(v)) for (const one of v) base.push(name, one);
        else base.push(name, v);
      }
      base.push('via', appendVia(client.via, this.via) as string);
      memo = {
        base,
        hasVary: entry.meta.headers.vary !== undefined,
        freshUntil: 0,
        lifetime: 0,
        settings: null,
        second: -1,
        full: null,
        cacheStatus: '',
        wire: null,
        wireSecond: -1,
        wireRefused: false,
        verdictRules: null,
        verdictVersion: -1,
        verdictHost: '',
        verdictPath: '',
        verdictQuery: '',
        verdictCountry: null,
        verdictAnyQuery: false,
        verdictAnyCountry: false,
      };
      this.memos.set(entry, memo);
    }
    return memo;
  }

  /** A plain hit's client headers, flat; Age and the Cache-Status ttl change each second, the rest never. */
  private plainHitHeaders(entry: CacheEntry, memo: HitMemo, now: number): string[] {
    const second = Math.floor(now / 1000);
    if (memo.full === null || memo.second !== second) {
      const age = currentAge(entry.meta, now);
      memo.cacheStatus = formatCacheStatus(this.o.nodeName, { hit: true, ttl: memo.lifetime - age });
      memo.full = memo.base.concat(
        'age',
        String(age),
        'cache-status',
        memo.cacheStatus,
        'content-length',
        String(entry.meta.bodySize),
      );
      memo.second = second;
    }
    return memo.full;
  }

  private servePlainHit(ctx: Ctx, entry: CacheEntry, memo: HitMemo, now: number): void {
    const full = this.plainHitHeaders(entry, memo, now);
    const res = ctx.res;
    ctx.cacheStatus = memo.cacheStatus;
    res.writeHead(entry.meta.status, full);
    res.end(entry.body);
    ctx.bytes = entry.meta.bodySize;
    this.finished(ctx, entry.meta.status, 'hit');
  }

  /**
   * The cache-hit fast path's request handler (hit-fast-path.ts): answers a plain GET on the socket when the
   * node:http path would answer it with servePlainHit, with the same bytes, and returns true; otherwise writes
   * nothing and returns false (node:http then takes the request). Every check of route() runs here too: the
   * request's URL, its zone and zone state, the client's country, the block rules, the cache. The stored entry is
   * looked up before the rule check only to find its verdict memo; nothing is written before the check passed.
   */
  readonly serveFastHit = (socket: Socket, target: string, headers: PlainHeaders): boolean => {
    const o = this.o;
    const now = Date.now();
    let url: NormalizedUrl;
    try {
      url = normalizeRequest(o.scheme, headers.host, target);
    } catch {
      return false; // node:http's path answers it with the error
    }
    const zone = o.state.zoneForHost(url.host);
    if (zone === null || zone.state !== 'active') return false;
    const country = this.clientCountry(this.connInfo(socket), headers['x-forwarded-for']);
    const keys = cacheKeys(zone.id, url, zone.cache.queryString);
    const entry = this.matchingVariant(o.store.variants(keys.primaryKey), headers);
    // No entry: node:http's path answers, with its own block check first.
    if (entry === null || entry.meta.status !== 200) return false;
    const rules = o.state.rules;
    const v = this.memoFor(entry);
    if (
      v.verdictRules !== rules ||
      v.verdictVersion !== rules.version ||
      (v.verdictCountry !== country && !v.verdictAnyCountry) ||
      v.verdictPath !== url.path ||
      v.verdictHost !== url.host ||
      (v.verdictQuery !== url.query && !v.verdictAnyQuery)
    ) {
      if (rules.match(url, country) !== null) return false;
      v.verdictRules = rules;
      v.verdictVersion = rules.version;
      v.verdictCountry = country;
      v.verdictPath = url.path;
      v.verdictHost = url.host;
      v.verdictQuery = url.query;
      v.verdictAnyCountry = !rules.lastVerdictUsedCountry;
      v.verdictAnyQuery = !rules.lastVerdictUsedQuery;
    }
    const memo = this.plainFreshMemo(entry, zone, headers, now);
    if (memo === null) return false;
    const wire = this.hitWire(entry, memo, now);
    if (wire === null) return false;
    const size = entry.meta.bodySize;
    if (wire.length > size) socket.write(wire);
    else {
      socket.cork();
      socket.write(wire);
      socket.write(entry.body!);
      socket.uncork();
    }
    o.metrics.countRequest('hit');
    if (size > 0) o.metrics.countBytes(size);
    if (o.logger.isLevelEnabled('info'))
      this.writeAccessLog({
        method: 'GET',
        host: url.host,
        path: url.query ? `${url.path}?${url.query}` : url.path,
        status: 200,
        cache: 'hit',
        cacheStatus: memo.cacheStatus,
        bytes: size,
        originMs: -1,
        country,
        ms: Date.now() - now,
      });
    return true;
  };

  /**
   * What node:http would write for servePlainHit on a keep-alive connection: the status line, the same headers in
   * the same order, then its Date, Connection and Keep-Alive. Built once a second per entry; small bodies are
   * copied in, so that a hit is one write of one buffer. Null when a header holds a character node:http refuses.
   */
  private hitWire(entry: CacheEntry, memo: HitMemo, now: number): Buffer | null {
    if (memo.wireRefused) return null;
    const second = Math.floor(now / 1000);
    if (memo.wire !== null && memo.wireSecond === second) return memo.wire;
    const full = this.plainHitHeaders(entry, memo, now);
    let head = `HTTP/1.1 200 ${STATUS_CODES[200]}\r\n`;
    let hasDate = false;
    for (let i = 0; i < full.length; i += 2) {
      const name = full[i]!;
      const value = full[i + 1]!;
      if (!HEADER_NAME.test(name) || INVALID_HEADER_VALUE.test(value)) {
        memo.wireRefused = true;
        return null;
      }
      if (name.length === 4 && name.toLowerCase() === 'date') hasDate = true;
      head += `${name}: ${value}\r\n`;
    }
    // node:http adds its own Date only when the response has none (stored responses usually carry the origin's).
    if (!hasDate) head += `Date: ${new Date(second * 1000).toUTCString()}\r\n`;
    head += `Connection: keep-alive\r\n${this.keepAliveLine}\r\n`;
    const headBytes = Buffer.byteLength(head, 'latin1');
    const body = entry.body!;
    const withBody = body.length <= WIRE_BODY_LIMIT;
    const wire = Buffer.allocUnsafe(headBytes + (withBody ? body.length : 0));
    wire.write(head, 0, 'latin1');
    if (withBody) body.copy(wire, headBytes);
    memo.wire = wire;
    memo.wireSecond = second;
    return wire;
  }

  /** Answers from a stored entry: conditionals (304/412), Range (206/416), HEAD, or the full body. */
  private serveEntry(
    ctx: Ctx,
    entry: CacheEntry,
    cacheStatus: string,
    outcome: CacheOutcome,
    now: number,
  ): void {
    const { req, res } = ctx;
    ctx.cacheStatus = cacheStatus;
    if (res.destroyed) return this.accessLog(ctx, 0, outcome, 'client closed the connection');
    const reqHeaders = req.headers;
    const meta = entry.meta;
    const age = String(currentAge(meta, now));
    if (
      reqHeaders['if-none-match'] !== undefined ||
      reqHeaders['if-modified-since'] !== undefined ||
      reqHeaders['if-match'] !== undefined ||
      reqHeaders['if-unmodified-since'] !== undefined
    ) {
      const c = evaluateConditional({ method: ctx.method, headers: reqHeaders }, meta);
      if (c === 'not-modified') {
        const h = { ...(notModifiedHeaders(meta.headers) as Record<string, string | string[]>) };
        h.age = age;
        h['cache-status'] = cacheStatus;
        h.via = this.via;
        res.writeHead(304, h);
        res.end();
        return this.finished(ctx, 304, outcome);
      }
      if (c === 'precondition-failed') {
        return this.sendError(
          ctx,
          412,
          'precondition_failed',
          'a precondition in the request does not hold',
          cacheStatus,
          outcome,
        );
      }
    }
    const memo = this.memoFor(entry);
    const size = meta.bodySize;
    const rangeHeader = reqHeaders.range;
    if (rangeHeader !== undefined && ctx.method === 'GET' && meta.status === 200) {
      const ifRange = reqHeaders['if-range'];
      if (
        ifRange === undefined ||
        ifRangeAllows(Array.isArray(ifRange) ? ifRange[0] : ifRange, meta.headers)
      ) {
        const r = parseRange(rangeHeader, size);
        if (r === 'unsatisfiable') {
          const h = memo.base.concat(
            'age',
            age,
            'cache-status',
            cacheStatus,
            'content-range',
            `bytes */${size}`,
            'content-length',
            '0',
          );
          res.writeHead(416, stripRepresentation(h));
          res.end();
          return this.finished(ctx, 416, outcome);
        }
        if (r !== 'ignore') {
          const length = r.end - r.start + 1;
          const h = memo.base.concat(
            'age',
            age,
            'cache-status',
            cacheStatus,
            'content-range',
            `bytes ${r.start}-${r.end}/${size}`,
            'content-length',
            String(length),
          );
          res.writeHead(206, h);
          return this.sendBody(ctx, entry, r, length, 206, outcome);
        }
      }
    }
    const h = memo.base.concat('age', age, 'cache-status', cacheStatus, 'content-length', String(size));
    res.writeHead(meta.status, h);
    if (ctx.method === 'HEAD') {
      res.end();
      return this.finished(ctx, meta.status, outcome);
    }
    return this.sendBody(ctx, entry, undefined, size, meta.status, outcome);
  }

  private sendBody(
    ctx: Ctx,
    entry: CacheEntry,
    range: { start: number; end: number } | undefined,
    length: number,
    status: number,
    outcome: CacheOutcome,
  ): void {
    const res = ctx.res;
    ctx.responded = true;
    if (entry.body !== null) {
      res.end(range === undefined ? entry.body : entry.body.subarray(range.start, range.end + 1));
      ctx.bytes = length;
      return this.finished(ctx, status, outcome);
    }
    const stream = this.o.store.openBody(entry, range);
    pipeWithBackpressure(stream, res, ctx);
    stream.once('end', () => {
      res.end();
      this.finished(ctx, status, outcome);
    });
    stream.once('error', (e: Error) => {
      this.o.logger.error(
        { err: e, key: entry.meta.primaryKey },
        'reading a cached body failed; entry removed',
      );
      this.o.store.remove(entry);
      res.destroy(e);
      this.accessLog(ctx, status, 'error', 'cache read failed');
    });
    res.on('close', () => {
      if (!res.writableFinished) stream.destroy();
    });
  }

  private originError(ctx: Ctx, f: OriginFailure, fwd: Fwd): void {
    const cs = formatCacheStatus(this.o.nodeName, { hit: false, fwd, detail: `origin-${f.reason}` });
    this.sendError(ctx, f.status, f.code, f.message, cs, 'error');
  }

  private sendError(
    ctx: Ctx,
    status: number,
    code: string,
    message: string,
    cacheStatus: string,
    outcome: CacheOutcome,
  ): void {
    const body = Buffer.from(JSON.stringify({ error: { code, message } }) + '\n');
    this.sendFixed(
      ctx,
      status,
      {
        'content-type': 'application/json; charset=utf-8',
        'content-length': String(body.length),
        'cache-control': 'no-store',
        'cache-status': cacheStatus,
      },
      body,
      outcome,
      cacheStatus,
    );
  }

  private sendFixed(
    ctx: Ctx,
    status: number,
    headers: Record<string, string>,
    body: Buffer,
    outcome: CacheOutcome,
    _cs: string,
  ): void {
    const res = ctx.res;
    if (res.headersSent || res.destroyed) {
      res.destroy();
      return this.accessLog(ctx, status, outcome, 'response could not be sent');
    }
    res.writeHead(status, headers);
    ctx.responded = true;
    ctx.cacheStatus = headers['cache-status'] ?? '';
    if (ctx.method === 'HEAD') res.end();
    else {
      res.end(body);
      ctx.bytes = body.length;
    }
    this.finished(ctx, status, outcome);
  }

  private internalError(ctx: Ctx, e: unknown): void {
    this.o.logger.error({ err: e, method: ctx.method, url: ctx.req.url }, 'request pipeline failed');
    if (ctx.res.headersSent) {
      ctx.res.destroy();
      this.accessLog(ctx, ctx.res.statusCode, 'error', 'internal error');
      return;
    }
    this.sendError(
      ctx,
      500,
      'internal_error',
      'the edge failed to handle this request',
      formatCacheStatus(this.o.nodeName, { hit: false, detail: 'internal-error' }),
      'error',
    );
  }

  private finished(ctx: Ctx, status: number, outcome: CacheOutcome): void {
    ctx.responded = true;
    const m = this.o.metrics;
    m.countRequest(outcome);
    if (ctx.bytes > 0) m.countBytes(ctx.bytes);
    if (this.o.logger.isLevelEnabled('info')) this.accessLog(ctx, status, outcome);
  }

  private accessLog(ctx: Ctx, status: number, outcome: CacheOutcome, error?: string): void {
    const url = ctx.url;
    const r: AccessRecord = {
      method: ctx.method,
      host: url?.host ?? ctx.req.headers.host ?? null,
      path: url === null ? (ctx.req.url ?? '') : url.query ? `${url.path}?${url.query}` : url.path,
      status,
      cache: outcome,
      cacheStatus: ctx.cacheStatus,
      bytes: ctx.bytes,
      originMs: ctx.originMs,
      country: ctx.country,
      ms: Date.now() - ctx.start,
    };
    if (error !== undefined) r.error = error;
    this.writeAccessLog(r);
  }
}

/** Copies a body to the client, pausing it while the client's socket is full (one drain listener at a time). */
function pipeWithBackpressure(body: Readable, res: ServerResponse, ctx: Ctx): void {
  let waiting = false;
  const onDrain = () => {
    waiting = false;
    body.resume();
  };
  body.on('data', (chunk: Buffer) => {
    ctx.bytes += chunk.length;
    if (!res.write(chunk) && !waiting) {
      waiting = true;
      body.pause();
      res.once('drain', onDrain);
    }
  });
}

/** Per-connection facts, computed on its first request. */
interface ConnInfo {
  readonly peer: string;
  readonly trusted: boolean;
  /** The peer's country; undefined until looked up. */
  country: string | null | undefined;
}

/** The TCP peer, IPv4-mapped IPv6 ('::ffff:1.2.3.4') unmapped. */
function peerAddress(socket: Socket): string {
  const ra = socket.remoteAddress ?? '';
  return ra.charCodeAt(0) === 58 /* ':' */ ? canonicalIp(ra) || ra : ra;
}

function absoluteUrl(u: NormalizedUrl): string {
  return `${u.scheme}://${u.host}${u.path}${u.query ? `?${u.query}` : ''}`;
}

function originPath(u: NormalizedUrl): string {
  return u.query ? `${u.path}?${u.query}` : u.path;
}

function appendVia(prior: string | string[] | undefined, via: string): string {
  if (prior === undefined) return via;
  return `${Array.isArray(prior) ? prior.join(', ') : prior}, ${via}`;
}

/** A request with no directive that could change how the cache answers it. */
function isPlainRequest(h: IncomingMessage['headers'] | PlainHeaders): boolean {
  return (
    h['cache-control'] === undefined &&
    h.pragma === undefined &&
    h.range === undefined &&
    h['if-none-match'] === undefined &&
    h['if-modified-since'] === undefined &&
    h['if-match'] === undefined &&
    h['if-unmodified-since'] === undefined
  );
}

function hasConditionalOrRange(h: IncomingMessage['headers']): boolean {
  return (
    h.range !== undefined ||
    h['if-none-match'] !== undefined ||
    h['if-modified-since'] !== undefined ||
    h['if-match'] !== undefined ||
    h['if-unmodified-since'] !== undefined
  );
}

/** A 416 describes no representation: drop the entity headers copied from the stored one. */
function stripRepresentation(flat: string[]): string[] {
  const out: string[] = [];
  for (let i = 0; i < flat.length; i += 2) {
    const n = flat[i]!;
    if (n === 'content-type' || n === 'content-encoding' || n === 'etag' || n === 'last-modified') continue;
    out.push(n, flat[i + 1]!);
  }
  return out;
}

function ttlOf(f: Freshness): number {
  return Math.floor(f.ttl);
}

function isTimeout(e: unknown): boolean {
  const code = (e as { code?: unknown } | null)?.code;
  return typeof code === 'string' && TIMEOUT_CODES.has(code);
}

function errorReason(e: unknown): string {
  const code = (e as { code?: unknown } | null)?.code;
  if (code === 'UND_ERR_CONNECT_TIMEOUT') return 'connect-timeout';
  if (code === 'UND_ERR_HEADERS_TIMEOUT') return 'headers-timeout';
  if (code === 'UND_ERR_BODY_TIMEOUT') return 'body-timeout';
  if (code === 'ECONNREFUSED') return 'connect-refused';
  if (code === 'ECONNRESET' || code === 'UND_ERR_SOCKET') return 'connection-reset';
  return 'unreachable';
}
