import type { Kysely } from 'kysely';
import type { EdgeSnapshot } from '../../shared/config/config-change.js';
import type { Database } from '../db/schema.js';
import { readConsistent } from '../db/transact.js';
import { blockRuleOf, listBlockRules } from '../repos/block-rules.js';
import {
  EDGE_VISIBLE_ZONE_STATES,
  listZones,
  zoneConfigOf,
  zoneHostnameFromRow,
  type ZoneHostname,
} from '../repos/zones.js';
import { currentConfigVersion } from './config-change-log.js';

/**
 * What an edge needs, read from the tables in one consistent view together with the version it corresponds to:
 * zones that are pending, active or suspended (edges refuse suspended ones, so they must know them) with only their
 * verified hostnames, and every active block rule. Applying changesSince(snapshot.version) to it gives the state at
 * any later version, because every table write that an edge can see is committed with its config change.
 */
export async function buildEdgeSnapshot(db: Kysely<Database>): Promise<EdgeSnapshot> {
  return readConsistent(db, async (trx) => {
    const version = await currentConfigVersion(trx);
    const zones = await listZones(trx, { states: EDGE_VISIBLE_ZONE_STATES });
    const hostnameRows = await trx
      .selectFrom('zone_hostnames')
      .selectAll()
      .where('verified_at', 'is not', null)
      .execute();
    const byZone = new Map<string, ZoneHostname[]>();
    for (const row of hostnameRows) {
      const h = zoneHostnameFromRow(row);
      const list = byZone.get(h.zoneId);
      if (list) list.push(h);
      else byZone.set(h.zoneId, [h]);
    }
    const rules = await listBlockRules(trx, { activeOnly: true });
    return {
      version,
      zones: zones.map((z) => zoneConfigOf(z, byZone.get(z.id) ?? [])),
      rules: rules.map(blockRuleOf),
    };
  });
}
