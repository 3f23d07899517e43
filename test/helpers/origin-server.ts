import http, { type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';

/** One request as the origin saw it (body read whole: test origins receive small bodies). */
export interface SeenRequest {
  readonly method: string;
  readonly url: string;
  readonly headers: http.IncomingHttpHeaders;
  /** Raw header pairs, to check what exactly arrived (duplicates, order). */
  readonly rawHeaders: readonly string[];
  readonly body: Buffer;
}

export type OriginHandler = (req: IncomingMessage, res: ServerResponse, body: Buffer) => unknown;

/**
 * A real HTTP origin on 127.0.0.1:<random port> whose behaviour a test programs, and which records every
 * request it receives.
 */
export interface TestOrigin {
  readonly port: number;
  /** http://127.0.0.1:<port> */
  readonly url: string;
  readonly requests: SeenRequest[];
  handle(fn: OriginHandler): void;
  /** Requests seen for a path (path with query as sent). */
  count(path?: string): number;
  close(): Promise<void>;
}

export async function startOrigin(fn?: OriginHandler): Promise<TestOrigin> {
  let handler: OriginHandler = fn ?? ((_req, res) => res.end('ok'));
  const requests: SeenRequest[] = [];
  const sockets = new Set<Socket>();
  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const body = Buffer.concat(chunks);
      requests.push({
        method: req.method ?? '',
        url: req.url ?? '',
        headers: req.headers,
        rawHeaders: req.rawHeaders,
        body,
      });
      Promise.resolve(handler(req, res, body)).catch((e: unknown) => {
        res.destroy(e instanceof Error ? e : new Error(String(e)));
      });
    });
  });
  server.on('connection', (s) => {
    sockets.add(s);
    s.on('close', () => sockets.delete(s));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as AddressInfo).port;
  return {
    port,
    url: `http://127.0.0.1:${port}`,
    requests,
    handle: (f) => {
      handler = f;
    },
    count: (path) => (path === undefined ? requests.length : requests.filter((r) => r.url === path).length),
    close: () =>
      new Promise<void>((resolve) => {
        for (const s of sockets) s.destroy();
        server.close(() => resolve());
      }),
  };
}

/** A port that refuses connections (bound, then released). */
export async function closedPort(): Promise<number> {
  const s = http.createServer();
  await new Promise<void>((resolve) => s.listen(0, '127.0.0.1', resolve));
  const port = (s.address() as AddressInfo).port;
  await new Promise<void>((resolve) => s.close(() => resolve()));
  return port;
}
