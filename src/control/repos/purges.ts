import type { PurgeKind } from '../../shared/config/config-change.js';
import type { PurgeRow } from '../db/schema.js';
import type { Executor } from '../db/transact.js';
import { nowIso } from './row-values.js';

export interface Purge {
  id: number;
  zoneId: string | null;
  kind: PurgeKind;
  value: string | null;
  soft: boolean;
  requestedBy: string;
  createdAt: string;
  /** The config_changes version that carried it to the edges. */
  configVersion: number;
}

export function purgeFromRow(row: PurgeRow): Purge {
  return {
    id: Number(row.id),
    zoneId: row.zone_id,
    kind: row.kind,
    value: row.value,
    soft: Number(row.soft) === 1,
    requestedBy: row.requested_by,
    createdAt: row.created_at,
    configVersion: Number(row.config_version),
  };
}

export async function insertPurge(
  db: Executor,
  p: {
    zoneId: string | null;
    kind: PurgeKind;
    value: string | null;
    soft: boolean;
    requestedBy: string;
    configVersion: number;
  },
): Promise<Purge> {
  const row = await db
    .insertInto('purges')
    .values({
      zone_id: p.zoneId,
      kind: p.kind,
      value: p.value,
      soft: p.soft ? 1 : 0,
      requested_by: p.requestedBy,
      created_at: nowIso(),
      config_version: p.configVersion,
    })
    .returningAll()
    .executeTakeFirstOrThrow();
  return purgeFromRow(row);
}

/** Newest first. */
export async function listPurges(
  db: Executor,
  q: { zoneId?: string; limit?: number } = {},
): Promise<Purge[]> {
  let query = db.selectFrom('purges').selectAll();
  if (q.zoneId !== undefined) query = query.where('zone_id', '=', q.zoneId);
  const rows = await query
    .orderBy('id', 'desc')
    .limit(Math.min(Math.max(1, q.limit ?? 100), 1000))
    .execute();
  return rows.map(purgeFromRow);
}
