import { spawn, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';

/** The compiled CLI entry next to this compiled test (dist/src/cli/main.js). */
export const CLI_MAIN = fileURLToPath(new URL('../../../src/cli/main.js', import.meta.url));

/** A real `edgeward` process for tests: started with the given arguments, its announced addresses parsed. */
export interface CliProcess {
  readonly proc: ChildProcess;
  readonly port: number;
  readonly adminPort: number | null;
  readonly adminToken: string | null;
  stderr(): string;
  stdout(): string;
  /** Resolves with the exit code (or signal name) once the process is gone. */
  readonly exited: Promise<number | string>;
  stop(signal?: NodeJS.Signals): Promise<number | string>;
}

function capture(proc: ChildProcess) {
  let out = '';
  let err = '';
  proc.stdout!.on('data', (c: Buffer) => (out += c.toString('utf8')));
  proc.stderr!.on('data', (c: Buffer) => (err += c.toString('utf8')));
  const exited = new Promise<number | string>((resolve) =>
    proc.on('exit', (code, signal) => resolve(code ?? signal ?? -1)),
  );
  return { out: () => out, err: () => err, exited };
}

/** Runs the CLI to completion (for commands expected to fail fast). */
export async function runCli(
  args: string[],
  env: NodeJS.ProcessEnv = {},
): Promise<{ code: number | string; stderr: string; stdout: string }> {
  const proc = spawn(process.execPath, [CLI_MAIN, ...args], {
    env: { ...process.env, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const c = capture(proc);
  const code = await c.exited;
  return { code, stderr: c.err(), stdout: c.out() };
}

/** Starts a long-running command (proxy / edge) and waits until it announced its listen address (and admin). */
export async function startCli(
  args: string[],
  env: NodeJS.ProcessEnv = {},
  timeoutMs = 60_000,
): Promise<CliProcess> {
  const proc = spawn(process.execPath, [CLI_MAIN, ...args], {
    env: { ...process.env, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const c = capture(proc);
  const wantsAdmin = args.includes('--admin') || args.includes('edge');
  const ready = await new Promise<boolean>((resolve) => {
    const timer = setTimeout(() => resolve(false), timeoutMs);
    const check = () => {
      const s = c.err();
      if (
        /listening on http:\/\/\S+:(\d+)/.test(s) &&
        (!wantsAdmin || /admin on http:\/\/\S+:(\d+)/.test(s))
      ) {
        clearTimeout(timer);
        proc.stderr!.off('data', check);
        resolve(true);
      }
    };
    proc.stderr!.on('data', check);
    void c.exited.then(() => {
      clearTimeout(timer);
      resolve(false);
    });
  });
  if (!ready) {
    proc.kill('SIGKILL');
    throw new Error(`edgeward ${args.join(' ')} did not start:\n${c.err()}\n${c.out().slice(-4000)}`);
  }
  const s = c.err();
  const port = Number(/listening on http:\/\/\S+:(\d+)/.exec(s)![1]);
  const admin = /admin on http:\/\/\S+:(\d+)/.exec(s);
  const token = /admin token: (\S+)/.exec(s);
  return {
    proc,
    port,
    adminPort: admin ? Number(admin[1]) : null,
    adminToken: token ? token[1]! : null,
    stderr: c.err,
    stdout: c.out,
    exited: c.exited,
    stop: async (signal = 'SIGTERM') => {
      if (proc.exitCode === null && proc.signalCode === null) proc.kill(signal);
      return c.exited;
    },
  };
}

/** The admin token the proxy-mode tests give their edges. */
export const TEST_ADMIN_TOKEN = 'test-admin-token-0123456789';

/**
 * `edgeward proxy` on free ports in front of `origin`, quiet (warn), with an admin port and TEST_ADMIN_TOKEN
 * (unless `admin: false`); `flags` add to or come after these.
 */
export function startProxy(
  origin: string,
  flags: string[] = [],
  o: { admin?: boolean } = {},
): Promise<CliProcess> {
  const admin = o.admin ?? true;
  return startCli(
    [
      'proxy',
      '--listen',
      '127.0.0.1:0',
      '--origin',
      origin,
      ...(admin ? ['--admin', '127.0.0.1:0'] : []),
      '--log-level',
      'warn',
      ...flags,
    ],
    admin ? { EDGEWARD_ADMIN_TOKEN: TEST_ADMIN_TOKEN } : {},
  );
}

export interface Reply {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: string;
  /** Local port of the client socket: the same value twice means the same connection. */
  localPort: number | undefined;
}

/** One request with fetch-like ergonomics over node:http (keeps control of the agent and Host header). */
export async function request(
  url: string,
  opts: {
    method?: string;
    headers?: Record<string, string>;
    body?: string;
    agent?: import('node:http').Agent;
  } = {},
): Promise<Reply> {
  const http = await import('node:http');
  return new Promise((resolve, reject) => {
    const req = http.request(
      url,
      { method: opts.method ?? 'GET', headers: opts.headers ?? {}, agent: opts.agent ?? false },
      (res) => {
        const localPort = res.socket?.localPort;
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () =>
          resolve({
            status: res.statusCode ?? 0,
            headers: res.headers,
            body: Buffer.concat(chunks).toString('utf8'),
            localPort,
          }),
        );
        res.on('error', reject);
      },
    );
    req.on('error', reject);
    req.end(opts.body);
  });
}
