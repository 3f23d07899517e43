import { BalancedPool, Pool, type Dispatcher } from 'undici';
import type { Logger } from 'pino';
import type { ZoneConfig } from '../../shared/config/zone-config.js';

export interface OriginTimeouts {
  connectTimeoutMs: number;
  headersTimeoutMs: number;
  bodyTimeoutMs: number;
}

/**
 * Keep-alive connection pools to origins: one Pool per origin URL, a BalancedPool when a zone has several.
 * Keyed by the origin list, so a zone update that changes its origins gets a new pool and the old one is closed.
 */
export class OriginPools {
  private readonly pools = new Map<string, Dispatcher>();
  private readonly byZone = new Map<string, { key: string; pool: Dispatcher }>();

  constructor(
    private readonly timeouts: OriginTimeouts,
    private readonly logger?: Logger,
  ) {}

  forZone(zone: ZoneConfig): Dispatcher {
    const cached = this.byZone.get(zone.id);
    const key = zone.origins.join(' ');
    if (cached !== undefined && cached.key === key) return cached.pool;
    let pool = this.pools.get(key);
    if (pool === undefined) {
      const options = {
        connectTimeout: this.timeouts.connectTimeoutMs,
        headersTimeout: this.timeouts.headersTimeoutMs,
        bodyTimeout: this.timeouts.bodyTimeoutMs,
        keepAliveTimeout: 4_000,
        pipelining: 1,
      };
      if (zone.origins.length === 0) throw new Error(`zone ${zone.id} has no origin`);
      pool =
        zone.origins.length === 1
          ? new Pool(zone.origins[0]!, options)
          : new BalancedPool([...zone.origins], options);
      this.pools.set(key, pool);
    }
    this.byZone.set(zone.id, { key, pool });
    if (cached !== undefined && cached.key !== key) this.release(cached.key);
    return pool;
  }

  /** Closes a pool no zone uses any more (in-flight requests on it finish first). */
  private release(key: string): void {
    for (const v of this.byZone.values()) if (v.key === key) return;
    const pool = this.pools.get(key);
    this.pools.delete(key);
    pool
      ?.close()
      .catch((e: unknown) => this.logger?.warn({ err: e }, 'closing an unused origin pool failed'));
  }

  async close(): Promise<void> {
    const all = [...this.pools.values()];
    this.pools.clear();
    this.byZone.clear();
    await Promise.all(all.map((p) => p.close()));
  }
}
