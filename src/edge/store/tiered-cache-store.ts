import { randomBytes } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { mkdir, readdir, readFile, rename, rm, unlink, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { pino, type Logger } from 'pino';
import type { CacheEntry, CacheEntryMeta, CachedHead } from '../cache/cache-entry.js';
import { EdgewardError } from '../../shared/errors.js';
import type { CacheBodyWriter, CacheStore, CacheStoreStats, PurgeSelector } from './cache-store.js';
import { CacheJournal, replayJournal, type JournalRecord } from './cache-journal.js';
import { makeMeta } from './entry-meta.js';
import { LruList } from './lru-list.js';
import { estimateDiskBytes, estimateMetaBytes } from './meta-size.js';
import { PurgeIndex } from './purge-index.js';
import { NumberQueue } from './number-queue.js';
import { TieredBodyWriter } from './tiered-body-writer.js';
import { writeNewFile } from './write-new-file.js';
import { INVALIDATED, LIVE, SlotTable } from './slot-table.js';

export interface TieredCacheStoreOptions {
  memoryBytes: number;
  diskBytes: number;
  /** null = memory only. One directory per process (the edge uses `<cacheDir>/worker-<n>`): it is not shared. */
  dir: string | null;
  /** Bodies larger than this go to disk only; default 1 MiB. */
  memoryObjectMaxBytes?: number;
  logger?: Logger;
  /** The journal is rewritten once it holds this many lines more than twice the disk entries; default 10,000. */
  journalCompactionSlack?: number;
}

/**
 * Opens (or creates) a store. With a directory, the disk tier's index is rebuilt from its journal, files left
 * half-written by a crash are discarded and body files no record names are deleted before this resolves.
 */
export async function openTieredCacheStore(opts: TieredCacheStoreOptions): Promise<TieredCacheStore> {
  const store = new TieredCacheStore(opts);
  await store.load();
  return store;
}

const DEFAULT_MEMORY_OBJECT_MAX = 1024 * 1024;
/** Bytes of small bodies waiting for their background write to disk; past it new ones stay memory-only. */
const PERSIST_BACKLOG_LIMIT = 64 * 1024 * 1024;
const UNLINK_CONCURRENCY = 8;
const SUBDIRS = 256;
/** How long one slice of the post-purge sweeper may hold the event loop. */
const SWEEP_SLICE_MS = 4;
const EMPTY: readonly CacheEntry[] = Object.freeze([]);
const SLOT = Symbol('cache-slot');

/** The public entry object; it knows its slot so openBody/updateHead/remove find the live state in O(1). */
class StoredEntry implements CacheEntry {
  readonly [SLOT]: Slot;
  constructor(
    readonly meta: CacheEntryMeta,
    readonly body: Buffer | null,
    slot: Slot,
  ) {
    this[SLOT] = slot;
  }
}

type DiskState = 'none' | 'pending' | 'stored';

/** One stored variant: the current public entry plus its place in both tiers. */
class Slot {
  entry!: StoredEntry;
  /** Number in the slot table; -1 once released (a caller may still hold one of its entries). */
  n: number;
  disk: DiskState = 'none';
  /** Open read streams on the body file: deleting it waits for them. */
  readers = 0;
  unlinkWhenIdle = false;
  promoting = false;
  constructor(
    readonly id: string,
    private readonly table: SlotTable<Slot>,
  ) {
    this.n = table.alloc(this);
  }
  get live(): boolean {
    return this.n >= 0 && (this.table.flags[this.n]! & LIVE) !== 0;
  }
  get invalidated(): boolean {
    return this.n >= 0 && (this.table.flags[this.n]! & INVALIDATED) !== 0;
  }
  set invalidated(v: boolean) {
    if (this.n < 0) return;
    if (v) this.table.flags[this.n]! |= INVALIDATED;
    else this.table.flags[this.n]! &= ~INVALIDATED;
  }
  get memBytes(): number {
    return this.n >= 0 ? this.table.memBytes[this.n]! : 0;
  }
  set memBytes(v: number) {
    if (this.n >= 0) this.table.memBytes[this.n] = v;
  }
  get diskBytes(): number {
    return this.n >= 0 ? this.table.diskBytes[this.n]! : 0;
  }
  set diskBytes(v: number) {
    if (this.n >= 0) this.table.diskBytes[this.n] = v;
  }
}

export class TieredCacheStore implements CacheStore {
  private readonly memoryLimit: number;
  private readonly diskLimit: number;
  private readonly memoryObjectMax: number;
  private readonly compactSlack: number;
  readonly dir: string | null;
  private readonly logger: Logger;

  private readonly byKey = new Map<string, StoredEntry[]>();
  private readonly index = new PurgeIndex();
  private readonly table = new SlotTable<Slot>();
  /** Recency of slot numbers whose body is counted in the memory tier, and of those stored on disk. */
  private readonly memList = new LruList();
  private readonly diskList = new LruList();
  private objects = 0;
  private memUsed = 0;
  private diskUsed = 0;
  private persistBacklog = 0;
  private readonly inflight = new Set<Promise<unknown>>();
  private readonly unlinkQueue: string[] = [];
  private unlinkWorkers = 0;
  private unlinkIdle: Array<() => void> = [];
  private journal: CacheJournal | null = null;
  private replaying = false;
  private readonly generation = randomBytes(4).toString('hex');
  private counter = 0;
  private closed = false;
  /** Numbers of purged entries awaiting unindex(). */
  private readonly dead = new NumberQueue();
  private sweepScheduled = false;

  constructor(opts: TieredCacheStoreOptions) {
    this.memoryLimit = checkBytes(opts.memoryBytes, 'memoryBytes');
    this.diskLimit = opts.dir === null ? 0 : checkBytes(opts.diskBytes, 'diskBytes');
    this.memoryObjectMax = checkBytes(
      opts.memoryObjectMaxBytes ?? DEFAULT_MEMORY_OBJECT_MAX,
      'memoryObjectMaxBytes',
    );
    if (opts.dir !== null && (typeof opts.dir !== 'string' || opts.dir === '')) {
      throw new EdgewardError('invalid_option', 'dir must be a directory path or null', { field: 'dir' });
    }
    this.compactSlack = checkBytes(opts.journalCompactionSlack ?? 10_000, 'journalCompactionSlack');
    this.dir = opts.dir;
    this.logger = opts.logger ?? pino({ name: 'cache-store', level: 'warn' });
  }

  // ---- lookups (hot path) ----

  variants(primaryKey: string): readonly CacheEntry[] {
    const list = this.byKey.get(primaryKey);
    if (list === undefined) return EMPTY;
    const flags = this.table.flags;
    for (let i = 0; i < list.length; i++) {
      const entry = list[i]!;
      const slot = entry[SLOT];
      const f = slot.n >= 0 ? flags[slot.n]! : 0;
      // Purges only flip flags; the entry objects catch up here, on the next lookup of their key.
      if ((f & LIVE) === 0 || ((f & INVALIDATED) !== 0 && !entry.meta.invalidated))
        return this.refreshKey(primaryKey, list);
      this.touch(slot);
    }
    return list;
  }

  openBody(entry: CacheEntry, range?: { start: number; end: number }): Readable {
    const slot = entry instanceof StoredEntry ? entry[SLOT] : undefined;
    const body = entry.body ?? (slot && slot.live ? slot.entry.body : null);
    if (body !== null) {
      if (slot && slot.live) this.touch(slot);
      return bufferStream(range ? body.subarray(range.start, range.end + 1) : body);
    }
    if (!slot || !slot.live || slot.disk !== 'stored' || this.dir === null) {
      return errorStream(new EdgewardError('cache_body_gone', 'the cached body is no longer stored'));
    }
    this.touch(slot);
    slot.readers++;
    const stream = createReadStream(
      this.bodyPath(slot.id),
      range ? { start: range.start, end: range.end } : {},
    );
    stream.once('close', () => {
      slot.readers--;
      if (slot.readers === 0 && slot.unlinkWhenIdle) {
        slot.unlinkWhenIdle = false;
        this.queueUnlink(this.bodyPath(slot.id));
      }
    });
    if (slot.entry.meta.bodySize <= this.memoryObjectMax) this.promote(slot);
    return stream;
  }

  // ---- writes ----

  createWriter(meta: Omit<CacheEntryMeta, 'bodySize' | 'invalidated'>): CacheBodyWriter {
    return new TieredBodyWriter(this, meta, this.nextId());
  }

  updateHead(entry: CacheEntry, head: CachedHead): CacheEntry {
    const slot = entry instanceof StoredEntry ? entry[SLOT] : undefined;
    const base = slot && slot.live ? slot.entry : entry;
    const meta = makeMeta(base.meta, head, base.meta.bodySize, false);
    if (!slot || !slot.live) return { meta, body: entry.body };
    const next = new StoredEntry(meta, slot.entry.body, slot);
    slot.invalidated = false;
    this.replaceEntry(slot, next);
    if (slot.memBytes > 0) {
      const bytes = next.body!.length + estimateMetaBytes(meta);
      this.memUsed += bytes - slot.memBytes;
      slot.memBytes = bytes;
    }
    this.touch(slot);
    if (slot.disk === 'stored') this.record({ op: 'head', id: slot.id, head });
    this.evictMemory();
    return next;
  }

  remove(entry: CacheEntry): void {
    const slot = entry instanceof StoredEntry ? entry[SLOT] : undefined;
    if (slot && slot.live) this.removeSlot(slot, true);
  }

  /**
   * Costs O(matched) cheap steps, so that a tag on 100,000 of a million entries purges in milliseconds: a hard
   * purge clears entries' live flags and settles the byte counts at once, and a sweeper unlinks them from the
   * indexes and deletes their files in small slices afterwards; a soft purge sets a flag, and the next lookup of
   * the key hands out an entry whose `meta.invalidated` is true (entry objects are immutable).
   */
  purge(selector: PurgeSelector, soft: boolean): number {
    let matched = 0;
    const flags = this.table.flags;
    const visit = soft
      ? (n: number): void => {
          matched++;
          flags[n]! |= INVALIDATED;
        }
      : (n: number): void => {
          matched++;
          this.killN(n);
          this.dead.push(n);
        };
    if (selector.kind === 'key') {
      const list = this.byKey.get(selector.primaryKey);
      if (list) for (const e of list) if (e[SLOT].live) visit(e[SLOT].n);
    } else {
      this.index.forEachMatch(selector, flags, (n) => this.table.item(n).entry.meta.urlKey, visit);
    }
    if (matched > 0) {
      if (!soft) this.scheduleSweep();
      // One journal record for the whole purge instead of one per entry.
      if (!this.replaying) this.record({ op: 'purge', sel: selector, soft });
    }
    return matched;
  }

  stats(): CacheStoreStats {
    return { objects: this.objects, memoryBytes: this.memUsed, diskBytes: this.diskUsed };
  }

  /** Waits for background disk writes, file deletions and journal appends (tests, shutdown). */
  async flush(): Promise<void> {
    this.sweep(Infinity);
    while (this.inflight.size > 0) await Promise.all([...this.inflight]);
    this.sweep(Infinity);
    await this.journal?.flush();
    if (this.unlinkWorkers > 0) await new Promise<void>((resolve) => this.unlinkIdle.push(resolve));
  }

  async close(): Promise<void> {
    if (this.closed) return;
    await this.flush();
    this.closed = true;
    await this.journal?.close();
    this.journal = null;
    if (this.dir !== null) await this.discard(join(this.dir, 'lock'));
  }

  /** Requests a journal rewrite now (it is otherwise automatic); it runs in the background, see flush(). */
  compactJournal(): void {
    this.journal?.compact(() => this.snapshotRecords());
  }

  /** Entries in memory-tier LRU order, most recent first (tests). */
  memoryOrder(): CacheEntry[] {
    return [...this.memList.values()]
      .map((n) => this.table.item(n))
      .filter((s) => s.live)
      .map((s) => s.entry);
  }

  // ---- internals used by the writer ----

  get memoryOnly(): boolean {
    return this.dir === null;
  }
  get maxMemoryObject(): number {
    return this.memoryObjectMax;
  }
  /** The largest body this store could keep at all. */
  get maxStorableBody(): number {
    return this.dir === null ? Math.min(this.memoryObjectMax, this.memoryLimit) : Math.max(this.diskLimit, 0);
  }
  get log(): Logger {
    return this.logger;
  }

  tmpPath(id: string): string {
    return join(this.dir!, 'tmp', `${id}.part`);
  }

  /** Stores a body held in memory: in the memory tier (written through to disk in the background) or disk only. */
  async commitBuffered(id: string, meta: CacheEntryMeta, body: Buffer): Promise<CacheEntry | null> {
    const memBytes = body.length + estimateMetaBytes(meta);
    if (body.length <= this.memoryObjectMax && memBytes <= this.memoryLimit) {
      const slot = new Slot(id, this.table);
      slot.entry = new StoredEntry(meta, body, slot);
      slot.memBytes = memBytes;
      this.insertSlot(slot);
      this.memUsed += memBytes;
      this.memList.touch(slot.n);
      this.evictMemory();
      if (this.dir !== null && slot.live) this.persist(slot, body);
      return slot.live ? slot.entry : null;
    }
    if (this.dir === null) return null;
    const tmp = this.tmpPath(id);
    try {
      await writeFile(tmp, body, { flag: 'wx' });
    } catch (e) {
      this.logger.warn(
        { err: e, key: meta.primaryKey },
        'cache store: writing a body to disk failed; not cached',
      );
      await this.discard(tmp);
      return null;
    }
    return this.commitFile(id, meta, tmp);
  }

  /** Stores a body already written to a temp file as a disk-only entry. */
  async commitFile(id: string, meta: CacheEntryMeta, tmp: string): Promise<CacheEntry | null> {
    const size = estimateDiskBytes(meta.bodySize);
    if (this.dir === null || this.closed || size > this.diskLimit) {
      await this.discard(tmp);
      return null;
    }
    try {
      await rename(tmp, this.bodyPath(id));
    } catch (e) {
      this.logger.warn(
        { err: e, key: meta.primaryKey },
        'cache store: moving a body into place failed; not cached',
      );
      await this.discard(tmp);
      return null;
    }
    const slot = new Slot(id, this.table);
    slot.entry = new StoredEntry(meta, null, slot);
    this.insertSlot(slot);
    this.adoptOnDisk(slot);
    return slot.entry;
  }

  // ---- internals ----

  private touch(slot: Slot): void {
    const n = slot.n;
    if (this.memList.has(n)) this.memList.touch(n);
    if (this.diskList.has(n)) this.diskList.touch(n);
  }

  private nextId(): string {
    const n = this.counter++;
    return (n % SUBDIRS).toString(16).padStart(2, '0') + this.generation + n.toString(36);
  }

  private bodyPath(id: string): string {
    return join(this.dir!, 'bodies', id.slice(0, 2), id);
  }

  private insertSlot(slot: Slot): void {
    const meta = slot.entry.meta;
    const list = this.byKey.get(meta.primaryKey);
    // Copy on write: an array handed out by variants() never changes under its holder.
    const next: StoredEntry[] = [];
    if (list) {
      for (const e of list) {
        const other = e[SLOT];
        if (!other.live) continue;
        if (e.meta.varyKey === meta.varyKey) {
          this.kill(other, true);
          this.dead.push(other.n);
          this.scheduleSweep();
          continue;
        }
        next.push(e);
      }
    }
    next.push(slot.entry);
    this.byKey.set(meta.primaryKey, next);
    this.index.add(slot.n, meta.zone, meta.tags);
    this.objects++;
  }

  private replaceEntry(slot: Slot, next: StoredEntry): void {
    const prev = slot.entry;
    slot.entry = next;
    const list = this.byKey.get(next.meta.primaryKey);
    if (list)
      this.byKey.set(
        next.meta.primaryKey,
        list.map((e) => (e === prev ? next : e)),
      );
  }

  /** Removes an entry at once (single removals, eviction). */
  private removeSlot(slot: Slot, journal: boolean): void {
    if (!this.kill(slot, journal)) return;
    this.unindex(slot);
  }

  /**
   * Takes an entry out of service: lookups skip it from now on and its bytes no longer count. The indexes still
   * hold it until unindex() (done at once by removeSlot, or later by the sweeper after a purge).
   */
  private kill(slot: Slot, journal: boolean): boolean {
    if (!slot.live) return false;
    if (journal && slot.disk === 'stored' && !this.replaying) this.record({ op: 'del', id: slot.id });
    this.killN(slot.n);
    return true;
  }

  private killN(n: number): void {
    const t = this.table;
    t.flags[n]! &= ~LIVE;
    this.objects--;
    this.memUsed -= t.memBytes[n]!;
    t.memBytes[n] = 0;
    this.diskUsed -= t.diskBytes[n]!;
    t.diskBytes[n] = 0;
  }

  /** Rebuilds a key's variant list after purges: without dead entries, soft-purged ones marked invalidated. */
  private refreshKey(key: string, list: readonly StoredEntry[]): readonly CacheEntry[] {
    const next: StoredEntry[] = [];
    for (const e of list) {
      const slot = e[SLOT];
      if (!slot.live) continue;
      if (slot.invalidated && !slot.entry.meta.invalidated) {
        const m = slot.entry.meta;
        slot.entry = new StoredEntry(makeMeta(m, m, m.bodySize, true), slot.entry.body, slot);
      }
      this.touch(slot);
      next.push(slot.entry);
    }
    if (next.length === 0) {
      this.byKey.delete(key);
      return EMPTY;
    }
    this.byKey.set(key, next);
    return next;
  }

  /** The entry as it stands, soft purge included (journal records and snapshots). */
  private currentMeta(slot: Slot): CacheEntryMeta {
    const m = slot.entry.meta;
    return slot.invalidated === m.invalidated ? m : makeMeta(m, m, m.bodySize, slot.invalidated);
  }

  /** Removes a dead entry from the indexes and deletes its body file. */
  private unindex(slot: Slot): void {
    if (slot.n < 0) return;
    const meta = slot.entry.meta;
    const list = this.byKey.get(meta.primaryKey);
    if (list) this.dropDead(meta.primaryKey, list);
    this.index.delete(slot.n, meta.zone, meta.tags);
    // Everything keyed by the number lets go of it before it is reused.
    this.memList.unlink(slot.n);
    this.diskList.unlink(slot.n);
    this.table.release(slot.n);
    slot.n = -1;
    if (slot.disk === 'stored') {
      slot.disk = 'none';
      // During replay the file is left for the orphan sweep, which runs once the index is complete.
      if (this.replaying) return;
      if (slot.readers > 0) slot.unlinkWhenIdle = true;
      else this.queueUnlink(this.bodyPath(slot.id));
    }
    // A 'pending' body write notices the slot is dead when it completes and deletes its own file.
  }

  /** Rewrites a key's variant list without its dead entries; returns the new list. */
  private dropDead(key: string, list: readonly StoredEntry[]): readonly CacheEntry[] {
    let dead = 0;
    for (const e of list) if (!e[SLOT].live) dead++;
    if (dead === 0) return list;
    if (dead === list.length) {
      this.byKey.delete(key);
      return EMPTY;
    }
    const rest = list.filter((e) => e[SLOT].live);
    this.byKey.set(key, rest);
    return rest;
  }

  private scheduleSweep(): void {
    if (this.sweepScheduled || this.replaying) return;
    this.sweepScheduled = true;
    setImmediate(() => {
      this.sweepScheduled = false;
      this.sweep(SWEEP_SLICE_MS);
    });
  }

  /** Unindexes purged entries for up to `budgetMs`, then yields to the event loop and continues later. */
  private sweep(budgetMs: number): void {
    const deadline = performance.now() + budgetMs;
    let done = 0;
    for (let n = this.dead.shift(); n >= 0; n = this.dead.shift()) {
      this.unindex(this.table.item(n));
      if ((++done & 1023) === 0 && performance.now() > deadline) break;
    }
    if (this.dead.length > 0) this.scheduleSweep();
  }

  private evictMemory(): void {
    while (this.memUsed > this.memoryLimit) {
      const oldest = this.memList.oldest();
      if (oldest < 0) break;
      const slot = this.table.item(oldest);
      if (!slot.live) {
        this.memList.unlink(slot.n);
        continue;
      }
      if (slot.disk !== 'none') {
        // On disk (or about to be): only the body leaves the memory tier. A body whose write is still under way
        // stays referenced (counted in the write backlog instead) until the write lands.
        this.memList.unlink(slot.n);
        this.memUsed -= slot.memBytes;
        slot.memBytes = 0;
        if (slot.disk === 'stored') this.replaceEntry(slot, new StoredEntry(slot.entry.meta, null, slot));
      } else {
        this.removeSlot(slot, true);
      }
    }
  }

  private evictDisk(): void {
    while (this.diskUsed > this.diskLimit) {
      const oldest = this.diskList.oldest();
      if (oldest < 0) break;
      const slot = this.table.item(oldest);
      if (!slot.live) {
        this.diskList.unlink(slot.n);
        continue;
      }
      this.removeSlot(slot, true);
    }
  }

  /** Counts a slot whose body file is in place as stored on disk and journals it. */
  private adoptOnDisk(slot: Slot): void {
    slot.disk = 'stored';
    slot.diskBytes = estimateDiskBytes(slot.entry.meta.bodySize);
    this.diskUsed += slot.diskBytes;
    this.diskList.touch(slot.n);
    // While replaying, eviction waits until the journal is open, so that it is recorded.
    if (this.replaying) return;
    this.record({ op: 'put', id: slot.id, meta: this.currentMeta(slot) });
    this.evictDisk();
  }

  /** Writes a memory-tier body through to disk in the background; the entry stays memory-only if that fails. */
  private persist(slot: Slot, body: Buffer): void {
    if (estimateDiskBytes(body.length) > this.diskLimit) return;
    if (this.persistBacklog + body.length > PERSIST_BACKLOG_LIMIT) {
      this.logger.info(
        { key: slot.entry.meta.primaryKey },
        'cache store: disk write backlog full; entry kept in memory only',
      );
      return;
    }
    slot.disk = 'pending';
    this.persistBacklog += body.length;
    // Written in place, not to tmp/ and renamed: the journal record follows the complete file, and a file that no
    // record names (a crash mid-write) is deleted on open, so a half-written body is never served either way.
    const final = this.bodyPath(slot.id);
    this.track(
      (async () => {
        try {
          await writeNewFile(final, body);
          if (!slot.live || this.closed) return this.discard(final);
          this.adoptOnDisk(slot);
          // Evicted from memory while being written: now it is disk-only.
          if (slot.live && slot.memBytes === 0 && slot.entry.body !== null) {
            this.replaceEntry(slot, new StoredEntry(slot.entry.meta, null, slot));
          }
        } catch (e) {
          const evicted = slot.live && slot.memBytes === 0;
          this.logger.warn(
            { err: e, key: slot.entry.meta.primaryKey },
            evicted
              ? 'cache store: writing a body to disk failed; entry dropped'
              : 'cache store: writing a body to disk failed; entry kept in memory only',
          );
          if (slot.live) slot.disk = 'none';
          // Out of the memory tier already and not on disk: nothing holds it any more.
          if (evicted) this.removeSlot(slot, false);
          await this.discard(final);
        } finally {
          this.persistBacklog -= body.length;
        }
      })(),
    );
  }

  /** Brings a small disk-only body back into memory after a hit (read again from the page cache). */
  private promote(slot: Slot): void {
    if (slot.promoting || slot.memBytes > 0) return;
    const metaBytes = estimateMetaBytes(slot.entry.meta);
    if (slot.entry.meta.bodySize + metaBytes > this.memoryLimit) return;
    slot.promoting = true;
    this.track(
      readFile(this.bodyPath(slot.id))
        .then((body) => {
          if (!slot.live || slot.memBytes > 0 || body.length !== slot.entry.meta.bodySize) return;
          slot.memBytes = body.length + metaBytes;
          this.memUsed += slot.memBytes;
          this.memList.touch(slot.n);
          this.replaceEntry(slot, new StoredEntry(slot.entry.meta, body, slot));
          this.evictMemory();
        })
        .catch((e: unknown) => {
          // The file can vanish under a concurrent purge; anything else is worth a line.
          if ((e as NodeJS.ErrnoException).code !== 'ENOENT')
            this.logger.warn({ err: e }, 'cache store: promoting a body to memory failed');
        })
        .finally(() => {
          slot.promoting = false;
        }),
    );
  }

  /** Registers background work that flush() and close() wait for. */
  track(p: Promise<unknown>): void {
    this.inflight.add(p);
    void p.finally(() => this.inflight.delete(p));
  }

  async discard(path: string): Promise<void> {
    try {
      await unlink(path);
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'ENOENT')
        this.logger.warn({ err: e, path }, 'cache store: deleting a file failed');
    }
  }

  private queueUnlink(path: string): void {
    this.unlinkQueue.push(path);
    while (this.unlinkWorkers < UNLINK_CONCURRENCY && this.unlinkWorkers < this.unlinkQueue.length) {
      this.unlinkWorkers++;
      void this.unlinkWorker();
    }
  }

  private async unlinkWorker(): Promise<void> {
    for (let path = this.unlinkQueue.shift(); path !== undefined; path = this.unlinkQueue.shift()) {
      await this.discard(path);
    }
    this.unlinkWorkers--;
    if (this.unlinkWorkers === 0) {
      const idle = this.unlinkIdle;
      this.unlinkIdle = [];
      for (const w of idle) w();
    }
  }

  /** Appends a journal record; rewrites the journal once it has grown to several times the live entries. */
  private record(rec: JournalRecord): void {
    const j = this.journal;
    if (!j || this.replaying) return;
    j.append(rec);
    this.maybeCompact();
  }

  private maybeCompact(): void {
    const j = this.journal;
    if (!j || this.replaying || j.compactionPending) return;
    if (j.lines + j.queued < 2 * this.diskList.size + this.compactSlack) return;
    j.compact(() => this.snapshotRecords());
  }

  private snapshotRecords(): Iterable<JournalRecord> {
    // Oldest first, so that replay restores the LRU order.
    const slots = [...this.diskList.values()].reverse().map((n) => this.table.item(n));
    const meta = (s: Slot): CacheEntryMeta => this.currentMeta(s);
    return (function* () {
      for (const s of slots)
        if (s.live && s.disk === 'stored') yield { op: 'put', id: s.id, meta: meta(s) } as const;
    })();
  }

  /** Rebuilds the disk tier from the journal; deletes half-written and unreferenced files. */
  async load(): Promise<void> {
    const dir = this.dir;
    if (dir === null) return;
    try {
      await mkdir(dir, { recursive: true });
      await rm(join(dir, 'tmp'), { recursive: true, force: true });
      await mkdir(join(dir, 'tmp'));
      for (let i = 0; i < SUBDIRS; i++)
        await mkdir(join(dir, 'bodies', i.toString(16).padStart(2, '0')), { recursive: true });
    } catch (e) {
      throw new EdgewardError(
        'cache_dir_unusable',
        `cache directory ${dir} cannot be used: ${(e as Error).message}`,
        {
          field: 'dir',
          cause: e,
        },
      );
    }
    await this.lockDir(dir);
    const byId = new Map<string, Slot>();
    this.replaying = true;
    let lines: number;
    try {
      lines = await replayJournal(dir, (rec) => this.replay(rec, byId), this.logger);
      this.sweep(Infinity);
    } finally {
      this.replaying = false;
    }
    let orphans = 0;
    const present = new Set<string>();
    for (let i = 0; i < SUBDIRS; i++) {
      const sub = join(dir, 'bodies', i.toString(16).padStart(2, '0'));
      for (const name of await readdir(sub)) {
        const slot = byId.get(name);
        if (slot && slot.live) {
          present.add(name);
          continue;
        }
        orphans++;
        await this.discard(join(sub, name));
      }
    }
    if (orphans > 0)
      this.logger.info({ dir, orphans }, 'cache store: deleted body files no journal record names');
    this.journal = await CacheJournal.open(dir, join(dir, 'tmp'), lines, this.logger);
    let missing = 0;
    for (const slot of byId.values()) {
      if (slot.live && !present.has(slot.id)) {
        missing++;
        this.removeSlot(slot, true);
      }
    }
    if (missing > 0)
      this.logger.warn({ dir, missing }, 'cache store: dropped entries whose body file is missing');
    this.evictDisk();
    this.maybeCompact();
    this.logger.info({ dir, objects: this.objects, diskBytes: this.diskUsed }, 'cache store: opened');
  }

  /** Refuses a directory another live process has open: the store assumes it is the only writer. */
  private async lockDir(dir: string): Promise<void> {
    const lock = join(dir, 'lock');
    let holder = NaN;
    try {
      holder = Number((await readFile(lock, 'utf8')).trim());
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'ENOENT') throw e;
    }
    if (Number.isSafeInteger(holder) && holder > 0 && holder !== process.pid && processAlive(holder)) {
      throw new EdgewardError(
        'cache_dir_in_use',
        `cache directory ${dir} is in use by process ${holder}; give each worker its own`,
        {
          field: 'dir',
        },
      );
    }
    await writeFile(lock, String(process.pid));
  }

  private replay(rec: JournalRecord, byId: Map<string, Slot>): void {
    switch (rec.op) {
      case 'put': {
        if (!isReplayableMeta(rec.meta) || typeof rec.id !== 'string') {
          this.logger.warn({ id: rec.id }, 'cache journal: skipped a malformed put record');
          return;
        }
        const slot = new Slot(rec.id, this.table);
        slot.entry = new StoredEntry(
          makeMeta(rec.meta, rec.meta, rec.meta.bodySize, rec.meta.invalidated === true),
          null,
          slot,
        );
        slot.invalidated = slot.entry.meta.invalidated;
        byId.set(rec.id, slot);
        this.insertSlot(slot);
        this.adoptOnDisk(slot);
        return;
      }
      case 'del': {
        const slot = byId.get(rec.id);
        if (slot) this.removeSlot(slot, false);
        return;
      }
      case 'head': {
        const slot = byId.get(rec.id);
        if (slot && slot.live) this.updateHead(slot.entry, rec.head);
        return;
      }
      case 'purge':
        this.purge(rec.sel, rec.soft);
        return;
    }
  }
}

function isReplayableMeta(m: unknown): m is CacheEntryMeta {
  if (typeof m !== 'object' || m === null) return false;
  const r = m as Record<string, unknown>;
  return (
    typeof r.primaryKey === 'string' &&
    typeof r.zone === 'string' &&
    typeof r.urlKey === 'string' &&
    typeof r.varyKey === 'string' &&
    Array.isArray(r.tags) &&
    typeof r.bodySize === 'number' &&
    typeof r.headers === 'object' &&
    r.headers !== null
  );
}

function checkBytes(v: unknown, field: string): number {
  if (typeof v !== 'number' || !Number.isSafeInteger(v) || v < 0) {
    throw new EdgewardError('invalid_option', `${field} must be a non-negative integer`, { field });
  }
  return v;
}

function processAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
}

function bufferStream(buf: Buffer): Readable {
  let sent = false;
  return new Readable({
    read() {
      if (!sent) {
        sent = true;
        if (buf.length > 0) this.push(buf);
      }
      this.push(null);
    },
  });
}

function errorStream(err: Error): Readable {
  return new Readable({
    read() {
      this.destroy(err);
    },
  });
}
