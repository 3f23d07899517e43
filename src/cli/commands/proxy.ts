import type { Command } from 'commander';
import { proxyConfigFromFlags, type ProxyFlags } from '../../edge/config/proxy-config.js';
import { runEdgeProcess } from '../../edge/node/run-edge-process.js';

const collect = (value: string, previous: string[] | undefined): string[] => [...(previous ?? []), value];

export function registerProxyCommand(program: Command): void {
  program
    .command('proxy')
    .description(
      'Run the edge in front of one origin: every Host goes to it (one catch-all zone), no control plane.',
    )
    .requiredOption(
      '--origin <url>',
      'origin base URL, e.g. http://127.0.0.1:9000 (repeatable: requests are spread)',
      collect,
    )
    .option('--listen <host:port>', 'where the edge listens', '127.0.0.1:8080')
    .option('--rules <file>', 'block rules, JSON lines (reload with SIGHUP or POST /rules/reload)')
    .option(
      '--cache-dir <dir>',
      'disk cache directory (worker n uses <dir>/worker-<n>); default: memory only',
    )
    .option('--memory-cache <size>', 'memory cache budget for the node, e.g. 256MiB', '256MiB')
    .option('--disk-cache <size>', 'disk cache budget for the node, e.g. 10GiB', '10GiB')
    .option(
      '--memory-object-max <size>',
      'bodies larger than this are streamed, never held whole in memory: to disk with --cache-dir, else not cached (default 1MiB)',
    )
    .option(
      '--trust-proxy <ip-or-cidr>',
      'peer whose X-Forwarded-For is believed (repeatable or comma list)',
      collect,
    )
    .option(
      '--geoip <file.mmdb>',
      'MaxMind-format country database; default: the bundled GeoLite2 country database',
    )
    .option('--admin <host:port>', 'admin port (healthz, metrics, purge, rules reload); off unless given')
    .option(
      '--admin-token <token>',
      'admin bearer token (or env EDGEWARD_ADMIN_TOKEN); default: generated and printed once',
    )
    .option('--workers <n>', "serving processes ('auto' = one per core; 1 = no cluster)", 'auto')
    .option('--node-name <name>', 'name in Via and Cache-Status; default: the hostname')
    .option('--origin-host <host>', "Host header sent to the origin; default: the client's Host")
    .option('--operator-name <name>', 'who enforces blocks, named in 451 pages')
    .option('--operator-url <url>', 'where to reach that operator')
    .option('--log-level <level>', 'fatal, error, warn, info, debug, trace or silent', 'info')
    .action(async (flags: ProxyFlags) => {
      const config = proxyConfigFromFlags(flags);
      await runEdgeProcess({ config, handleSignals: true });
    });
}
