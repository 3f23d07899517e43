/**
 * A doubly linked recency list over small integers (the store's slot numbers), kept in typed arrays: touching
 * allocates nothing and costs a few array writes, and a million entries cost 9 bytes each per list instead of a
 * node object each. The head is the most recently used.
 */
const NONE = -1;

export class LruList {
  private prev = new Int32Array(1024);
  private next = new Int32Array(1024);
  private linked = new Uint8Array(1024);
  private head = NONE;
  private tail = NONE;
  private count = 0;

  get size(): number {
    return this.count;
  }

  has(n: number): boolean {
    return n < this.linked.length && this.linked[n] === 1;
  }

  /** Inserts (or moves) n at the most-recently-used end. */
  touch(n: number): void {
    if (n >= this.linked.length) this.grow(n + 1);
    if (this.linked[n] === 1) {
      if (this.head === n) return;
      this.unlink(n);
    }
    this.prev[n] = NONE;
    this.next[n] = this.head;
    if (this.head !== NONE) this.prev[this.head] = n;
    this.head = n;
    if (this.tail === NONE) this.tail = n;
    this.linked[n] = 1;
    this.count++;
  }

  unlink(n: number): void {
    if (!this.has(n)) return;
    const p = this.prev[n]!;
    const x = this.next[n]!;
    if (p !== NONE) this.next[p] = x;
    else this.head = x;
    if (x !== NONE) this.prev[x] = p;
    else this.tail = p;
    this.linked[n] = 0;
    this.count--;
  }

  /** The least recently used number, or -1 when empty. */
  oldest(): number {
    return this.tail;
  }

  /** Numbers from most to least recently used (tests and snapshots). */
  *values(): IterableIterator<number> {
    for (let n = this.head; n !== NONE; n = this.next[n]!) yield n;
  }

  private grow(min: number): void {
    const size = Math.max(min, this.linked.length * 2);
    const prev = new Int32Array(size);
    prev.set(this.prev);
    this.prev = prev;
    const next = new Int32Array(size);
    next.set(this.next);
    this.next = next;
    const linked = new Uint8Array(size);
    linked.set(this.linked);
    this.linked = linked;
  }
}
