/**
 * Queues items and writes them in one call (one database transaction) every `flushIntervalMs`,
 * as soon as `batchSize` items are queued, and on stop — so a clean stop loses nothing.
 * A failed write keeps the items queued and retries on the next tick; the queue is bounded
 * (oldest dropped and counted) so a dead disk cannot eat all memory.
 *
 * `written()` is the group commit behind the hub's QoS 1 acknowledgements: it resolves once
 * everything queued so far is in the database, flushing on the next turn of the event loop
 * (one transaction for all the messages of a socket read), so a PUBACK never promises a row
 * a crash could still lose.
 *
 * Writes are asynchronous (PostgreSQL answers over the network; SQLite's settle at once) and
 * never overlap: one batch is in flight at a time, in queue order.
 */
import type { Logger } from 'pino';
import { Fifo } from '../fifo.js';

export type BatchWriterOptions<T> = {
  batchSize: number;
  flushIntervalMs: number;
  /** Writes the whole batch atomically (rejects to keep it queued). Resolves to the rows written. */
  write(items: readonly T[]): Promise<number>;
  logger: Logger;
  /** Upper bound of queued items. Default: 100 × batchSize, at least 10 000. */
  maxQueued?: number;
};

export type BatchWriterStats = {
  queued: number;
  /** Items handed to `write` successfully. */
  itemsWritten: number;
  /** What `write` reported (rows actually inserted; duplicates excluded). */
  rowsWritten: number;
  flushes: number;
  failedFlushes: number;
  /** Items dropped because the queue was full or the final flush failed. */
  dropped: number;
};

export class BatchWriter<T> {
  private readonly options: BatchWriterOptions<T>;
  private readonly maxQueued: number;
  /** Items waiting for a write (a Fifo: dropping the oldest of a full queue must not move it all). */
  private queue = new Fifo<T>();
  /** The items of the write under way (never dropped: they may be committing right now). */
  private held: readonly T[] = [];
  private timer: NodeJS.Timeout | null = null;
  private stopped = false;
  /** After a failed write, retry on the timer only (not on every push) and log once. */
  private failing = false;
  private readonly counters = { itemsWritten: 0, rowsWritten: 0, flushes: 0, failedFlushes: 0, dropped: 0 };
  /** Items ever pushed; a waiter waits until written + dropped reaches the count it saw. */
  private pushed = 0;
  private waiters: Array<{ upTo: number; droppedBefore: number; resolve: () => void; reject: (err: Error) => void }> = [];
  private soon: NodeJS.Immediate | null = null;
  /** The flush in progress; a flush asked for meanwhile runs after it. */
  private flushing: Promise<number> | null = null;
  private flushAgain = false;

  constructor(options: BatchWriterOptions<T>) {
    if (!(options.batchSize >= 1)) throw new RangeError('batchSize must be at least 1');
    if (!(options.flushIntervalMs >= 0)) throw new RangeError('flushIntervalMs must not be negative');
    this.options = options;
    this.maxQueued = Math.max(options.maxQueued ?? Math.max(options.batchSize * 100, 10_000), options.batchSize);
  }

  get pending(): number {
    return this.queue.length + this.held.length;
  }

  stats(): BatchWriterStats {
    return { queued: this.pending, ...this.counters };
  }

  /** Queues one item; flushes at once when the batch is full. Returns false after stop. */
  push(item: T): boolean {
    if (this.stopped) return false;
    this.queue.push(item);
    this.pushed++;
    if (this.pending > this.maxQueued) {
      // The oldest items not in the write under way.
      const excess = this.queue.drop(this.pending - this.maxQueued);
      this.counters.dropped += excess;
      this.options.logger.error({ dropped: excess, totalDropped: this.counters.dropped }, 'write queue full: oldest rows dropped');
      this.settleWaiters();
    }
    if (this.pending >= this.options.batchSize && !this.failing) void this.flush();
    else this.arm();
    return true;
  }

  /** Resolves once every item pushed so far is written; rejects if one of them was dropped. */
  written(): Promise<void> {
    if (this.pending === 0) return Promise.resolve();
    return new Promise<void>((resolve, reject) => {
      this.waiters.push({ upTo: this.pushed, droppedBefore: this.counters.dropped, resolve, reject });
      if (!this.soon && !this.failing) {
        this.soon = setImmediate(() => {
          this.soon = null;
          void this.flush();
        });
      }
    });
  }

  private settleWaiters(): void {
    if (this.waiters.length === 0) return;
    const done = this.counters.itemsWritten + this.counters.dropped;
    const open: typeof this.waiters = [];
    for (const w of this.waiters) {
      if (done < w.upTo) open.push(w);
      else if (this.counters.dropped > w.droppedBefore) w.reject(new Error('rows were dropped before they could be written'));
      else w.resolve();
    }
    this.waiters = open;
  }

  private arm(): void {
    if (this.timer || this.stopped || this.pending === 0) return;
    this.timer = setTimeout(() => {
      this.timer = null;
      void this.flush();
    }, this.options.flushIntervalMs);
  }

  /**
   * Writes everything queued now, in batches of `batchSize`; resolves to how many items were
   * written. Called while a flush runs, it runs once more after it (so it also covers what was
   * queued meanwhile). Never rejects: a failed write leaves the items queued, counted and logged.
   */
  flush(): Promise<number> {
    if (this.timer) {
      clearTimeout(this.timer);
      this.timer = null;
    }
    if (this.flushing) {
      this.flushAgain = true;
      return this.flushing.then(() => this.flushing ?? this.flush());
    }
    const run = this.writeQueued().finally(() => {
      this.flushing = null;
      if (this.flushAgain) {
        this.flushAgain = false;
        void this.flush();
      }
    });
    this.flushing = run;
    return run;
  }

  private async writeQueued(): Promise<number> {
    let written = 0;
    while (this.queue.length > 0) {
      const batch = this.queue.take(this.options.batchSize);
      this.held = batch;
      try {
        const rows = await this.options.write(batch);
        this.held = [];
        written += batch.length;
        this.counters.itemsWritten += batch.length;
        this.counters.rowsWritten += rows;
        this.counters.flushes += 1;
        if (this.failing) this.options.logger.warn({ queued: this.queue.length }, 'batch writes work again');
        this.failing = false;
      } catch (err) {
        // Back at the front, oldest first: retried first, and the first dropped if the queue fills.
        this.held = [];
        this.queue.unshiftAll(batch);
        this.counters.failedFlushes += 1;
        if (!this.failing) this.options.logger.error({ err, queued: this.queue.length }, 'batch write failed; retrying every flush interval');
        this.failing = true;
        break;
      }
      this.settleWaiters();
    }
    this.arm();
    this.settleWaiters();
    return written;
  }

  /** Final flush; further pushes are refused. Items that still cannot be written are counted as dropped. */
  async stop(): Promise<void> {
    if (this.stopped) return;
    this.stopped = true;
    if (this.soon) clearImmediate(this.soon);
    this.soon = null;
    await this.flush();
    if (this.timer) {
      clearTimeout(this.timer);
      this.timer = null;
    }
    if (this.pending > 0) {
      this.counters.dropped += this.pending;
      this.options.logger.error({ lost: this.pending }, 'rows could not be written before stop');
      this.queue = new Fifo<T>();
      this.held = [];
    }
    this.settleWaiters();
  }
}
