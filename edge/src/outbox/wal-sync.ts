/**
 * Makes committed outbox rows durable without blocking the event loop. The outbox commits with
 * `synchronous = NORMAL` (WAL): the commit only write()s its frames to the `-wal` file, which
 * takes microseconds; this class then fdatasync()s that file on libuv's thread pool. SQLite's
 * own `synchronous = FULL` does the same sync inside the commit, on the agent's one thread,
 * where it held up every serial line that arrived meanwhile (a quarter of a bridge's time at
 * 250 lines/s on a shared disk, measured with --cpu-prof; docs/performance.md).
 *
 * A sync covers every commit made before it started (fsync is per file, whichever descriptor
 * wrote): requests that arrive while one runs share the next one (group commit), so a busy
 * agent syncs once per disk round trip, never once per message. Recovery replays the WAL up
 * to its last complete commit, so what a finished sync covered survives a power cut.
 */
import { open, type FileHandle } from 'node:fs/promises';
import { dirname } from 'node:path';

type Waiter = { resolve: () => void; reject: (err: Error) => void };

export class WalSync {
  private readonly walFile: string;
  private handle: FileHandle | null = null;
  private directorySynced = false;
  private running = false;
  private next: Waiter[] = [];
  private closed = false;
  /** Syncs done (each may have covered many commits). */
  syncs = 0;

  /** `dbFile`: the SQLite database; its WAL is `<dbFile>-wal`. */
  constructor(dbFile: string) {
    this.walFile = `${dbFile}-wal`;
  }

  /** Resolves once every commit made before this call is on disk. */
  afterCommit(): Promise<void> {
    if (this.closed) return Promise.resolve(); // close() synced everything
    return new Promise<void>((resolve, reject) => {
      this.next.push({ resolve, reject });
      if (!this.running) this.run();
    });
  }

  /**
   * Called after the database connection closed: SQLite synced and checkpointed what was
   * committed. Waiting requests resolve; the descriptor closes once no sync uses it.
   */
  close(): void {
    this.closed = true;
    if (this.running) return; // run() finishes the waiters and closes the handle
    this.settle(this.next.splice(0), null);
    void this.closeHandle();
  }

  private run(): void {
    const batch = this.next;
    this.next = [];
    this.running = true;
    this.syncOnce().then(
      () => this.settle(batch, null),
      (err: unknown) => this.settle(batch, err instanceof Error ? err : new Error(String(err))),
    ).finally(() => {
      this.running = false;
      if (this.closed) {
        this.settle(this.next.splice(0), null);
        void this.closeHandle();
      } else if (this.next.length > 0) this.run();
    });
  }

  private async syncOnce(): Promise<void> {
    if (this.closed) return;
    this.handle ??= await open(this.walFile, 'r');
    await this.handle.datasync();
    // The -wal file's directory entry must survive a power cut too; it is created once.
    if (!this.directorySynced) {
      const dir = await open(dirname(this.walFile), 'r');
      try {
        await dir.sync();
      } finally {
        await dir.close();
      }
      this.directorySynced = true;
    }
    this.syncs += 1;
  }

  private settle(waiters: Waiter[], err: Error | null): void {
    for (const w of waiters) (err ? w.reject(err) : w.resolve());
  }

  private async closeHandle(): Promise<void> {
    const handle = this.handle;
    this.handle = null;
    await handle?.close().catch(() => undefined);
  }
}
