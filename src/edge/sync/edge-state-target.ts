import type { Logger } from 'pino';
import type { ConfigChange, EdgeSnapshot, PurgeRequest } from '../../shared/config/config-change.js';
import { RuleSet } from '../../shared/rules/rule-set.js';
import type { EdgeState } from '../edge-state.js';
import type { ConfigTarget } from './config-target.js';

/**
 * Applies configuration to one process's EdgeState (and its cache, for purges). Used in-process by a single-process
 * edge and by each cluster worker on the messages the primary forwards.
 */
export function edgeStateTarget(opts: {
  state: EdgeState;
  /** Applies a purge to this process's cache; EdgeServer.applyPurge. Null while no server exists yet. */
  applyPurge: ((p: PurgeRequest) => number) | null;
  logger: Logger;
}): ConfigTarget {
  const { state, logger } = opts;
  const purge = (p: PurgeRequest): void => {
    if (!opts.applyPurge) return;
    try {
      opts.applyPurge(p);
    } catch (e) {
      // A purge naming a zone or URL this edge does not serve has nothing to remove; it must not stop the stream.
      logger.warn({ err: e, purge: p }, 'purge not applicable on this edge');
    }
  };
  return {
    replaceState(snapshot: EdgeSnapshot, { gap }) {
      const before = gap ? [...state.zones()].map((z) => z.id) : [];
      state.rules = RuleSet.from(snapshot.rules);
      state.replaceZones(snapshot.zones);
      state.version = snapshot.version;
      if (gap) {
        const ids = new Set([...before, ...snapshot.zones.map((z) => z.id)]);
        for (const zone of ids) purge({ zone, kind: 'zone', soft: false });
      }
    },
    applyChange(c: ConfigChange) {
      applyChangeToState(state, c, purge);
    },
  };
}

/** One change onto an EdgeState; purges go to `purge`. */
export function applyChangeToState(
  state: EdgeState,
  c: ConfigChange,
  purge: (p: PurgeRequest) => void,
): void {
  switch (c.kind) {
    case 'zone.upsert':
      state.upsertZone(c.zone);
      break;
    case 'zone.remove':
      state.removeZone(c.zoneId);
      break;
    case 'rule.add':
      state.rules.add(c.rule);
      break;
    case 'rule.remove':
      state.rules.remove(c.rule);
      break;
    case 'purge':
      purge(c.purge);
      break;
  }
  state.version = c.version;
}
