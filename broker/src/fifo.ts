/**
 * First in, first out, with shift() in O(1): a head index into an array, the consumed front
 * dropped now and then (amortized O(1)). `Array.prototype.shift()` and `splice()` at the front
 * move every element: on queues of tens or hundreds of thousands that was most of the hub's CPU
 * (mqemitter's delivery queue, the store's write queue; docs/performance.md).
 */
export class Fifo<T> {
  private items: Array<T | undefined> = [];
  private head = 0;

  get length(): number {
    return this.items.length - this.head;
  }

  push(item: T): number {
    this.items.push(item);
    return this.length;
  }

  shift(): T | undefined {
    if (this.head >= this.items.length) return undefined;
    const item = this.items[this.head];
    this.items[this.head++] = undefined; // let it be collected
    this.compact();
    return item;
  }

  /** Takes up to `n` items from the front, in order. */
  take(n: number): T[] {
    const end = Math.min(this.items.length, this.head + Math.max(0, n));
    const out = this.items.slice(this.head, end) as T[];
    this.items.fill(undefined, this.head, end);
    this.head = end;
    this.compact();
    return out;
  }

  /** Drops up to `n` items from the front; returns how many. */
  drop(n: number): number {
    return this.take(n).length;
  }

  /** Puts `items` back at the front, in their order (a write that failed). O(n): for the rare case. */
  unshiftAll(items: readonly T[]): void {
    if (items.length === 0) return;
    this.items = [...items, ...this.items.slice(this.head)];
    this.head = 0;
  }

  private compact(): void {
    if (this.head === this.items.length) {
      this.items = [];
      this.head = 0;
    } else if (this.head >= 1024 && this.head * 2 >= this.items.length) {
      // Drop the consumed front once it is at least half of the array.
      this.items = this.items.slice(this.head);
      this.head = 0;
    }
  }
}
