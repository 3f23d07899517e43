import type { ZoneConfig } from '../shared/config/zone-config.js';
import type { RuleSet } from '../shared/rules/rule-set.js';

/**
 * The live configuration one edge process answers from: zones indexed by hostname and the compiled block rules.
 * Both are swapped by reference on reload, so a request in flight sees one consistent version.
 */
export class EdgeState {
  rules: RuleSet;
  version: number;
  private readonly zonesById = new Map<string, ZoneConfig>();
  private readonly zonesByHost = new Map<string, ZoneConfig>();
  private catchAll: ZoneConfig | null = null;

  constructor(init: { zones: readonly ZoneConfig[]; rules: RuleSet; version?: number }) {
    this.rules = init.rules;
    this.version = init.version ?? 0;
    this.replaceZones(init.zones);
  }

  /** `host` is normalized and may carry ':port' (ignored). Exact hostname first, else the '*' zone. */
  zoneForHost(host: string): ZoneConfig | null {
    const exact = this.zonesByHost.get(host);
    if (exact) return exact;
    const name = stripPort(host);
    if (name !== host) {
      const z = this.zonesByHost.get(name);
      if (z) return z;
    }
    return this.catchAll;
  }

  zone(id: string): ZoneConfig | undefined {
    return this.zonesById.get(id);
  }

  zones(): IterableIterator<ZoneConfig> {
    return this.zonesById.values();
  }

  upsertZone(z: ZoneConfig): void {
    this.removeZone(z.id);
    this.zonesById.set(z.id, z);
    for (const h of z.hostnames) {
      if (h === '*') this.catchAll = z;
      else this.zonesByHost.set(h.toLowerCase(), z);
    }
  }

  removeZone(id: string): void {
    const old = this.zonesById.get(id);
    if (!old) return;
    this.zonesById.delete(id);
    for (const h of old.hostnames) {
      if (h === '*') {
        if (this.catchAll === old) this.catchAll = null;
      } else if (this.zonesByHost.get(h.toLowerCase()) === old) {
        this.zonesByHost.delete(h.toLowerCase());
      }
    }
  }

  replaceZones(zs: readonly ZoneConfig[]): void {
    this.zonesById.clear();
    this.zonesByHost.clear();
    this.catchAll = null;
    for (const z of zs) this.upsertZone(z);
  }
}

function stripPort(host: string): string {
  // IPv6 literals are bracketed: '[::1]:8080'.
  const colon = host.lastIndexOf(':');
  if (colon < 0) return host;
  const close = host.lastIndexOf(']');
  if (close > colon) return host;
  return host.slice(0, colon);
}
