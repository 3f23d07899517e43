import type { ConfigChange, EdgeSnapshot, PurgeRequest } from '../../shared/config/config-change.js';
import type { BlockRule } from '../../shared/rules/block-rule.js';
import type { IncomingHttpHeaders } from 'node:http';
import type { EdgeConfig } from '../config/edge-config.js';
import type { SiblingCopy } from '../proxy/sibling-copy.js';

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
      /**
       * The rules come from this file (the primary's private copy of a rules file), compiled by the worker itself,
       * instead of from snapshot.rules: a million rules sent as objects cost every process hundreds of megabytes.
       */
      rulesFile?: string;
    }
  | { op: 'replace-state'; snapshot: EdgeSnapshot; gap: boolean; rulesFile?: string }
  /** Replaces the block rules with those of this file (the primary's checked private copy); zones stay. */
  | { op: 'load-rules-file'; path: string }
  | { op: 'apply-change'; change: ConfigChange }
  /** Replaces the block rules only (rules file reload); zones stay. */
  | { op: 'set-rules'; rules: readonly BlockRule[] }
  | { op: 'purge'; purge: PurgeRequest }
  | { op: 'stats' }
  /** A sibling missed this key: a fresh copy of the variant its request selects, if this worker holds one. */
  | { op: 'sibling-copy'; primaryKey: string; headers: IncomingHttpHeaders }
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
  'load-rules-file': { rules: number };
  purge: { purged: number };
  stats: WorkerStats;
  'sibling-copy': SiblingCopy | null;
  shutdown: null;
}

export type PrimaryToWorker =
  | ({ tag: typeof MESSAGE_TAG; id: number } & WorkerRequest)
  /** The answer to a worker's 'ask'. */
  | { tag: typeof MESSAGE_TAG; op: 'answer'; id: number; value: SiblingCopy | null };

export type WorkerToPrimary =
  | { tag: typeof MESSAGE_TAG; kind: 'hello' }
  /** A worker's miss: the primary asks the other workers for a copy (op 'sibling-copy') and answers. */
  | { tag: typeof MESSAGE_TAG; kind: 'ask'; id: number; primaryKey: string; headers: IncomingHttpHeaders }
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
