import { sql, type Kysely } from 'kysely';
import type { Database } from '../db/schema.js';
import { edgeRecord } from './db-edge-directory.js';

/** One edge as operators see it (GET /v1/edges). */
export interface EdgeLag {
  readonly id: string;
  readonly name: string;
  readonly region: string | null;
  readonly country: string | null;
  readonly appliedVersion: number;
  /** Versions behind the newest committed one. */
  readonly lag: number;
  /** Seen (registered, acked, heartbeat) within `liveWindowMs`. */
  readonly live: boolean;
  readonly registeredAt: string;
  readonly lastSeenAt: string | null;
  readonly ackedAt: string | null;
}

/** Every registered edge with how far it lags, most behind first. */
export async function edgeLag(
  db: Kysely<Database>,
  opts: { liveWindowMs?: number; now?: number } = {},
): Promise<{ currentVersion: number; edges: EdgeLag[] }> {
  const liveWindowMs = opts.liveWindowMs ?? 30_000;
  const now = opts.now ?? Date.now();
  const head = await db
    .selectFrom('config_changes')
    .select(sql<number | string | null>`max(version)`.as('v'))
    .executeTakeFirst();
  const currentVersion = Number(head?.v ?? 0);
  const rows = await db.selectFrom('edges').selectAll().execute();
  const edges = rows
    .map((row) => {
      const r = edgeRecord(row);
      return {
        id: r.id,
        name: r.name,
        region: r.region,
        country: r.country,
        appliedVersion: r.appliedVersion,
        lag: Math.max(0, currentVersion - r.appliedVersion),
        live: r.lastSeenAt !== null && now - r.lastSeenAt <= liveWindowMs,
        registeredAt: row.registered_at,
        lastSeenAt: row.last_seen_at,
        ackedAt: row.acked_at,
      };
    })
    .sort((a, b) => b.lag - a.lag || a.name.localeCompare(b.name));
  return { currentVersion, edges };
}
