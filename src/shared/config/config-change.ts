import type { BlockRule } from '../rules/block-rule.js';
import type { ZoneConfig } from './zone-config.js';

/**
 * The live-configuration protocol between the control plane and every edge. Each change has a version from one
 * monotonically increasing sequence; an edge applies them in order, never skipping one, and acknowledges the
 * last version applied. A snapshot is the state after all changes up to `version`.
 */
export type PurgeKind = 'url' | 'prefix' | 'tag' | 'zone';

export interface PurgeRequest {
  /** Zone id; null only for a tag purge across all zones (operator use). */
  readonly zone: string | null;
  readonly kind: PurgeKind;
  /** url: absolute URL; prefix: absolute URL prefix; tag: the tag; zone: unused. */
  readonly value?: string;
  /** Soft purge marks objects stale (they may still be served stale / revalidated); hard purge removes them. */
  readonly soft: boolean;
}

export type ConfigChangeBody =
  | { readonly kind: 'zone.upsert'; readonly zone: ZoneConfig }
  | { readonly kind: 'zone.remove'; readonly zoneId: string }
  | { readonly kind: 'rule.add'; readonly rule: BlockRule }
  | { readonly kind: 'rule.remove'; readonly rule: BlockRule }
  | { readonly kind: 'purge'; readonly purge: PurgeRequest };

export type ConfigChange = ConfigChangeBody & {
  readonly version: number;
  /** ms since epoch when the change was committed on the control plane (for propagation-lag metrics). */
  readonly committedAt: number;
};

export interface EdgeSnapshot {
  readonly version: number;
  readonly zones: readonly ZoneConfig[];
  readonly rules: readonly BlockRule[];
}
