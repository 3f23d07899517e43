import { hostname } from 'node:os';
import { resolve } from 'node:path';
import type { Command } from 'commander';
import { pino } from 'pino';
import { EdgewardError } from '../../shared/errors.js';
import { parseByteSize } from '../../edge/config/byte-size.js';
import {
  DEFAULT_DISK_BYTES,
  DEFAULT_MEMORY_BYTES,
  type EdgeConfig,
  type LogLevel,
} from '../../edge/config/edge-config.js';
import { parseHostPort } from '../../edge/config/host-port.js';
import { loadEdgeConfigFile } from '../../edge/config/load-edge-config.js';
import {
  validateLogLevel,
  validateOperator,
  validateTrustProxy,
  validateWorkers,
} from '../../edge/config/validate-edge-config.js';
import { runEdgeProcess } from '../../edge/node/run-edge-process.js';
import { AppliedConfigStore } from '../../edge/sync/applied-config-store.js';
import { ControlClient } from '../../edge/sync/control-client.js';

/**
 * `edgeward edge --control URL --token TOKEN`: an edge fed by the control plane (docs/live-config.md). The
 * configuration persisted in --data-dir is loaded and compiled before the edge listens, so blocks are enforced from
 * the first request even when the control plane is down; then the edge registers and follows the change stream.
 * A config file (--config) may still give listen/admin/cache/limits; its zones and rules file are not used.
 */
export interface EdgeControlFlags {
  config?: string;
  workers?: string;
  control?: string;
  token?: string;
  name?: string;
  region?: string;
  country?: string;
  dataDir?: string;
  listen?: string;
  admin?: string;
  adminToken?: string;
  cacheDir?: string;
  memoryCache?: string;
  diskCache?: string;
  memoryObjectMax?: string;
  trustProxy?: string[];
  geoip?: string;
  operatorName?: string;
  operatorUrl?: string;
  logLevel?: string;
  acceptConfigRollback?: boolean;
  transport?: string;
}

const collect = (value: string, previous: string[] | undefined): string[] => [...(previous ?? []), value];

/** The flags of the control-plane mode, added to the `edge` command. */
export function addEdgeControlOptions(cmd: Command): Command {
  return cmd
    .option(
      '--control <url>',
      "control plane base URL: follow its live configuration instead of a config file's zones",
    )
    .option('--token <token>', 'edge API token for the control plane (or env EDGEWARD_EDGE_TOKEN)')
    .option('--name <name>', "this edge's name on the control plane; default: the hostname")
    .option('--region <region>', 'region reported to the control plane')
    .option('--country <CC>', 'ISO 3166-1 alpha-2 country reported to the control plane')
    .option('--data-dir <dir>', 'where the applied configuration is kept (edge-config.json)', './data/edge')
    .option('--listen <host:port>', 'where the edge listens (control mode)')
    .option('--admin <host:port>', 'admin port (healthz, metrics, purge) (control mode)')
    .option('--admin-token <token>', 'admin bearer token (or env EDGEWARD_ADMIN_TOKEN)')
    .option('--cache-dir <dir>', 'disk cache directory (control mode); default: <data-dir>/cache')
    .option('--memory-cache <size>', 'memory cache budget (control mode)')
    .option('--disk-cache <size>', 'disk cache budget (control mode)')
    .option(
      '--memory-object-max <size>',
      'bodies larger than this are streamed to disk, never held whole in memory (control mode; default 1MiB)',
    )
    .option(
      '--trust-proxy <ip-or-cidr>',
      'peer whose X-Forwarded-For is believed (control mode; repeatable)',
      collect,
    )
    .option('--geoip <file.mmdb>', 'MaxMind-format country database (control mode)')
    .option('--operator-name <name>', 'who enforces blocks, named in 451 pages (control mode)')
    .option('--operator-url <url>', 'where to reach that operator (control mode)')
    .option('--log-level <level>', 'log level (control mode)')
    .option('--transport <sse|long-poll>', 'how to follow the change stream', 'sse')
    .option(
      '--accept-config-rollback',
      'accept a control-plane snapshot older than the configuration on disk (after restoring its database)',
      false,
    );
}

export async function edgeConfigForControl(
  f: EdgeControlFlags,
  env: NodeJS.ProcessEnv = process.env,
  cwd = process.cwd(),
): Promise<EdgeConfig> {
  const dataDir = resolve(cwd, f.dataDir ?? './data/edge');
  // Zones come from the control plane: a file that gives only listen/admin/cache/limits is complete.
  const base: EdgeConfig | null = f.config
    ? await loadEdgeConfigFile(f.config, env, { zonesRequired: false })
    : null;
  const trust = (f.trustProxy ?? [])
    .flatMap((t) => t.split(','))
    .map((t) => t.trim())
    .filter((t) => t !== '');
  const adminToken = f.adminToken?.trim() || env.EDGEWARD_ADMIN_TOKEN?.trim() || base?.adminToken || null;
  if (adminToken !== null && adminToken.length < 16)
    throw new EdgewardError('invalid_config', 'the admin token must be at least 16 characters', {
      field: '--admin-token',
    });
  return {
    mode: 'edge',
    listen:
      f.listen !== undefined
        ? parseHostPort(f.listen, '--listen')
        : (base?.listen ?? parseHostPort('127.0.0.1:8080', '--listen')),
    admin: f.admin !== undefined ? parseHostPort(f.admin, '--admin') : (base?.admin ?? null),
    adminToken,
    workers:
      f.workers !== undefined
        ? validateWorkers(f.workers, '--workers')
        : (base?.workers ?? validateWorkers('auto', '--workers')),
    nodeName: f.name?.trim() || base?.nodeName || hostname(),
    operator:
      f.operatorName || f.operatorUrl
        ? validateOperator({ name: f.operatorName, url: f.operatorUrl }, '--operator')
        : (base?.operator ?? validateOperator(undefined, '--operator')),
    cache: {
      dir: f.cacheDir ? resolve(cwd, f.cacheDir) : (base?.cache.dir ?? resolve(dataDir, 'cache')),
      memoryBytes:
        f.memoryCache !== undefined
          ? parseByteSize(f.memoryCache, '--memory-cache')
          : (base?.cache.memoryBytes ?? DEFAULT_MEMORY_BYTES),
      diskBytes:
        f.diskCache !== undefined
          ? parseByteSize(f.diskCache, '--disk-cache')
          : (base?.cache.diskBytes ?? DEFAULT_DISK_BYTES),
      memoryObjectMaxBytes:
        f.memoryObjectMax !== undefined
          ? parseByteSize(f.memoryObjectMax, '--memory-object-max')
          : (base?.cache.memoryObjectMaxBytes ?? null),
    },
    trustProxy: trust.length ? validateTrustProxy(trust, '--trust-proxy') : (base?.trustProxy ?? []),
    geoip: f.geoip ? resolve(cwd, f.geoip) : (base?.geoip ?? null),
    // Zones and rules come from the control plane only.
    rules: null,
    limits: base?.limits ?? {},
    logLevel:
      f.logLevel !== undefined
        ? validateLogLevel(f.logLevel as LogLevel, '--log-level')
        : (base?.logLevel ?? 'info'),
    zones: [],
  };
}

export async function runEdgeWithControl(
  f: EdgeControlFlags,
  env: NodeJS.ProcessEnv = process.env,
): Promise<void> {
  const controlUrl = f.control!;
  let parsed: URL;
  try {
    parsed = new URL(controlUrl);
  } catch {
    throw new EdgewardError('invalid_config', `--control must be an http(s) URL, got "${controlUrl}"`, {
      field: '--control',
    });
  }
  if (parsed.protocol !== 'http:' && parsed.protocol !== 'https:') {
    throw new EdgewardError('invalid_config', '--control must be an http(s) URL', { field: '--control' });
  }
  const token = f.token?.trim() || env.EDGEWARD_EDGE_TOKEN?.trim();
  if (!token)
    throw new EdgewardError(
      'invalid_config',
      '--token (or env EDGEWARD_EDGE_TOKEN) is required with --control',
      { field: '--token' },
    );
  if (f.country !== undefined && !/^[A-Z]{2}$/.test(f.country)) {
    throw new EdgewardError('invalid_config', '--country must be an ISO 3166-1 alpha-2 code such as DE', {
      field: '--country',
    });
  }
  const transport = f.transport ?? 'sse';
  if (transport !== 'sse' && transport !== 'long-poll')
    throw new EdgewardError('invalid_config', '--transport must be sse or long-poll', {
      field: '--transport',
    });
  const config = await edgeConfigForControl(f, env);
  const logger = pino({ level: config.logLevel, base: { pid: process.pid, node: config.nodeName } });
  const dataDir = resolve(f.dataDir ?? './data/edge');

  // Blocks from disk before anything listens.
  const store = await AppliedConfigStore.open({ dataDir, logger });
  const proc = await runEdgeProcess({ config, logger, snapshot: store.snapshot(), handleSignals: false });
  const client = new ControlClient({
    controlUrl,
    token,
    name: config.nodeName,
    region: f.region ?? null,
    country: f.country ?? null,
    store,
    target: proc.node,
    logger,
    acceptRollback: f.acceptConfigRollback === true,
    transport,
  });
  client.start();

  let closing = false;
  const stop = (signal: string) => () => {
    if (closing) return;
    closing = true;
    logger.info({ signal }, 'stopping');
    (async () => {
      await client.stop();
      await proc.close();
      await store.close();
    })().then(
      () => process.exit(0),
      (e: unknown) => {
        logger.error({ err: e }, 'error during shutdown');
        process.exit(1);
      },
    );
  };
  process.on('SIGTERM', stop('SIGTERM'));
  process.on('SIGINT', stop('SIGINT'));
  // SIGHUP reloads a rules file in the other modes; here rules come from the control plane (and SIGHUP must not
  // kill the edge by default).
  process.on('SIGHUP', () =>
    logger.info(
      { appliedVersion: store.version },
      'SIGHUP ignored: configuration comes from the control plane',
    ),
  );
}
