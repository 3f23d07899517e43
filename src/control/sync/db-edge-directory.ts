import type { Kysely } from 'kysely';
import type { Database, EdgeRow } from '../db/schema.js';
import type { EdgeDirectory, EdgeRecord } from './edge-directory.js';

/** The edges table (see src/control/db/schema.ts). Timestamps are ISO text there, ms here. */
export function dbEdgeDirectory(db: Kysely<Database>): EdgeDirectory {
  return {
    async register(input, now) {
      const at = new Date(now).toISOString();
      // One statement, so two registrations of one name race safely on both databases.
      const row = await db
        .insertInto('edges')
        .values({
          name: input.name,
          region: input.region,
          country: input.country,
          registered_at: at,
          last_seen_at: at,
        })
        .onConflict((oc) =>
          oc.column('name').doUpdateSet({ region: input.region, country: input.country, last_seen_at: at }),
        )
        .returningAll()
        .executeTakeFirstOrThrow();
      return edgeRecord(row);
    },
    async ack(edgeId, version, now) {
      const id = Number(edgeId);
      if (!Number.isSafeInteger(id)) return null;
      const at = new Date(now).toISOString();
      const row = await db
        .updateTable('edges')
        .set({ applied_version: version, acked_at: at, last_seen_at: at })
        .where('id', '=', id)
        .returningAll()
        .executeTakeFirst();
      return row ? edgeRecord(row) : null;
    },
    async ackMany(acks) {
      if (acks.length === 0) return;
      await db.transaction().execute(async (trx) => {
        for (const a of acks) {
          const id = Number(a.edgeId);
          if (!Number.isSafeInteger(id)) continue;
          const at = new Date(a.at).toISOString();
          await trx
            .updateTable('edges')
            .set({ applied_version: a.version, acked_at: at, last_seen_at: at })
            .where('id', '=', id)
            .execute();
        }
      });
    },
    async list() {
      const rows = await db.selectFrom('edges').selectAll().orderBy('name').execute();
      return rows.map(edgeRecord);
    },
  };
}

export function edgeRecord(row: EdgeRow): EdgeRecord {
  return {
    id: String(row.id),
    name: row.name,
    region: row.region,
    country: row.country,
    appliedVersion: Number(row.applied_version),
    registeredAt: Date.parse(row.registered_at),
    lastSeenAt: row.last_seen_at === null ? null : Date.parse(row.last_seen_at),
    ackedAt: row.acked_at === null ? null : Date.parse(row.acked_at),
  };
}
