import { EventEmitter } from 'node:events';

/**
 * In-process "a configuration change was committed" signal. Writers call `notify(version)` AFTER their transaction
 * commits (never inside it: a listener reading the log must find the change there). The sync layer subscribes to
 * wake SSE streams and long polls at once; it still polls the database as a fallback, since another process (a
 * second control plane, the CLI) writes without this notifier.
 */
export class ConfigChangeNotifier {
  readonly #emitter = new EventEmitter();
  #latest = 0;

  constructor() {
    this.#emitter.setMaxListeners(0);
  }

  /** Highest version notified so far (0 before any). */
  get latest(): number {
    return this.#latest;
  }

  notify(version: number): void {
    if (version > this.#latest) this.#latest = version;
    this.#emitter.emit('committed', version);
  }

  /** Calls `listener(version)` after each notify; returns the unsubscribe function. */
  subscribe(listener: (version: number) => void): () => void {
    this.#emitter.on('committed', listener);
    return () => this.#emitter.off('committed', listener);
  }

  /**
   * Resolves with the notified version once one greater than `version` is notified, or with null after `timeoutMs`
   * or when `signal` aborts (for long polls: re-read the log either way).
   */
  waitForVersionAbove(version: number, timeoutMs: number, signal?: AbortSignal): Promise<number | null> {
    if (this.#latest > version) return Promise.resolve(this.#latest);
    return new Promise((resolve) => {
      const done = (v: number | null) => {
        clearTimeout(timer);
        unsubscribe();
        signal?.removeEventListener('abort', onAbort);
        resolve(v);
      };
      const onAbort = () => done(null);
      const unsubscribe = this.subscribe((v) => {
        if (v > version) done(v);
      });
      const timer = setTimeout(() => done(null), timeoutMs);
      timer.unref();
      if (signal?.aborted) return done(null);
      signal?.addEventListener('abort', onAbort, { once: true });
    });
  }
}
