import type { Kysely } from 'kysely';
import type { Database } from '../db/schema.js';
import { changesSince, currentConfigVersion } from '../changes/config-change-log.js';
import type { ChangeSource } from './change-feed.js';

/** Anything that says "a configuration change was committed" (ConfigChangeNotifier fits). */
export interface CommitSignal {
  subscribe(listener: () => void): () => void;
}

/** The config_changes table as the change feed reads it; `signal` wakes the feed at once after a commit. */
export function dbChangeSource(db: Kysely<Database>, signal: CommitSignal | null): ChangeSource {
  return {
    changesSince: (version, limit) => changesSince(db, version, limit),
    currentVersion: () => currentConfigVersion(db),
    onCommitted: (listener) => (signal ? signal.subscribe(listener) : () => undefined),
  };
}
