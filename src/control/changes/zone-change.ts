import type { ConfigChangeBody } from '../../shared/config/config-change.js';
import type { ZoneState } from '../../shared/config/zone-config.js';
import type { Executor } from '../db/transact.js';
import { EDGE_VISIBLE_ZONE_STATES, loadZoneConfig } from '../repos/zones.js';

/**
 * The change that tells edges a zone's current state, read in the writing transaction after the table writes:
 * zone.upsert while the zone is visible to edges (pending/active/suspended), zone.remove once it is terminated or
 * gone. Services call this for every zone write so the change log always matches buildEdgeSnapshot.
 */
export async function zoneChangeFor(trx: Executor, zoneId: string): Promise<ConfigChangeBody> {
  const zone = await loadZoneConfig(trx, zoneId);
  if (zone === undefined || !EDGE_VISIBLE_ZONE_STATES.includes(zone.state as ZoneState)) {
    return { kind: 'zone.remove', zoneId };
  }
  return { kind: 'zone.upsert', zone };
}
