import { readFileSync } from 'node:fs';
import { Command, CommanderError } from 'commander';
import { COMMANDS } from './commands/index.js';
import { EXIT_USAGE, exitWithError } from './cli-error.js';

function version(): string {
  // dist/src/cli/main.js -> package.json at the repository root.
  try {
    return (
      JSON.parse(readFileSync(new URL('../../../package.json', import.meta.url), 'utf8')) as {
        version: string;
      }
    ).version;
  } catch {
    return 'unknown';
  }
}

const program = new Command()
  .name('edgeward')
  .description('Edgeward: an accountable CDN edge and control plane.')
  .version(version())
  .showHelpAfterError()
  .exitOverride();

for (const register of COMMANDS) register(program);

try {
  await program.parseAsync(process.argv);
} catch (e) {
  if (e instanceof CommanderError) {
    // Help and --version "errors" are successes; usage errors were already printed by commander.
    process.exit(e.exitCode === 0 ? 0 : EXIT_USAGE);
  }
  exitWithError(e);
}
