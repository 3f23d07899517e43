import { actorOf, type Principal } from '../auth/principal.js';
import type { PurgeKind } from '../../shared/config/config-change.js';
import { insertPurge, listPurges } from '../repos/purges.js';
import { getZone, listZoneHostnames } from '../repos/zones.js';
import { assertCustomerVisible } from './access.js';
import { runWrite, type ServiceDeps } from './service-deps.js';
import { conflict, invalid, notFound } from './service-errors.js';

/** The API says 'everything'; edges call a whole-zone purge 'zone'. */
export type PurgeApiKind = 'url' | 'prefix' | 'tag' | 'everything';

export interface PurgeInput {
  kind: PurgeApiKind;
  value?: string;
  soft?: boolean;
}

/** Validates the value against the zone (a URL or prefix must be on one of the zone's hostnames). */
function checkValue(
  kind: PurgeApiKind,
  value: string | undefined,
  hostnames: readonly string[],
): string | null {
  if (kind === 'everything') {
    if (value !== undefined) throw invalid('a purge of everything takes no value', 'value');
    return null;
  }
  if (value === undefined || value === '') throw invalid(`a ${kind} purge needs a value`, 'value');
  if (kind === 'tag') {
    if (/\s|,/.test(value) || value.length > 1024) throw invalid('a tag has no spaces or commas', 'value');
    return value;
  }
  let u: URL;
  try {
    u = new URL(value);
  } catch {
    throw invalid('value must be an absolute http(s) URL', 'value');
  }
  if (u.protocol !== 'http:' && u.protocol !== 'https:')
    throw invalid('value must be an http(s) URL', 'value');
  if (!hostnames.includes(u.hostname.toLowerCase()))
    throw invalid(`${u.hostname} is not a hostname of this zone`, 'value');
  return value;
}

/** Records the purge and relays it to every edge (a 'purge' config change in the same transaction). */
export async function purgeZone(deps: ServiceDeps, actor: Principal, zoneId: string, input: PurgeInput) {
  return runWrite(deps, async (w) => {
    const zone = await getZone(w.trx, zoneId);
    if (!zone) throw notFound('zone');
    assertCustomerVisible(actor, zone.customerId, 'zone');
    if (zone.state === 'terminated')
      throw conflict('invalid_state', 'a terminated zone has nothing cached', 'state');
    const hostnames = (await listZoneHostnames(w.trx, zoneId)).map((h) => h.hostname);
    const value = checkValue(input.kind, input.value, hostnames);
    const kind: PurgeKind = input.kind === 'everything' ? 'zone' : input.kind;
    const soft = input.soft ?? false;
    const change = await w.change({
      kind: 'purge',
      purge: { zone: zoneId, kind, ...(value === null ? {} : { value }), soft },
    });
    const purge = await insertPurge(w.trx, {
      zoneId,
      kind,
      value,
      soft,
      requestedBy: actorOf(actor),
      configVersion: change.version,
    });
    await w.audit({
      actor: actorOf(actor),
      action: 'zone.purge',
      objectType: 'zone',
      objectId: zoneId,
      after: purge,
    });
    return purge;
  });
}

export async function listZonePurges(deps: ServiceDeps, actor: Principal, zoneId: string) {
  const zone = await getZone(deps.db, zoneId);
  if (!zone) throw notFound('zone');
  assertCustomerVisible(actor, zone.customerId, 'zone');
  return listPurges(deps.db, { zoneId });
}
