import type { Command } from 'commander';
import {
  loadControlConfigFile,
  validateControlConfig,
  type ControlConfig,
} from '../../control/config/control-config.js';
import { startControlPlane } from '../../control/control-plane.js';
import { parseHostPort } from '../../edge/config/host-port.js';
import { EdgewardError } from '../../shared/errors.js';

interface ControlFlags {
  config?: string;
  listen?: string;
  databaseUrl?: string;
}

export function registerControlCommand(program: Command): void {
  program
    .command('control')
    .description('Run the control plane: API, console sessions, audit log, live configuration for edges.')
    .option('--config <file>', 'control.yaml (optional; every setting has a default)')
    .option('--listen <host:port>', 'override listen (default 127.0.0.1:7070)')
    .option(
      '--database-url <url>',
      'postgres:// URL (default: DATABASE_URL, else SQLite ./data/edgeward.sqlite)',
    )
    .action(async (flags: ControlFlags) => {
      let config: ControlConfig = flags.config
        ? await loadControlConfigFile(flags.config)
        : validateControlConfig({});
      if (flags.listen !== undefined) config = { ...config, listen: parseHostPort(flags.listen, '--listen') };
      if (flags.databaseUrl !== undefined) {
        if (!/^postgres(ql)?:\/\//i.test(flags.databaseUrl)) {
          throw new EdgewardError('invalid_config', '--database-url must be a postgres:// URL', {
            field: '--database-url',
          });
        }
        config = { ...config, databaseUrl: flags.databaseUrl };
      }
      const cp = await startControlPlane(config);
      process.stdout.write(`edgeward control plane listening on ${cp.url} (API reference: ${cp.url}/docs)\n`);
      if (cp.bootstrap) {
        process.stdout.write(
          `first start: created admin ${cp.bootstrap.email} with one-time password ${cp.bootstrap.password}\n` +
            '(shown once; create your own operator and disable this one, or change it)\n',
        );
      }
      let stopping = false;
      const stop = (signal: string) => {
        if (stopping) return;
        stopping = true;
        cp.app.log.info({ signal }, 'shutting down');
        cp.close().then(
          () => process.exit(0),
          (e: unknown) => {
            process.stderr.write(`shutdown failed: ${(e as Error).message}\n`);
            process.exit(1);
          },
        );
      };
      process.once('SIGTERM', () => stop('SIGTERM'));
      process.once('SIGINT', () => stop('SIGINT'));
    });
}
