/**
 * Drives HTTP load from a separate process: wrk when installed (it is the lighter client, so the server, not the
 * client, is what we measure), else autocannon. Same settings for every server under test.
 */
import { spawn, spawnSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { benchTempDir } from './temp-dirs.js';

export interface LoadResult {
  readonly requestsPerSecond: number;
  readonly p50Ms: number;
  readonly p99Ms: number;
  readonly non2xx: number;
  readonly tool: 'wrk' | 'autocannon';
}

export interface LoadOptions {
  readonly url: string;
  readonly connections: number;
  readonly durationSeconds: number;
  /** Every request gets a unique path suffix (for MISS load): url is a prefix, `<n>/<size>` is appended. */
  readonly uniqueSuffixSize?: number;
  /** Host header to send instead of the URL's authority. */
  readonly host?: string;
  /** Run the load generator on this CPU only (taskset; wrk only). */
  readonly cpu?: number;
}

export function hasWrk(): boolean {
  return spawnSync('wrk', ['--version']).error === undefined;
}

function run(cmd: string, args: string[]): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = spawn(cmd, args, { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let errOut = '';
    child.stdout.on('data', (d: Buffer) => (out += d.toString()));
    child.stderr.on('data', (d: Buffer) => (errOut += d.toString()));
    child.on('error', reject);
    child.on('close', (code) =>
      code === 0 ? resolve(out) : reject(new Error(`${cmd} exited ${code}: ${errOut || out}`)),
    );
  });
}

function wrkDurationMs(v: string, unit: string): number {
  const n = Number(v);
  if (unit === 'us') return n / 1000;
  if (unit === 'ms') return n;
  if (unit === 's') return n * 1000;
  if (unit === 'm') return n * 60_000;
  return NaN;
}

async function runWrk(o: LoadOptions): Promise<LoadResult> {
  const args = ['-t1', `-c${o.connections}`, `-d${o.durationSeconds}s`, '--latency'];
  if (o.host) args.push('-H', `Host: ${o.host}`);
  if (o.uniqueSuffixSize !== undefined) {
    const dir = benchTempDir('wrk');
    const script = join(dir, 'unique.lua');
    // A per-connection counter plus a random run id keeps every path unique, so every request is a cache miss.
    writeFileSync(
      script,
      `local n = 0\nlocal run = tostring(math.random(1, 1e9))\nrequest = function()\n  n = n + 1\n  return wrk.format("GET", wrk.path .. run .. "-" .. tostring(n) .. "-" .. tostring(math.random(1, 1e9)) .. "/${o.uniqueSuffixSize}")\nend\n`,
    );
    args.push('-s', script);
  }
  args.push(o.url);
  const out =
    o.cpu === undefined
      ? await run('wrk', args)
      : await run('taskset', ['-c', String(o.cpu), 'wrk', ...args]);
  const rps = /Requests\/sec:\s+([\d.]+)/.exec(out);
  const p50 = /\s50%\s+([\d.]+)(us|ms|s|m)/.exec(out);
  const p99 = /\s99%\s+([\d.]+)(us|ms|s|m)/.exec(out);
  const non2xx = /Non-2xx or 3xx responses:\s+(\d+)/.exec(out);
  if (!rps || !p50 || !p99) throw new Error(`could not parse wrk output:\n${out}`);
  return {
    requestsPerSecond: Number(rps[1]),
    p50Ms: wrkDurationMs(p50[1]!, p50[2]!),
    p99Ms: wrkDurationMs(p99[1]!, p99[2]!),
    non2xx: non2xx ? Number(non2xx[1]) : 0,
    tool: 'wrk',
  };
}

async function runAutocannon(o: LoadOptions): Promise<LoadResult> {
  // autocannon runs in its own process (its CLI), like wrk, so the orchestrator's loop is not measured.
  const bin = new URL('../../node_modules/autocannon/autocannon.js', import.meta.url);
  const args = [bin.pathname, '-c', String(o.connections), '-d', String(o.durationSeconds), '-j'];
  if (o.host) args.push('-H', `host=${o.host}`);
  if (o.uniqueSuffixSize !== undefined) args.push('-I', `${o.url}[<id>]/${o.uniqueSuffixSize}`);
  else args.push(o.url);
  const out = await run(process.execPath, args);
  const r = JSON.parse(out) as {
    requests: { average: number };
    latency: { p50: number; p99: number };
    non2xx: number;
  };
  return {
    requestsPerSecond: r.requests.average,
    p50Ms: r.latency.p50,
    p99Ms: r.latency.p99,
    non2xx: r.non2xx,
    tool: 'autocannon',
  };
}

export function runLoad(o: LoadOptions): Promise<LoadResult> {
  return hasWrk() ? runWrk(o) : runAutocannon(o);
}
