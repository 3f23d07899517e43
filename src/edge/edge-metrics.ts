import { Counter, Histogram, type Registry } from 'prom-client';

export type CacheOutcome = 'hit' | 'miss' | 'stale' | 'revalidated' | 'bypass' | 'blocked' | 'error';

/** The edge's Prometheus series. Updated on the hot path, so each is a plain counter/histogram increment. */
export interface EdgeMetrics {
  /** Hot-path increments: plain number adds, folded into the Prometheus counters when they are collected. */
  countRequest(outcome: CacheOutcome): void;
  countBytes(n: number): void;
  readonly requests: Counter<'cache'>;
  readonly bytesSent: Counter;
  readonly originLatency: Histogram;
  readonly blocked: Counter<'country'>;
  readonly originErrors: Counter<'reason'>;
  readonly collapsed: Counter;
  readonly purged: Counter<'kind'>;
}

const OUTCOMES: readonly CacheOutcome[] = [
  'hit',
  'miss',
  'stale',
  'revalidated',
  'bypass',
  'blocked',
  'error',
];

export function createEdgeMetrics(registry: Registry): EdgeMetrics {
  const registers = [registry];
  // prom-client hashes label sets on every inc(); on the hit path plain adds are folded in at scrape time.
  const pending: Record<CacheOutcome, number> = {
    hit: 0,
    miss: 0,
    stale: 0,
    revalidated: 0,
    bypass: 0,
    blocked: 0,
    error: 0,
  };
  let pendingBytes = 0;
  const requests = new Counter({
    name: 'edgeward_requests_total',
    help: 'Client requests by cache outcome (hit, miss, stale, revalidated, bypass, blocked, error).',
    labelNames: ['cache'] as const,
    registers,
    collect() {
      for (const o of OUTCOMES) {
        const n = pending[o];
        if (n > 0) {
          pending[o] = 0;
          this.inc({ cache: o }, n);
        }
      }
    },
  });
  const bytesSent = new Counter({
    name: 'edgeward_bytes_sent_total',
    help: 'Response body bytes sent to clients.',
    registers,
    collect() {
      if (pendingBytes > 0) {
        const n = pendingBytes;
        pendingBytes = 0;
        this.inc(n);
      }
    },
  });
  // Every outcome appears from the start (at 0), so dashboards and rate() see the series before the first event.
  for (const o of OUTCOMES) requests.inc({ cache: o }, 0);
  return {
    countRequest: (outcome) => {
      pending[outcome]++;
    },
    countBytes: (n) => {
      pendingBytes += n;
    },
    requests,
    bytesSent,
    originLatency: new Histogram({
      name: 'edgeward_origin_latency_seconds',
      help: 'Time from sending a request to the origin until its response headers arrived.',
      buckets: [0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30],
      registers,
    }),
    blocked: new Counter({
      name: 'edgeward_blocked_requests_total',
      help: 'Requests answered 451 by a block rule, by client country (ZZ = unknown).',
      labelNames: ['country'] as const,
      registers,
    }),
    originErrors: new Counter({
      name: 'edgeward_origin_errors_total',
      help: 'Origin requests that failed (connect, timeout, reset, 5xx served stale).',
      labelNames: ['reason'] as const,
      registers,
    }),
    collapsed: new Counter({
      name: 'edgeward_collapsed_requests_total',
      help: 'Requests that waited on another request to the origin for the same key instead of making their own.',
      registers,
    }),
    purged: new Counter({
      name: 'edgeward_purged_objects_total',
      help: 'Cached objects removed or marked stale by purges and invalidations.',
      labelNames: ['kind'] as const,
      registers,
    }),
  };
}
