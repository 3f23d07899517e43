import { createReadStream } from 'node:fs';
import { open, rename, type FileHandle } from 'node:fs/promises';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import type { Logger } from 'pino';
import type { CacheEntryMeta, CachedHead } from '../cache/cache-entry.js';
import type { PurgeSelector } from './cache-store.js';

/**
 * The disk tier's metadata lives in one append-only journal (index.jsonl) rather than one file per entry, so that
 * reopening a store with a million entries is one sequential read. A record is appended only after the body file
 * it names has been renamed into place, so a journal record never points at a half-written body. Purges are one
 * record each (the selector), replayed against the index rebuilt so far: the same entries match again, because
 * zone, URL key and tags of an entry never change. A torn last line (crash mid-append) is skipped.
 */
export type JournalRecord =
  | { readonly op: 'put'; readonly id: string; readonly meta: CacheEntryMeta }
  | { readonly op: 'del'; readonly id: string }
  | { readonly op: 'head'; readonly id: string; readonly head: CachedHead }
  | { readonly op: 'purge'; readonly sel: PurgeSelector; readonly soft: boolean };

export const JOURNAL_FILE = 'index.jsonl';

/** Reads every well-formed record in order; returns how many lines the file held. */
export async function replayJournal(
  dir: string,
  onRecord: (record: JournalRecord) => void,
  logger: Logger,
): Promise<number> {
  const path = join(dir, JOURNAL_FILE);
  let lines = 0;
  let bad = 0;
  const input = createReadStream(path, { encoding: 'utf8' });
  try {
    const rl = createInterface({ input, crlfDelay: Infinity });
    for await (const line of rl) {
      lines++;
      if (line === '') continue;
      let rec: JournalRecord;
      try {
        rec = JSON.parse(line) as JournalRecord;
      } catch {
        bad++;
        continue;
      }
      onRecord(rec);
    }
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return 0;
    throw e;
  }
  // One torn line is what a crash mid-append leaves; more means damage worth a louder log line.
  if (bad > 0) logger[bad > 1 ? 'warn' : 'info']({ path, bad }, 'cache journal: skipped unreadable lines');
  return lines;
}

export class CacheJournal {
  private pending: string[] = [];
  private running = false;
  private compactRequest: (() => Iterable<JournalRecord>) | null = null;
  private compacting = false;
  private waiters: Array<() => void> = [];
  /** Lines in the current file, to decide when to compact. */
  lines: number;

  private constructor(
    private readonly dir: string,
    private readonly tmpDir: string,
    private fh: FileHandle,
    lines: number,
    private readonly logger: Logger,
  ) {
    this.lines = lines;
  }

  static async open(dir: string, tmpDir: string, lines: number, logger: Logger): Promise<CacheJournal> {
    const fh = await open(join(dir, JOURNAL_FILE), 'a+');
    // A torn last line (crash mid-append) must not swallow the first record appended after it.
    const { size } = await fh.stat();
    if (size > 0) {
      const last = Buffer.alloc(1);
      await fh.read(last, 0, 1, size - 1);
      if (last[0] !== 0x0a) await fh.write('\n');
    }
    return new CacheJournal(dir, tmpDir, fh, lines, logger);
  }

  /** Records appended but not yet written. */
  get queued(): number {
    return this.pending.length;
  }

  /** A compaction is requested or running. */
  get compactionPending(): boolean {
    return this.compacting || this.compactRequest !== null;
  }

  append(record: JournalRecord): void {
    this.pending.push(JSON.stringify(record) + '\n');
    this.kick();
  }

  /**
   * Rewrites the journal as the records the snapshot yields (consumed lazily, in batches). Records appended while
   * it runs go to the new file after it, and they are idempotent over a snapshot that may already reflect them.
   */
  compact(snapshot: () => Iterable<JournalRecord>): void {
    this.compactRequest = snapshot;
    this.kick();
  }

  /** Resolves once everything appended so far is written. */
  flush(): Promise<void> {
    if (!this.running && this.pending.length === 0 && !this.compactRequest) return Promise.resolve();
    return new Promise((resolve) => this.waiters.push(resolve));
  }

  async close(): Promise<void> {
    await this.flush();
    await this.fh.close();
  }

  private kick(): void {
    if (this.running) return;
    this.running = true;
    void this.run();
  }

  private async run(): Promise<void> {
    try {
      while (this.pending.length > 0 || this.compactRequest) {
        const snapshot = this.compactRequest;
        if (snapshot) {
          this.compactRequest = null;
          // Everything pending is already reflected in the in-memory state the snapshot reads.
          const covered = this.pending;
          this.pending = [];
          // If the rewrite fails the old journal stays, so what it has not seen yet must still go to it, in order.
          this.compacting = true;
          try {
            if (!(await this.rewrite(snapshot()))) this.pending = covered.concat(this.pending);
          } finally {
            this.compacting = false;
          }
          continue;
        }
        const batch = this.pending;
        this.pending = [];
        try {
          await this.fh.write(batch.join(''));
          this.lines += batch.length;
        } catch (e) {
          this.logger.error(
            { err: e, records: batch.length },
            'cache journal: append failed; these changes will not survive a restart',
          );
        }
      }
    } finally {
      this.running = false;
      const waiters = this.waiters;
      this.waiters = [];
      for (const w of waiters) w();
    }
  }

  private async rewrite(records: Iterable<JournalRecord>): Promise<boolean> {
    const tmp = join(this.tmpDir, `journal-${process.pid}-${Date.now()}.jsonl`);
    let fh: FileHandle | null = null;
    try {
      fh = await open(tmp, 'w');
      let buf: string[] = [];
      let lines = 0;
      for (const rec of records) {
        buf.push(JSON.stringify(rec) + '\n');
        if (buf.length >= 4096) {
          await fh.write(buf.join(''));
          lines += buf.length;
          buf = [];
        }
      }
      if (buf.length) await fh.write(buf.join(''));
      lines += buf.length;
      await fh.sync();
      await fh.close();
      fh = null;
      await rename(tmp, join(this.dir, JOURNAL_FILE));
      const old = this.fh;
      this.fh = await open(join(this.dir, JOURNAL_FILE), 'a');
      this.lines = lines;
      await old.close();
      return true;
    } catch (e) {
      // The old journal is intact (the rename is the commit point); keep appending to it.
      this.logger.error({ err: e }, 'cache journal: compaction failed');
      if (fh)
        await fh.close().catch((ce: unknown) => this.logger.warn({ err: ce }, 'cache journal: close failed'));
      return false;
    }
  }
}
