import { isEdgewardError } from '../shared/errors.js';

/** Exit status for bad input (flags, config, rules): distinct from 1, a crash. */
export const EXIT_USAGE = 2;

/** Prints an error the way every command does: code, field, message; exits 2 for EdgewardErrors, 1 otherwise. */
export function exitWithError(e: unknown): never {
  if (isEdgewardError(e)) {
    const field = e.field === undefined ? '' : ` [${e.field}]`;
    process.stderr.write(`edgeward: error ${e.code}${field}: ${e.message}\n`);
    process.exit(EXIT_USAGE);
  }
  process.stderr.write(
    `edgeward: unexpected error: ${e instanceof Error ? (e.stack ?? e.message) : String(e)}\n`,
  );
  process.exit(1);
}
