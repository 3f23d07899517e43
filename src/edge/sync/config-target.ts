import type { ConfigChange, EdgeSnapshot } from '../../shared/config/config-change.js';

/**
 * Where an edge's configuration goes once it is persisted: the EdgeState of this process, or (in cluster mode)
 * every worker through the node supervisor. Changes arrive in version order, each exactly once per target.
 */
export interface ConfigTarget {
  /**
   * Replaces the whole configuration. `gap` is true when the snapshot jumps over changes this edge never applied:
   * purges among them are lost, so the target drops every cached object of the affected zones.
   */
  replaceState(snapshot: EdgeSnapshot, opts: { gap: boolean }): void | Promise<void>;
  applyChange(change: ConfigChange): void | Promise<void>;
}
