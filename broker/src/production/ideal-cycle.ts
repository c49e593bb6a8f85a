/**
 * The ideal cycle time a machine's Performance is measured against (docs/oee.md#performance):
 * set in the config (`machines.<id>.cycles.idealCycleS`), else learned as the 10th percentile
 * of the last 30 days' cycle durations — a robust "fast but sustained" time that a few
 * aborted short cycles cannot drag down — once there are at least 20 cycles, else none.
 */
import type { OeeReport } from '@mieruka/protocol';

export const LEARN_DAYS = 30;
export const LEARN_MIN_CYCLES = 20;
export const LEARN_PERCENTILE = 0.1;

/** Nearest-rank percentile of the durations (seconds): the smallest value with at least `p` of them at or below it. */
export function percentile(values: readonly number[], p: number): number | null {
  if (values.length === 0) return null;
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.max(0, Math.ceil(p * sorted.length) - 1)]!;
}

export function idealCycle(configured: number | undefined, recentDurationsS: readonly number[]): OeeReport['idealCycle'] {
  if (configured !== undefined) return { seconds: configured, source: 'config' };
  if (recentDurationsS.length < LEARN_MIN_CYCLES) return { seconds: null, source: 'none' };
  const p = percentile(recentDurationsS, LEARN_PERCENTILE);
  return p !== null && p > 0 ? { seconds: p, source: 'learned' } : { seconds: null, source: 'none' };
}
