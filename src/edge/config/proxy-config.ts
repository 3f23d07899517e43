import { hostname } from 'node:os';
import { resolve } from 'node:path';
import { DEFAULT_ZONE_CACHE_SETTINGS } from '../../shared/config/zone-config.js';
import { EdgewardError } from '../../shared/errors.js';
import { parseByteSize } from './byte-size.js';
import {
  DEFAULT_DISK_BYTES,
  DEFAULT_MEMORY_BYTES,
  PROXY_ZONE_ID,
  type EdgeConfig,
  type LogLevel,
} from './edge-config.js';
import { parseHostPort } from './host-port.js';
import {
  validateLogLevel,
  validateOperator,
  validateOrigin,
  validateTrustProxy,
  validateWorkers,
} from './validate-edge-config.js';

/** `edgeward proxy` flags, as commander hands them over (strings; repeatable flags as lists). */
export interface ProxyFlags {
  listen?: string;
  origin?: string[] | string;
  originHost?: string;
  rules?: string;
  cacheDir?: string;
  trustProxy?: string[];
  geoip?: string;
  admin?: string;
  adminToken?: string;
  workers?: string;
  memoryCache?: string;
  diskCache?: string;
  memoryObjectMax?: string;
  nodeName?: string;
  operatorName?: string;
  operatorUrl?: string;
  logLevel?: string;
}

/** One catch-all zone ('*') in front of the given origin(s); errors name the flag ('--origin'). */
export function proxyConfigFromFlags(
  f: ProxyFlags,
  env: NodeJS.ProcessEnv = process.env,
  cwd = process.cwd(),
): EdgeConfig {
  const originsRaw = f.origin === undefined ? [] : Array.isArray(f.origin) ? f.origin : [f.origin];
  const origins = originsRaw.flatMap((o) => o.split(',')).filter((o) => o.trim() !== '');
  if (origins.length === 0)
    throw new EdgewardError('invalid_config', '--origin is required (e.g. --origin http://127.0.0.1:9000)', {
      field: '--origin',
    });
  const trust = (f.trustProxy ?? [])
    .flatMap((t) => t.split(','))
    .map((t) => t.trim())
    .filter((t) => t !== '');
  const adminToken = f.adminToken?.trim() || env.EDGEWARD_ADMIN_TOKEN?.trim() || null;
  if (adminToken !== null && adminToken.length < 16)
    throw new EdgewardError('invalid_config', 'the admin token must be at least 16 characters', {
      field: '--admin-token',
    });
  const operator =
    f.operatorName || f.operatorUrl
      ? validateOperator({ name: f.operatorName, url: f.operatorUrl }, '--operator')
      : validateOperator(undefined, '--operator');
  return {
    mode: 'proxy',
    listen: parseHostPort(f.listen ?? '127.0.0.1:8080', '--listen'),
    admin: f.admin === undefined ? null : parseHostPort(f.admin, '--admin'),
    adminToken,
    workers: validateWorkers(f.workers, '--workers'),
    nodeName: f.nodeName?.trim() || hostname(),
    operator,
    cache: {
      dir: f.cacheDir ? resolve(cwd, f.cacheDir) : null,
      memoryBytes:
        f.memoryCache === undefined ? DEFAULT_MEMORY_BYTES : parseByteSize(f.memoryCache, '--memory-cache'),
      diskBytes: f.diskCache === undefined ? DEFAULT_DISK_BYTES : parseByteSize(f.diskCache, '--disk-cache'),
      memoryObjectMaxBytes:
        f.memoryObjectMax === undefined ? null : parseByteSize(f.memoryObjectMax, '--memory-object-max'),
    },
    trustProxy: validateTrustProxy(trust, '--trust-proxy'),
    geoip: f.geoip ? resolve(cwd, f.geoip) : null,
    rules: f.rules ? resolve(cwd, f.rules) : null,
    limits: {},
    logLevel: validateLogLevel((f.logLevel ?? 'info') as LogLevel, '--log-level'),
    zones: [
      {
        id: PROXY_ZONE_ID,
        hostnames: ['*'],
        origins: origins.map((o, i) =>
          validateOrigin(o, origins.length === 1 ? '--origin' : `--origin[${i}]`),
        ),
        ...(f.originHost ? { originHost: f.originHost } : {}),
        state: 'active',
        cache: DEFAULT_ZONE_CACHE_SETTINGS,
      },
    ],
  };
}
