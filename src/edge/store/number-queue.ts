/**
 * A FIFO of small integers in a typed array. Purging pushes up to hundreds of thousands of slot numbers in one
 * synchronous call; growing an Int32Array allocates outside the JS heap, so the purge does not stall on the
 * garbage collector as growing a JS array right after a full collection did (measured: tens of ms).
 */
export class NumberQueue {
  private items = new Int32Array(1024);
  private head = 0;
  private tail = 0;

  get length(): number {
    return this.tail - this.head;
  }

  push(n: number): void {
    if (this.tail === this.items.length) this.makeRoom();
    this.items[this.tail++] = n;
  }

  /** The oldest number, or -1 when empty. */
  shift(): number {
    if (this.head === this.tail) return -1;
    const n = this.items[this.head++]!;
    if (this.head === this.tail) this.head = this.tail = 0;
    return n;
  }

  private makeRoom(): void {
    const live = this.tail - this.head;
    const items = live * 2 > this.items.length ? new Int32Array(this.items.length * 2) : this.items;
    items.set(this.items.subarray(this.head, this.tail));
    this.items = items;
    this.head = 0;
    this.tail = live;
  }
}
