import { describe, expect, it } from 'vitest';
import type { DowntimeStop, LossCategory } from '@mieruka/protocol';
import type { Segment } from '../reports/timeline.js';
import { DEFAULT_SUPPLY, QUARTER_MS, kWhOf } from './energy.js';
import { oeeFigures, qualityInBucket, type MachineFacts } from './oee.js';
import { deriveStops, toDowntimeStop } from './stops.js';

const MIN = 60_000;
const H = 60 * MIN;
/** Hour-aligned, two days back: every instant of the fixture is in the past of `now`. */
const T = Math.floor(Date.now() / H) * H - 48 * H;
const NOW = T + 24 * H;
const RULES = { microstopBelowS: 60, askReasonAfterS: 300 };
const CATEGORIES: Record<string, LossCategory> = { breakdown: 'breakdown', setup: 'setup', break: 'planned', material: 'other' };

const seg = (state: Segment['state'], from: number, to: number): Segment => ({ state, start: T + from, end: T + to });

/** Facts for one 8-hour shift [T, T + 8 h) with the stops derived the way the service does. */
function facts(segments: Segment[], over: Partial<MachineFacts> & { reasons?: Record<number, string> } = {}): MachineFacts {
  const shifts = over.shifts ?? [{ start: T, end: T + 8 * H }];
  const stops: DowntimeStop[] = deriveStops(segments, shifts, NOW).map((s) =>
    toDowntimeStop('f', 'm', s, over.reasons?.[s.start] ? { code: over.reasons[s.start]!, by: 'sv', at: NOW } : null, RULES, NOW),
  );
  return {
    segments,
    shifts,
    stops,
    categoryOf: (code) => CATEGORIES[code] ?? 'other',
    cycleEnds: [],
    quality: [],
    quarters: [],
    cyclesConfigured: true,
    countingFrom: T - 30 * 24 * H,
    idealCycleS: 60,
    supply: DEFAULT_SUPPLY,
    tariffYenPerKWh: 30,
    now: NOW,
    ...over,
  };
}

/** `n` cycle ends spread evenly over [from, to). */
const cycleEnds = (n: number, from: number, to: number) => Array.from({ length: n }, (_v, i) => from + Math.floor(((i + 0.5) * (to - from)) / n));

const day = [seg('running', 0, 4 * H), seg('idle', 4 * H, 5 * H), seg('unknown', 5 * H, 6 * H), seg('running', 6 * H, 8 * H)];

describe('oeeFigures', () => {
  it('computes A, P, Q, OEE and the six big losses of one shift', () => {
    const f = facts(day, {
      cycleEnds: cycleEnds(300, T, T + 8 * H),
      quality: [{ start: T, end: T + 8 * H, good: 270, scrap: 20, startupScrap: 10 }],
    });
    const r = oeeFigures(f, T, T + 8 * H);
    expect(r.plannedS).toBe(8 * 3600);
    expect(r.noDataS).toBe(3600); // the unknown hour: never booked as a stop
    expect(r.runS).toBe(6 * 3600);
    expect(r.stopS).toBe(3600);
    expect(r.availability).toBeCloseTo(21_600 / 25_200, 10);
    expect(r.performance).toBeCloseTo((60 * 300) / 21_600, 10);
    expect(r.quality).toBeCloseTo(0.9, 10);
    expect(r.oee).toBeCloseTo((21_600 / 25_200) * ((60 * 300) / 21_600) * 0.9, 10);
    expect(r.missing).toEqual([]);
    expect(r.losses).toEqual({ breakdownS: 0, setupS: 0, unexplainedS: 3600, otherS: 0, minorStopS: 0, reducedSpeedS: 21_600 - 18_000, defectS: 1200, startupS: 600 });
  });

  it('takes a stop with a planned reason out of planned time', () => {
    const r = oeeFigures(facts(day, { reasons: { [T + 4 * H]: 'break' } }), T, T + 8 * H);
    expect(r.plannedS).toBe(7 * 3600);
    expect(r.stopS).toBe(0);
    expect(r.availability).toBe(1);
    expect(r.losses.unexplainedS).toBe(0);
  });

  it('books stops by the category of their reason', () => {
    const segments = [seg('idle', 0, H), seg('running', H, 2 * H), seg('off', 2 * H, 3 * H), seg('running', 3 * H, 4 * H), seg('idle', 4 * H, 5 * H), seg('running', 5 * H, 8 * H)];
    const r = oeeFigures(facts(segments, { reasons: { [T]: 'breakdown', [T + 2 * H]: 'setup', [T + 4 * H]: 'material' } }), T, T + 8 * H);
    expect(r.losses).toMatchObject({ breakdownS: 3600, setupS: 3600, otherS: 3600, unexplainedS: 0 });
  });

  it('a machine with no plan: availability null, missing plan, run time counted as unplanned', () => {
    const r = oeeFigures(facts(day, { shifts: [] }), T, T + 8 * H);
    expect(r.plannedS).toBe(0);
    expect(r.availability).toBeNull();
    expect(r.oee).toBeNull();
    expect(r.missing).toContain('plan');
    expect(r.unplannedRunS).toBe(6 * 3600);
  });

  it('run outside the shift is unplanned run, not part of availability', () => {
    const segments = [seg('running', 0, 10 * H)];
    const r = oeeFigures(facts(segments), T, T + 10 * H);
    expect(r.runS).toBe(8 * 3600);
    expect(r.unplannedRunS).toBe(2 * 3600);
    expect(r.availability).toBe(1);
  });

  it('planned time without any data: availability null, missing data', () => {
    const r = oeeFigures(facts([seg('unknown', 0, 8 * H)]), T, T + 8 * H);
    expect(r.noDataS).toBe(8 * 3600);
    expect(r.availability).toBeNull();
    expect(r.missing).toContain('data');
    // Time the timeline does not cover (never heard) is no data as well.
    expect(oeeFigures(facts([]), T, T + 8 * H).noDataS).toBe(8 * 3600);
  });

  it('no run at all in planned time with data gives OEE 0 even without P and Q', () => {
    const r = oeeFigures(facts([seg('off', 0, 8 * H)], { cyclesConfigured: false }), T, T + 8 * H);
    expect(r.availability).toBe(0);
    expect(r.performance).toBeNull();
    expect(r.quality).toBeNull();
    expect(r.oee).toBe(0);
    expect(r.missing).toEqual(['cycles', 'quality']);
  });

  it('performance: null without cycles config or ideal cycle; above 1 is reported, not capped', () => {
    expect(oeeFigures(facts(day, { cyclesConfigured: false }), T, T + 8 * H)).toMatchObject({ performance: null, missing: ['cycles', 'quality'] });
    expect(oeeFigures(facts(day, { idealCycleS: null }), T, T + 8 * H)).toMatchObject({ performance: null, missing: ['ideal_cycle', 'quality'] });
    const fast = oeeFigures(facts(day, { cycleEnds: cycleEnds(500, T, T + 8 * H) }), T, T + 8 * H);
    expect(fast.performance).toBeCloseTo(30_000 / 21_600, 10);
    expect(fast.losses.reducedSpeedS).toBe(0);
  });

  it('run time before the first cycle ever stored is kept out of performance (counting had not begun)', () => {
    // Cycles configured at 4 h into the shift: the first cycle starts there.
    const f = facts(day, { countingFrom: T + 4 * H, cycleEnds: cycleEnds(100, T + 6 * H, T + 8 * H) });
    const r = oeeFigures(f, T, T + 8 * H);
    expect(r.runS).toBe(6 * 3600);
    // Only the 2 h run from 6 h on were counted (4–6 h is idle and unknown).
    expect(r.performance).toBeCloseTo((60 * 100) / (2 * 3600), 10);
    expect(r.losses.reducedSpeedS).toBeCloseTo(2 * 3600 - 60 * 100, 6);
    // A bucket wholly before counting began, or a machine with no cycle yet: no Performance, said so.
    expect(oeeFigures(f, T, T + 4 * H)).toMatchObject({ performance: null, missing: ['cycles', 'quality'] });
    expect(oeeFigures(facts(day, { countingFrom: null }), T, T + 8 * H)).toMatchObject({ performance: null, missing: ['cycles', 'quality'], losses: { reducedSpeedS: 0 } });
  });

  it('cycles after the shift count in the row but not in performance', () => {
    const segments = [seg('running', 0, 10 * H)];
    const r = oeeFigures(facts(segments, { cycleEnds: [...cycleEnds(240, T, T + 8 * H), ...cycleEnds(60, T + 8 * H, T + 10 * H)] }), T, T + 10 * H);
    expect(r.cycles).toBe(300);
    expect(r.performance).toBeCloseTo((60 * 240) / (8 * 3600), 10);
  });

  it('quality entries count in the bucket that holds their end', () => {
    const quality = [
      { start: T, end: T + H, good: 10, scrap: 0, startupScrap: 0 }, // ends on the boundary: first hour
      { start: T + H, end: T + H, good: 1, scrap: 0, startupScrap: 0 }, // a button press at T + 1 h: second hour
      { start: T + H + MIN, end: T + 2 * H, good: 5, scrap: 5, startupScrap: 0 },
    ];
    const f = facts([seg('running', 0, 8 * H)], { quality });
    expect(oeeFigures(f, T, T + H)).toMatchObject({ good: 10, scrap: 0, quality: 1 });
    expect(oeeFigures(f, T + H, T + 2 * H)).toMatchObject({ good: 6, scrap: 5 });
    expect(oeeFigures(f, T + H, T + 2 * H).quality).toBeCloseTo(6 / 11, 10);
    expect(oeeFigures(f, T + 2 * H, T + 3 * H)).toMatchObject({ quality: null, missing: ['quality'] });
    expect(qualityInBucket({ start: T, end: T }, T, T + H)).toBe(true);
    expect(qualityInBucket({ start: T + H, end: T + H }, T, T + H)).toBe(false);
  });

  it('microstops are minor stops, not unexplained', () => {
    const segments = [seg('running', 0, H), seg('idle', H, H + 30_000), seg('running', H + 30_000, 8 * H)];
    const r = oeeFigures(facts(segments), T, T + 8 * H);
    expect(r.losses.minorStopS).toBe(30);
    expect(r.losses.unexplainedS).toBe(0);
  });

  it('a stop across two hour buckets is split between them', () => {
    const segments = [seg('running', 0, H - 10 * MIN), seg('off', H - 10 * MIN, H + 20 * MIN), seg('running', H + 20 * MIN, 8 * H)];
    const f = facts(segments);
    expect(oeeFigures(f, T, T + H).losses.unexplainedS).toBe(600);
    expect(oeeFigures(f, T + H, T + 2 * H).losses.unexplainedS).toBe(1200);
  });

  it('energy from quarter hours, partial quarters prorated', () => {
    const quarters = [
      { start: T, runningAs: 900 * 10, idleAs: 0, offAs: 0, unknownAs: 0 },
      { start: T + QUARTER_MS, runningAs: 0, idleAs: 900 * 2, offAs: 0, unknownAs: 0 },
    ];
    const f = facts([seg('running', 0, 8 * H)], { quarters });
    const e = oeeFigures(f, T + 5 * MIN, T + H).energy; // two thirds of the first quarter, all of the second
    const running = (9000 * 2) / 3;
    expect(e.runningKWh).toBeCloseTo((running * 200 * Math.sqrt(3) * 0.85) / 3.6e6, 10);
    expect(e.idleKWh).toBeCloseTo(kWhOf(1800, DEFAULT_SUPPLY), 10);
    expect(e.kWh).toBeCloseTo(e.runningKWh + e.idleKWh, 10);
    expect(e.costYen).toBeCloseTo(e.kWh * 30, 10);
    expect(e.idleCostYen).toBeCloseTo(e.idleKWh * 30, 10);
  });

  it('only elapsed time: a bucket is cut at now', () => {
    const f = facts([seg('running', 0, 8 * H)], { now: T + 2 * H, shifts: [{ start: T, end: T + 2 * H }] });
    const r = oeeFigures(f, T, T + 8 * H);
    expect(r.end).toBe(T + 2 * H);
    expect(r.plannedS).toBe(2 * 3600);
  });
});
