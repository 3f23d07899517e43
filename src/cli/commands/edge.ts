import type { Command } from 'commander';
import { EdgewardError } from '../../shared/errors.js';
import { loadEdgeConfigFile } from '../../edge/config/load-edge-config.js';
import { runEdgeProcess } from '../../edge/node/run-edge-process.js';
import { addEdgeControlOptions, runEdgeWithControl, type EdgeControlFlags } from './edge-control.js';

export interface EdgeFlags {
  config?: string;
  workers?: string;
}

export function registerEdgeCommand(program: Command): void {
  const cmd = program
    .command('edge')
    .description(
      'Run a full edge node: several zones routed by Host, configured by edge.yaml (see examples/edge.yaml).',
    )
    .option('--config <file>', 'edge.yaml')
    .option('--workers <n>', 'override the workers setting of the config file');
  addEdgeControlOptions(cmd).action(async (flags: EdgeFlags & EdgeControlFlags) => {
    // Control-plane mode (src/cli/commands/edge-control.ts): zones and rules come from the control plane.
    if (flags.control !== undefined) return runEdgeWithControl(flags);
    if (!flags.config)
      throw new EdgewardError('invalid_config', '--config <edge.yaml> is required', { field: '--config' });
    let config = await loadEdgeConfigFile(flags.config);
    if (flags.workers !== undefined) {
      const n = Number(flags.workers);
      if (!Number.isInteger(n) || n < 1)
        throw new EdgewardError('invalid_config', '--workers must be a positive integer', {
          field: '--workers',
        });
      config = { ...config, workers: n };
    }
    await runEdgeProcess({ config, handleSignals: true });
  });
}
