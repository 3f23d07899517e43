import type { Command } from 'commander';
import { registerDevCommand } from './dev.js';
import { registerAuditCommand } from './audit.js';
import { registerControlCommand } from './control.js';
import { registerEdgeCommand } from './edge.js';
import { registerMigrateCommand } from './migrate.js';
import { registerProxyCommand } from './proxy.js';

/**
 * Every `edgeward` subcommand, one file each under src/cli/commands/. To add one (control, migrate, audit verify,
 * dev, ...): write `commands/<name>.ts` exporting `register<Name>Command(program: Command): void` and list it here.
 * Actions should throw EdgewardError for bad input; main.ts prints it (code and field) and exits 2.
 */
export const COMMANDS: ReadonlyArray<(program: Command) => void> = [
  registerDevCommand,
  registerProxyCommand,
  registerEdgeCommand,
  registerMigrateCommand,
  registerAuditCommand,
  registerControlCommand,
];
