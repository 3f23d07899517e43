import cluster, { type Worker } from 'node:cluster';
import type { IncomingHttpHeaders } from 'node:http';
import type { AddressInfo } from 'node:net';
import { fileURLToPath } from 'node:url';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Logger } from 'pino';
import { AggregatorRegistry, Gauge, Registry } from 'prom-client';
import type { ConfigChange, EdgeSnapshot, PurgeRequest } from '../../shared/config/config-change.js';
import type { ZoneConfig } from '../../shared/config/zone-config.js';
import type { BlockRule } from '../../shared/rules/block-rule.js';
import { EdgewardError } from '../../shared/errors.js';
import type { EdgeConfig } from '../config/edge-config.js';
import type { ConfigTarget } from '../sync/config-target.js';
import {
  isNodeMessage,
  MESSAGE_TAG,
  type PrimaryToWorker,
  type WorkerReplies,
  type WorkerRequest,
  type WorkerStats,
  type WorkerToPrimary,
} from './node-messages.js';
import type { SiblingCopy } from '../proxy/sibling-copy.js';
import { startWorkerRuntime, type WorkerRuntime } from './worker-runtime.js';
import { compileRulesFile, copyCheckedRulesFile } from './rules-file.js';

/**
 * An edge node: the serving processes of one machine behind one listen address, driven as one. With workers=1
 * it runs in this process (tests, benchmark); otherwise a node:cluster primary forks the workers, keeps the
 * configuration, replays it into any worker it restarts, and fans every operation out to all of them.
 * It is a ConfigTarget, so the control-plane client drives a whole node exactly as it drives one EdgeState.
 */
export interface EdgeNode extends ConfigTarget {
  readonly address: AddressInfo;
  readonly workersExpected: number;
  workersUp(): number;
  setRules(rules: readonly BlockRule[]): Promise<void>;
  /**
   * Replaces the rules with those of a rules file, all or nothing (a bad file throws invalid_rules and the rules
   * in force stay); resolves to the number of rules loaded.
   */
  loadRules(path: string): Promise<number>;
  /** Sum of objects matched in every worker's cache. */
  purge(p: PurgeRequest): Promise<number>;
  replaceState(snapshot: EdgeSnapshot, opts: { gap: boolean }): Promise<void>;
  applyChange(change: ConfigChange): Promise<void>;
  /** Per-worker stats (rules, version, objects). */
  stats(): Promise<WorkerStats[]>;
  /** What the node serves: config version, zones, rules. */
  summary(): NodeSummary;
  metrics(): Promise<{ contentType: string; text: string }>;
  /** Graceful: every worker drains in-flight requests, then the node is gone. */
  close(): Promise<void>;
}

export interface NodeSummary {
  readonly version: number;
  readonly zones: number;
  readonly rules: number;
}

export interface EdgeNodeOptions {
  config: EdgeConfig;
  /** Initial configuration (zones from the config file, or a control-plane snapshot). */
  snapshot: EdgeSnapshot;
  /** Initial rules from this rules file instead of snapshot.rules (compiled before the node serves anything). */
  rulesFile?: string;
  logger: Logger;
  /** Overrides config.workers; 1 = in-process. */
  workers?: number;
}

export async function startEdgeNode(o: EdgeNodeOptions): Promise<EdgeNode> {
  const workers = o.workers ?? o.config.workers;
  return workers <= 1 ? startInProcessNode(o) : startClusterNode(o, workers);
}

/**
 * The node's own copy of the configuration. A cluster primary keeps what a (re)started worker is initialised with:
 * the rules themselves when they came as objects (a control plane), or the path of its private copy of a rules
 * file, which each worker compiles. In-process, the one serving runtime has them compiled and nothing is ever
 * replayed, so only their number is kept (a million rule objects would cost hundreds of megabytes of heap).
 */
class NodeModel {
  /** Bumped on every change: tells whether a worker initialised from an older snapshot needs the current one. */
  generation = 0;
  zones = new Map<string, ZoneConfig>();
  rules: BlockRule[] = [];
  /** When the rules come from a rules file: the primary's checked private copy, which workers compile. */
  rulesFile: string | null = null;
  ruleCount: number;
  version: number;
  constructor(
    s: EdgeSnapshot,
    private readonly keepRules: boolean,
  ) {
    for (const z of s.zones) this.zones.set(z.id, z);
    if (keepRules) this.rules = [...s.rules];
    this.ruleCount = s.rules.length;
    this.version = s.version;
  }
  snapshot(): EdgeSnapshot {
    if (!this.keepRules) throw new Error('NodeModel: this model keeps no rules to replay');
    return { version: this.version, zones: [...this.zones.values()], rules: this.rules };
  }
  summary(): NodeSummary {
    return { version: this.version, zones: this.zones.size, rules: this.ruleCount };
  }
  setRules(rules: readonly BlockRule[]): void {
    this.setRuleCount(rules.length);
    if (this.keepRules) this.rules = [...rules];
    this.rulesFile = null;
  }
  /** Rules replaced by those of a rules file (cluster: its private copy); no rule objects are kept. */
  setRulesFile(path: string, count: number): void {
    this.setRuleCount(count);
    this.rules = [];
    this.rulesFile = path;
  }
  /** What a message that carries the whole state adds to the snapshot: the rules file workers compile. */
  rulesFileField(): { rulesFile?: string } {
    return this.rulesFile === null ? {} : { rulesFile: this.rulesFile };
  }
  /** Rules replaced by a compiled set (in-process only). */
  setRuleCount(n: number): void {
    this.ruleCount = n;
    this.generation++;
  }
  replace(s: EdgeSnapshot): void {
    this.generation++;
    this.rulesFile = null;
    this.zones = new Map(s.zones.map((z) => [z.id, z]));
    if (this.keepRules) this.rules = [...s.rules];
    this.ruleCount = s.rules.length;
    this.version = s.version;
  }
  apply(c: ConfigChange): void {
    this.generation++;
    switch (c.kind) {
      case 'zone.upsert':
        this.zones.set(c.zone.id, c.zone);
        break;
      case 'zone.remove':
        this.zones.delete(c.zoneId);
        break;
      case 'rule.add':
        if (this.keepRules) this.rules.push(c.rule);
        this.ruleCount++;
        break;
      case 'rule.remove':
        if (this.keepRules) {
          this.rules = this.rules.filter(
            (r) => !(r.id === c.rule.id && r.match === c.rule.match && r.url === c.rule.url),
          );
          this.ruleCount = this.rules.length;
        } else this.ruleCount = Math.max(0, this.ruleCount - 1);
        break;
      case 'purge':
        break;
    }
    this.version = c.version;
  }
}

async function startInProcessNode(o: EdgeNodeOptions): Promise<EdgeNode> {
  const registry = new Registry();
  const model = new NodeModel(o.snapshot, false);
  // Compiled before the runtime listens: no request is ever served without the rules.
  const compiled = o.rulesFile === undefined ? undefined : await compileRulesFile(o.rulesFile);
  if (compiled) model.setRuleCount(compiled.count);
  const rt: WorkerRuntime = await startWorkerRuntime({
    config: o.config,
    index: 0,
    workers: 1,
    snapshot: o.snapshot,
    ...(compiled ? { ruleSet: compiled } : {}),
    logger: o.logger,
    registry,
  });
  new Gauge({
    name: 'edgeward_workers_up',
    help: 'Serving processes up.',
    registers: [registry],
    collect() {
      this.set(1);
    },
  });
  let closed: Promise<void> | null = null;
  return {
    address: rt.address,
    workersExpected: 1,
    workersUp: () => (closed ? 0 : 1),
    setRules: async (rules) => {
      model.setRules(rules);
      rt.setRules(rules);
    },
    loadRules: async (path) => {
      const { set, count } = await compileRulesFile(path);
      model.setRuleCount(count);
      rt.setRuleSet(set, count);
      return count;
    },
    purge: async (p) => rt.purge(p),
    replaceState: async (s, { gap }) => {
      model.replace(s);
      rt.replaceState(s, gap);
    },
    applyChange: async (c) => {
      model.apply(c);
      rt.applyChange(c);
    },
    stats: async () => [rt.stats()],
    summary: () => model.summary(),
    metrics: async () => ({ contentType: registry.contentType, text: await registry.metrics() }),
    close: () => (closed ??= rt.close()),
  };
}

interface Slot {
  index: number;
  worker: Worker | null;
  ready: boolean;
  /** Restarts in a row that died before serving; slows a crash loop down. */
  crashes: number;
  /** Purges broadcast while this slot had no serving worker: its disk cache must still see them. */
  missedPurges: PurgeRequest[] | 'all';
}

/** Past this many missed purges a restarting worker drops its whole cache instead of replaying them. */
const MAX_MISSED_PURGES = 10_000;

const REQUEST_TIMEOUT_MS = 60_000;
/** Failures that mean "this worker is gone", not "the request was wrong". */
const LOST_WORKER = new Set(['worker_exited', 'worker_timeout']);

async function startClusterNode(o: EdgeNodeOptions, workers: number): Promise<EdgeNode> {
  const { logger } = o;
  const model = new NodeModel(o.snapshot, true);
  // Rules files are copied here and compiled by each worker; removed when the node stops.
  const rulesDir = await mkdtemp(join(tmpdir(), 'edgeward-rules-'));
  /** Makes a checked copy of a rules file the model's rules; returns the copy it replaces, to remove later. */
  const useRulesFile = async (path: string): Promise<{ count: number; previous: string | null }> => {
    const { copy, count } = await copyCheckedRulesFile(path, rulesDir);
    const previous = model.rulesFile;
    model.setRulesFile(copy, count);
    return { count, previous };
  };
  try {
    if (o.rulesFile !== undefined) await useRulesFile(o.rulesFile);
  } catch (e) {
    await rm(rulesDir, { recursive: true, force: true });
    throw e;
  }
  cluster.setupPrimary({
    exec: fileURLToPath(new URL('./cluster-worker-main.js', import.meta.url)),
    args: [],
    serialization: 'advanced',
  });
  const aggregator = new AggregatorRegistry();
  const primaryRegistry = new Registry();
  const slots: Slot[] = Array.from({ length: workers }, (_, index) => ({
    index,
    worker: null,
    ready: false,
    crashes: 0,
    missedPurges: [],
  }));
  const addMissed = (s: Slot, p: PurgeRequest | 'all'): void => {
    if (p === 'all' || s.missedPurges === 'all' || s.missedPurges.length >= MAX_MISSED_PURGES)
      s.missedPurges = 'all';
    else s.missedPurges.push(p);
  };
  const recordMissed = (p: PurgeRequest | 'all'): void => {
    for (const s of slots) if (!s.ready) addMissed(s, p);
  };
  new Gauge({
    name: 'edgeward_workers_up',
    help: 'Serving processes up.',
    registers: [primaryRegistry],
    collect() {
      this.set(slots.filter((s) => s.ready).length);
    },
  });
  let nextId = 1;
  const pending = new Map<
    number,
    { resolve: (v: unknown) => void; reject: (e: Error) => void; timer: NodeJS.Timeout; worker: Worker }
  >();
  let shuttingDown = false;
  let address: AddressInfo | null = null;

  const request = <K extends WorkerRequest['op']>(
    w: Worker,
    req: Extract<WorkerRequest, { op: K }>,
  ): Promise<WorkerReplies[K]> =>
    new Promise((resolve, reject) => {
      const id = nextId++;
      const timer = setTimeout(() => {
        pending.delete(id);
        reject(
          new EdgewardError(
            'worker_timeout',
            `worker ${w.process.pid} did not answer ${req.op} within ${REQUEST_TIMEOUT_MS} ms`,
          ),
        );
      }, REQUEST_TIMEOUT_MS);
      pending.set(id, { resolve: resolve as (v: unknown) => void, reject, timer, worker: w });
      const msg = { tag: MESSAGE_TAG, id, ...req } as PrimaryToWorker;
      w.send(msg, (e: Error | null) => {
        if (e && pending.delete(id)) {
          clearTimeout(timer);
          reject(
            new EdgewardError('worker_exited', `cannot reach worker ${w.process.pid}: ${e.message}`, {
              cause: e,
            }),
          );
        }
      });
    });

  /** The first fresh copy any other serving worker holds (they are asked at once), or null. */
  const askOthers = async (
    from: Slot,
    primaryKey: string,
    headers: IncomingHttpHeaders,
  ): Promise<SiblingCopy | null> => {
    const others = slots.filter((s) => s !== from && s.ready && s.worker !== null);
    if (others.length === 0) return null;
    const asked = others.map((s) =>
      request(s.worker!, { op: 'sibling-copy', primaryKey, headers }).then(
        (copy) => copy ?? Promise.reject(new Error('none')),
      ),
    );
    try {
      return await Promise.any(asked);
    } catch {
      return null; // nobody had it (or a worker failed to answer: the miss goes to the origin)
    }
  };

  const failPendingOf = (w: Worker, why: string): void => {
    for (const [id, p] of pending) {
      if (p.worker !== w) continue;
      clearTimeout(p.timer);
      pending.delete(id);
      p.reject(new EdgewardError('worker_exited', why));
    }
  };

  /** Forks the worker for a slot; resolves when it serves. */
  const fork = (slot: Slot): Promise<void> =>
    new Promise((resolve, reject) => {
      const w = cluster.fork({ EDGEWARD_WORKER_INDEX: String(slot.index) });
      slot.worker = w;
      slot.ready = false;
      let started = false;
      w.on('message', (msg: unknown) => {
        if (!isNodeMessage(msg)) return;
        const m = msg as WorkerToPrimary;
        if (m.kind === 'hello') {
          const missedPurges = slot.missedPurges;
          slot.missedPurges = [];
          const generation = model.generation;
          request(w, {
            op: 'init',
            config: o.config,
            index: slot.index,
            workers,
            snapshot: model.snapshot(),
            ...model.rulesFileField(),
            missedPurges,
          }).then(
            (r) => {
              started = true;
              slot.ready = true;
              // Configuration that changed while this worker was starting was not broadcast to it.
              if (model.generation !== generation) {
                request(w, {
                  op: 'replace-state',
                  snapshot: model.snapshot(),
                  gap: false,
                  ...model.rulesFileField(),
                }).catch((e: unknown) =>
                  logger.error({ err: e, worker: slot.index }, 'bringing a new worker up to date failed'),
                );
              }
              // Purges broadcast while this worker was starting did not reach it: apply them now.
              const late = slot.missedPurges;
              slot.missedPurges = [];
              if (late === 'all') {
                for (const z of model.zones.keys())
                  void request(w, { op: 'purge', purge: { zone: z, kind: 'zone', soft: false } }).catch(
                    (e: unknown) => logger.error({ err: e }, 'late purge failed'),
                  );
              } else {
                for (const p of late)
                  void request(w, { op: 'purge', purge: p }).catch((e: unknown) =>
                    logger.warn({ err: e, purge: p }, 'late purge failed'),
                  );
              }
              address ??= {
                address: r.address,
                port: r.port,
                family: r.address.includes(':') ? 'IPv6' : 'IPv4',
              };
              logger.info({ worker: slot.index, pid: w.process.pid }, 'worker serving');
              resolve();
            },
            (e: Error) => {
              // Not applied: keep them for the next attempt.
              slot.missedPurges =
                missedPurges === 'all' || slot.missedPurges === 'all'
                  ? 'all'
                  : [...missedPurges, ...slot.missedPurges];
              reject(e);
            },
          );
          return;
        }
        if (m.kind === 'ask') {
          void askOthers(slot, m.primaryKey, m.headers).then((value) => {
            if (w.isConnected()) w.send({ tag: MESSAGE_TAG, op: 'answer', id: m.id, value });
          });
          return;
        }
        const p = pending.get(m.id);
        if (!p) return;
        clearTimeout(p.timer);
        pending.delete(m.id);
        if (m.ok) p.resolve(m.value);
        else
          p.reject(
            new EdgewardError(
              m.error.code,
              m.error.message,
              m.error.field === undefined ? {} : { field: m.error.field },
            ),
          );
      });
      w.on('exit', (code, signal) => {
        slot.ready = false;
        failPendingOf(w, `worker ${slot.index} exited (code ${code}, signal ${signal})`);
        if (slot.worker === w) slot.worker = null;
        if (!started) {
          reject(
            new EdgewardError(
              'worker_failed',
              `worker ${slot.index} exited before serving (code ${code}, signal ${signal})`,
            ),
          );
          return;
        }
        if (shuttingDown) return;
        slot.crashes = code === 0 ? 0 : slot.crashes + 1;
        const delay = Math.min(30_000, 250 * 2 ** Math.min(slot.crashes, 7));
        logger.error(
          { worker: slot.index, code, signal, restartInMs: delay },
          'worker exited; restarting it',
        );
        setTimeout(() => {
          if (shuttingDown) return;
          fork(slot).then(
            () => {
              slot.crashes = 0;
            },
            (e: unknown) => logger.error({ err: e, worker: slot.index }, 'restarting a worker failed'),
          );
        }, delay).unref();
      });
    });

  const live = (): Worker[] => slots.filter((s) => s.ready && s.worker).map((s) => s.worker!);
  const broadcast = async <K extends WorkerRequest['op']>(
    req: Extract<WorkerRequest, { op: K }>,
  ): Promise<WorkerReplies[K][]> => {
    // A worker lost mid-broadcast is not a failure of the operation: the model already holds it and a restarted
    // worker is initialised from the model.
    const results = await Promise.allSettled(live().map((w) => request<K>(w, req)));
    const values: WorkerReplies[K][] = [];
    for (const r of results) {
      if (r.status === 'fulfilled') values.push(r.value);
      else if (!(r.reason instanceof EdgewardError && LOST_WORKER.has(r.reason.code))) throw r.reason;
    }
    return values;
  };

  const shutdown = async (): Promise<void> => {
    shuttingDown = true;
    const exits = slots
      .filter((s) => s.worker)
      .map(
        (s) =>
          new Promise<void>((resolve) => {
            const w = s.worker!;
            if (w.isDead()) return resolve();
            w.once('exit', () => resolve());
            request(w, { op: 'shutdown' }).catch((e: unknown) => {
              // The worker may exit before its reply is read; only a live worker that did not answer needs a signal.
              if (w.isDead()) return;
              logger.warn({ err: e, worker: s.index }, 'shutdown request failed; terminating the worker');
              w.process.kill('SIGTERM');
            });
          }),
      );
    await Promise.all(exits);
    await rm(rulesDir, { recursive: true, force: true });
  };

  try {
    await Promise.all(slots.map((s) => fork(s)));
  } catch (e) {
    await shutdown();
    throw e;
  }

  let closed: Promise<void> | null = null;
  return {
    address: address!,
    workersExpected: workers,
    workersUp: () => slots.filter((s) => s.ready).length,
    setRules: async (rules) => {
      const previous = model.rulesFile;
      model.setRules(rules);
      await broadcast<'set-rules'>({ op: 'set-rules', rules });
      if (previous !== null) await rm(previous, { force: true });
    },
    loadRules: async (path) => {
      // A bad file throws here, before any worker is asked: the rules in force stay everywhere.
      const { count, previous } = await useRulesFile(path);
      await broadcast<'load-rules-file'>({ op: 'load-rules-file', path: model.rulesFile! });
      if (previous !== null) await rm(previous, { force: true });
      return count;
    },
    purge: async (p) => {
      recordMissed(p);
      const targets = slots.filter((sl) => sl.ready && sl.worker);
      const results = await Promise.allSettled(
        targets.map((sl) => request<'purge'>(sl.worker!, { op: 'purge', purge: p })),
      );
      let purged = 0;
      let failure: unknown = null;
      results.forEach((r, i) => {
        if (r.status === 'fulfilled') purged += r.value.purged;
        else if (r.reason instanceof EdgewardError && LOST_WORKER.has(r.reason.code))
          addMissed(targets[i]!, p);
        else failure ??= r.reason;
      });
      // Invalid purges (unknown zone) fail the same way in every worker: report it.
      if (failure !== null) throw failure;
      return purged;
    },
    replaceState: async (snapshot, { gap }) => {
      if (gap) recordMissed('all');
      const previous = model.rulesFile;
      model.replace(snapshot);
      await broadcast<'replace-state'>({ op: 'replace-state', snapshot, gap });
      if (previous !== null) await rm(previous, { force: true });
    },
    applyChange: async (change) => {
      if (change.kind === 'purge') recordMissed(change.purge);
      model.apply(change);
      await broadcast<'apply-change'>({ op: 'apply-change', change });
    },
    // A worker dying mid-question must not hide the others' answers (healthz).
    stats: async () =>
      (await Promise.allSettled(live().map((w) => request<'stats'>(w, { op: 'stats' }))))
        .filter((r): r is PromiseFulfilledResult<WorkerStats> => r.status === 'fulfilled')
        .map((r) => r.value),
    summary: () => model.summary(),
    metrics: async () => {
      const [workersText, primaryText] = await Promise.all([
        aggregator.clusterMetrics(),
        primaryRegistry.metrics(),
      ]);
      return { contentType: aggregator.contentType, text: `${workersText.trimEnd()}\n${primaryText}` };
    },
    close: () => (closed ??= shutdown()),
  };
}
