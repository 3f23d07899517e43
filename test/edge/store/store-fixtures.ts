import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Readable } from 'node:stream';
import { pino, type Logger } from 'pino';
import type { CacheEntry, CacheEntryMeta } from '../../../src/edge/cache/cache-entry.js';
import type { CacheStore } from '../../../src/edge/store/cache-store.js';

export type NewMeta = Omit<CacheEntryMeta, 'bodySize' | 'invalidated'>;

export function meta(over: Partial<NewMeta> & { url?: string } = {}): NewMeta {
  const zone = over.zone ?? 'z1';
  const url = over.url ?? 'example.com/a';
  return {
    status: 200,
    headers: { 'content-type': 'text/plain', 'cache-control': 'max-age=60' },
    requestTime: 1_700_000_000_000,
    responseTime: 1_700_000_000_010,
    zone,
    primaryKey: over.primaryKey ?? `${zone}|${url}`,
    urlKey: over.urlKey ?? url,
    varyKey: over.varyKey ?? '',
    tags: over.tags ?? [],
    ...(over.status === undefined ? {} : { status: over.status }),
    ...(over.headers === undefined ? {} : { headers: over.headers }),
  };
}

export async function put(store: CacheStore, m: NewMeta, body: Buffer | string): Promise<CacheEntry | null> {
  const w = store.createWriter(m);
  const b = typeof body === 'string' ? Buffer.from(body) : body;
  // Several chunks, as from a socket.
  const step = Math.max(1, Math.ceil(b.length / 3));
  for (let i = 0; i < b.length; i += step) w.write(b.subarray(i, i + step));
  return w.commit();
}

export async function readAll(r: Readable): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const c of r) chunks.push(c as Buffer);
  return Buffer.concat(chunks);
}

export async function withTempDir<T>(fn: (dir: string) => Promise<T>): Promise<T> {
  const dir = await mkdtemp(join(tmpdir(), 'edgeward-store-'));
  try {
    return await fn(dir);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

/** A logger that keeps what it is given, to assert that failures leave a line. */
export function capturingLogger(): { logger: Logger; lines: Array<Record<string, unknown>> } {
  const lines: Array<Record<string, unknown>> = [];
  const logger = pino(
    { level: 'debug' },
    {
      write(s: string) {
        lines.push(JSON.parse(s) as Record<string, unknown>);
      },
    },
  );
  return { logger, lines };
}

export const silent = pino({ level: 'silent' });
