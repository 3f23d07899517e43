import { createWriteStream, type WriteStream } from 'node:fs';
import { finished } from 'node:stream/promises';
import type { CacheEntry, CacheEntryMeta } from '../cache/cache-entry.js';
import type { CacheBodyWriter } from './cache-store.js';
import { makeMeta } from './entry-meta.js';
import type { TieredCacheStore } from './tiered-cache-store.js';

/** Bytes a spilling writer may have queued for the disk before it gives up on caching (disk slower than origin). */
const SPILL_BUFFER_LIMIT = 64 * 1024 * 1024;

/** Collects a response body; past the memory threshold it streams to a temp file and holds no chunks. */
export class TieredBodyWriter implements CacheBodyWriter {
  private chunks: Buffer[] = [];
  private size = 0;
  private state: 'buffering' | 'spilled' | 'dropped' | 'done' = 'buffering';
  private file: WriteStream | null = null;
  private failure: unknown = null;

  constructor(
    private readonly store: TieredCacheStore,
    private readonly meta: Omit<CacheEntryMeta, 'bodySize' | 'invalidated'>,
    private readonly id: string,
  ) {}

  write(chunk: Buffer): void {
    if (this.state === 'dropped' || this.state === 'done') return;
    this.size += chunk.length;
    if (this.size > this.store.maxStorableBody) {
      this.store.log.debug(
        { key: this.meta.primaryKey, size: this.size },
        'cache store: body too large to cache',
      );
      this.drop();
      return;
    }
    if (this.state === 'buffering') {
      this.chunks.push(chunk);
      if (this.size > this.store.maxMemoryObject) {
        if (this.store.memoryOnly) this.drop();
        else this.spill();
      }
      return;
    }
    const file = this.file!;
    if (file.writableLength > SPILL_BUFFER_LIMIT) {
      this.store.log.warn(
        { key: this.meta.primaryKey },
        'cache store: disk slower than the origin; body not cached',
      );
      this.drop();
      return;
    }
    file.write(chunk);
  }

  /** Resolves when the temp file has drained enough to take more (optional backpressure for callers). */
  whenWritable(): Promise<void> {
    const file = this.file;
    if (this.state !== 'spilled' || !file || !file.writableNeedDrain) return Promise.resolve();
    return new Promise((resolve) => {
      const done = (): void => {
        file.off('drain', done);
        file.off('close', done);
        resolve();
      };
      file.on('drain', done);
      file.on('close', done);
    });
  }

  async commit(): Promise<CacheEntry | null> {
    const state = this.state;
    if (state === 'dropped' || state === 'done') return null;
    this.state = 'done';
    const meta = makeMeta(this.meta, this.meta, this.size, false);
    if (state === 'buffering') {
      const chunks = this.chunks;
      this.chunks = [];
      return this.store.commitBuffered(
        this.id,
        meta,
        chunks.length === 1 ? Buffer.from(chunks[0]!) : Buffer.concat(chunks, this.size),
      );
    }
    const file = this.file!;
    const tmp = this.store.tmpPath(this.id);
    try {
      file.end();
      await finished(file);
    } catch (e) {
      this.failure ??= e;
    }
    if (this.failure !== null || file.bytesWritten !== this.size) {
      this.store.log.warn(
        { err: this.failure, key: meta.primaryKey },
        'cache store: writing a body to disk failed; not cached',
      );
      await this.store.discard(tmp);
      return null;
    }
    return this.store.commitFile(this.id, meta, tmp);
  }

  abort(): void {
    if (this.state === 'dropped' || this.state === 'done') return;
    this.drop();
  }

  private spill(): void {
    const tmp = this.store.tmpPath(this.id);
    const file = createWriteStream(tmp, { flags: 'wx' });
    file.on('error', (e) => {
      if (this.failure === null && this.state !== 'dropped') {
        this.store.log.warn(
          { err: e, key: this.meta.primaryKey },
          'cache store: writing a body to disk failed; not cached',
        );
      }
      this.failure ??= e;
      if (this.state === 'spilled') this.drop();
    });
    this.file = file;
    this.state = 'spilled';
    for (const c of this.chunks) file.write(c);
    this.chunks = [];
  }

  private drop(): void {
    this.state = 'dropped';
    this.chunks = [];
    const file = this.file;
    if (file) {
      this.file = null;
      const tmp = this.store.tmpPath(this.id);
      file.destroy();
      const closed = file.closed
        ? Promise.resolve()
        : new Promise<void>((resolve) => file.once('close', () => resolve()));
      this.store.track(closed.then(() => this.store.discard(tmp)));
    }
  }
}
