/** The FIFO behind mqemitter's delivery queue and the store's write queue. */
import { describe, expect, it } from 'vitest';
import { Fifo } from './fifo.js';

describe('Fifo', () => {
  it('gives items back in order across its compactions, interleaved with pushes', () => {
    const q = new Fifo<number>();
    const out: number[] = [];
    let next = 0;
    // Grows past the compaction threshold (1024), drains in part, grows again, drains fully.
    for (let round = 0; round < 5; round++) {
      for (let i = 0; i < 3000; i++) q.push(next++);
      for (let i = 0; i < 2500; i++) out.push(q.shift() as number);
    }
    expect(q.length).toBe(next - out.length);
    while (q.length > 0) out.push(q.shift() as number);
    expect(q.shift()).toBeUndefined();
    expect(out).toEqual(Array.from({ length: next }, (_, i) => i));
  });

  it('takes, drops and puts back runs at the front, in order, across compactions', () => {
    const q = new Fifo<number>();
    for (let i = 0; i < 5000; i++) q.push(i);
    expect(q.take(3)).toEqual([0, 1, 2]);
    expect(q.drop(1500)).toBe(1500); // past the compaction threshold
    const batch = q.take(4);
    expect(batch).toEqual([1503, 1504, 1505, 1506]);
    q.unshiftAll(batch); // a failed write's batch goes back first
    expect(q.length).toBe(5000 - 1503);
    expect(q.shift()).toBe(1503);
    expect(q.take(10_000).at(-1)).toBe(4999);
    expect(q.take(1)).toEqual([]);
    expect(q.drop(5)).toBe(0);
    q.unshiftAll([7, 8]);
    q.push(9);
    expect(q.take(5)).toEqual([7, 8, 9]);
  });
});
