import { Resolver } from 'node:dns';
import { readYamlFile } from '../../shared/config/read-yaml-file.js';
import { EdgewardError } from '../../shared/errors.js';
import { parseHostPort, type HostPort } from '../../edge/config/host-port.js';
import { parseAllowList, type AllowList } from '../zones/allow-list.js';

/** control.yaml, validated. Every field has a default so an empty file (or none) runs a local control plane. */
export interface ControlConfig {
  listen: HostPort;
  /** postgres://... or undefined for SQLite at sqlitePath. */
  databaseUrl: string | undefined;
  sqlitePath: string;
  /** Where people and edges reach this control plane; https:// makes session cookies Secure. */
  publicUrl: string | undefined;
  /** Addresses/CIDRs/host names exempt from the SSRF rules (origins and hostname verification). */
  originAllowList: AllowList;
  hostnameVerification: {
    /** Port the HTTP method connects to (default 80; tests use a local server's port). */
    httpPort: number;
    dnsEnabled: boolean;
    dnsServers: string[];
    timeoutMs: number;
  };
  sessionTtlSeconds: number;
  rateLimits: {
    /** Login attempts per minute per client IP + email. */
    loginPerMinute: number;
    /** Requests per minute per client IP on unauthenticated endpoints. */
    publicPerMinute: number;
  };
  bootstrapAdmin: { email: string };
  /** Fastify/pino log level; 'silent' in tests. */
  logLevel: string;
}

export const DEFAULT_CONTROL_LISTEN = '127.0.0.1:7070';

const KNOWN = new Set([
  'listen',
  'databaseUrl',
  'sqlitePath',
  'publicUrl',
  'originAllowList',
  'hostnameVerification',
  'sessionTtl',
  'rateLimits',
  'bootstrapAdmin',
  'logLevel',
]);

function bad(field: string, message: string): never {
  throw new EdgewardError('invalid_config', `${field} ${message}`, { field });
}

function objectAt(v: unknown, field: string): Record<string, unknown> {
  if (v === undefined || v === null) return {};
  if (typeof v !== 'object' || Array.isArray(v)) bad(field, 'must be a mapping');
  return v as Record<string, unknown>;
}

function onlyKeys(o: Record<string, unknown>, keys: readonly string[], prefix: string): void {
  for (const k of Object.keys(o)) if (!keys.includes(k)) bad(`${prefix}.${k}`, 'is not a known setting');
}

function positiveInt(v: unknown, field: string, dflt: number, max = 1e9): number {
  if (v === undefined) return dflt;
  if (typeof v !== 'number' || !Number.isInteger(v) || v < 1 || v > max) {
    bad(field, `must be an integer from 1 to ${max}`);
  }
  return v;
}

/** '12h', '30m', '3600s', '90' (seconds) or a number of seconds. */
export function parseDurationSeconds(v: unknown, field: string): number {
  if (typeof v === 'number' && Number.isInteger(v) && v > 0) return v;
  if (typeof v === 'string') {
    const m = /^\s*(\d+)\s*(s|m|h|d)?\s*$/.exec(v);
    if (m) {
      const n = Number(m[1]) * ({ s: 1, m: 60, h: 3600, d: 86400 } as const)[(m[2] ?? 's') as 's'];
      if (n > 0) return n;
    }
  }
  return bad(field, 'must be a duration such as 3600, "30m", "12h" or "7d"');
}

/** Validates a parsed control.yaml (or {}); `env.DATABASE_URL` applies when databaseUrl is not set. */
export function validateControlConfig(raw: unknown, env: NodeJS.ProcessEnv = process.env): ControlConfig {
  const o = objectAt(raw, 'config');
  for (const k of Object.keys(o)) if (!KNOWN.has(k)) bad(k, 'is not a known setting');

  const listen = parseHostPort(o.listen ?? DEFAULT_CONTROL_LISTEN, 'listen');

  let databaseUrl: string | undefined;
  if (o.databaseUrl !== undefined && o.databaseUrl !== null) {
    if (typeof o.databaseUrl !== 'string' || !/^postgres(ql)?:\/\//i.test(o.databaseUrl)) {
      bad('databaseUrl', 'must be a postgres:// URL (leave it out for SQLite)');
    }
    databaseUrl = o.databaseUrl;
  } else if (env.DATABASE_URL) {
    if (!/^postgres(ql)?:\/\//i.test(env.DATABASE_URL)) bad('DATABASE_URL', 'must be a postgres:// URL');
    databaseUrl = env.DATABASE_URL;
  }
  let sqlitePath = './data/edgeward.sqlite';
  if (o.sqlitePath !== undefined) {
    if (typeof o.sqlitePath !== 'string' || o.sqlitePath === '') bad('sqlitePath', 'must be a file path');
    sqlitePath = o.sqlitePath;
  }

  let publicUrl: string | undefined;
  if (o.publicUrl !== undefined && o.publicUrl !== null) {
    let u: URL | undefined;
    try {
      u = typeof o.publicUrl === 'string' ? new URL(o.publicUrl) : undefined;
    } catch {
      u = undefined;
    }
    if (!u || (u.protocol !== 'http:' && u.protocol !== 'https:')) bad('publicUrl', 'must be an http(s) URL');
    publicUrl = u.toString().replace(/\/$/, '');
  }

  if (o.originAllowList !== undefined && !Array.isArray(o.originAllowList)) {
    bad('originAllowList', 'must be a list of addresses, CIDRs or host names');
  }
  const originAllowList = parseAllowList(
    (o.originAllowList as unknown[] | undefined) ?? [],
    'originAllowList',
  );

  const hv = objectAt(o.hostnameVerification, 'hostnameVerification');
  onlyKeys(hv, ['httpPort', 'dnsEnabled', 'dnsServers', 'timeoutMs'], 'hostnameVerification');
  if (hv.dnsEnabled !== undefined && typeof hv.dnsEnabled !== 'boolean') {
    bad('hostnameVerification.dnsEnabled', 'must be true or false');
  }
  const dnsServers = (hv.dnsServers as unknown[] | undefined) ?? [];
  if (!Array.isArray(dnsServers))
    bad('hostnameVerification.dnsServers', 'must be a list of resolver addresses');
  dnsServers.forEach((s, i) => {
    const field = `hostnameVerification.dnsServers[${i}]`;
    if (typeof s !== 'string') bad(field, "must be 'ip' or 'ip:port'");
    try {
      new Resolver().setServers([s as string]);
    } catch {
      bad(field, `'${String(s)}' is not an 'ip' or 'ip:port' resolver address`);
    }
  });

  const rl = objectAt(o.rateLimits, 'rateLimits');
  onlyKeys(rl, ['loginPerMinute', 'publicPerMinute'], 'rateLimits');

  const ba = objectAt(o.bootstrapAdmin, 'bootstrapAdmin');
  onlyKeys(ba, ['email'], 'bootstrapAdmin');
  const email = ba.email ?? 'admin@localhost';
  if (typeof email !== 'string' || !/^[^\s@]+@[^\s@]+$/.test(email))
    bad('bootstrapAdmin.email', 'must be an email address');

  const logLevel = o.logLevel ?? 'info';
  if (
    typeof logLevel !== 'string' ||
    !['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'].includes(logLevel)
  ) {
    bad('logLevel', 'must be one of fatal, error, warn, info, debug, trace, silent');
  }

  return {
    listen,
    databaseUrl,
    sqlitePath,
    publicUrl,
    originAllowList,
    hostnameVerification: {
      httpPort: positiveInt(hv.httpPort, 'hostnameVerification.httpPort', 80, 65535),
      dnsEnabled: (hv.dnsEnabled as boolean | undefined) ?? true,
      dnsServers: dnsServers as string[],
      timeoutMs: positiveInt(hv.timeoutMs, 'hostnameVerification.timeoutMs', 5000, 60_000),
    },
    sessionTtlSeconds:
      o.sessionTtl === undefined ? 12 * 3600 : parseDurationSeconds(o.sessionTtl, 'sessionTtl'),
    rateLimits: {
      loginPerMinute: positiveInt(rl.loginPerMinute, 'rateLimits.loginPerMinute', 10),
      publicPerMinute: positiveInt(rl.publicPerMinute, 'rateLimits.publicPerMinute', 300),
    },
    bootstrapAdmin: { email },
    logLevel,
  };
}

/** Reads and validates control.yaml; every failure is an EdgewardError 'invalid_config' naming the field. */
export async function loadControlConfigFile(
  path: string,
  env: NodeJS.ProcessEnv = process.env,
): Promise<ControlConfig> {
  const { raw } = await readYamlFile(path);
  return validateControlConfig(raw ?? {}, env);
}
