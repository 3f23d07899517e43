import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { pino } from 'pino';
import { Registry } from 'prom-client';
import {
  DEFAULT_ZONE_CACHE_SETTINGS,
  type ZoneCacheSettings,
  type ZoneConfig,
} from '../../src/shared/config/zone-config.js';
import type { BlockRule } from '../../src/shared/rules/block-rule.js';
import { RuleSet } from '../../src/shared/rules/rule-set.js';
import { createEdgeMetrics } from '../../src/edge/edge-metrics.js';
import { EdgeState } from '../../src/edge/edge-state.js';
import { createEdgeServer, type EdgeLimits, type EdgeServer } from '../../src/edge/proxy/edge-server.js';
import type { CacheStore } from '../../src/edge/store/cache-store.js';
import { openTieredCacheStore } from '../../src/edge/store/tiered-cache-store.js';

export interface TestEdge {
  readonly port: number;
  readonly edge: EdgeServer;
  readonly state: EdgeState;
  readonly store: CacheStore;
  readonly registry: Registry;
  /** Parsed access-log (and other) lines the edge wrote. */
  readonly logs: Record<string, unknown>[];
  close(): Promise<void>;
}

export interface TestEdgeOptions {
  /** Origin base URLs for the default zone 'z1' (hostnames example.com and www.example.com). */
  origins?: string[];
  zones?: ZoneConfig[];
  cache?: Partial<ZoneCacheSettings>;
  originHost?: string;
  rules?: BlockRule[];
  /** Country by client IP; default: everything is 'US'. */
  countryOf?: (ip: string) => string | null;
  trustedProxies?: string[];
  limits?: Partial<EdgeLimits>;
  /** Keep the cache on disk in a temporary directory (default: memory only). */
  disk?: boolean;
  /** The store's memoryObjectMaxBytes (cache.memoryObjectMaxBytes, --memory-object-max); default: the store's. */
  memoryObjectMaxBytes?: number;
}

export function zone(
  id: string,
  hostnames: string[],
  origins: string[],
  extra: Partial<ZoneConfig> = {},
): ZoneConfig {
  return { id, hostnames, origins, state: 'active', cache: DEFAULT_ZONE_CACHE_SETTINGS, ...extra };
}

/** A real edge on 127.0.0.1:<random port> with a real tiered store, for tests. */
export async function startEdge(opts: TestEdgeOptions): Promise<TestEdge> {
  const zones = opts.zones ?? [
    zone('z1', ['example.com', 'www.example.com'], opts.origins ?? [], {
      cache: { ...DEFAULT_ZONE_CACHE_SETTINGS, ...opts.cache },
      ...(opts.originHost === undefined ? {} : { originHost: opts.originHost }),
    }),
  ];
  const state = new EdgeState({ zones, rules: RuleSet.from(opts.rules ?? []) });
  const dir = opts.disk ? await mkdtemp(join(tmpdir(), 'edgeward-edge-test-')) : null;
  const store = await openTieredCacheStore({
    memoryBytes: 64 * 1024 * 1024,
    diskBytes: 256 * 1024 * 1024,
    dir,
    ...(opts.memoryObjectMaxBytes === undefined ? {} : { memoryObjectMaxBytes: opts.memoryObjectMaxBytes }),
  });
  const registry = new Registry();
  const logs: Record<string, unknown>[] = [];
  const sink = new Writable({
    write(chunk: Buffer, _enc, cb) {
      for (const line of chunk.toString('utf8').split('\n'))
        if (line) logs.push(JSON.parse(line) as Record<string, unknown>);
      cb();
    },
  });
  const trusted = new Set(opts.trustedProxies ?? []);
  const edge = createEdgeServer({
    state,
    store,
    countryOf: opts.countryOf ?? (() => 'US'),
    isTrustedProxy: (ip) => trusted.has(ip),
    nodeName: 'edge-test',
    operator: { name: 'Edgeward Test Operator', url: 'https://operator.example/abuse' },
    ...(opts.limits === undefined ? {} : { limits: opts.limits }),
    logger: pino({ level: 'info' }, sink),
    metrics: createEdgeMetrics(registry),
  });
  const addr = await edge.listen('127.0.0.1', 0);
  return {
    port: addr.port,
    edge,
    state,
    store,
    registry,
    logs,
    close: async () => {
      await edge.close();
      await store.close();
      if (dir !== null) await rm(dir, { recursive: true, force: true });
    },
  };
}

/** The value of one Prometheus series, or 0 when absent. */
export async function metricValue(
  registry: Registry,
  name: string,
  labels: Record<string, string> = {},
): Promise<number> {
  const metric =
    registry.getSingleMetric(name) ?? registry.getSingleMetric(name.replace(/_(count|sum|bucket)$/, ''));
  if (!metric) return 0;
  const data = await metric.get();
  let sum = 0;
  for (const v of data.values) {
    if (
      (v as { metricName?: string }).metricName !== undefined &&
      (v as { metricName?: string }).metricName !== name
    )
      continue;
    if (Object.entries(labels).every(([k, val]) => String((v.labels as Record<string, unknown>)[k]) === val))
      sum += v.value;
  }
  return sum;
}
