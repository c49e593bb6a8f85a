/**
 * Production settings learnt from the same recorded trace as the thresholds
 * (threshold-calibration.ts), for `mieruka machine calibrate`:
 *
 * - `sensor.offLevelA`: the off level's median, when the whole off level lies clearly above
 *   the ADC's floor (its 5th percentile above the floor, its median at least twice it). Then a
 *   floor reading cannot be a machine that is off, and an unplugged clamp is told apart.
 * - `cycles.aboveA`: the running readings split in two groups on a log axis (Otsu's method),
 *   accepted only when the split is a real valley: few readings near it, both groups sizeable
 *   and well apart. Otherwise the trace shows no load peaks, and we say so.
 * - `cycles.minGapS`: outlasts the short dips seen inside peaks (a dip of up to three readings
 *   is taken as noise or a tool lifting), at least two reading intervals.
 * - `cycles.minS`: half the shortest typical peak (its 10th percentile), at least two
 *   intervals, so spindle starts and spikes stay out.
 * - `cycles.idealCycleS`: the 10th percentile of the cycles found with these settings, a
 *   robust "fastest sustainable" cycle (a few freak short ones do not set it).
 *
 * At least MIN_CYCLES cycles are needed, and they must repeat within runs: at least half of
 * them followed by the next one with the machine running all along in between (jobs at
 * different loads separated by idle time are not cycles). Pure: samples in, proposal out.
 */
import { CycleDetector, type DetectedCycle } from './cycle-detector.js';
import { quantile, type AmpsSample, type CalibrationReport } from './threshold-calibration.js';

export interface CycleProposal {
  aboveA: number;
  minS: number;
  minGapS: number;
  idealCycleS: number;
}

export interface ProductionCalibration {
  /** null: not proposed (see warnings). */
  offLevelA: number | null;
  cycles: CycleProposal | null;
  /** Cycles found with the proposal, and their durations (seconds). */
  cycleCount: number;
  cycleS: { p10: number; p50: number; p90: number } | null;
  warnings: string[];
}

export interface ProductionCalibrationOptions {
  /** The ADC floor (sensor.floorA, default 0.02 A). */
  floorA?: number;
}

export const MIN_CYCLES = 5;
const EPS = 0.01;

export function calibrateProduction(trace: readonly AmpsSample[], report: CalibrationReport, options: ProductionCalibrationOptions = {}): ProductionCalibration {
  const floorA = options.floorA ?? 0.02;
  const warnings: string[] = [];
  const offLevelA = proposeOffLevel(report, floorA, warnings);
  const none = { offLevelA, cycles: null, cycleCount: 0, cycleS: null, warnings };
  const runningAboveA = report.proposal.runningAboveA;
  const intervalS = report.intervalS ?? 1;
  if (runningAboveA === null) {
    warnings.push('No cycles proposed: the trace shows no running level to look for load peaks in.');
    return none;
  }
  const points = trace.filter((p) => Number.isFinite(p.ts) && Number.isFinite(p.amps) && p.amps >= 0).sort((a, b) => a.ts - b.ts);
  const running = points.filter((p) => p.amps > runningAboveA).map((p) => p.amps);
  const aboveA = splitLoad(running);
  if (aboveA === null) {
    warnings.push('No cycles proposed: while running, the current shows no separate load-peak level (no periodic load pattern in this trace). Leave `cycles` out, or record while the machine works a series of parts.');
    return none;
  }

  // Raw peaks (no minimum length, no gap bridging): their dips tell minGapS.
  const dips = dipLengths(points, aboveA, runningAboveA);
  const shortDips = dips.filter((d) => d <= 3 * intervalS + 1e-9);
  const minGapS = ceilNice(Math.max(2 * intervalS, ...shortDips.map((d) => d + intervalS / 2)));
  const bridged = detect(points, { aboveA, minS: 0, minGapS }).map((c) => c.durationS).sort((a, b) => a - b);
  if (bridged.length === 0) {
    // Sparse readings (stored ones a minute apart) bridge every dip: a whole run is one "peak", too long to be a cycle.
    warnings.push(`No cycles proposed: no load peak above ${aboveA} A ends as a cycle in this trace (readings every ${round1(intervalS)} s merge the dips between cycles). Record at one reading a second while the machine works a series of parts.`);
    return none;
  }
  const typical = bridged.filter((d) => d >= 0.25 * quantile(bridged, 0.5));
  const minS = ceilNice(Math.max(2 * intervalS, 0.5 * quantile(typical, 0.1)));
  const found = detect(points, { aboveA, minS, minGapS });
  const cycles = found.map((c) => c.durationS).sort((a, b) => a - b);
  if (cycles.length < MIN_CYCLES) {
    warnings.push(`No cycles proposed: only ${cycles.length} load peak(s) above ${aboveA} A in this trace (at least ${MIN_CYCLES} needed). Record while the machine works a series of parts.`);
    return { ...none, cycleCount: cycles.length };
  }
  const backToBack = countBackToBack(points, found, runningAboveA);
  if (backToBack < Math.max(MIN_CYCLES - 1, found.length / 2)) {
    warnings.push(`No cycles proposed: the ${found.length} stretches above ${aboveA} A do not repeat within runs (only ${backToBack} follow one another while the machine keeps running): they look like jobs at different loads, not machining cycles.`);
    return { ...none, cycleCount: 0 };
  }
  const p10 = quantile(cycles, 0.1);
  const p50 = quantile(cycles, 0.5);
  const p90 = quantile(cycles, 0.9);
  if (p90 > 3 * p10) warnings.push(`Cycle durations vary widely (p10 ${round1(p10)} s, p90 ${round1(p90)} s): different parts or programs? Check idealCycleS per job.`);
  return {
    offLevelA,
    cycles: { aboveA, minS, minGapS, idealCycleS: round1(p10) },
    cycleCount: cycles.length,
    cycleS: { p10: round1(p10), p50: round1(p50), p90: round1(p90) },
    warnings,
  };
}

function proposeOffLevel(report: CalibrationReport, floorA: number, warnings: string[]): number | null {
  const off = report.levels.find((l) => l.name === 'off');
  if (!off) {
    warnings.push('sensor.offLevelA not proposed: the trace has no off level (the machine was never switched off).');
    return null;
  }
  if (off.p5A > floorA && off.p50A >= 2 * floorA) return Number(off.p50A.toPrecision(2));
  warnings.push(`sensor.offLevelA not proposed: the off level (median ${off.p50A} A) is not clearly above the sensor floor (${floorA} A), so an unplugged clamp cannot be told from a machine that is off.`);
  return null;
}

/** Otsu's threshold on log10(amps): the load-peak level above the running base, or null. */
function splitLoad(amps: readonly number[]): number | null {
  if (amps.length < 20) return null;
  const x = amps.map((a) => Math.log10(a + EPS)).sort((a, b) => a - b);
  const n = x.length;
  const prefix = [0];
  for (const v of x) prefix.push((prefix[prefix.length - 1] as number) + v);
  let best = -1;
  let split = -1;
  for (let k = 1; k < n; k++) {
    if ((x[k] as number) === (x[k - 1] as number)) continue;
    const w0 = k / n;
    const m0 = (prefix[k] as number) / k;
    const m1 = ((prefix[n] as number) - (prefix[k] as number)) / (n - k);
    const between = w0 * (1 - w0) * (m0 - m1) ** 2;
    if (between > best) {
      best = between;
      split = k;
    }
  }
  if (split < 0) return null;
  const lowShare = split / n;
  const loMax = 10 ** (x[split - 1] as number) - EPS;
  const hiMin = 10 ** (x[split] as number) - EPS;
  const loMedian = 10 ** quantile(x.slice(0, split), 0.5) - EPS;
  const hiMedian = 10 ** quantile(x.slice(split), 0.5) - EPS;
  const threshold = Math.sqrt((loMax + EPS) * (hiMin + EPS)) - EPS;
  // A valley: at most 5 % of the readings within ±7 % of the threshold.
  const near = amps.filter((a) => Math.abs(a - threshold) <= 0.07 * threshold).length;
  if (lowShare < 0.05 || lowShare > 0.95 || hiMedian < 1.3 * loMedian || near > 0.05 * n) return null;
  return niceBetween(threshold, loMax, hiMin);
}

/**
 * Lengths (s, sample and hold) of the stretches at or below aboveA between two peaks, while
 * running. Only dips between two peaks of at least three readings count: a one-reading spike
 * in a gap between cycles must not make that gap look like a dip inside a cycle.
 */
function dipLengths(points: readonly AmpsSample[], aboveA: number, runningAboveA: number): number[] {
  type Run = { above: boolean; startTs: number; count: number; running: boolean };
  const runs: Run[] = [];
  for (const p of points) {
    const above = p.amps > aboveA;
    const last = runs[runs.length - 1];
    if (last && last.above === above) {
      last.count++;
      if (p.amps <= runningAboveA) last.running = false;
    } else runs.push({ above, startTs: p.ts, count: 1, running: p.amps > runningAboveA });
  }
  const out: number[] = [];
  for (let i = 1; i + 1 < runs.length; i++) {
    const [before, dip, after] = [runs[i - 1], runs[i], runs[i + 1]] as [Run, Run, Run];
    if (!dip.above && dip.running && before.count >= 3 && after.count >= 3) out.push((after.startTs - dip.startTs) / 1000);
  }
  return out.sort((a, b) => a - b);
}

function detect(points: readonly AmpsSample[], config: { aboveA: number; minS: number; minGapS: number }): DetectedCycle[] {
  const d = new CycleDetector(config);
  const out: DetectedCycle[] = [];
  for (const p of points) {
    const c = d.update(p.ts, p.amps);
    if (c) out.push(c);
  }
  return out;
}

/** Cycles followed by the next one with every reading in between above the running threshold. */
function countBackToBack(points: readonly AmpsSample[], cycles: readonly DetectedCycle[], runningAboveA: number): number {
  let n = 0;
  let i = 0;
  for (let k = 0; k + 1 < cycles.length; k++) {
    const end = (cycles[k] as DetectedCycle).ts;
    const next = (cycles[k + 1] as DetectedCycle).startTs;
    while (i < points.length && (points[i] as AmpsSample).ts < end) i++;
    let running = true;
    for (let j = i; j < points.length && (points[j] as AmpsSample).ts < next; j++) {
      if ((points[j] as AmpsSample).amps <= runningAboveA) {
        running = false;
        break;
      }
    }
    if (running) n++;
  }
  return n;
}

function round1(v: number): number {
  return Math.round(v * 10) / 10;
}

function niceBetween(v: number, lo: number, hi: number): number {
  for (const digits of [2, 3]) {
    const r = Number(v.toPrecision(digits));
    if (r > lo && r < hi) return r;
  }
  return v;
}

function ceilNice(s: number): number {
  if (s <= 0) return 0;
  return s >= 1 ? Math.ceil(s - 1e-9) : Math.ceil(s * 10 - 1e-9) / 10;
}
