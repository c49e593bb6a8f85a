/**
 * Group commit for the outbox: the messages an agent publishes in one turn of the event loop
 * (every line of one serial read, say) are written in one transaction at the end of that turn,
 * so a sensor sending hundreds of lines a second costs one sync to disk per read, not one per
 * line. The rows are handed on (`onWritten`: the forwarder sends them) as soon as they are
 * committed, and each message's promise settles once its row is synced to disk (or the write
 * failed), so "publish() resolved" still means "survives a power cut". The sync runs off the
 * event loop and is shared by the groups committed meanwhile. Order is kept.
 */
import type { Outbox } from './outbox.js';

type Pending = { topic: string; payload: Buffer; retain: boolean; resolve: () => void; reject: (err: Error) => void };

export type GroupAppendOptions = {
  outbox: Outbox;
  /** After each written group: how many rows, and how many of the oldest were dropped for them. */
  onWritten(count: number, dropped: number): void;
  /** After a failed group (every message of it was rejected). */
  onFailed(count: number): void;
  /** A committed group could not be synced to disk (its messages were rejected, but are still queued and sent). */
  onSyncFailed?(count: number, err: Error): void;
};

export class GroupAppend {
  private readonly options: GroupAppendOptions;
  private pending: Pending[] = [];
  private timer: NodeJS.Immediate | null = null;

  constructor(options: GroupAppendOptions) {
    this.options = options;
  }

  get waiting(): number {
    return this.pending.length;
  }

  append(topic: string, payload: Buffer, retain: boolean): Promise<void> {
    return new Promise<void>((resolve, reject) => {
      this.pending.push({ topic, payload, retain, resolve, reject });
      // setImmediate: after the I/O callbacks of this turn, so one read's lines share a commit.
      this.timer ??= setImmediate(() => this.flush());
    });
  }

  /** Writes what waits now (also before the outbox closes). */
  flush(): void {
    if (this.timer) clearImmediate(this.timer);
    this.timer = null;
    const group = this.pending;
    if (group.length === 0) return;
    this.pending = [];
    let dropped: number;
    try {
      dropped = this.options.outbox.appendMany(group);
    } catch (err) {
      this.options.onFailed(group.length);
      for (const p of group) p.reject(err as Error);
      return;
    }
    this.options.onWritten(group.length, dropped);
    this.options.outbox.durable().then(
      () => {
        for (const p of group) p.resolve();
      },
      (err: Error) => {
        this.options.onSyncFailed?.(group.length, err);
        for (const p of group) p.reject(err);
      },
    );
  }
}
