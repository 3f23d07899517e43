import { randomBytes } from 'node:crypto';
import { isIP } from 'node:net';
import {
  DEFAULT_ZONE_CACHE_SETTINGS,
  type ZoneCacheSettings,
  type ZoneState,
} from '../../shared/config/zone-config.js';
import { zoneChangeFor } from '../changes/zone-change.js';
import { actorOf, type Principal } from '../auth/principal.js';
import { getCustomer } from '../repos/customers.js';
import {
  getZone,
  getZoneHostname,
  insertZone,
  insertZoneHostname,
  insertZoneStateChange,
  listZoneHostnames,
  listZoneStateChanges,
  listZones,
  markZoneHostnameVerified,
  updateZone,
  type Zone,
  type ZoneHostname,
} from '../repos/zones.js';
import type { Executor } from '../db/transact.js';
import { guardOriginUrl } from '../zones/origin-guard.js';
import {
  DNS_CHALLENGE_LABEL,
  verifyHostnameOwnership,
  WELL_KNOWN_PREFIX,
} from '../zones/hostname-verification.js';
import { randomSecret } from '../auth/secrets.js';
import { EdgewardError } from '../../shared/errors.js';
import { assertCustomerVisible, isOperator } from './access.js';
import { runWrite, type ServiceDeps, type Write } from './service-deps.js';
import { conflict, forbidden, invalid, notFound } from './service-errors.js';

export interface ZoneInput {
  customerId?: number;
  name: string;
  hostnames: string[];
  origins: string[];
  originHost?: string | null;
  cache?: Partial<ZoneCacheSettings>;
}

const HOSTNAME = /^(?=.{1,253}$)[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?(\.[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?)*$/;

export function normalizeHostname(h: string, field: string): string {
  const s = h.trim().toLowerCase().replace(/\.$/, '');
  if (!HOSTNAME.test(s) || isIP(s)) throw invalid(`${field} must be a DNS host name (not an address)`, field);
  return s;
}

/** What the API view and the audit entries both show of a zone. */
function zoneCore(z: Zone) {
  return {
    id: z.id,
    customerId: z.customerId,
    name: z.name,
    state: z.state,
    origins: z.origins,
    originHost: z.originHost,
    cache: z.cache,
  };
}

function zoneView(z: Zone, hostnames: readonly ZoneHostname[]) {
  return {
    ...zoneCore(z),
    createdAt: z.createdAt,
    updatedAt: z.updatedAt,
    hostnames: hostnames.map((h) => ({
      hostname: h.hostname,
      verified: h.verifiedAt !== null,
      verifiedAt: h.verifiedAt,
      verificationMethod: h.verificationMethod,
      verification: {
        token: h.verificationToken,
        httpPath: WELL_KNOWN_PREFIX + h.verificationToken,
        dnsTxtName: `${DNS_CHALLENGE_LABEL}.${h.hostname}`,
      },
    })),
  };
}
export type ZoneView = ReturnType<typeof zoneView>;

/** For the audit log: no verification tokens (they are not secrets, but they are noise). */
function zoneAudit(z: Zone, hostnames: readonly ZoneHostname[]) {
  return {
    ...zoneCore(z),
    hostnames: hostnames.map((h) => ({ hostname: h.hostname, verified: h.verifiedAt !== null })),
  };
}

async function loadVisibleZone(
  db: Executor,
  actor: Principal,
  id: string,
): Promise<{ zone: Zone; hostnames: ZoneHostname[] }> {
  const zone = await getZone(db, id);
  if (!zone) throw notFound('zone');
  assertCustomerVisible(actor, zone.customerId, 'zone');
  return { zone, hostnames: await listZoneHostnames(db, id) };
}

function mergeCache(
  base: ZoneCacheSettings,
  patch: Partial<ZoneCacheSettings> | undefined,
): ZoneCacheSettings {
  const c = { ...base, ...(patch ?? {}) };
  if (c.defaultTtlSeconds !== null && c.maxTtlSeconds !== null && c.defaultTtlSeconds > c.maxTtlSeconds) {
    throw invalid('cache.defaultTtlSeconds must not exceed cache.maxTtlSeconds', 'cache.defaultTtlSeconds');
  }
  return c;
}

async function guardOrigins(deps: ServiceDeps, origins: readonly string[]): Promise<string[]> {
  if (origins.length === 0) throw invalid('at least one origin is required', 'origins');
  const out: string[] = [];
  for (let i = 0; i < origins.length; i++)
    out.push(await guardOriginUrl(origins[i]!, `origins[${i}]`, deps.guard));
  return out;
}

async function addHostnameRow(
  w: Write,
  zoneId: string,
  hostname: string,
  field: string,
): Promise<ZoneHostname> {
  if (await getZoneHostname(w.trx, hostname))
    throw conflict('hostname_taken', `${hostname} belongs to a zone already`, field);
  return insertZoneHostname(w.trx, { zoneId, hostname, verificationToken: 'ewv-' + randomSecret(18) });
}

async function stateChange(
  w: Write,
  actor: Principal,
  zone: Zone,
  hostnames: readonly ZoneHostname[],
  to: ZoneState,
  reason: string | null,
  extra: Record<string, unknown> = {},
) {
  const after = await updateZone(w.trx, zone.id, { state: to });
  if (!after) throw notFound('zone');
  await insertZoneStateChange(w.trx, {
    zoneId: zone.id,
    fromState: zone.state,
    toState: to,
    actor: actorOf(actor),
    reason,
  });
  await w.audit({
    actor: actorOf(actor),
    action: `zone.${to === 'active' ? 'activate' : to === 'suspended' ? 'suspend' : 'terminate'}`,
    objectType: 'zone',
    objectId: zone.id,
    reason,
    before: zoneAudit(zone, hostnames),
    after: { ...zoneAudit(after, hostnames), ...extra },
  });
  await w.change(await zoneChangeFor(w.trx, zone.id));
  return zoneView(after, hostnames);
}

export async function createZone(deps: ServiceDeps, actor: Principal, input: ZoneInput): Promise<ZoneView> {
  let customerId: number;
  if (actor.kind === 'customer_user') customerId = actor.customerId;
  else if (isOperator(actor, 'admin')) {
    if (input.customerId === undefined) throw invalid('customerId is required', 'customerId');
    customerId = input.customerId;
  } else throw forbidden('only admins and customers create zones');
  if (input.hostnames.length === 0) throw invalid('at least one hostname is required', 'hostnames');
  const hostnames = input.hostnames.map((h, i) => normalizeHostname(h, `hostnames[${i}]`));
  const dup = hostnames.findIndex((h, i) => hostnames.indexOf(h) !== i);
  if (dup >= 0) throw invalid(`${hostnames[dup]} is listed twice`, `hostnames[${dup}]`);
  // Network I/O (DNS) happens before the write lock is taken.
  const origins = await guardOrigins(deps, input.origins);
  const cache = mergeCache(DEFAULT_ZONE_CACHE_SETTINGS, input.cache);
  return runWrite(deps, async (w) => {
    if (!(await getCustomer(w.trx, customerId))) throw notFound('customer', 'customerId');
    const zone = await insertZone(w.trx, {
      id: 'z_' + randomBytes(8).toString('hex'),
      customerId,
      name: input.name,
      origins,
      originHost: input.originHost ?? null,
      cache,
    });
    const rows: ZoneHostname[] = [];
    for (let i = 0; i < hostnames.length; i++)
      rows.push(await addHostnameRow(w, zone.id, hostnames[i]!, `hostnames[${i}]`));
    await insertZoneStateChange(w.trx, {
      zoneId: zone.id,
      fromState: null,
      toState: 'pending',
      actor: actorOf(actor),
      reason: null,
    });
    await w.audit({
      actor: actorOf(actor),
      action: 'zone.create',
      objectType: 'zone',
      objectId: zone.id,
      after: zoneAudit(zone, rows),
    });
    await w.change(await zoneChangeFor(w.trx, zone.id));
    return zoneView(zone, rows);
  });
}

export async function listZoneViews(deps: ServiceDeps, actor: Principal, q: { customerId?: number } = {}) {
  let customerId = q.customerId;
  if (actor.kind === 'customer_user') customerId = actor.customerId;
  else if (actor.kind !== 'operator') return [];
  const zones = await listZones(deps.db, customerId === undefined ? {} : { customerId });
  const out: ZoneView[] = [];
  for (const z of zones) out.push(zoneView(z, await listZoneHostnames(deps.db, z.id)));
  return out;
}

export async function getZoneView(deps: ServiceDeps, actor: Principal, id: string): Promise<ZoneView> {
  const { zone, hostnames } = await loadVisibleZone(deps.db, actor, id);
  return zoneView(zone, hostnames);
}

export async function zoneHistory(deps: ServiceDeps, actor: Principal, id: string) {
  await loadVisibleZone(deps.db, actor, id);
  return listZoneStateChanges(deps.db, id);
}

/** Name, origins, origin Host header, cache settings. */
export async function updateZoneSettings(
  deps: ServiceDeps,
  actor: Principal,
  id: string,
  input: {
    name?: string;
    origins?: string[];
    originHost?: string | null;
    cache?: Partial<ZoneCacheSettings>;
    reason?: string;
  },
): Promise<ZoneView> {
  await loadVisibleZone(deps.db, actor, id);
  const origins = input.origins === undefined ? undefined : await guardOrigins(deps, input.origins);
  return runWrite(deps, async (w) => {
    const { zone, hostnames } = await loadVisibleZone(w.trx, actor, id);
    if (zone.state === 'terminated')
      throw conflict('invalid_state', 'a terminated zone cannot change', 'state');
    const after = await updateZone(w.trx, id, {
      ...(input.name === undefined ? {} : { name: input.name }),
      ...(origins === undefined ? {} : { origins }),
      ...(input.originHost === undefined ? {} : { originHost: input.originHost }),
      ...(input.cache === undefined ? {} : { cache: mergeCache(zone.cache, input.cache) }),
    });
    if (!after) throw notFound('zone');
    await w.audit({
      actor: actorOf(actor),
      action: 'zone.update',
      objectType: 'zone',
      objectId: id,
      reason: input.reason ?? null,
      before: zoneAudit(zone, hostnames),
      after: zoneAudit(after, hostnames),
    });
    await w.change(await zoneChangeFor(w.trx, id));
    return zoneView(after, hostnames);
  });
}

export async function addZoneHostname(
  deps: ServiceDeps,
  actor: Principal,
  id: string,
  hostname: string,
): Promise<ZoneView> {
  const h = normalizeHostname(hostname, 'hostname');
  return runWrite(deps, async (w) => {
    const { zone, hostnames } = await loadVisibleZone(w.trx, actor, id);
    if (zone.state === 'terminated')
      throw conflict('invalid_state', 'a terminated zone cannot change', 'state');
    const row = await addHostnameRow(w, id, h, 'hostname');
    await w.audit({
      actor: actorOf(actor),
      action: 'zone.hostname.add',
      objectType: 'zone',
      objectId: id,
      before: zoneAudit(zone, hostnames),
      after: zoneAudit(zone, [...hostnames, row]),
    });
    // An unverified hostname is not part of the edges' view of the zone: no config change yet.
    return zoneView(zone, [...hostnames, row]);
  });
}

/**
 * Checks ownership of one hostname (HTTP well-known token, then DNS TXT when enabled) and records the proof.
 * The network check runs outside any transaction; failure is 'verification_failed' with what each method saw.
 */
export async function verifyZoneHostname(
  deps: ServiceDeps,
  actor: Principal,
  id: string,
  hostname: string,
): Promise<ZoneView> {
  const h = hostname.trim().toLowerCase();
  const { hostnames } = await loadVisibleZone(deps.db, actor, id);
  const row = hostnames.find((x) => x.hostname === h);
  if (!row) throw notFound('hostname', 'hostname');
  if (row.verifiedAt === null) {
    const outcome = await verifyHostnameOwnership(h, row.verificationToken, deps.verification);
    if (!outcome.verified) {
      throw new EdgewardError(
        'verification_failed',
        `could not verify ${h}: ${outcome.attempts.map((a) => `${a.method}: ${a.problem}`).join('; ')}`,
        {
          field: 'hostname',
          details: { attempts: outcome.attempts },
        },
      );
    }
    return runWrite(deps, async (w) => {
      const { zone, hostnames: before } = await loadVisibleZone(w.trx, actor, id);
      const current = before.find((x) => x.hostname === h);
      if (!current) throw notFound('hostname', 'hostname');
      const marked = (await markZoneHostnameVerified(w.trx, current.id, outcome.method)) ?? current;
      const after = before.map((x) => (x.id === marked.id ? marked : x));
      await w.audit({
        actor: actorOf(actor),
        action: 'zone.hostname.verify',
        objectType: 'zone',
        objectId: id,
        reason: `ownership of ${h} proven by ${outcome.method}`,
        before: zoneAudit(zone, before),
        after: zoneAudit(zone, after),
      });
      await w.change(await zoneChangeFor(w.trx, id));
      return zoneView(zone, after);
    });
  }
  return getZoneView(deps, actor, id);
}

/**
 * pending -> active, or suspended -> active (reinstatement, admins only). Needs every hostname verified and the
 * customer's KYC 'verified' -- or an admin's explicit override with a reason, recorded in the audit entry.
 */
export async function activateZone(
  deps: ServiceDeps,
  actor: Principal,
  id: string,
  input: { reason?: string; kycOverride?: boolean },
): Promise<ZoneView> {
  if (input.kycOverride && !isOperator(actor, 'admin'))
    throw forbidden('only admins may override KYC', 'kycOverride');
  if (input.kycOverride && !input.reason) throw invalid('a KYC override needs a reason', 'reason');
  return runWrite(deps, async (w) => {
    const { zone, hostnames } = await loadVisibleZone(w.trx, actor, id);
    if (zone.state === 'suspended' && !isOperator(actor, 'admin'))
      throw forbidden('only admins reinstate a suspended zone');
    if (zone.state !== 'pending' && zone.state !== 'suspended') {
      throw conflict('invalid_state', `a ${zone.state} zone cannot be activated`, 'state');
    }
    const unverified = hostnames.filter((h) => h.verifiedAt === null).map((h) => h.hostname);
    if (hostnames.length === 0 || unverified.length > 0) {
      throw conflict(
        'hostnames_unverified',
        `verify every hostname first (unverified: ${unverified.join(', ') || 'none added'})`,
        'hostnames',
      );
    }
    const customer = await getCustomer(w.trx, zone.customerId);
    const kycOk = customer?.kycStatus === 'verified';
    if (!kycOk && !input.kycOverride) {
      throw conflict(
        'kyc_required',
        `customer KYC status is ${customer?.kycStatus ?? 'unknown'}; an admin may override with a reason`,
        'kycOverride',
      );
    }
    return stateChange(
      w,
      actor,
      zone,
      hostnames,
      'active',
      input.reason ?? null,
      kycOk ? {} : { kycOverride: true },
    );
  });
}

export async function suspendZone(
  deps: ServiceDeps,
  actor: Principal,
  id: string,
  reason: string,
): Promise<ZoneView> {
  return runWrite(deps, async (w) => {
    const { zone, hostnames } = await loadVisibleZone(w.trx, actor, id);
    if (zone.state !== 'active')
      throw conflict('invalid_state', `a ${zone.state} zone cannot be suspended`, 'state');
    return stateChange(w, actor, zone, hostnames, 'suspended', reason);
  });
}

export async function terminateZone(
  deps: ServiceDeps,
  actor: Principal,
  id: string,
  reason: string,
): Promise<ZoneView> {
  return runWrite(deps, async (w) => {
    const { zone, hostnames } = await loadVisibleZone(w.trx, actor, id);
    if (zone.state === 'terminated')
      throw conflict('invalid_state', 'the zone is already terminated', 'state');
    if (zone.state === 'suspended' && !isOperator(actor))
      throw forbidden('a suspended zone is terminated by operators');
    return stateChange(w, actor, zone, hostnames, 'terminated', reason);
  });
}
