import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { validateControlConfig } from '../../../src/control/config/control-config.js';
import { startControlPlane, type RunningControlPlane } from '../../../src/control/control-plane.js';
import { testResolve } from '../services/service-fixture.js';

/** A real control plane on 127.0.0.1:0 with its own SQLite file (or the given PostgreSQL URL). */
export async function startTestControlPlane(
  overrides: Record<string, unknown> = {},
  opts: { databaseUrl?: string } = {},
): Promise<RunningControlPlane & { stop(): Promise<void> }> {
  const dir = await mkdtemp(join(tmpdir(), 'edgeward-cp-'));
  const config = validateControlConfig(
    {
      listen: '127.0.0.1:0',
      sqlitePath: join(dir, 'control.sqlite'),
      originAllowList: ['127.0.0.1'],
      logLevel: 'silent',
      ...(opts.databaseUrl === undefined ? {} : { databaseUrl: opts.databaseUrl }),
      ...overrides,
    },
    {},
  );
  const cp = await startControlPlane(config, { resolveHost: testResolve, syncPollIntervalMs: 100 });
  return Object.assign(cp, {
    async stop() {
      await cp.close();
      await rm(dir, { recursive: true, force: true });
    },
  });
}

export interface Reply {
  status: number;
  body: any; // eslint-disable-line @typescript-eslint/no-explicit-any
  headers: Headers;
}

/** An HTTP client with an optional session (cookie + CSRF token) or bearer token. */
export class ApiClient {
  cookie: string | undefined;
  csrf: string | undefined;
  token: string | undefined;
  constructor(readonly base: string) {}

  async call(
    method: string,
    path: string,
    body?: unknown,
    opts: { csrf?: string | null } = {},
  ): Promise<Reply> {
    const headers: Record<string, string> = {};
    if (body !== undefined) headers['content-type'] = 'application/json';
    if (this.token) headers.authorization = `Bearer ${this.token}`;
    if (this.cookie) headers.cookie = this.cookie;
    const csrf = opts.csrf === undefined ? this.csrf : opts.csrf;
    if (csrf) headers['x-csrf-token'] = csrf;
    const res = await fetch(this.base + path, {
      method,
      headers,
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    });
    const text = await res.text();
    let parsed: unknown = text;
    if ((res.headers.get('content-type') ?? '').includes('application/json') && text !== '')
      parsed = JSON.parse(text);
    return { status: res.status, body: parsed, headers: res.headers };
  }

  async login(email: string, password: string): Promise<Reply> {
    const r = await this.call('POST', '/v1/auth/login', { email, password });
    if (r.status === 200) {
      const set = r.headers.get('set-cookie') ?? '';
      this.cookie = set.split(';')[0];
      this.csrf = r.body.csrfToken;
    }
    return r;
  }

  static async loggedIn(base: string, email: string, password: string): Promise<ApiClient> {
    const c = new ApiClient(base);
    const r = await c.login(email, password);
    if (r.status !== 200) throw new Error(`login ${email}: ${r.status} ${JSON.stringify(r.body)}`);
    return c;
  }

  static withToken(base: string, token: string): ApiClient {
    const c = new ApiClient(base);
    c.token = token;
    return c;
  }
}
