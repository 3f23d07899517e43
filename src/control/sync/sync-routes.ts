import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { ServerResponse } from 'node:http';
import type { ConfigChange } from '../../shared/config/config-change.js';
import type { EdgeSync } from './edge-sync.js';

/**
 * The edge-facing half of live configuration (docs/live-config.md):
 *   POST /v1/edge/register   {name, region?, country?}        -> {edgeId, currentVersion}
 *   GET  /v1/edge/snapshot                                    -> EdgeSnapshot
 *   GET  /v1/edge/changes?since=V   Accept: text/event-stream -> every change > V, then live ones (SSE)
 *   GET  /v1/edge/changes?since=V&wait=S                      -> {changes, currentVersion} (long poll)
 *   POST /v1/edge/ack        {edgeId, version, appliedAt?}    -> {currentVersion}
 * Every route takes `Authorization: Bearer <edge token>`.
 */
export interface ControlSyncRoutesOptions {
  sync: EdgeSync;
  /** True when the Authorization header carries a valid edge token. */
  authenticateEdge(authorization: string | undefined): Promise<boolean>;
  /** Heartbeat comment interval on event streams (default 15 s), so that proxies and edges see a live connection. */
  heartbeatMs?: number;
  /** Acks are written to the edges table at most this long after they arrive (default 200 ms). */
  ackFlushMs?: number;
}

const PAGE = 1000;
const AUTH_CACHE_MS = 5_000;

const errorBody = (code: string, message: string, extra: Record<string, unknown> = {}) => ({
  error: { code, message, ...extra },
});

export async function controlSyncRoutes(app: FastifyInstance, opts: ControlSyncRoutesOptions): Promise<void> {
  const { sync } = opts;
  const { feed, tracker } = sync;
  const { directory, source } = sync.deps;
  const heartbeatMs = opts.heartbeatMs ?? 15_000;
  /** Open event streams and long polls, ended when the app closes (they would hold server.close() forever). */
  const open = new Set<() => void>();

  // Acks reach the metrics at once and the edges table in batches: a database write per ack (an fsync each on
  // SQLite) would sit on the propagation path of every edge.
  const pendingAcks = new Map<string, { edgeId: string; version: number; at: number }>();
  let flushTimer: NodeJS.Timeout | null = null;
  let flushing: Promise<void> = Promise.resolve();
  const flushAcks = (): Promise<void> => {
    flushTimer = null;
    const batch = [...pendingAcks.values()];
    pendingAcks.clear();
    flushing = flushing
      .then(() => directory.ackMany(batch))
      .catch((e: unknown) =>
        app.log.error(
          { err: e, acks: batch.length },
          'recording edge acks failed; the next heartbeat records them',
        ),
      );
    return flushing;
  };
  const queueAck = (edgeId: string, version: number, at: number) => {
    pendingAcks.set(edgeId, { edgeId, version, at });
    flushTimer ??= setTimeout(() => void flushAcks(), opts.ackFlushMs ?? 200);
  };

  app.addHook('preClose', async () => {
    for (const end of [...open]) end();
  });
  app.addHook('onClose', async () => {
    if (flushTimer) clearTimeout(flushTimer);
    await flushAcks();
  });

  // A positive token check is remembered briefly: every ack would otherwise cost a token lookup in the database on
  // the propagation path. A revoked token stops working within AUTH_CACHE_MS.
  const authCache = new Map<string, number>();
  const requireEdge = async (req: FastifyRequest, reply: FastifyReply) => {
    const header = req.headers.authorization;
    const now = Date.now();
    if (header !== undefined && (authCache.get(header) ?? 0) > now) return;
    if (!(await opts.authenticateEdge(header))) {
      return reply
        .code(401)
        .send(errorBody('unauthorized', 'an edge token is required (Authorization: Bearer <token>)'));
    }
    if (header !== undefined) {
      if (authCache.size > 10_000) authCache.clear();
      authCache.set(header, now + AUTH_CACHE_MS);
    }
  };

  app.post<{ Body: { name: string; region?: string | null; country?: string | null } }>(
    '/v1/edge/register',
    {
      preHandler: requireEdge,
      schema: {
        body: {
          type: 'object',
          required: ['name'],
          additionalProperties: false,
          properties: {
            name: { type: 'string', minLength: 1, maxLength: 128, pattern: '^[A-Za-z0-9][A-Za-z0-9._-]*$' },
            region: { type: ['string', 'null'], maxLength: 64 },
            country: { type: ['string', 'null'], pattern: '^[A-Z]{2}$' },
          },
        },
      },
    },
    async (req) => {
      const now = Date.now();
      const rec = await directory.register(
        { name: req.body.name, region: req.body.region ?? null, country: req.body.country ?? null },
        now,
      );
      tracker.seen(rec, now);
      return { edgeId: rec.id, currentVersion: Math.max(feed.head, await source.currentVersion()) };
    },
  );

  app.get('/v1/edge/snapshot', { preHandler: requireEdge }, async () => sync.deps.snapshot());

  app.post<{ Body: { edgeId: string; version: number; appliedAt?: number } }>(
    '/v1/edge/ack',
    {
      preHandler: requireEdge,
      schema: {
        body: {
          type: 'object',
          required: ['edgeId', 'version'],
          additionalProperties: false,
          properties: {
            edgeId: { type: 'string', minLength: 1, maxLength: 64 },
            version: { type: 'integer', minimum: 0 },
            appliedAt: { type: 'number', minimum: 0 },
          },
        },
      },
    },
    async (req, reply) => {
      const now = Date.now();
      const { edgeId, version } = req.body;
      if (tracker.ack(edgeId, version, now)) {
        queueAck(edgeId, version, now);
        return { currentVersion: feed.head };
      }
      // Not registered through this process (another control plane, or before a restart): the table decides.
      const rec = await directory.ack(edgeId, version, now);
      if (!rec)
        return reply
          .code(404)
          .send(errorBody('edge_not_found', `no edge ${edgeId}; register first`, { field: 'edgeId' }));
      tracker.seen(rec, now);
      return { currentVersion: feed.head };
    },
  );

  app.get<{ Querystring: { since: number; wait?: number } }>(
    '/v1/edge/changes',
    {
      preHandler: requireEdge,
      schema: {
        querystring: {
          type: 'object',
          required: ['since'],
          properties: {
            since: { type: 'integer', minimum: 0 },
            wait: { type: 'number', minimum: 0, maximum: 60 },
          },
        },
      },
    },
    async (req, reply) => {
      const since = req.query.since;
      const current = Math.max(feed.head, await source.currentVersion());
      if (since > current) {
        // The edge has versions this control plane never issued: its database was restored from a backup. The edge
        // fetches the snapshot and refuses it (rollback) unless its operator accepts one; see docs/live-config.md.
        return reply.code(409).send(
          errorBody('snapshot_required', `version ${since} is ahead of this control plane (${current})`, {
            field: 'since',
            details: { reason: 'edge_ahead', currentVersion: current },
          }),
        );
      }
      if (wantsEventStream(req.headers.accept)) return streamChanges(req, reply, since);
      return longPoll(req, since, req.query.wait ?? 0);
    },
  );

  async function longPoll(req: FastifyRequest, since: number, waitSeconds: number) {
    let changes = await feed.read(since, PAGE);
    if (changes.length === 0 && waitSeconds > 0) {
      await new Promise<void>((resolve) => {
        const done = () => {
          clearTimeout(t);
          feed.off('head', onHead);
          req.raw.off('close', done);
          open.delete(done);
          resolve();
        };
        const onHead = (head: number) => {
          if (head > since) done();
        };
        const t = setTimeout(done, waitSeconds * 1000);
        feed.on('head', onHead);
        req.raw.on('close', done);
        open.add(done);
      });
      changes = await feed.read(since, PAGE);
    }
    return { changes: contiguousFrom(since, changes), currentVersion: feed.head };
  }

  function streamChanges(req: FastifyRequest, reply: FastifyReply, since: number): FastifyReply {
    reply.hijack();
    const res: ServerResponse = reply.raw;
    res.writeHead(200, {
      'content-type': 'text/event-stream; charset=utf-8',
      'cache-control': 'no-store',
      'x-accel-buffering': 'no',
      connection: 'keep-alive',
    });
    res.socket?.setNoDelay(true);
    res.write(`: edgeward change stream from version ${since}\n\n`);
    let sent = since;
    let pumping = false;
    let again = false;
    let ended = false;

    const pump = async (): Promise<void> => {
      if (pumping) {
        again = true;
        return;
      }
      pumping = true;
      try {
        do {
          again = false;
          for (;;) {
            if (ended) return;
            const batch = contiguousFrom(sent, await feed.read(sent, PAGE));
            if (batch.length === 0) break;
            let out = '';
            for (const c of batch) out += `id: ${c.version}\nevent: change\ndata: ${JSON.stringify(c)}\n\n`;
            sent = batch[batch.length - 1]!.version;
            if (!res.write(out)) await new Promise<void>((r) => res.once('drain', r).once('close', r));
          }
        } while (again);
      } catch (e) {
        req.log.error({ err: e }, 'change stream failed; closing it (the edge reconnects and resumes)');
        end();
      } finally {
        pumping = false;
      }
    };
    const onHead = () => void pump();
    const heartbeat = setInterval(() => res.write(': heartbeat\n\n'), heartbeatMs);
    const end = () => {
      if (ended) return;
      ended = true;
      clearInterval(heartbeat);
      feed.off('head', onHead);
      open.delete(end);
      res.end();
    };
    feed.on('head', onHead);
    res.on('close', end);
    open.add(end);
    void pump();
    return reply;
  }
}

/** The changes that follow `after` without a hole (a change still committing is sent once it is visible). */
function contiguousFrom(after: number, changes: readonly ConfigChange[]): ConfigChange[] {
  const out: ConfigChange[] = [];
  let expect = after + 1;
  for (const c of changes) {
    if (c.version < expect) continue;
    if (c.version !== expect) break;
    out.push(c);
    expect++;
  }
  return out;
}

function wantsEventStream(accept: string | undefined): boolean {
  return accept !== undefined && accept.toLowerCase().includes('text/event-stream');
}
