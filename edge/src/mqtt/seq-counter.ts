/**
 * The per-node `seq`: monotonic, and never reused across restarts, because the hub uses it to
 * drop duplicates after store-and-forward. Values are reserved ahead in blocks and the end of
 * the block is written (atomically, fsync'd) before any value of it is handed out, so a crash
 * only leaves a gap. A graceful close() records the exact next value, so a normal restart
 * leaves none.
 */
import { closeSync, fsyncSync, openSync, readFileSync, renameSync, writeSync } from 'node:fs';
import { dirname } from 'node:path';
import type { Logger } from 'pino';
import { makeDirsSync } from '@mieruka/protocol/node';

export const SEQ_BLOCK_SIZE = 1000;

export class SeqCounter {
  private readonly file: string | undefined;
  private readonly blockSize: number;
  private readonly logger: Logger | undefined;
  private readonly now: () => number;
  private nextValue: number | null = null;
  private reservedUntil = 0;
  private writeFailed = false;

  constructor(options: { file?: string; blockSize?: number; logger?: Logger; now?: () => number }) {
    this.file = options.file;
    this.blockSize = Math.max(1, Math.floor(options.blockSize ?? SEQ_BLOCK_SIZE));
    this.logger = options.logger;
    this.now = options.now ?? Date.now;
  }

  next(): number {
    if (this.nextValue === null) this.load();
    const value = this.nextValue as number;
    if (value >= this.reservedUntil) this.reserve(value + this.blockSize);
    this.nextValue = value + 1;
    return value;
  }

  /** Records the exact next value (graceful shutdown). */
  close(): void {
    if (this.nextValue === null || !this.file || this.writeFailed) return;
    try {
      this.write(this.nextValue);
      this.reservedUntil = this.nextValue;
    } catch (err) {
      this.logger?.warn({ err, file: this.file }, 'cannot record seq at close; the next start skips to the reserved block');
    }
  }

  private load(): void {
    // Without a file, the clock: it still increases across restarts at < 1 message per ms.
    let start = this.now();
    if (this.file) {
      try {
        const parsed = JSON.parse(readFileSync(this.file, 'utf8')) as { next?: unknown };
        if (typeof parsed.next !== 'number' || !Number.isSafeInteger(parsed.next) || parsed.next < 0) throw new Error('no valid "next" field');
        start = parsed.next;
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code === 'ENOENT') start = 0;
        // A damaged file: we cannot know what was used, so jump to the clock, far above any block.
        else this.logger?.warn({ err, file: this.file, start }, 'seq file unreadable; continuing from the clock');
      }
    }
    this.nextValue = start;
    this.reservedUntil = start;
  }

  private reserve(until: number): void {
    if (this.file) {
      try {
        this.write(until);
        this.writeFailed = false;
      } catch (err) {
        // Readings matter more than perfect dedup: keep counting in memory and say so once.
        if (!this.writeFailed) this.logger?.error({ err, file: this.file }, 'cannot persist seq; a restart may reuse values');
        this.writeFailed = true;
      }
    }
    this.reservedUntil = until;
  }

  private write(next: number): void {
    const file = this.file as string;
    makeDirsSync(dirname(file));
    const tmp = `${file}.tmp`;
    const fd = openSync(tmp, 'w', 0o644);
    try {
      writeSync(fd, `${JSON.stringify({ next })}\n`);
      fsyncSync(fd);
    } finally {
      closeSync(fd);
    }
    renameSync(tmp, file);
  }
}
