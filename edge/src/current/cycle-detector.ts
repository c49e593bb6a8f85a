/**
 * Machining cycles from one machine's current (docs/machine-monitor.md#cycles): a cycle is a
 * load peak, current above `aboveA` for at least `minS`, ended by at least `minGapS` at or
 * below it. Shorter dips belong to the cycle (a tool lifting between two cuts); shorter peaks
 * are not cycles (spindle starts, tool changes) and are only counted.
 *
 * Times follow the readings, sample and hold, like the machine state: a cycle starts at its
 * first reading above `aboveA` and ends at the first reading of the gap that ended it.
 *
 * The detector does not look at the machine state: `aboveA` lies above the running level, so
 * a reading above it is a running machine anyway. What it cannot know — the sensor went
 * silent or reads its floor — the agent tells it with `drop()`: a cycle cut that way is
 * dropped, not counted (its end is unknown, and a half cycle would spoil Performance).
 *
 * Pure: time comes in with every reading.
 */

export type CycleConfig = { aboveA: number; minS: number; minGapS: number };

/** A finished cycle; `ts` is its end. */
export interface DetectedCycle {
  startTs: number;
  ts: number;
  durationS: number;
  peakA: number;
  meanA: number;
}

export interface CycleDetectorStats {
  cycles: number;
  /** Peaks above aboveA shorter than minS. */
  shortPeaks: number;
  /** Cycles cut by drop() (sensor offline or fault). */
  dropped: number;
  /** Cycles longer than a day: not a cycle, and outside the event's range. */
  tooLong: number;
  /** Readings refused: not finite, negative, or earlier than the one before. */
  ignored: number;
}

/** The longest cycle the `cycle` event can carry. */
const MAX_CYCLE_S = 86_400;

type Open = { startTs: number; peakA: number; sum: number; count: number; belowSince: number | null; belowSum: number; belowCount: number };

export class CycleDetector {
  private readonly config: CycleConfig;
  private open: Open | null = null;
  private lastTs = -Infinity;
  private readonly counters: CycleDetectorStats = { cycles: 0, shortPeaks: 0, dropped: 0, tooLong: 0, ignored: 0 };

  constructor(config: CycleConfig) {
    if (!(config.aboveA >= 0) || !(config.minS >= 0) || !(config.minGapS >= 0)) throw new RangeError('cycle thresholds must be numbers ≥ 0');
    this.config = { aboveA: config.aboveA, minS: config.minS, minGapS: config.minGapS };
  }

  /** Feeds one reading; returns the cycle it ended, if any. */
  update(ts: number, amps: number): DetectedCycle | null {
    if (!Number.isFinite(ts) || !Number.isFinite(amps) || amps < 0 || ts < this.lastTs) {
      this.counters.ignored++;
      return null;
    }
    this.lastTs = ts;
    const open = this.open;
    if (amps > this.config.aboveA) {
      if (!open) {
        this.open = { startTs: ts, peakA: amps, sum: amps, count: 1, belowSince: null, belowSum: 0, belowCount: 0 };
        return null;
      }
      // A dip shorter than minGapS: it belongs to the cycle after all.
      open.sum += open.belowSum + amps;
      open.count += open.belowCount + 1;
      open.peakA = Math.max(open.peakA, amps);
      open.belowSince = null;
      open.belowSum = 0;
      open.belowCount = 0;
      return null;
    }
    if (!open) return null;
    if (open.belowSince === null) open.belowSince = ts;
    open.belowSum += amps;
    open.belowCount++;
    if (ts - open.belowSince < this.config.minGapS * 1000) return null;
    this.open = null;
    return this.finish(open, open.belowSince);
  }

  /** Forgets a cycle under way (the sensor went silent or reads its floor): it is not counted. */
  drop(): void {
    if (this.open) this.counters.dropped++;
    this.open = null;
  }

  /** When the cycle under way began, if one is. */
  get openSince(): number | null {
    return this.open?.startTs ?? null;
  }

  stats(): CycleDetectorStats {
    return { ...this.counters };
  }

  private finish(open: Open, endTs: number): DetectedCycle | null {
    const durationS = (endTs - open.startTs) / 1000;
    if (durationS < this.config.minS) {
      this.counters.shortPeaks++;
      return null;
    }
    if (durationS > MAX_CYCLE_S) {
      this.counters.tooLong++;
      return null;
    }
    this.counters.cycles++;
    return { startTs: open.startTs, ts: endTs, durationS: round(durationS, 3), peakA: open.peakA, meanA: round(open.sum / open.count, 3) };
  }
}

function round(v: number, digits: number): number {
  const f = 10 ** digits;
  return Math.round(v * f) / f;
}
