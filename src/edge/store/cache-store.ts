import type { Readable } from 'node:stream';
import type { CacheEntry, CacheEntryMeta, CachedHead } from '../cache/cache-entry.js';

/**
 * The edge's storage: a memory tier bounded in bytes over a disk tier bounded in bytes that survives a restart.
 * All metadata is indexed in memory so that a lookup is synchronous; bodies of disk-only entries are streamed.
 */
export type PurgeSelector =
  | { readonly kind: 'key'; readonly primaryKey: string }
  | { readonly kind: 'prefix'; readonly zone: string; readonly urlPrefix: string }
  | { readonly kind: 'tag'; readonly zone: string | null; readonly tag: string }
  | { readonly kind: 'zone'; readonly zone: string };

export interface CacheBodyWriter {
  /** Appends a chunk; the writer spills to disk past the memory threshold, so a large body is never held whole. */
  write(chunk: Buffer): void;
  /** Stores the entry; resolves to it, or to null when it could not be stored (too large, disk error: logged). */
  commit(): Promise<CacheEntry | null>;
  /** Drops what was written (origin aborted, response turned out uncacheable). */
  abort(): void;
  /**
   * Optional backpressure: resolves when the writer can take more without queueing much in memory (a spilled
   * body waits for its temp file to drain). A caller that ignores it and feeds a large body faster than the disk
   * takes it gets that body dropped from caching (logged) once 64 MiB are queued, rather than unbounded memory.
   */
  whenWritable?(): Promise<void>;
}

export interface CacheStoreStats {
  readonly objects: number;
  readonly memoryBytes: number;
  readonly diskBytes: number;
}

export interface CacheStore {
  /** Every stored variant for a primary key, in no particular order. */
  variants(primaryKey: string): readonly CacheEntry[];
  /** Streams an entry's body, or the inclusive byte range [start, end] of it. */
  openBody(entry: CacheEntry, range?: { start: number; end: number }): Readable;
  /** Begins storing a response whose body arrives in chunks; replaces a variant with the same keys on commit. */
  createWriter(meta: Omit<CacheEntryMeta, 'bodySize' | 'invalidated'>): CacheBodyWriter;
  /** Replaces an entry's head (after a 304 from the origin revalidated it); clears `invalidated`. */
  updateHead(entry: CacheEntry, head: CachedHead): CacheEntry;
  remove(entry: CacheEntry): void;
  /** Hard purge removes matching entries; soft purge marks them invalidated. Returns how many matched. */
  purge(selector: PurgeSelector, soft: boolean): number;
  stats(): CacheStoreStats;
  close(): Promise<void>;
}
