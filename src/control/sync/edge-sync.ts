import type { Kysely } from 'kysely';
import type { Logger } from 'pino';
import type { Registry } from 'prom-client';
import type { EdgeSnapshot } from '../../shared/config/config-change.js';
import { buildEdgeSnapshot } from '../changes/edge-snapshot.js';
import type { Database } from '../db/schema.js';
import { ChangeFeed, type ChangeSource } from './change-feed.js';
import { dbChangeSource, type CommitSignal } from './db-change-source.js';
import { dbEdgeDirectory } from './db-edge-directory.js';
import type { EdgeDirectory } from './edge-directory.js';
import { PropagationTracker } from './propagation-tracker.js';

export interface EdgeSyncDeps {
  source: ChangeSource;
  /** A snapshot consistent with its version (buildEdgeSnapshot). */
  snapshot(): Promise<EdgeSnapshot>;
  directory: EdgeDirectory;
  registry: Registry;
  logger: Logger;
  pollIntervalMs?: number;
  /** Default 30 s: three missed edge heartbeats (every 10 s). */
  liveWindowMs?: number;
}

/** The control plane's live-configuration machinery, one per process: change feed, edge directory, metrics. */
export interface EdgeSync {
  readonly feed: ChangeFeed;
  readonly tracker: PropagationTracker;
  readonly deps: EdgeSyncDeps;
  stop(): void;
}

export async function startEdgeSync(deps: EdgeSyncDeps): Promise<EdgeSync> {
  const feed = new ChangeFeed({
    source: deps.source,
    logger: deps.logger,
    pollIntervalMs: deps.pollIntervalMs ?? 1000,
  });
  await feed.start();
  const tracker = new PropagationTracker({
    feed,
    registry: deps.registry,
    liveWindowMs: deps.liveWindowMs ?? 30_000,
  });
  tracker.load(await deps.directory.list());
  return { feed, tracker, deps, stop: () => feed.stop() };
}

/**
 * The control plane's wiring: the change log, snapshots and the edges table of `db`, woken by the notifier the
 * services fire after each commit. Register `controlSyncRoutes` with the result; call `stop()` on close.
 */
export function startDbEdgeSync(o: {
  db: Kysely<Database>;
  notifier: CommitSignal | null;
  registry: Registry;
  logger: Logger;
  pollIntervalMs?: number;
  liveWindowMs?: number;
}): Promise<EdgeSync> {
  return startEdgeSync({
    source: dbChangeSource(o.db, o.notifier),
    snapshot: () => buildEdgeSnapshot(o.db),
    directory: dbEdgeDirectory(o.db),
    registry: o.registry,
    logger: o.logger,
    ...(o.pollIntervalMs === undefined ? {} : { pollIntervalMs: o.pollIntervalMs }),
    ...(o.liveWindowMs === undefined ? {} : { liveWindowMs: o.liveWindowMs }),
  });
}
