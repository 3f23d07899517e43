import { EventEmitter } from 'node:events';
import { Gauge, Histogram, type Registry } from 'prom-client';
import type { ChangeFeed } from './change-feed.js';
import type { EdgeRecord } from './edge-directory.js';

export interface PropagationTrackerOptions {
  feed: ChangeFeed;
  registry: Registry;
  /** An edge not seen (registered, acked, heartbeat) for longer than this is not live and does not hold back propagation. */
  liveWindowMs: number;
}

/** What `propagated` events carry: a version every live edge has now acknowledged. */
export interface Propagated {
  readonly version: number;
  /** ms from the change's commit to the ack that made every live edge have it. */
  readonly ms: number;
  readonly edges: number;
}

/**
 * Keeps the applied version of every edge in memory and turns acks into metrics:
 * - `edgeward_config_version`: the newest committed version;
 * - `edgeward_edge_config_lag_versions{edge}`: how many versions each edge is behind;
 * - `edgeward_config_propagation_seconds`: for each version, the time from its commit to the ack that made every
 *   live edge have it (the last live edge's ack). Versions an edge skipped by taking a snapshot count too.
 */
export class PropagationTracker extends EventEmitter {
  private readonly edges = new Map<string, { name: string; applied: number; lastSeen: number }>();
  /** Every live edge has every version up to here. */
  private propagatedUpTo: number;
  private readonly histogram: Histogram;

  constructor(private readonly opts: PropagationTrackerOptions) {
    super();
    this.propagatedUpTo = opts.feed.head;
    const { registry, feed } = opts;
    for (const name of [
      'edgeward_config_version',
      'edgeward_edge_config_lag_versions',
      'edgeward_config_propagation_seconds',
      'edgeward_edges_live',
    ]) {
      // One control plane per registry: a rebuilt app (tests) replaces the previous series.
      if (registry.getSingleMetric(name)) registry.removeSingleMetric(name);
    }
    const edges = this.edges;
    const liveWindowMs = opts.liveWindowMs;
    new Gauge({
      name: 'edgeward_config_version',
      help: 'Newest committed configuration version',
      registers: [registry],
      collect() {
        this.set(feed.head);
      },
    });
    new Gauge({
      name: 'edgeward_edge_config_lag_versions',
      help: 'Configuration versions an edge is behind the newest committed one',
      labelNames: ['edge', 'live'],
      registers: [registry],
      collect() {
        this.reset();
        const now = Date.now();
        for (const e of edges.values()) {
          this.labels(e.name, String(now - e.lastSeen <= liveWindowMs)).set(
            Math.max(0, feed.head - e.applied),
          );
        }
      },
    });
    new Gauge({
      name: 'edgeward_edges_live',
      help: 'Edges seen within the live window',
      registers: [registry],
      collect() {
        const now = Date.now();
        let n = 0;
        for (const e of edges.values()) if (now - e.lastSeen <= liveWindowMs) n++;
        this.set(n);
      },
    });
    this.histogram = new Histogram({
      name: 'edgeward_config_propagation_seconds',
      help: 'Time from a configuration change committed to the last live edge acknowledging it',
      buckets: [0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 300],
      registers: [registry],
    });
  }

  /** Seeds the edges known from the database (at start). */
  load(records: readonly EdgeRecord[]): void {
    for (const r of records)
      this.edges.set(r.id, {
        name: r.name,
        applied: r.appliedVersion,
        lastSeen: r.lastSeenAt ?? r.registeredAt,
      });
  }

  /** An ack from an edge this process knows; false when it does not (the caller asks the database). */
  ack(edgeId: string, version: number, now: number): boolean {
    const e = this.edges.get(edgeId);
    if (!e) return false;
    e.applied = version;
    e.lastSeen = now;
    this.emit('ack', { edgeId, version, at: now });
    this.advance(now);
    return true;
  }

  seen(r: EdgeRecord, now: number): void {
    this.edges.set(r.id, { name: r.name, applied: r.appliedVersion, lastSeen: now });
    this.advance(now);
  }

  private advance(now: number): void {
    let min = Infinity;
    let live = 0;
    for (const e of this.edges.values()) {
      if (now - e.lastSeen > this.opts.liveWindowMs) continue;
      live++;
      if (e.applied < min) min = e.applied;
    }
    if (live === 0 || min <= this.propagatedUpTo) return;
    const upTo = Math.min(min, this.opts.feed.head);
    for (let v = this.propagatedUpTo + 1; v <= upTo; v++) {
      const committedAt = this.opts.feed.committedAt(v);
      if (committedAt === undefined) continue;
      const ms = Math.max(0, now - committedAt);
      this.histogram.observe(ms / 1000);
      this.emit('propagated', { version: v, ms, edges: live } satisfies Propagated);
    }
    this.propagatedUpTo = Math.max(this.propagatedUpTo, upTo);
  }
}
