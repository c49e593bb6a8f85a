import { describe, expect, it } from 'vitest';
import { CycleDetector, type CycleConfig, type DetectedCycle } from './cycle-detector.js';

// No calendar meaning: any instant works, so take the test's own.
const T0 = Date.now();
const config: CycleConfig = { aboveA: 5, minS: 3, minGapS: 2 };

/** One reading a second from `from` seconds after T0; returns the cycles as seconds after T0. */
function run(amps: number[], cfg = config, detector = new CycleDetector(cfg), from = 0): { cycles: Array<Omit<DetectedCycle, 'startTs' | 'ts'> & { startS: number; endS: number }>; detector: CycleDetector } {
  const cycles = [];
  for (const [i, a] of amps.entries()) {
    const c = detector.update(T0 + (from + i) * 1000, a);
    if (c) cycles.push({ startS: (c.startTs - T0) / 1000, endS: (c.ts - T0) / 1000, durationS: c.durationS, peakA: c.peakA, meanA: c.meanA });
  }
  return { cycles, detector };
}

describe('CycleDetector', () => {
  it('a peak above aboveA for ≥ minS, ended by ≥ minGapS below: one cycle from its first reading above to the first of the gap', () => {
    const { cycles, detector } = run([2, 2, 6, 8, 7, 6, 2, 2, 2, 2]);
    expect(cycles).toEqual([{ startS: 2, endS: 6, durationS: 4, peakA: 8, meanA: 6.75 }]);
    expect(detector.stats()).toMatchObject({ cycles: 1, shortPeaks: 0 });
  });

  it('the cycle is reported when the gap has lasted minGapS, not before', () => {
    const d = new CycleDetector(config);
    for (const [s, a] of [[0, 6], [1, 6], [2, 6], [3, 6], [4, 1], [5, 1]] as const) expect(d.update(T0 + s * 1000, a)).toBeNull();
    expect(d.update(T0 + 6000, 1)).toMatchObject({ startTs: T0, ts: T0 + 4000, durationS: 4 });
  });

  it('a dip shorter than minGapS belongs to the cycle (its readings count in the mean)', () => {
    const { cycles } = run([6, 6, 3, 6, 6, 1, 1, 1]);
    expect(cycles).toEqual([{ startS: 0, endS: 5, durationS: 5, peakA: 6, meanA: 5.4 }]);
  });

  it('a gap lasts from its first reading to the latest one (like the dwell of a state): minGapS of it ends the cycle', () => {
    // 1 s between the two dip readings at 3 and 4: too short for minGapS 2, the dip belongs to the cycle.
    expect(run([6, 6, 6, 1, 1, 7, 7, 7, 1, 1, 1]).cycles.map((c) => [c.startS, c.endS, c.peakA])).toEqual([[0, 8, 7]]);
    // Readings at 3, 4 and 5 below: 2 s, the cycle ended at 3; the next peak is a cycle of its own.
    const { cycles } = run([6, 6, 6, 1, 1, 1, 7, 7, 7, 1, 1, 1]);
    expect(cycles.map((c) => [c.startS, c.endS, c.peakA])).toEqual([
      [0, 3, 6],
      [6, 9, 7],
    ]);
  });

  it('a peak shorter than minS is not a cycle, only counted', () => {
    const { cycles, detector } = run([1, 9, 9, 1, 1, 1, 6, 6, 6, 1, 1, 1]);
    expect(cycles.map((c) => c.startS)).toEqual([6]);
    expect(detector.stats()).toMatchObject({ cycles: 1, shortPeaks: 1 });
  });

  it('current exactly at aboveA is not above it', () => {
    expect(run([5, 5, 5, 5, 5, 1, 1, 1]).cycles).toEqual([]);
  });

  it('minGapS 0: the first reading below ends the cycle', () => {
    expect(run([6, 6, 6, 1, 6, 6, 6, 1], { aboveA: 5, minS: 1, minGapS: 0 }).cycles.map((c) => [c.startS, c.endS])).toEqual([
      [0, 3],
      [4, 7],
    ]);
  });

  it('drop(): a cycle cut by a sensor outage is dropped, and the next one counts from its own start', () => {
    const d = new CycleDetector(config);
    run([1, 6, 6, 6], config, d);
    expect(d.openSince).toBe(T0 + 1000);
    d.drop();
    expect(d.openSince).toBeNull();
    // Readings return in the middle of a cycle: it starts with the first reading after the outage.
    const { cycles } = run([6, 6, 6, 1, 1, 1], config, d, 100);
    expect(cycles).toEqual([{ startS: 100, endS: 103, durationS: 3, peakA: 6, meanA: 6 }]);
    expect(d.stats()).toMatchObject({ cycles: 1, dropped: 1 });
  });

  it('bad readings and a clock that steps back are ignored and counted, the cycle goes on', () => {
    const d = new CycleDetector(config);
    expect(d.update(T0, 6)).toBeNull();
    expect(d.update(T0 + 1000, Number.NaN)).toBeNull();
    expect(d.update(T0 + 1000, -1)).toBeNull();
    expect(d.update(T0 - 5000, 1)).toBeNull();
    const { cycles } = run([6, 6, 6, 1, 1, 1], config, d, 2);
    expect(cycles.map((c) => [c.startS, c.endS])).toEqual([[0, 5]]);
    expect(d.stats().ignored).toBe(3);
  });

  it('refuses negative thresholds', () => {
    expect(() => new CycleDetector({ aboveA: -1, minS: 1, minGapS: 1 })).toThrow(RangeError);
  });
});
