/**
 * Temporary directories of one benchmark run (server logs, edge caches, nginx's tree, rules files, wrk scripts).
 * An edge's access log alone grows by about 12 MB a second under load, so everything is removed when the run ends,
 * unless BENCH_KEEP=1 (to read the logs).
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const dirs: string[] = [];

export function benchTempDir(prefix: string): string {
  const dir = mkdtempSync(join(tmpdir(), `edgeward-bench-${prefix}-`));
  dirs.push(dir);
  return dir;
}

/** Removes them all (or lists them with BENCH_KEEP=1); returns what it did, for the run's last lines. */
export function removeBenchTempDirs(): string {
  if (process.env.BENCH_KEEP === '1') return `kept: ${dirs.join(' ')}`;
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
  return 'temporary directories removed (BENCH_KEEP=1 keeps them)';
}
