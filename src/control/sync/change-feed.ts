import { EventEmitter } from 'node:events';
import type { Logger } from 'pino';
import type { ConfigChange } from '../../shared/config/config-change.js';

/** What the feed needs from the database (helper functions of src/control/changes, bound to a db). */
export interface ChangeSource {
  changesSince(version: number, limit: number): Promise<ConfigChange[]>;
  currentVersion(): Promise<number>;
  /** Subscribes to "a change was committed"; returns the unsubscribe function. */
  onCommitted(listener: () => void): () => void;
}

export interface ChangeFeedOptions {
  source: ChangeSource;
  logger: Logger;
  /** Database poll interval, the fallback when a notification is missed (e.g. another control plane wrote). Default 1000 ms. */
  pollIntervalMs?: number;
  /** Recent changes kept in memory so that live edges are fed without a query each. Default 4096. */
  recentCapacity?: number;
}

const PAGE = 1000;

/**
 * One reader of the change log per control plane process: it learns of new changes from the notifier (fired after
 * commit) or, failing that, from a periodic poll, reads them once, keeps the most recent in memory, and tells every
 * subscriber (SSE connections, long polls, the propagation tracker) that the head moved. Subscribers then take what
 * they have not sent yet with `read(after)`, from memory or, for an edge far behind, from the database.
 */
export class ChangeFeed extends EventEmitter {
  private headVersion = 0;
  private recent: ConfigChange[] = [];
  private pulling: Promise<void> | null = null;
  private pullAgain = false;
  private poll: NodeJS.Timeout | null = null;
  private unsubscribe: (() => void) | null = null;
  private readonly capacity: number;

  constructor(private readonly opts: ChangeFeedOptions) {
    super();
    this.setMaxListeners(0);
    this.capacity = opts.recentCapacity ?? 4096;
  }

  get head(): number {
    return this.headVersion;
  }

  async start(): Promise<void> {
    this.headVersion = await this.opts.source.currentVersion();
    this.unsubscribe = this.opts.source.onCommitted(() => void this.pull());
    this.poll = setInterval(() => void this.pull(), this.opts.pollIntervalMs ?? 1000);
    this.poll.unref();
  }

  stop(): void {
    if (this.poll) clearInterval(this.poll);
    this.poll = null;
    this.unsubscribe?.();
    this.unsubscribe = null;
    this.emit('stop');
  }

  /** committedAt of a recent version, or undefined when it is no longer in memory. */
  committedAt(version: number): number | undefined {
    const first = this.recent[0];
    if (!first || version < first.version) return undefined;
    return this.recent[version - first.version]?.committedAt;
  }

  /** Up to `limit` changes after `after`, in version order, from memory when possible. */
  async read(after: number, limit = PAGE): Promise<ConfigChange[]> {
    const first = this.recent[0];
    if (first && after + 1 >= first.version) {
      const start = after + 1 - first.version;
      return this.recent.slice(start, start + limit);
    }
    return this.opts.source.changesSince(after, limit);
  }

  /** Reads whatever was committed since the head; concurrent calls coalesce into one more read. */
  pull(): Promise<void> {
    if (this.pulling) {
      this.pullAgain = true;
      return this.pulling;
    }
    this.pulling = (async () => {
      try {
        do {
          this.pullAgain = false;
          await this.pullOnce();
        } while (this.pullAgain);
      } catch (e) {
        this.opts.logger.error(
          { err: e },
          'reading the configuration change log failed; the next poll retries',
        );
      } finally {
        this.pulling = null;
      }
    })();
    return this.pulling;
  }

  private async pullOnce(): Promise<void> {
    for (;;) {
      const batch = await this.opts.source.changesSince(this.headVersion, PAGE);
      if (batch.length === 0) return;
      for (const c of batch) {
        // The log is gapless by construction (one sequence, committed in order); a hole means a bug upstream.
        if (c.version !== this.headVersion + 1) {
          this.opts.logger.warn(
            { head: this.headVersion, got: c.version },
            'configuration change log has a hole (a commit still in flight?); re-reading',
          );
          return;
        }
        this.recent.push(c);
        this.headVersion = c.version;
      }
      if (this.recent.length > this.capacity)
        this.recent = this.recent.slice(this.recent.length - this.capacity);
      this.emit('head', this.headVersion);
      if (batch.length < PAGE) return;
    }
  }
}
