import type { CacheEntryMeta } from '../cache/cache-entry.js';
import type { IncomingHttpHeaders } from 'node:http';

/**
 * A fresh stored response one serving process of a node hands to another that missed it, so that a node with
 * several workers asks its origin once per object, not once per worker (docs/edge-operations.md).
 */
export interface SiblingCopy {
  readonly meta: Omit<CacheEntryMeta, 'bodySize' | 'invalidated'>;
  readonly body: Buffer;
}

/** Asks the node's other workers for a copy; resolves to null when none has a fresh one (or none answers in time). */
export type SiblingLookup = (primaryKey: string, headers: IncomingHttpHeaders) => Promise<SiblingCopy | null>;

/** Bodies larger than this are not copied between workers (the IPC channel carries them whole). */
export const SIBLING_COPY_MAX_BYTES = 1024 * 1024;
