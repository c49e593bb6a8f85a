/**
 * The demo hub's clock. While the demo replays its history the clock stands at each replayed
 * message's time, so the hub takes the past as it would have taken it live (rules raise
 * alarms then, acknowledgements are stamped then); afterwards it follows the base clock.
 * It never goes back: a replayed time earlier than the last one, or later than the base
 * clock, is refused.
 */
import type { Now } from '@mieruka/protocol';

export class ReplayClock {
  private readonly base: Now;
  private at: number | null = null;
  /** The clock to hand out: reads the replayed time while replaying, else the base clock. */
  readonly now: Now = () => this.at ?? this.base();

  constructor(base: Now) {
    this.base = base;
  }

  get replaying(): boolean {
    return this.at !== null;
  }

  /** Stands the clock at `t` (not earlier than where it stands, not later than the base clock). */
  set(t: number): void {
    const current = this.now();
    if (this.at !== null && t < current) throw new RangeError(`replay clock cannot go back (${t} < ${current})`);
    if (t > this.base()) throw new RangeError('replay clock cannot run ahead of the base clock');
    this.at = t;
  }

  /** Back to the base clock. */
  finish(): void {
    this.at = null;
  }
}
