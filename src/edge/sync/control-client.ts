import { EventEmitter } from 'node:events';
import type { Logger } from 'pino';
import { Agent, request } from 'undici';
import type { ConfigChange, EdgeSnapshot } from '../../shared/config/config-change.js';
import { EdgewardError } from '../../shared/errors.js';
import type { AppliedConfigStore } from './applied-config-store.js';
import type { ConfigTarget } from './config-target.js';
import { SseParser } from './sse-parser.js';

/**
 * The edge's side of live configuration: registers with the control plane, takes a snapshot when it has nothing
 * (or the control plane says its version cannot be replayed), then follows the change stream from the last version
 * it applied. Each change is persisted (AppliedConfigStore), applied (ConfigTarget), then acknowledged, strictly in
 * version order: a version that does not follow the last applied one makes the client reconnect from there, so no
 * change is ever skipped. Any outage ends in a reconnection with backoff and a catch-up from the last version.
 */
export interface ControlClientOptions {
  /** Base URL of the control plane, e.g. http://control.internal:4000 */
  controlUrl: string;
  /** An edge API token (principal type 'edge'). */
  token: string;
  name: string;
  region?: string | null;
  country?: string | null;
  store: AppliedConfigStore;
  target: ConfigTarget;
  logger: Logger;
  /** Accept a snapshot older than the persisted configuration (operator's --accept-config-rollback). */
  acceptRollback?: boolean;
  /** 'sse' (default) or 'long-poll'. */
  transport?: 'sse' | 'long-poll';
  /** Reconnection backoff: first delay and cap (ms). Default 200 / 10,000. */
  backoff?: { initialMs: number; maxMs: number };
  /** A stream silent for this long (no change, no heartbeat comment) is treated as dead. Default 45 s. */
  idleTimeoutMs?: number;
  /** Heartbeat (an ack of the current version, which refreshes last_seen_at). Default 10 s. */
  heartbeatMs?: number;
}

export type ControlClientStatus = 'starting' | 'following' | 'disconnected' | 'diverged' | 'stopped';

class SnapshotRequired extends Error {}
class VersionGap extends Error {}

export class ControlClient extends EventEmitter {
  private readonly base: string;
  private readonly auth: string;
  private readonly backoffInit: number;
  private readonly backoffMax: number;
  private edgeId: string | null = null;
  private abort = new AbortController();
  private loop: Promise<void> | null = null;
  private stopped = false;
  private needSnapshot = false;
  private heartbeat: NodeJS.Timeout | null = null;
  private ackInFlight = false;
  private ackWanted: { version: number; appliedAt: number } | null = null;
  private lastAcked = 0;
  private statusValue: ControlClientStatus = 'starting';
  private wake: (() => void) | null = null;
  /** Own connection pool: stop() closes its sockets instead of leaving keep-alive connections to the control plane. */
  private agent = new Agent({ keepAliveTimeout: 30_000, connections: 4 });

  constructor(private readonly opts: ControlClientOptions) {
    super();
    this.base = opts.controlUrl.replace(/\/+$/, '');
    this.auth = `Bearer ${opts.token}`;
    this.backoffInit = opts.backoff?.initialMs ?? 200;
    this.backoffMax = opts.backoff?.maxMs ?? 10_000;
  }

  get status(): ControlClientStatus {
    return this.statusValue;
  }

  get appliedVersion(): number {
    return this.opts.store.version;
  }

  get registeredEdgeId(): string | null {
    return this.edgeId;
  }

  start(): void {
    if (this.loop) return;
    this.stopped = false;
    this.abort = new AbortController();
    if (this.agent.destroyed || this.agent.closed)
      this.agent = new Agent({ keepAliveTimeout: 30_000, connections: 4 });
    this.loop = this.run();
    this.heartbeat = setInterval(() => this.sendAck(true), this.opts.heartbeatMs ?? 10_000);
    this.heartbeat.unref();
  }

  async stop(): Promise<void> {
    this.stopped = true;
    this.setStatus('stopped');
    if (this.heartbeat) clearInterval(this.heartbeat);
    this.heartbeat = null;
    this.abort.abort();
    this.wake?.();
    await this.loop;
    this.loop = null;
    await this.agent.destroy();
  }

  /** Resolves once `version` is applied and persisted (for tests and tools). */
  waitForVersion(version: number, timeoutMs = 10_000): Promise<void> {
    if (this.appliedVersion >= version) return Promise.resolve();
    return new Promise((resolve, reject) => {
      const onApplied = (v: number) => {
        if (v >= version) {
          clearTimeout(t);
          this.off('applied', onApplied);
          resolve();
        }
      };
      const t = setTimeout(() => {
        this.off('applied', onApplied);
        reject(
          new Error(
            `edge ${this.opts.name} did not reach version ${version} within ${timeoutMs} ms (at ${this.appliedVersion})`,
          ),
        );
      }, timeoutMs);
      this.on('applied', onApplied);
    });
  }

  private setStatus(s: ControlClientStatus): void {
    if (this.statusValue === s) return;
    this.statusValue = s;
    this.emit('status', s);
  }

  private async run(): Promise<void> {
    let delay = this.backoffInit;
    while (!this.stopped) {
      let progressed = false;
      try {
        if (this.edgeId === null) await this.register();
        if (this.opts.store.version === 0 || this.needSnapshot) {
          await this.syncSnapshot();
          progressed = true;
        }
        if (this.statusValue === 'diverged') {
          // Waiting for the operator: look again (and log again) now and then, never following a stream that
          // would number changes differently from what this edge has applied.
          this.needSnapshot = true;
          await this.sleep(this.backoffMax);
          continue;
        }
        progressed = (await this.follow()) || progressed;
      } catch (e) {
        if (this.stopped) break;
        if (e instanceof SnapshotRequired) {
          this.needSnapshot = true;
          continue;
        }
        if (e instanceof VersionGap) {
          this.opts.logger.warn(
            { err: e.message, appliedVersion: this.appliedVersion },
            'change stream skipped a version; resuming from the last applied one',
          );
          continue;
        }
        this.setStatus('disconnected');
        this.opts.logger.warn(
          { err: errorSummary(e), retryInMs: delay, appliedVersion: this.appliedVersion },
          'control plane unreachable; enforcing the last applied configuration',
        );
      }
      if (this.stopped) break;
      if (progressed) delay = this.backoffInit;
      // Full jitter on the upper half: many edges losing one control plane do not come back in lockstep.
      await this.sleep(delay * (0.5 + Math.random() * 0.5));
      delay = Math.min(this.backoffMax, delay * 2);
    }
  }

  private sleep(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const t = setTimeout(done, ms);
      function done() {
        clearTimeout(t);
        resolve();
      }
      this.wake = done;
    });
  }

  private async call(
    method: 'GET' | 'POST',
    path: string,
    body?: unknown,
    timeoutMs = 10_000,
  ): Promise<{ status: number; json: unknown }> {
    const res = await request(this.base + path, {
      method,
      headers: {
        authorization: this.auth,
        accept: 'application/json',
        ...(body === undefined ? {} : { 'content-type': 'application/json' }),
      },
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
      signal: this.abort.signal,
      dispatcher: this.agent,
      headersTimeout: timeoutMs,
      bodyTimeout: timeoutMs,
    });
    const text = await res.body.text();
    let json: unknown = null;
    if (text) {
      try {
        json = JSON.parse(text);
      } catch {
        json = { raw: text.slice(0, 200) };
      }
    }
    return { status: res.statusCode, json };
  }

  private async register(): Promise<void> {
    const r = await this.call('POST', '/v1/edge/register', {
      name: this.opts.name,
      ...(this.opts.region ? { region: this.opts.region } : {}),
      ...(this.opts.country ? { country: this.opts.country } : {}),
    });
    if (r.status !== 200 && r.status !== 201) throw httpError('register', r);
    const j = r.json as { edgeId: string | number; currentVersion: number };
    this.edgeId = String(j.edgeId);
    this.opts.logger.info(
      { edgeId: this.edgeId, controlVersion: j.currentVersion, appliedVersion: this.appliedVersion },
      'registered with the control plane',
    );
  }

  private async syncSnapshot(): Promise<void> {
    const r = await this.call('GET', '/v1/edge/snapshot', undefined, 60_000);
    if (r.status !== 200) throw httpError('snapshot', r);
    const snap = r.json as EdgeSnapshot;
    const before = this.opts.store.version;
    const outcome = await this.opts.store.replace(snap, {
      acceptRollback: this.opts.acceptRollback ?? false,
    });
    this.needSnapshot = false;
    if (outcome === 'refused-rollback') {
      this.setStatus('diverged');
      return;
    }
    if (this.statusValue === 'diverged') this.setStatus('disconnected');
    if (outcome === 'applied') {
      // Jumping over versions this edge never saw may skip purges: the target drops those zones' caches.
      const gap = before > 0 && snap.version !== before;
      await this.opts.target.replaceState(snap, { gap });
      this.opts.logger.info(
        { version: snap.version, zones: snap.zones.length, rules: snap.rules.length, gap },
        'applied configuration snapshot',
      );
    }
    this.emit('applied', this.appliedVersion);
    this.queueAck(this.appliedVersion, Date.now());
  }

  /** One connection to the change stream. Resolves when the server ends it; true when it delivered anything. */
  private async follow(): Promise<boolean> {
    return this.opts.transport === 'long-poll' ? this.longPoll() : this.followSse();
  }

  private async followSse(): Promise<boolean> {
    const since = this.appliedVersion;
    const res = await request(`${this.base}/v1/edge/changes?since=${since}`, {
      method: 'GET',
      headers: { authorization: this.auth, accept: 'text/event-stream' },
      signal: this.abort.signal,
      dispatcher: this.agent,
      headersTimeout: 10_000,
      // Between chunks: the server sends a heartbeat comment every 15 s, so silence means a dead connection.
      bodyTimeout: this.opts.idleTimeoutMs ?? 45_000,
    });
    if (res.statusCode !== 200) {
      const text = await res.body.text();
      const r = { status: res.statusCode, json: safeJson(text) };
      if (res.statusCode === 409) throw new SnapshotRequired(JSON.stringify(r.json));
      throw httpError('changes', r);
    }
    this.setStatus('following');
    this.opts.logger.info({ since }, 'following the control plane change stream');
    const parser = new SseParser();
    try {
      for await (const chunk of res.body) {
        const batch: ConfigChange[] = [];
        for (const ev of parser.push(chunk as Buffer)) {
          if (ev.event === 'change') batch.push(JSON.parse(ev.data) as ConfigChange);
          else if (ev.event === 'snapshot_required') throw new SnapshotRequired(ev.data);
        }
        if (batch.length) await this.applyBatch(batch);
      }
    } finally {
      // Leaving the loop early (gap, error) must release the connection.
      res.body.destroy();
    }
    this.setStatus('disconnected');
    // The connection worked: the next attempt starts from the shortest backoff.
    return true;
  }

  private async longPoll(): Promise<boolean> {
    const since = this.appliedVersion;
    const r = await this.call('GET', `/v1/edge/changes?since=${since}&wait=25`, undefined, 40_000);
    if (r.status === 409) throw new SnapshotRequired(JSON.stringify(r.json));
    if (r.status !== 200) throw httpError('changes', r);
    this.setStatus('following');
    const changes = (r.json as { changes: ConfigChange[] }).changes;
    if (changes.length) await this.applyBatch(changes);
    return true;
  }

  /** Persists, applies and acknowledges a run of changes; throws VersionGap at the first one out of order. */
  private async applyBatch(batch: readonly ConfigChange[]): Promise<void> {
    let expect = this.appliedVersion + 1;
    const run: ConfigChange[] = [];
    let gapAt: number | null = null;
    for (const c of batch) {
      if (c.version < expect) continue; // delivered twice
      if (c.version !== expect) {
        gapAt = c.version;
        break;
      }
      run.push(c);
      expect++;
    }
    if (run.length) {
      // Log first: a change the edge enforces is already in its change log, so a crash cannot forget it.
      await this.opts.store.append(run);
      for (const c of run) {
        try {
          await this.opts.target.applyChange(c);
        } catch (e) {
          this.opts.logger.error(
            { err: e, version: c.version, kind: c.kind },
            'applying a configuration change failed',
          );
        }
      }
      const last = run[run.length - 1]!;
      this.emit('applied', last.version);
      this.queueAck(last.version, Date.now());
    }
    if (gapAt !== null) throw new VersionGap(`expected version ${expect}, got ${gapAt}`);
  }

  private queueAck(version: number, appliedAt: number): void {
    if (!this.ackWanted || version > this.ackWanted.version) this.ackWanted = { version, appliedAt };
    this.sendAck(false);
  }

  /** At most one ack in flight; the newest version wins. `heartbeat` re-sends the current version. */
  private sendAck(heartbeat: boolean): void {
    if (this.edgeId === null || this.stopped) return;
    if (heartbeat && !this.ackWanted)
      this.ackWanted = { version: this.appliedVersion, appliedAt: Date.now() };
    if (this.ackInFlight || !this.ackWanted) return;
    const a = this.ackWanted;
    const edgeId = this.edgeId;
    this.ackWanted = null;
    this.ackInFlight = true;
    let sent = false;
    this.call('POST', '/v1/edge/ack', { edgeId, version: a.version, appliedAt: a.appliedAt })
      .then((r) => {
        sent = true;
        if (r.status === 200 || r.status === 204) {
          this.lastAcked = Math.max(this.lastAcked, a.version);
          this.emit('acked', a.version);
        } else if (r.status === 404 || r.status === 401) {
          // The control plane forgot this edge (restored database, revoked token): register again.
          this.opts.logger.warn({ status: r.status, body: r.json }, 'ack refused; registering again');
          this.edgeId = null;
        } else {
          this.opts.logger.warn({ status: r.status, body: r.json }, 'ack refused');
        }
      })
      .catch((e: unknown) => {
        if (!this.stopped)
          this.opts.logger.debug({ err: errorSummary(e) }, 'ack failed; the next heartbeat retries');
        // Keep the version to acknowledge: the next ack or heartbeat carries it.
        if (!this.ackWanted || this.ackWanted.version < a.version) this.ackWanted = a;
      })
      .finally(() => {
        this.ackInFlight = false;
        // A newer version applied meanwhile goes out now; after a failure the heartbeat retries (no busy loop).
        if (sent && this.ackWanted && this.ackWanted.version > this.lastAcked) this.sendAck(false);
      });
  }
}

function safeJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return { raw: text.slice(0, 200) };
  }
}

function httpError(what: string, r: { status: number; json: unknown }): EdgewardError {
  return new EdgewardError('control_http_error', `control plane answered ${r.status} to ${what}`, {
    details: { status: r.status, body: r.json },
  });
}

function errorSummary(e: unknown): unknown {
  if (e instanceof Error)
    return { name: e.name, message: e.message, code: (e as NodeJS.ErrnoException).code };
  return e;
}
