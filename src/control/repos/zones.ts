import type { ZoneCacheSettings, ZoneConfig, ZoneState } from '../../shared/config/zone-config.js';
import type { Executor } from '../db/transact.js';
import type { ZoneHostnameRow, ZoneRow, ZoneStateChangeRow } from '../db/schema.js';
import { definedOnly, nowIso, parseJsonColumn } from './row-values.js';

export interface Zone {
  id: string;
  customerId: number;
  name: string;
  state: ZoneState;
  origins: string[];
  originHost: string | null;
  cache: ZoneCacheSettings;
  createdAt: string;
  updatedAt: string;
}

export interface ZoneHostname {
  id: number;
  zoneId: string;
  hostname: string;
  verificationToken: string;
  verificationMethod: 'http' | 'dns' | null;
  verifiedAt: string | null;
}

export interface ZoneStateChange {
  id: number;
  zoneId: string;
  fromState: ZoneState | null;
  toState: ZoneState;
  actor: string;
  reason: string | null;
  at: string;
}

/** Zone states an edge must know about (suspended ones so it can refuse them). */
export const EDGE_VISIBLE_ZONE_STATES: readonly ZoneState[] = ['pending', 'active', 'suspended'];

export function zoneFromRow(row: ZoneRow): Zone {
  return {
    id: row.id,
    customerId: Number(row.customer_id),
    name: row.name,
    state: row.state,
    origins: parseJsonColumn<string[]>(row.origins, 'zones.origins'),
    originHost: row.origin_host,
    cache: parseJsonColumn<ZoneCacheSettings>(row.cache_settings, 'zones.cache_settings'),
    createdAt: row.created_at,
    updatedAt: row.updated_at,
  };
}

export function zoneHostnameFromRow(row: ZoneHostnameRow): ZoneHostname {
  return {
    id: Number(row.id),
    zoneId: row.zone_id,
    hostname: row.hostname,
    verificationToken: row.verification_token,
    verificationMethod: row.verification_method,
    verifiedAt: row.verified_at,
  };
}

function zoneStateChangeFromRow(row: ZoneStateChangeRow): ZoneStateChange {
  return {
    id: Number(row.id),
    zoneId: row.zone_id,
    fromState: row.from_state,
    toState: row.to_state,
    actor: row.actor,
    reason: row.reason,
    at: row.at,
  };
}

/**
 * The zone as edges see it: only VERIFIED hostnames (an unproven hostname must never route to the origin).
 * Used by both the snapshot and the zone.upsert change bodies, so they always agree.
 */
export function zoneConfigOf(zone: Zone, hostnames: readonly ZoneHostname[]): ZoneConfig {
  return {
    id: zone.id,
    hostnames: hostnames
      .filter((h) => h.verifiedAt !== null)
      .map((h) => h.hostname)
      .sort(),
    origins: [...zone.origins],
    ...(zone.originHost === null ? {} : { originHost: zone.originHost }),
    state: zone.state,
    cache: { ...zone.cache },
  };
}

export interface NewZone {
  id: string;
  customerId: number;
  name: string;
  state?: ZoneState;
  origins: string[];
  originHost?: string | null;
  cache: ZoneCacheSettings;
}

export async function insertZone(db: Executor, z: NewZone): Promise<Zone> {
  const at = nowIso();
  const row = await db
    .insertInto('zones')
    .values({
      id: z.id,
      customer_id: z.customerId,
      name: z.name,
      state: z.state ?? 'pending',
      origins: JSON.stringify(z.origins),
      origin_host: z.originHost ?? null,
      cache_settings: JSON.stringify(z.cache),
      created_at: at,
      updated_at: at,
    })
    .returningAll()
    .executeTakeFirstOrThrow();
  return zoneFromRow(row);
}

export async function getZone(db: Executor, id: string): Promise<Zone | undefined> {
  const row = await db.selectFrom('zones').selectAll().where('id', '=', id).executeTakeFirst();
  return row ? zoneFromRow(row) : undefined;
}

export async function listZones(
  db: Executor,
  q: { customerId?: number; states?: readonly ZoneState[] } = {},
): Promise<Zone[]> {
  let query = db.selectFrom('zones').selectAll();
  if (q.customerId !== undefined) query = query.where('customer_id', '=', q.customerId);
  if (q.states !== undefined) {
    if (q.states.length === 0) return [];
    query = query.where('state', 'in', [...q.states]);
  }
  const rows = await query.orderBy('created_at').orderBy('id').execute();
  return rows.map(zoneFromRow);
}

export interface ZonePatch {
  name?: string;
  state?: ZoneState;
  origins?: string[];
  originHost?: string | null;
  cache?: ZoneCacheSettings;
}

/** Updates the given fields (and updated_at); undefined when there is no such zone. */
export async function updateZone(db: Executor, id: string, p: ZonePatch): Promise<Zone | undefined> {
  const row = await db
    .updateTable('zones')
    .set({
      ...definedOnly({
        name: p.name,
        state: p.state,
        origins: p.origins === undefined ? undefined : JSON.stringify(p.origins),
        cache_settings: p.cache === undefined ? undefined : JSON.stringify(p.cache),
      }),
      ...(p.originHost === undefined ? {} : { origin_host: p.originHost }),
      updated_at: nowIso(),
    })
    .where('id', '=', id)
    .returningAll()
    .executeTakeFirst();
  return row ? zoneFromRow(row) : undefined;
}

export async function insertZoneHostname(
  db: Executor,
  h: { zoneId: string; hostname: string; verificationToken: string },
): Promise<ZoneHostname> {
  const row = await db
    .insertInto('zone_hostnames')
    .values({
      zone_id: h.zoneId,
      hostname: h.hostname.toLowerCase(),
      verification_token: h.verificationToken,
      verification_method: null,
      verified_at: null,
    })
    .returningAll()
    .executeTakeFirstOrThrow();
  return zoneHostnameFromRow(row);
}

export async function listZoneHostnames(db: Executor, zoneId: string): Promise<ZoneHostname[]> {
  const rows = await db
    .selectFrom('zone_hostnames')
    .selectAll()
    .where('zone_id', '=', zoneId)
    .orderBy('hostname')
    .execute();
  return rows.map(zoneHostnameFromRow);
}

export async function getZoneHostname(db: Executor, hostname: string): Promise<ZoneHostname | undefined> {
  const row = await db
    .selectFrom('zone_hostnames')
    .selectAll()
    .where('hostname', '=', hostname.toLowerCase())
    .executeTakeFirst();
  return row ? zoneHostnameFromRow(row) : undefined;
}

export async function markZoneHostnameVerified(
  db: Executor,
  id: number,
  method: 'http' | 'dns',
): Promise<ZoneHostname | undefined> {
  const row = await db
    .updateTable('zone_hostnames')
    .set({ verification_method: method, verified_at: nowIso() })
    .where('id', '=', id)
    .returningAll()
    .executeTakeFirst();
  return row ? zoneHostnameFromRow(row) : undefined;
}

export async function deleteZoneHostname(db: Executor, id: number): Promise<boolean> {
  const r = await db.deleteFrom('zone_hostnames').where('id', '=', id).executeTakeFirst();
  return Number(r.numDeletedRows) > 0;
}

export async function insertZoneStateChange(
  db: Executor,
  c: {
    zoneId: string;
    fromState: ZoneState | null;
    toState: ZoneState;
    actor: string;
    reason: string | null;
  },
): Promise<ZoneStateChange> {
  const row = await db
    .insertInto('zone_state_changes')
    .values({
      zone_id: c.zoneId,
      from_state: c.fromState,
      to_state: c.toState,
      actor: c.actor,
      reason: c.reason,
      at: nowIso(),
    })
    .returningAll()
    .executeTakeFirstOrThrow();
  return zoneStateChangeFromRow(row);
}

export async function listZoneStateChanges(db: Executor, zoneId: string): Promise<ZoneStateChange[]> {
  const rows = await db
    .selectFrom('zone_state_changes')
    .selectAll()
    .where('zone_id', '=', zoneId)
    .orderBy('id')
    .execute();
  return rows.map(zoneStateChangeFromRow);
}

/** The zone's ZoneConfig as edges see it now (read through `db`, usually the writing transaction). */
export async function loadZoneConfig(db: Executor, zoneId: string): Promise<ZoneConfig | undefined> {
  const zone = await getZone(db, zoneId);
  if (!zone) return undefined;
  return zoneConfigOf(zone, await listZoneHostnames(db, zoneId));
}
