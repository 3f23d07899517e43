/**
 * Per-entry state the purge path reads and writes, kept in typed arrays indexed by a small integer (the slot
 * number) instead of on each entry's object: a purge touching 100,000 entries then walks a few compact arrays
 * rather than 100,000 objects scattered over the heap. Numbers are reused after release().
 */
export const LIVE = 1;
/** Soft-purged: stale whatever its headers say, until a revalidation replaces its head. */
export const INVALIDATED = 2;

export class SlotTable<T> {
  flags = new Uint8Array(1024);
  /** Bytes counted against the memory tier (body + metadata estimate); 0 when the body is not in memory. */
  memBytes = new Float64Array(1024);
  /** Bytes counted against the disk tier; 0 when not stored on disk. */
  diskBytes = new Float64Array(1024);
  private readonly items: Array<T | undefined> = [];
  private readonly free: number[] = [];
  private next = 0;

  alloc(item: T): number {
    const n = this.free.pop() ?? this.next++;
    if (n >= this.flags.length) this.grow(n + 1);
    this.flags[n] = LIVE;
    this.memBytes[n] = 0;
    this.diskBytes[n] = 0;
    this.items[n] = item;
    return n;
  }

  item(n: number): T {
    return this.items[n]!;
  }

  release(n: number): void {
    this.flags[n] = 0;
    this.memBytes[n] = 0;
    this.diskBytes[n] = 0;
    this.items[n] = undefined;
    this.free.push(n);
  }

  private grow(min: number): void {
    const size = Math.max(min, this.flags.length * 2);
    const flags = new Uint8Array(size);
    flags.set(this.flags);
    this.flags = flags;
    const mem = new Float64Array(size);
    mem.set(this.memBytes);
    this.memBytes = mem;
    const disk = new Float64Array(size);
    disk.set(this.diskBytes);
    this.diskBytes = disk;
  }
}
