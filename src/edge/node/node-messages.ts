import type { ConfigChange, EdgeSnapshot, PurgeRequest } from '../../shared/config/config-change.js';
import type { BlockRule } from '../../shared/rules/block-rule.js';
import type { EdgeConfig } from '../config/edge-config.js';

/**
 * The cluster primary <-> worker protocol (over the IPC channel, 'advanced' serialization). The primary owns the
 * configuration; a worker only ever holds what the primary last sent it, so a restarted worker is brought to the
 * current state with one 'init'. Every request carries an id and gets exactly one reply.
 */
export const MESSAGE_TAG = 'edgeward-node';

export type WorkerRequest =
  | {
      op: 'init';
      config: EdgeConfig;
      index: number;
      workers: number;
      snapshot: EdgeSnapshot;
      /** Purges this worker's cache missed while it was down, applied before it serves; 'all' = drop everything. */
      missedPurges: readonly PurgeRequest[] | 'all';
    }
  | { op: 'replace-state'; snapshot: EdgeSnapshot; gap: boolean }
  | { op: 'apply-change'; change: ConfigChange }
  /** Replaces the block rules only (rules file reload); zones stay. */
  | { op: 'set-rules'; rules: readonly BlockRule[] }
  | { op: 'purge'; purge: PurgeRequest }
  | { op: 'stats' }
  | { op: 'shutdown' };

export interface WorkerStats {
  readonly pid: number;
  readonly rules: number;
  readonly version: number;
  readonly objects: number;
}

/** What each op answers with. */
export interface WorkerReplies {
  init: { port: number; address: string };
  'replace-state': null;
  'apply-change': null;
  'set-rules': { rules: number };
  purge: { purged: number };
  stats: WorkerStats;
  shutdown: null;
}

export type PrimaryToWorker = { tag: typeof MESSAGE_TAG; id: number } & WorkerRequest;

export type WorkerToPrimary =
  | { tag: typeof MESSAGE_TAG; kind: 'hello' }
  | { tag: typeof MESSAGE_TAG; kind: 'reply'; id: number; ok: true; value: unknown }
  | {
      tag: typeof MESSAGE_TAG;
      kind: 'reply';
      id: number;
      ok: false;
      error: { code: string; message: string; field?: string };
    };

export function isNodeMessage(m: unknown): m is { tag: typeof MESSAGE_TAG } {
  return typeof m === 'object' && m !== null && (m as { tag?: unknown }).tag === MESSAGE_TAG;
}
