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
   * Checks the machine now: announces a stop that needs a reason (once per stop) and returns
   * the instant to look again, or null when nothing is pending (running, unknown).
   */
  check: (site: string, node: string) => number | null;
  onError: (err: unknown, site: string, node: string) => void;
};

export class StopWatch {
  private readonly options: StopWatchOptions;
  private readonly timers = new Map<string, unknown>();
  /** State and since last seen per machine: only a change re-checks. */
  private readonly seen = new Map<string, string>();

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

  /** Checks a machine now and arms its timer for the next look. */
  run(site: string, node: string): void {
    const key = `${site}/${node}`;
    const old = this.timers.get(key);
    if (old !== undefined) this.options.timers.clear(old);
    this.timers.delete(key);
    let next: number | null = null;
    try {
      next = this.options.check(site, node);
    } catch (err) {
      this.options.onError(err, site, node);
    }
    if (next === null) return;
    const wait = Math.min(MAX_WAIT_MS, Math.max(0, next - this.options.now()));
    this.timers.set(
      key,
      this.options.timers.set(() => {
        this.timers.delete(key);
        this.run(site, node);
      }, wait),
    );
  }

  stop(): void {
    for (const t of this.timers.values()) this.options.timers.clear(t);
    this.timers.clear();
    this.seen.clear();
  }

  get pending(): number {
    return this.timers.size;
  }
}
