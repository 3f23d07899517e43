/**
 * Starts the processes a benchmark measures and stops them afterwards. Every server gets its own process and a
 * port found free on 127.0.0.1; readiness is checked over HTTP, not by reading a server's log format.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { chmodSync, closeSync, mkdirSync, openSync, readFileSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { request } from 'undici';
import { benchTempDir } from './temp-dirs.js';

export interface Launched {
  readonly name: string;
  readonly port: number;
  /** The edge's admin port (healthz, metrics). */
  readonly adminPort?: number;
  readonly child: ChildProcess;
  stop(): Promise<void>;
}

const repoRoot = fileURLToPath(new URL('../../', import.meta.url));

export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const addr = s.address();
      const port = typeof addr === 'object' && addr ? addr.port : 0;
      s.close(() => resolve(port));
    });
  });
}

export async function waitForHttp(url: string, timeoutMs: number, child?: ChildProcess): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  while (Date.now() < deadline) {
    if (child && child.exitCode !== null)
      throw new Error(`process exited with ${child.exitCode} before ${url} answered`);
    try {
      const r = await request(url, { headersTimeout: 2000, bodyTimeout: 2000 });
      await r.body.dump();
      return;
    } catch (e) {
      last = e;
      await new Promise((r) => setTimeout(r, 100));
    }
  }
  throw new Error(`${url} did not answer within ${timeoutMs} ms: ${String(last)}`);
}

function stopper(child: ChildProcess): () => Promise<void> {
  return () =>
    new Promise((resolve) => {
      if (child.exitCode !== null || child.signalCode !== null) return resolve();
      const t = setTimeout(() => child.kill('SIGKILL'), 5000);
      child.once('exit', () => {
        clearTimeout(t);
        resolve();
      });
      child.kill('SIGTERM');
    });
}

/**
 * Output goes straight to a file in logDir, as nginx writes its access log to a file: piping it through this
 * process would spend the load generator's CPU on the edge's access log.
 */
function spawnLogged(name: string, cmd: string, args: string[], logDir: string): ChildProcess {
  const file = join(logDir, `${name}-${Date.now()}-${Math.random().toString(36).slice(2, 8)}.log`);
  const fd = openSync(file, 'a');
  const child = spawn(cmd, args, { cwd: repoRoot, stdio: ['ignore', fd, fd] });
  closeSync(fd);
  child.on('exit', (code, signal) => {
    if (code !== 0 && code !== null && signal === null) {
      console.error(`  ${name} exited with ${code}; its output is in ${file}:`);
      console.error(tailOf(file));
    }
  });
  return child;
}

function tailOf(file: string): string {
  const text = readFileSync(file, 'utf8');
  return text.slice(-4000);
}

export async function startFixture(role: 'origin' | 'bare', logDir: string): Promise<Launched> {
  const port = await freePort();
  const child = spawnLogged(
    role,
    process.execPath,
    [join(repoRoot, 'dist/bench/fixture-server.js'), role, String(port)],
    logDir,
  );
  await waitForHttp(`http://127.0.0.1:${port}/obj/1`, 10_000, child);
  return { name: role, port, child, stop: stopper(child) };
}

export async function startEdge(
  originPort: number,
  opts: {
    workers: number;
    rulesFile?: string;
    logDir: string;
    memoryCache?: string;
    /** Run the edge on this CPU only (taskset), for the side-by-side comparisons. */
    cpu?: number;
  },
): Promise<Launched> {
  const port = await freePort();
  const adminPort = await freePort();
  const cacheDir = benchTempDir('cache');
  const args = [
    join(repoRoot, 'bin/edgeward.js'),
    'proxy',
    '--listen',
    `127.0.0.1:${port}`,
    '--origin',
    `http://127.0.0.1:${originPort}`,
    '--admin',
    `127.0.0.1:${adminPort}`,
    '--admin-token',
    'bench-admin-token',
    '--workers',
    String(opts.workers),
    '--cache-dir',
    cacheDir,
    '--memory-cache',
    opts.memoryCache ?? '512MiB',
  ];
  if (opts.rulesFile) args.push('--rules', opts.rulesFile);
  const child =
    opts.cpu === undefined
      ? spawnLogged('edge', process.execPath, args, opts.logDir)
      : // taskset execs node in its own process: the pid is the edge's.
        spawnLogged('edge', 'taskset', ['-c', String(opts.cpu), process.execPath, ...args], opts.logDir);
  await waitForHttp(`http://127.0.0.1:${adminPort}/healthz`, 120_000, child);
  // Every worker serving, not only the first.
  for (let i = 0; i < 1200; i++) {
    const r = await request(`http://127.0.0.1:${adminPort}/healthz`);
    const h = (await r.body.json()) as { workers?: { up?: number } };
    if ((h.workers?.up ?? 0) >= opts.workers) break;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  return { name: 'edge', port, adminPort, child, stop: stopper(child) };
}

export async function startNginx(originPort: number, workers: number, logDir: string): Promise<Launched> {
  const port = await freePort();
  const dir = benchTempDir('nginx');
  // Started as root, nginx's workers run as nobody: they must be able to enter the (0700) temporary directory.
  chmodSync(dir, 0o755);
  for (const d of ['cache', 'body', 'proxy', 'fastcgi', 'uwsgi', 'scgi']) mkdirSync(join(dir, d));
  const conf = join(dir, 'nginx.conf');
  writeFileSync(
    conf,
    `worker_processes ${workers};
daemon off;
pid ${dir}/nginx.pid;
error_log ${dir}/error.log warn;
events { worker_connections 4096; }
http {
  access_log ${dir}/access.log combined buffer=64k flush=1s;
  client_body_temp_path ${dir}/body;
  proxy_temp_path ${dir}/proxy;
  fastcgi_temp_path ${dir}/fastcgi;
  uwsgi_temp_path ${dir}/uwsgi;
  scgi_temp_path ${dir}/scgi;
  proxy_cache_path ${dir}/cache levels=1:2 keys_zone=edge:64m max_size=2g inactive=1h use_temp_path=off;
  upstream origin { server 127.0.0.1:${originPort}; keepalive 64; }
  server {
    listen 127.0.0.1:${port};
    location / {
      proxy_pass http://origin;
      proxy_http_version 1.1;
      proxy_set_header Connection "";
      proxy_cache edge;
      proxy_cache_lock on;
      add_header Cache-Status $upstream_cache_status;
    }
  }
}
`,
  );
  const child = spawnLogged('nginx', 'nginx', ['-c', conf, '-p', dir], logDir);
  await waitForHttp(`http://127.0.0.1:${port}/obj/1`, 10_000, child);
  return { name: 'nginx', port, child, stop: stopper(child) };
}
