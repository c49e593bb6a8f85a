/**
 * Tells the dashboard when a running stop starts waiting for a reason (it crosses
 * `oee.askReasonAfterS`). One timer per machine, set when its state changes to the moment the
 * stop will need a reason; no polling loop. The timers are the injected clock's, so a test can
 * drive them.
 */
import type { NodeSnapshot } from '@mieruka/protocol';

export type Timers = {
  set(fn: () => void, ms: number): unknown;
  clear(handle: unknown): void;
};

export const realTimers: Timers = {
  set: (fn, ms) => {
    const t = setTimeout(fn, ms);
    t.unref?.();
    return t;
  },
  clear: (handle) => clearTimeout(handle as NodeJS.Timeout),
};

/** Longest single wait; a longer one is re-armed (setTimeout overflows past 2^31 ms). */
const MAX_WAIT_MS = 6 * 3_600_000;

export type StopWatchOptions = {
  now: () => number;
  timers: Timers;
  /**
   * Checks the machine now: announces a stop that needs a reason (once per stop) and resolves
   * the instant to look again, or null when nothing is pending (running, unknown).
   */
  check: (site: string, node: string) => Promise<number | null>;
  onError: (err: unknown, site: string, node: string) => void;
};

export class StopWatch {
  private readonly options: StopWatchOptions;
  private readonly timers = new Map<string, unknown>();
  /** State and since last seen per machine: only a change re-checks. */
  private readonly seen = new Map<string, string>();
  /** Checks under way per machine; `again`: a newer change came in meanwhile (its answer is stale). */
  private readonly checking = new Map<string, { done: Promise<void>; again: boolean }>();
  private stopped = false;

  constructor(options: StopWatchOptions) {
    this.options = options;
  }

  /** A node update from ingest. */
  onNode(node: NodeSnapshot): void {
    if (!node.state) return;
    const key = `${node.site}/${node.node}`;
    const mark = `${node.state.state}@${node.state.since}`;
    if (this.seen.get(key) === mark) return;
    this.seen.set(key, mark);
    this.run(node.site, node.node);
  }

  /** Checks a machine now and arms its timer for the next look (one check per machine at a time). */
  run(site: string, node: string): void {
    if (this.stopped) return;
    const key = `${site}/${node}`;
    const old = this.timers.get(key);
    if (old !== undefined) this.options.timers.clear(old);
    this.timers.delete(key);
    const going = this.checking.get(key);
    if (going) {
      going.again = true;
      return;
    }
    const entry = { done: Promise.resolve(), again: false };
    let checked: Promise<number | null>;
    try {
      checked = this.options.check(site, node);
    } catch (err) {
      checked = Promise.reject(err);
    }
    entry.done = checked
      .catch((err: unknown) => {
        this.options.onError(err, site, node);
        return null;
      })
      .then((next) => {
        this.checking.delete(key);
        if (this.stopped) return;
        if (entry.again) return this.run(site, node);
        if (next === null) return;
        const wait = Math.min(MAX_WAIT_MS, Math.max(0, next - this.options.now()));
        this.timers.set(
          key,
          this.options.timers.set(() => {
            this.timers.delete(key);
            this.run(site, node);
          }, wait),
        );
      });
    this.checking.set(key, entry);
  }

  /** Resolves once no check is under way (tests; stop). */
  async idle(): Promise<void> {
    while (this.checking.size > 0) await Promise.all([...this.checking.values()].map((c) => c.done));
  }

  /** Clears every timer and waits for the checks under way (nothing reads the store after). */
  async stop(): Promise<void> {
    this.stopped = true;
    for (const t of this.timers.values()) this.options.timers.clear(t);
    this.timers.clear();
    this.seen.clear();
    await this.idle();
  }

  get pending(): number {
    return this.timers.size;
  }
}
