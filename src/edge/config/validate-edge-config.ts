import { availableParallelism, hostname } from 'node:os';
import { isAbsolute, resolve } from 'node:path';
import {
  DEFAULT_ZONE_CACHE_SETTINGS,
  type ZoneCacheSettings,
  type ZoneConfig,
  type ZoneState,
} from '../../shared/config/zone-config.js';
import { EdgewardError } from '../../shared/errors.js';
import type { EdgeLimits } from '../proxy/edge-server.js';
import { parseTrustedProxies } from '../net/client-address.js';
import { parseByteSize } from './byte-size.js';
import {
  DEFAULT_DISK_BYTES,
  DEFAULT_MEMORY_BYTES,
  DEFAULT_OPERATOR,
  LOG_LEVELS,
  type EdgeConfig,
  type LogLevel,
} from './edge-config.js';
import { parseHostPort } from './host-port.js';

/**
 * Validates a parsed edge.yaml. Hand-written so that every error names the exact field ('zones[1].origins[0]');
 * unknown keys are errors too, since a misspelt option silently ignored is a misconfigured edge.
 */
type Obj = Record<string, unknown>;

const fail = (field: string, message: string): never => {
  throw new EdgewardError('invalid_config', `${field}: ${message}`, { field });
};

const isObj = (v: unknown): v is Obj => typeof v === 'object' && v !== null && !Array.isArray(v);

function obj(v: unknown, field: string, allowed: readonly string[]): Obj {
  if (!isObj(v)) return fail(field, `must be a mapping, got ${describe(v)}`);
  for (const k of Object.keys(v))
    if (!allowed.includes(k))
      fail(field ? `${field}.${k}` : k, `unknown option (expected one of: ${allowed.join(', ')})`);
  return v;
}

function describe(v: unknown): string {
  if (v === null) return 'null';
  if (Array.isArray(v)) return 'a list';
  return `${typeof v} ${JSON.stringify(v)}`;
}

function str(v: unknown, field: string): string {
  if (typeof v !== 'string' || v.trim() === '')
    return fail(field, `must be a non-empty string, got ${describe(v)}`);
  return v.trim();
}

function optStr(v: unknown, field: string): string | null {
  return v === undefined || v === null ? null : str(v, field);
}

function bool(v: unknown, field: string, dflt: boolean): boolean {
  if (v === undefined) return dflt;
  if (typeof v !== 'boolean') return fail(field, `must be true or false, got ${describe(v)}`);
  return v;
}

function int(v: unknown, field: string, min: number, max = Number.MAX_SAFE_INTEGER): number {
  if (typeof v === 'string' && /^\d+$/.test(v.trim())) v = Number(v);
  if (typeof v !== 'number' || !Number.isInteger(v) || v < min || v > max)
    return fail(field, `must be an integer from ${min} to ${max}, got ${describe(v)}`);
  return v;
}

function nullableInt(v: unknown, field: string, dflt: number | null): number | null {
  if (v === undefined) return dflt;
  if (v === null) return null;
  return int(v, field, 0);
}

function strList(v: unknown, field: string): string[] {
  if (v === undefined || v === null) return [];
  if (typeof v === 'string') v = v.split(',');
  if (!Array.isArray(v)) return fail(field, `must be a list, got ${describe(v)}`);
  return v.map((x, i) => str(x, `${field}[${i}]`));
}

/** An http(s) base URL without query or fragment, as an origin is. */
export function validateOrigin(v: unknown, field: string): string {
  const s = str(v, field);
  let u: URL;
  try {
    u = new URL(s);
  } catch {
    return fail(
      field,
      `must be an absolute http(s) URL such as http://127.0.0.1:9000, got ${JSON.stringify(s)}`,
    );
  }
  if (u.protocol !== 'http:' && u.protocol !== 'https:')
    fail(field, `must use http or https, got ${u.protocol}`);
  if (u.search || u.hash || u.username || u.password)
    fail(field, 'must not carry a query, fragment or credentials');
  return `${u.protocol}//${u.host}${u.pathname === '/' ? '' : u.pathname.replace(/\/$/, '')}`;
}

const HOSTNAME = /^(\*|(\*\.)?[a-z0-9]([a-z0-9-]*[a-z0-9])?(\.[a-z0-9]([a-z0-9-]*[a-z0-9])?)*)$/;
const ZONE_ID = /^[A-Za-z0-9][A-Za-z0-9_.-]{0,62}$/;
const ZONE_STATES: readonly ZoneState[] = ['pending', 'active', 'suspended', 'terminated'];

function zoneCache(v: unknown, field: string): ZoneCacheSettings {
  if (v === undefined || v === null) return DEFAULT_ZONE_CACHE_SETTINGS;
  const o = obj(v, field, [
    'queryString',
    'honorClientNoCache',
    'defaultTtlSeconds',
    'maxTtlSeconds',
    'serveStaleOnErrorSeconds',
  ]);
  const d = DEFAULT_ZONE_CACHE_SETTINGS;
  const qs = o.queryString ?? d.queryString;
  if (qs !== 'keep' && qs !== 'sort' && qs !== 'ignore')
    fail(`${field}.queryString`, `must be keep, sort or ignore, got ${describe(qs)}`);
  return {
    queryString: qs as ZoneCacheSettings['queryString'],
    honorClientNoCache: bool(o.honorClientNoCache, `${field}.honorClientNoCache`, d.honorClientNoCache),
    defaultTtlSeconds: nullableInt(o.defaultTtlSeconds, `${field}.defaultTtlSeconds`, d.defaultTtlSeconds),
    maxTtlSeconds: nullableInt(o.maxTtlSeconds, `${field}.maxTtlSeconds`, d.maxTtlSeconds),
    serveStaleOnErrorSeconds:
      o.serveStaleOnErrorSeconds === undefined
        ? d.serveStaleOnErrorSeconds
        : int(o.serveStaleOnErrorSeconds, `${field}.serveStaleOnErrorSeconds`, 0),
  };
}

export function validateZone(v: unknown, field: string): ZoneConfig {
  const o = obj(v, field, ['id', 'hostnames', 'origins', 'originHost', 'state', 'cache']);
  const id = str(o.id, `${field}.id`);
  if (!ZONE_ID.test(id))
    fail(`${field}.id`, `must be letters, digits, '.', '_' or '-' (at most 63), got ${JSON.stringify(id)}`);
  const hostnames = strList(o.hostnames, `${field}.hostnames`).map((h, i) => {
    const name = h.toLowerCase().replace(/\.$/, '');
    if (!HOSTNAME.test(name)) fail(`${field}.hostnames[${i}]`, `is not a hostname: ${JSON.stringify(h)}`);
    return name;
  });
  if (hostnames.length === 0) fail(`${field}.hostnames`, 'needs at least one hostname');
  if (!Array.isArray(o.origins) || o.origins.length === 0)
    fail(`${field}.origins`, 'needs at least one origin URL');
  const origins = (o.origins as unknown[]).map((x, i) => validateOrigin(x, `${field}.origins[${i}]`));
  const state = o.state ?? 'active';
  if (!ZONE_STATES.includes(state as ZoneState))
    fail(`${field}.state`, `must be one of ${ZONE_STATES.join(', ')}, got ${describe(state)}`);
  const originHost = optStr(o.originHost, `${field}.originHost`);
  return {
    id,
    hostnames,
    origins,
    ...(originHost === null ? {} : { originHost }),
    state: state as ZoneState,
    cache: zoneCache(o.cache, `${field}.cache`),
  };
}

const LIMIT_KEYS: readonly (keyof EdgeLimits)[] = [
  'maxHeaderBytes',
  'connectTimeoutMs',
  'headersTimeoutMs',
  'bodyTimeoutMs',
  'keepAliveTimeoutMs',
];

/**
 * Options that were removed, with what replaces them: an old file gets told what to write instead, not only that
 * the key is unknown.
 */
const REMOVED: Readonly<Record<string, string>> = {
  streamThresholdBytes:
    'was removed (it never had an effect); use cache.memoryObjectMaxBytes: bodies larger than it are streamed ' +
    'through and never held whole in memory',
};

function refuseRemoved(o: unknown, field: string): void {
  if (!isObj(o)) return;
  for (const k of Object.keys(o)) if (Object.hasOwn(REMOVED, k)) fail(`${field}.${k}`, REMOVED[k]!);
}

export function validateLimits(v: unknown, field: string): Partial<EdgeLimits> {
  if (v === undefined || v === null) return {};
  refuseRemoved(v, field);
  const o = obj(v, field, LIMIT_KEYS);
  const out: Partial<EdgeLimits> = {};
  for (const k of LIMIT_KEYS) {
    const x = o[k];
    if (x === undefined) continue;
    out[k] = k.endsWith('Bytes') ? parseByteSize(x, `${field}.${k}`) : int(x, `${field}.${k}`, 1);
  }
  return out;
}

export function validateWorkers(v: unknown, field: string): number {
  if (v === undefined || v === null || v === 'auto') return availableParallelism();
  return int(v, field, 1, 1024);
}

export function validateLogLevel(v: unknown, field: string): LogLevel {
  if (v === undefined) return 'info';
  if (!LOG_LEVELS.includes(v as LogLevel))
    return fail(field, `must be one of ${LOG_LEVELS.join(', ')}, got ${describe(v)}`);
  return v as LogLevel;
}

export function validateOperator(v: unknown, field: string): { name: string; url: string } {
  if (v === undefined || v === null) return { ...DEFAULT_OPERATOR };
  const o = obj(v, field, ['name', 'url']);
  const name = str(o.name, `${field}.name`);
  const url = str(o.url, `${field}.url`);
  if (!/^https?:\/\//.test(url)) fail(`${field}.url`, `must be an http(s) URL, got ${JSON.stringify(url)}`);
  return { name, url };
}

export function validateTrustProxy(list: string[], field: string): string[] {
  try {
    parseTrustedProxies(list);
  } catch (e) {
    if (e instanceof EdgewardError && e.field) {
      // parseTrustedProxies names 'trustProxy[i]'; re-root it at where the list came from.
      throw new EdgewardError('invalid_config', e.message, { field: e.field.replace(/^trustProxy/, field) });
    }
    throw e;
  }
  return list;
}

const TOP_KEYS = [
  'listen',
  'admin',
  'adminToken',
  'workers',
  'nodeName',
  'operator',
  'cache',
  'trustProxy',
  'geoip',
  'rules',
  'limits',
  'log',
  'logLevel',
  'zones',
] as const;

/**
 * `raw` is the parsed YAML; relative paths are resolved against `baseDir` (the config file's folder).
 * `env.EDGEWARD_ADMIN_TOKEN` fills adminToken when the file has none.
 */
export function validateEdgeConfig(
  raw: unknown,
  baseDir: string,
  env: NodeJS.ProcessEnv = process.env,
  /** zonesRequired: false when zones come from elsewhere (the control plane). */
  opts: { zonesRequired?: boolean } = {},
): EdgeConfig {
  const o = obj(raw ?? {}, '', TOP_KEYS);
  const path = (v: unknown, field: string): string | null => {
    const s = optStr(v, field);
    return s === null ? null : isAbsolute(s) ? s : resolve(baseDir, s);
  };
  refuseRemoved(o.cache, 'cache');
  const cacheRaw =
    o.cache === undefined || o.cache === null
      ? {}
      : obj(o.cache, 'cache', ['dir', 'memoryBytes', 'diskBytes', 'memoryObjectMaxBytes']);
  const limits = validateLimits(o.limits, 'limits');
  let logLevel: LogLevel;
  if (isObj(o.log)) logLevel = validateLogLevel(obj(o.log, 'log', ['level']).level, 'log.level');
  else if (o.log !== undefined) logLevel = validateLogLevel(o.log, 'log');
  else logLevel = validateLogLevel(o.logLevel, 'logLevel');

  const zonesRequired = opts.zonesRequired ?? true;
  if (o.zones !== undefined && !Array.isArray(o.zones))
    fail('zones', `must be a list, got ${describe(o.zones)}`);
  if (zonesRequired && (!Array.isArray(o.zones) || o.zones.length === 0))
    fail('zones', 'needs at least one zone (id, hostnames, origins)');
  const zones = ((o.zones ?? []) as unknown[]).map((z, i) => validateZone(z, `zones[${i}]`));
  const ids = new Map<string, number>();
  const hosts = new Map<string, string>();
  zones.forEach((z, i) => {
    if (ids.has(z.id))
      fail(`zones[${i}].id`, `duplicate zone id ${JSON.stringify(z.id)} (also zones[${ids.get(z.id)}])`);
    ids.set(z.id, i);
    z.hostnames.forEach((h, j) => {
      const other = hosts.get(h);
      if (other !== undefined)
        fail(`zones[${i}].hostnames[${j}]`, `hostname ${h} already belongs to zone ${other}`);
      hosts.set(h, z.id);
    });
  });

  const adminToken = optStr(o.adminToken, 'adminToken') ?? (env.EDGEWARD_ADMIN_TOKEN?.trim() || null);
  if (adminToken !== null && adminToken.length < 16) fail('adminToken', 'must be at least 16 characters');
  return {
    mode: 'edge',
    listen: parseHostPort(o.listen ?? '0.0.0.0:8080', 'listen'),
    admin:
      o.admin === undefined
        ? parseHostPort('127.0.0.1:8081', 'admin')
        : o.admin === null || o.admin === false
          ? null
          : parseHostPort(o.admin, 'admin'),
    adminToken,
    workers: validateWorkers(o.workers, 'workers'),
    nodeName: optStr(o.nodeName, 'nodeName') ?? hostname(),
    operator: validateOperator(o.operator, 'operator'),
    cache: {
      dir: path(cacheRaw.dir, 'cache.dir'),
      memoryBytes:
        cacheRaw.memoryBytes === undefined
          ? DEFAULT_MEMORY_BYTES
          : parseByteSize(cacheRaw.memoryBytes, 'cache.memoryBytes'),
      diskBytes:
        cacheRaw.diskBytes === undefined
          ? DEFAULT_DISK_BYTES
          : parseByteSize(cacheRaw.diskBytes, 'cache.diskBytes'),
      memoryObjectMaxBytes:
        cacheRaw.memoryObjectMaxBytes === undefined
          ? null
          : parseByteSize(cacheRaw.memoryObjectMaxBytes, 'cache.memoryObjectMaxBytes'),
    },
    trustProxy: validateTrustProxy(strList(o.trustProxy, 'trustProxy'), 'trustProxy'),
    geoip: path(o.geoip, 'geoip'),
    rules: path(o.rules, 'rules'),
    limits,
    logLevel,
    zones,
  };
}
