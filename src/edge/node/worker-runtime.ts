import { join } from 'node:path';
import type { AddressInfo } from 'node:net';
import type { Logger } from 'pino';
import { Gauge, type Registry } from 'prom-client';
import type { ConfigChange, EdgeSnapshot, PurgeRequest } from '../../shared/config/config-change.js';
import type { BlockRule } from '../../shared/rules/block-rule.js';
import { RuleSet } from '../../shared/rules/rule-set.js';
import type { EdgeConfig } from '../config/edge-config.js';
import { createEdgeMetrics } from '../edge-metrics.js';
import { EdgeState } from '../edge-state.js';
import { openCountryLookup } from '../geo/country-lookup.js';
import { parseTrustedProxies } from '../net/client-address.js';
import { createEdgeServer, type EdgeServer } from '../proxy/edge-server.js';
import type { SiblingLookup } from '../proxy/sibling-copy.js';
import type { CacheStore } from '../store/cache-store.js';
import { openTieredCacheStore } from '../store/tiered-cache-store.js';
import { edgeStateTarget } from '../sync/edge-state-target.js';
import type { WorkerStats } from './node-messages.js';

/**
 * One serving process's edge: its own cache (a share of the node's budget, its own directory), the compiled rules
 * and zones, and the HTTP server. The same code runs in-process (workers=1) and in each cluster worker.
 */
export interface WorkerRuntime {
  readonly address: AddressInfo;
  readonly state: EdgeState;
  readonly edge: EdgeServer;
  readonly store: CacheStore;
  setRules(rules: readonly BlockRule[]): number;
  /** Swaps in an already compiled set (a rules file compiled rule by rule). */
  setRuleSet(set: RuleSet, count: number): number;
  replaceState(snapshot: EdgeSnapshot, gap: boolean): void;
  applyChange(change: ConfigChange): void;
  purge(p: PurgeRequest): number;
  stats(): WorkerStats;
  close(): Promise<void>;
}

export function workerCacheDir(cacheDir: string, index: number): string {
  return join(cacheDir, `worker-${index}`);
}

export async function startWorkerRuntime(o: {
  config: EdgeConfig;
  index: number;
  workers: number;
  snapshot: EdgeSnapshot;
  /** Rules compiled already, used instead of snapshot.rules. */
  ruleSet?: { set: RuleSet; count: number };
  logger: Logger;
  registry: Registry;
  /** Purges that happened while this worker was down (its disk cache missed them); 'all' = drop every zone. */
  missedPurges?: readonly PurgeRequest[] | 'all';
  /** The node's other workers, asked before a miss goes to the origin (cluster mode). */
  siblings?: SiblingLookup;
}): Promise<WorkerRuntime> {
  const { config, logger } = o;
  const geo = await openCountryLookup(config.geoip);
  const isTrustedProxy = parseTrustedProxies(config.trustProxy);
  let ruleCount = o.ruleSet?.count ?? o.snapshot.rules.length;
  const state = new EdgeState({
    zones: o.snapshot.zones,
    rules: o.ruleSet?.set ?? RuleSet.from(o.snapshot.rules),
    version: o.snapshot.version,
  });
  const store = await openTieredCacheStore({
    memoryBytes: Math.floor(config.cache.memoryBytes / o.workers),
    diskBytes: Math.floor(config.cache.diskBytes / o.workers),
    dir: config.cache.dir === null ? null : workerCacheDir(config.cache.dir, o.index),
    ...(config.cache.memoryObjectMaxBytes === null
      ? {}
      : { memoryObjectMaxBytes: config.cache.memoryObjectMaxBytes }),
    logger,
  });
  const registers = [o.registry];
  // In a cluster these are summed over workers unless an aggregator says otherwise.
  new Gauge({
    name: 'edgeward_rules_loaded',
    help: 'Block rules compiled into the serving process (the same in every worker).',
    registers,
    aggregator: 'max',
    collect() {
      this.set(ruleCount);
    },
  });
  new Gauge({
    name: 'edgeward_config_version',
    help: 'Version of the configuration being served.',
    registers,
    aggregator: 'max',
    collect() {
      this.set(state.version);
    },
  });
  new Gauge({
    name: 'edgeward_cache_objects',
    help: 'Objects in the cache (all workers).',
    registers,
    collect() {
      this.set(store.stats().objects);
    },
  });
  new Gauge({
    name: 'edgeward_cache_memory_bytes',
    help: 'Bytes held by the memory tier (all workers).',
    registers,
    collect() {
      this.set(store.stats().memoryBytes);
    },
  });
  new Gauge({
    name: 'edgeward_cache_disk_bytes',
    help: 'Bytes held by the disk tier (all workers).',
    registers,
    collect() {
      this.set(store.stats().diskBytes);
    },
  });

  const edge = createEdgeServer({
    state,
    store,
    countryOf: (ip) => geo.country(ip),
    isTrustedProxy,
    nodeName: config.nodeName,
    operator: config.operator,
    limits: config.limits,
    logger,
    metrics: createEdgeMetrics(o.registry),
    ...(o.siblings === undefined ? {} : { siblings: o.siblings }),
  });
  const target = edgeStateTarget({ state, applyPurge: (p) => edge.applyPurge(p), logger });
  const missed = o.missedPurges ?? [];
  if (missed === 'all') {
    for (const z of o.snapshot.zones) store.purge({ kind: 'zone', zone: z.id }, false);
    logger.warn('too many purges missed while down: cache dropped');
  } else {
    for (const p of missed) {
      try {
        edge.applyPurge(p);
      } catch (e) {
        logger.warn({ err: e, purge: p }, 'a purge missed while down does not apply any more');
      }
    }
  }
  let address: AddressInfo;
  try {
    address = await edge.listen(config.listen.host, config.listen.port);
  } catch (e) {
    await store.close();
    throw e;
  }
  return {
    address,
    state,
    edge,
    store,
    setRules(rules) {
      // Compiled first, then swapped by reference: a request in flight finishes on the old set.
      state.rules = RuleSet.from(rules);
      ruleCount = rules.length;
      logger.info({ rules: ruleCount }, 'block rules replaced');
      return ruleCount;
    },
    setRuleSet(set, count) {
      state.rules = set;
      ruleCount = count;
      logger.info({ rules: ruleCount }, 'block rules replaced');
      return ruleCount;
    },
    replaceState(snapshot, gap) {
      void target.replaceState(snapshot, { gap });
      ruleCount = snapshot.rules.length;
    },
    applyChange(change) {
      void target.applyChange(change);
      if (change.kind === 'rule.add') ruleCount++;
      else if (change.kind === 'rule.remove') ruleCount = Math.max(0, ruleCount - 1);
    },
    purge: (p) => edge.applyPurge(p),
    stats: () => ({
      pid: process.pid,
      rules: ruleCount,
      version: state.version,
      objects: store.stats().objects,
    }),
    async close() {
      await edge.close();
      await store.close();
    },
  };
}
