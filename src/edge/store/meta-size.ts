import type { CacheEntryMeta } from '../cache/cache-entry.js';

/**
 * An estimate of the heap an entry's metadata and index bookkeeping cost (objects, strings, set and map slots),
 * counted against the memory tier with its body so that a million tiny objects cannot exceed the bound.
 * Deliberately rough: characters plus a fixed cost per string and per object.
 */
const PER_ENTRY = 480;
const PER_STRING = 24;

export function estimateMetaBytes(meta: CacheEntryMeta): number {
  let n =
    PER_ENTRY +
    3 * PER_STRING +
    meta.primaryKey.length +
    meta.urlKey.length +
    meta.varyKey.length +
    meta.zone.length;
  for (const tag of meta.tags) n += PER_STRING + 48 + tag.length;
  for (const name in meta.headers) {
    const v = meta.headers[name];
    n += PER_STRING + name.length;
    if (typeof v === 'string') n += PER_STRING + v.length;
    else if (v) for (const x of v) n += PER_STRING + x.length;
  }
  return n;
}

/** Disk footprint: the body rounded up to file-system blocks, plus one block for the file and its journal line. */
export function estimateDiskBytes(bodySize: number): number {
  return Math.ceil(bodySize / 4096) * 4096 + 4096;
}
