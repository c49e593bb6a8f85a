/** Time per state in buckets, and the utilization figures derived from it. */
import type { StateSeconds, UsageRow } from '@mieruka/protocol';
import type { MachineState } from '@mieruka/protocol';
import type { Segment } from './timeline.js';

/** Milliseconds per state. */
export type Durations = Record<MachineState, number>;

export type Bucket = { start: number; end: number; ms: Durations };

export const emptyDurations = (): Durations => ({ off: 0, idle: 0, running: 0, unknown: 0 });

export function bucketsFrom(boundaries: readonly number[]): Bucket[] {
  const out: Bucket[] = [];
  for (let i = 0; i + 1 < boundaries.length; i++) out.push({ start: boundaries[i]!, end: boundaries[i + 1]!, ms: emptyDurations() });
  return out;
}

/** Adds the overlap of every segment with every bucket. Both sorted and non-overlapping. */
export function accumulate(buckets: readonly Bucket[], segments: readonly Segment[]): void {
  let b = 0;
  for (const s of segments) {
    while (b < buckets.length && buckets[b]!.end <= s.start) b++;
    for (let k = b; k < buckets.length && buckets[k]!.start < s.end; k++) {
      const bucket = buckets[k]!;
      const overlap = Math.min(bucket.end, s.end) - Math.max(bucket.start, s.start);
      if (overlap > 0) bucket.ms[s.state] += overlap;
    }
  }
}

export function addDurations(into: Durations, from: Durations): void {
  into.off += from.off;
  into.idle += from.idle;
  into.running += from.running;
  into.unknown += from.unknown;
}

/**
 * Totals and both utilizations: `utilization` = running / (total − unknown), how busy the
 * machine was while the hub knew its state; `utilizationOfTotal` = running / total.
 */
export function usageFigures(ms: Durations): Pick<UsageRow, 'seconds' | 'totalS' | 'knownS' | 'utilization' | 'utilizationOfTotal'> {
  const seconds: StateSeconds = { off: ms.off / 1000, idle: ms.idle / 1000, running: ms.running / 1000, unknown: ms.unknown / 1000 };
  const totalMs = ms.off + ms.idle + ms.running + ms.unknown;
  const knownMs = totalMs - ms.unknown;
  return {
    seconds,
    totalS: totalMs / 1000,
    knownS: knownMs / 1000,
    utilization: knownMs > 0 ? ms.running / knownMs : null,
    utilizationOfTotal: totalMs > 0 ? ms.running / totalMs : null,
  };
}
