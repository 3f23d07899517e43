import { closeSync, fsyncSync, openSync } from 'node:fs';
import { mkdir, open, readFile, rename, rm, type FileHandle } from 'node:fs/promises';
import { join } from 'node:path';
import type { Logger } from 'pino';
import type { ConfigChange, EdgeSnapshot } from '../../shared/config/config-change.js';
import type { ZoneConfig } from '../../shared/config/zone-config.js';
import { EdgewardError } from '../../shared/errors.js';
import type { BlockRule } from '../../shared/rules/block-rule.js';

/**
 * The configuration an edge last applied, kept on disk so that a restarted edge enforces its block rules before it
 * serves a request, whether or not the control plane answers.
 *
 * Two files in the data directory:
 * - `edge-config.json`: a snapshot `{format, snapshot: {version, zones, rules}}`, only ever replaced atomically
 *   (write a temporary file, fsync it, rename it over the old one, fsync the directory);
 * - `edge-config.changes.jsonl`: the changes applied since that snapshot, one JSON object a line, appended and
 *   fdatasync'ed in groups. Compaction folds them into a new snapshot and truncates the log.
 *
 * The version only moves forward: appends must be contiguous, and a snapshot older than what is on disk is
 * refused unless the operator explicitly accepts a rollback.
 */
export const SNAPSHOT_FILE = 'edge-config.json';
export const CHANGES_FILE = 'edge-config.changes.jsonl';
const FORMAT = 1;

export interface AppliedConfigStoreOptions {
  dataDir: string;
  logger: Logger;
  /** Fold the change log into the snapshot once it holds this many changes (default 512). */
  compactAfterChanges?: number;
}

export type ReplaceOutcome = 'applied' | 'refused-rollback' | 'unchanged';

export class AppliedConfigStore {
  private readonly zones = new Map<string, ZoneConfig>();
  private readonly rules = new Map<number, BlockRule>();
  private currentVersion = 0;
  private logLength = 0;
  private log: FileHandle | null = null;
  /** Serializes disk work: appends, compactions and snapshot replacements never interleave. */
  private queue: Promise<unknown> = Promise.resolve();
  private closed = false;
  /** Appends written since the last fdatasync started. */
  private dirty = false;
  private syncing: Promise<void> | null = null;

  private constructor(
    private readonly dir: string,
    private readonly logger: Logger,
    private readonly compactAfter: number,
  ) {}

  /** Loads whatever is on disk (nothing: version 0, no zones, no rules). A corrupt snapshot is an error, never "empty". */
  static async open(opts: AppliedConfigStoreOptions): Promise<AppliedConfigStore> {
    await mkdir(opts.dataDir, { recursive: true });
    const s = new AppliedConfigStore(opts.dataDir, opts.logger, opts.compactAfterChanges ?? 512);
    await s.load();
    return s;
  }

  get version(): number {
    return this.currentVersion;
  }

  /** The configuration as of `version`. */
  snapshot(): EdgeSnapshot {
    return { version: this.currentVersion, zones: [...this.zones.values()], rules: [...this.rules.values()] };
  }

  /**
   * Persists changes that follow the current version without a gap (versions at or below it are ignored, so a
   * change delivered twice is harmless). Resolves once they are written to the log file (a crash of this process
   * cannot lose them); the fdatasync follows in the background (see flush()).
   */
  append(changes: readonly ConfigChange[]): Promise<void> {
    const fresh: ConfigChange[] = [];
    let expect = this.currentVersion + 1;
    for (const c of changes) {
      if (c.version < expect) continue;
      if (c.version !== expect) {
        return Promise.reject(
          new EdgewardError('config_gap', `change ${c.version} does not follow version ${expect - 1}`, {
            field: 'version',
            details: { expected: expect, got: c.version },
          }),
        );
      }
      fresh.push(c);
      expect++;
    }
    if (fresh.length === 0) return this.queue.then(() => undefined);
    // Memory moves at once (callers read `version` synchronously); disk follows in order.
    for (const c of fresh) this.fold(c);
    const lines = fresh.map((c) => JSON.stringify(c) + '\n').join('');
    return this.enqueue(async () => {
      const log = await this.openLog();
      // Written = in the kernel's page cache: it survives a crash of this process. The fdatasync that makes it
      // survive a power loss follows at once, shared by every append made meanwhile (group commit), so twenty
      // edges on one disk do not queue one fsync each in front of every change.
      await log.write(lines);
      this.logLength += fresh.length;
      if (this.logLength >= this.compactAfter) await this.writeSnapshotAndTruncate();
      else this.requestSync();
    });
  }

  /**
   * Replaces the whole configuration with a snapshot from the control plane. A snapshot older than the persisted
   * version would undo blocks: it is refused (and logged loudly) unless `acceptRollback` is set.
   */
  replace(snapshot: EdgeSnapshot, opts: { acceptRollback?: boolean } = {}): Promise<ReplaceOutcome> {
    if (snapshot.version < this.currentVersion && !opts.acceptRollback) {
      this.logger.error(
        { persistedVersion: this.currentVersion, snapshotVersion: snapshot.version },
        'REFUSING a configuration snapshot older than the one on disk: it would roll back blocks. ' +
          'The control plane database was probably restored from a backup. Keep enforcing the persisted configuration; ' +
          'restart the edge with --accept-config-rollback to accept the older configuration.',
      );
      return Promise.resolve('refused-rollback');
    }
    if (snapshot.version === this.currentVersion && snapshot.version !== 0 && !opts.acceptRollback) {
      return Promise.resolve('unchanged');
    }
    if (snapshot.version < this.currentVersion) {
      this.logger.warn(
        { persistedVersion: this.currentVersion, snapshotVersion: snapshot.version },
        'accepting an older configuration snapshot (--accept-config-rollback)',
      );
    }
    this.zones.clear();
    this.rules.clear();
    for (const z of snapshot.zones) this.zones.set(z.id, z);
    for (const r of snapshot.rules) this.rules.set(r.id, r);
    this.currentVersion = snapshot.version;
    return this.enqueue(async () => {
      await this.writeSnapshotAndTruncate();
      return 'applied' as const;
    });
  }

  /** Resolves once everything appended so far is fdatasync'ed. */
  async flush(): Promise<void> {
    await this.queue.catch(() => undefined);
    while (this.syncing) await this.syncing;
  }

  /** Waits for pending writes and syncs, then closes the log. */
  async close(): Promise<void> {
    if (this.closed) return;
    await this.flush();
    this.closed = true;
    if (this.log) await this.log.close();
    this.log = null;
  }

  private requestSync(): void {
    this.dirty = true;
    if (this.syncing) return;
    this.syncing = (async () => {
      try {
        while (this.dirty && this.log) {
          this.dirty = false;
          await this.log.datasync();
        }
      } catch (e) {
        this.logger.error({ err: e }, 'fdatasync of the applied-config change log failed');
      } finally {
        this.syncing = null;
      }
    })();
  }

  private enqueue<T>(work: () => Promise<T>): Promise<T> {
    if (this.closed)
      return Promise.reject(new EdgewardError('store_closed', 'the applied-config store is closed'));
    const next = this.queue.then(work);
    // One failed write must not wedge the queue; the caller sees the failure through `next`.
    this.queue = next.catch((e: unknown) =>
      this.logger.error({ err: e }, 'writing the applied configuration failed'),
    );
    return next;
  }

  private fold(c: ConfigChange): void {
    switch (c.kind) {
      case 'zone.upsert':
        this.zones.set(c.zone.id, c.zone);
        break;
      case 'zone.remove':
        this.zones.delete(c.zoneId);
        break;
      case 'rule.add':
        this.rules.set(c.rule.id, c.rule);
        break;
      case 'rule.remove':
        this.rules.delete(c.rule.id);
        break;
      case 'purge':
        // Purges act on caches; the configuration only moves its version.
        break;
    }
    this.currentVersion = c.version;
  }

  private async load(): Promise<void> {
    const snapPath = join(this.dir, SNAPSHOT_FILE);
    let raw: string | null = null;
    try {
      raw = await readFile(snapPath, 'utf8');
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'ENOENT') throw e;
    }
    if (raw !== null) {
      let parsed: { format?: unknown; snapshot?: EdgeSnapshot };
      try {
        parsed = JSON.parse(raw) as typeof parsed;
      } catch (e) {
        throw new EdgewardError(
          'config_corrupt',
          `${snapPath} is not valid JSON; refusing to start without its block rules`,
          {
            cause: e,
            details: { path: snapPath },
          },
        );
      }
      if (parsed.format !== FORMAT || !parsed.snapshot || typeof parsed.snapshot.version !== 'number') {
        throw new EdgewardError('config_corrupt', `${snapPath} has an unknown format`, {
          details: { path: snapPath },
        });
      }
      for (const z of parsed.snapshot.zones) this.zones.set(z.id, z);
      for (const r of parsed.snapshot.rules) this.rules.set(r.id, r);
      this.currentVersion = parsed.snapshot.version;
    }
    const logPath = join(this.dir, CHANGES_FILE);
    let logText = '';
    try {
      logText = await readFile(logPath, 'utf8');
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'ENOENT') throw e;
    }
    const lines = logText.split('\n');
    for (let i = 0; i < lines.length; i++) {
      const line = lines[i]!;
      if (line === '') continue;
      let c: ConfigChange;
      try {
        c = JSON.parse(line) as ConfigChange;
      } catch (e) {
        // Only the last line can be torn by a crash mid-append; anything else is corruption.
        if (i >= lines.length - 2) {
          this.logger.warn({ path: logPath, line: i + 1 }, 'ignoring a torn last line in the change log');
          break;
        }
        throw new EdgewardError('config_corrupt', `${logPath}:${i + 1} is not valid JSON`, {
          cause: e,
          details: { path: logPath },
        });
      }
      // Lines at or below the snapshot's version are left over from a compaction interrupted after the rename.
      if (c.version <= this.currentVersion) continue;
      if (c.version !== this.currentVersion + 1) {
        throw new EdgewardError(
          'config_corrupt',
          `${logPath}:${i + 1} skips from version ${this.currentVersion} to ${c.version}`,
          {
            details: { path: logPath },
          },
        );
      }
      this.fold(c);
      this.logLength++;
    }
    // Start from a clean state on disk: one snapshot, an empty log (also drops a torn line for good).
    if (this.logLength > 0 || logText !== '') await this.writeSnapshotAndTruncate();
  }

  private async openLog(): Promise<FileHandle> {
    if (!this.log) this.log = await open(join(this.dir, CHANGES_FILE), 'a');
    return this.log;
  }

  private async writeSnapshotAndTruncate(): Promise<void> {
    const snap = this.snapshot();
    const body = JSON.stringify({ format: FORMAT, savedAt: new Date().toISOString(), snapshot: snap });
    const target = join(this.dir, SNAPSHOT_FILE);
    const tmp = `${target}.${process.pid}.tmp`;
    const fh = await open(tmp, 'w');
    try {
      await fh.writeFile(body);
      await fh.sync();
    } finally {
      await fh.close();
    }
    await rename(tmp, target);
    fsyncDir(this.dir);
    // The snapshot now holds every logged change: start a new log (once no fdatasync uses the old one).
    while (this.syncing) await this.syncing;
    this.dirty = false;
    if (this.log) {
      await this.log.close();
      this.log = null;
    }
    await rm(join(this.dir, CHANGES_FILE), { force: true });
    this.logLength = 0;
  }
}

/** Makes a rename durable; a no-op where directories cannot be opened for sync (Windows). */
function fsyncDir(dir: string): void {
  let fd: number | null = null;
  try {
    fd = openSync(dir, 'r');
    fsyncSync(fd);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== 'EISDIR' && (e as NodeJS.ErrnoException).code !== 'EPERM')
      throw e;
  } finally {
    if (fd !== null) closeSync(fd);
  }
}
