import { afterEach, describe, expect, it } from 'vitest';
import { silentLogger, waitFor } from '../test-support/helpers.js';
import { BatchWriter } from './batch-writer.js';

describe('BatchWriter', () => {
  const writers: BatchWriter<number>[] = [];
  afterEach(async () => {
    for (const w of writers.splice(0)) await w.stop();
  });

  function make(opts: { batchSize: number; flushIntervalMs: number; fail?: () => boolean }) {
    const batches: number[][] = [];
    const writer = new BatchWriter<number>({
      ...opts,
      logger: silentLogger,
      write: async (items) => {
        if (opts.fail?.()) throw new Error('disk on fire');
        batches.push([...items]);
        return items.length;
      },
    });
    writers.push(writer);
    return { writer, batches };
  }

  it('written(): one write for everything queued in the same turn, long before the flush interval (group commit)', async () => {
    const { writer, batches } = make({ batchSize: 100, flushIntervalMs: 60_000 });
    writer.push(1);
    const first = writer.written();
    writer.push(2);
    const second = writer.written();
    expect(batches).toEqual([]);
    await Promise.all([first, second]);
    expect(batches).toEqual([[1, 2]]);
    await writer.written(); // nothing queued: at once
  });

  it('written() waits through failed writes and rejects when its rows are dropped at stop', async () => {
    let failing = true;
    const { writer, batches } = make({ batchSize: 10, flushIntervalMs: 20, fail: () => failing });
    writer.push(1);
    const ok = writer.written();
    let settled = false;
    void ok.then(() => (settled = true));
    await new Promise((resolve) => setTimeout(resolve, 60));
    expect(settled).toBe(false);
    failing = false;
    await ok;
    expect(batches).toEqual([[1]]);
    failing = true;
    writer.push(2);
    const lost = writer.written();
    await writer.stop();
    await expect(lost).rejects.toThrow(/dropped/);
  });

  it('flushes as soon as a batch is full, in one write', async () => {
    const { writer, batches } = make({ batchSize: 3, flushIntervalMs: 60_000 });
    writer.push(1);
    writer.push(2);
    await new Promise((resolve) => setImmediate(resolve));
    expect(batches).toEqual([]);
    writer.push(3);
    await new Promise((resolve) => setImmediate(resolve));
    expect(batches).toEqual([[1, 2, 3]]);
    writer.push(4);
    expect(writer.pending).toBe(1);
  });

  it('flushes a partial batch after the interval', async () => {
    const { writer, batches } = make({ batchSize: 100, flushIntervalMs: 10 });
    writer.push(1);
    writer.push(2);
    await waitFor(() => batches.length === 1, 'the timed flush');
    expect(batches[0]).toEqual([1, 2]);
    expect(writer.stats()).toMatchObject({ queued: 0, itemsWritten: 2, rowsWritten: 2, flushes: 1 });
  });

  it('loses nothing on stop and refuses pushes afterwards', async () => {
    const { writer, batches } = make({ batchSize: 4, flushIntervalMs: 60_000 });
    for (let i = 0; i < 10; i++) writer.push(i);
    await writer.stop();
    expect(batches.flat()).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
    expect(batches.map((b) => b.length)).toEqual([4, 4, 2]);
    expect(writer.push(99)).toBe(false);
    expect(writer.stats().dropped).toBe(0);
  });

  it('keeps items queued when a write fails and writes them once it works again', async () => {
    let failing = true;
    const { writer, batches } = make({ batchSize: 2, flushIntervalMs: 10, fail: () => failing });
    writer.push(1);
    writer.push(2);
    writer.push(3);
    await waitFor(() => writer.stats().failedFlushes > 0, 'the failed write');
    expect(batches).toEqual([]);
    expect(writer.pending).toBe(3);
    failing = false;
    await waitFor(() => writer.pending === 0, 'the retry');
    expect(batches.flat()).toEqual([1, 2, 3]);
  });

  it('bounds the queue while writes fail, dropping the oldest, and counts what stop could not write', async () => {
    const writer = new BatchWriter<number>({
      batchSize: 2,
      flushIntervalMs: 60_000,
      maxQueued: 5,
      logger: silentLogger,
      write: async () => {
        throw new Error('disk full');
      },
    });
    writers.push(writer);
    for (let i = 0; i < 8; i++) writer.push(i);
    expect(writer.pending).toBe(5);
    expect(writer.stats().dropped).toBe(3);
    await writer.stop();
    expect(writer.pending).toBe(0);
    expect(writer.stats().dropped).toBe(8);
  });

  it('puts a failed batch back at the front: retried first, and the first dropped when the queue fills', async () => {
    let failing = true;
    const batches: number[][] = [];
    const writer = new BatchWriter<number>({
      batchSize: 2,
      flushIntervalMs: 60_000,
      maxQueued: 4,
      logger: silentLogger,
      write: async (items) => {
        if (failing) throw new Error('disk full');
        batches.push([...items]);
        return items.length;
      },
    });
    writers.push(writer);
    writer.push(1);
    writer.push(2); // full batch: the write starts and fails
    await waitFor(() => writer.stats().failedFlushes === 1, 'the failed write');
    writer.push(3);
    writer.push(4);
    failing = false;
    await writer.flush();
    expect(batches).toEqual([[1, 2], [3, 4]]); // the failed batch first

    failing = true;
    writer.push(5);
    writer.push(6);
    await waitFor(() => writer.stats().failedFlushes === 2, 'the second failed write');
    for (let i = 7; i <= 10; i++) writer.push(i); // 4 allowed: the failed 5 and 6 are the oldest, dropped first
    expect(writer.stats()).toMatchObject({ queued: 4, dropped: 2 });
    failing = false;
    await writer.flush();
    expect(batches.slice(2)).toEqual([[7, 8], [9, 10]]);
  });

  it('never runs two writes at once, keeps the items of the write under way when the queue overflows, and a flush asked for meanwhile covers later items', async () => {
    let release!: () => void;
    const batches: number[][] = [];
    let running = 0;
    let overlapped = false;
    const writer = new BatchWriter<number>({
      batchSize: 2,
      flushIntervalMs: 60_000,
      maxQueued: 4,
      logger: silentLogger,
      write: async (items) => {
        running++;
        if (running > 1) overlapped = true;
        if (batches.length === 0) await new Promise<void>((resolve) => (release = resolve));
        batches.push([...items]);
        running--;
        return items.length;
      },
    });
    writers.push(writer);
    writer.push(1);
    writer.push(2); // full: the first write starts and waits
    await waitFor(() => release !== undefined, 'the first write');
    for (let i = 3; i <= 7; i++) writer.push(i); // 4 allowed: 3, 4 and 5 are dropped as 5, 6 and 7 come, never 1 and 2
    const later = writer.flush();
    release();
    await later;
    expect(overlapped).toBe(false);
    expect(batches.flat()).toEqual([1, 2, 6, 7]);
    expect(writer.stats()).toMatchObject({ itemsWritten: 4, dropped: 3, queued: 0 });
  });
});
