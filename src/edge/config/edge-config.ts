import type { ZoneConfig } from '../../shared/config/zone-config.js';
import type { EdgeLimits } from '../proxy/edge-server.js';
import type { HostPort } from './host-port.js';

/**
 * Everything one edge node needs to start, validated. Built from edge.yaml (`edgeward edge --config`) or from
 * flags (`edgeward proxy`, one catch-all zone). Plain data: the cluster primary sends it to its workers as is.
 */
export type LogLevel = 'fatal' | 'error' | 'warn' | 'info' | 'debug' | 'trace' | 'silent';
export const LOG_LEVELS: readonly LogLevel[] = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'];

export interface EdgeCacheConfig {
  /** null = memory only. Worker n keeps its cache in `<dir>/worker-<n>`. */
  readonly dir: string | null;
  /** Budgets for the whole node; divided evenly among workers. */
  readonly memoryBytes: number;
  readonly diskBytes: number;
  /**
   * Bodies larger than this are streamed to the client and never held whole in memory: written to a file when
   * there is a disk tier, not cached in memory-only mode. null = the store's default (1 MiB).
   */
  readonly memoryObjectMaxBytes: number | null;
}

export interface EdgeConfig {
  readonly mode: 'proxy' | 'edge';
  readonly listen: HostPort;
  /** null = no admin server. */
  readonly admin: HostPort | null;
  /** null = generate one at start (printed once on stderr). */
  readonly adminToken: string | null;
  readonly workers: number;
  readonly nodeName: string;
  readonly operator: { readonly name: string; readonly url: string };
  readonly cache: EdgeCacheConfig;
  readonly trustProxy: readonly string[];
  /** null = the bundled @ip-location-db/geolite2-country-mmdb database. */
  readonly geoip: string | null;
  /** Path to a rules JSONL file; null = no rules. */
  readonly rules: string | null;
  readonly limits: Partial<EdgeLimits>;
  readonly logLevel: LogLevel;
  readonly zones: readonly ZoneConfig[];
}

export const DEFAULT_OPERATOR = Object.freeze({
  name: 'Edgeward operator',
  url: 'https://github.com/edgeward/edgeward',
});
export const DEFAULT_MEMORY_BYTES = 256 * 2 ** 20;
export const DEFAULT_DISK_BYTES = 10 * 2 ** 30;
/** The zone `edgeward proxy` creates; purges without a zone go to it. */
export const PROXY_ZONE_ID = 'default';
