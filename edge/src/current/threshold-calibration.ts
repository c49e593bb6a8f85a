/**
 * Learns machine thresholds from a recorded current trace, because every machine's idle
 * current is different.
 *
 * The levels a machine sits at (off, idle, running) show up as dense groups of readings on a
 * logarithmic current axis, separated by empty stretches (the machine jumps between levels,
 * it does not linger between them). So: histogram of log10(amps + ε), groups of occupied bins
 * ("modes"), tiny modes dropped as transients (inrush spikes, transitions). Labels come from
 * what a CT clamp sees: a mode at the noise floor (≤ offMaxA) is `off`; above it, the widest
 * gap splits `idle` (below) from `running` (above). With a single mode above off the trace
 * cannot tell idle from running, and we say so instead of inventing a level.
 *
 * Thresholds sit in the middle of each gap on the log axis (the geometric midpoint of its
 * edges), hysteresis follows the readings' sample-to-sample noise (capped to half the gap
 * margin), and the dwell time covers the short excursions seen in the trace. Pure.
 */
import { MachineStateTracker } from './machine-state.js';

export type AmpsSample = { ts: number; amps: number };
export type CalibrationLevelName = 'off' | 'idle' | 'running' | 'on';

export interface CalibrationLevel {
  /** `on` is a level above off that the trace cannot tell to be idle or running. */
  name: CalibrationLevelName;
  count: number;
  /** Fraction of the usable readings. */
  share: number;
  meanA: number;
  p5A: number;
  p50A: number;
  p95A: number;
  minA: number;
  maxA: number;
  /** Robust sample-to-sample noise (σ) while at this level. */
  noiseA: number;
  /** Distinct modes merged into this level (e.g. jobs at different spindle loads). */
  modes: number;
}

export interface CalibrationBoundary {
  lower: CalibrationLevelName;
  upper: CalibrationLevelName;
  /** Highest reading of the lower level and lowest of the upper one. */
  gapA: [number, number];
  /** gapA[1] / gapA[0] on the (amps + ε) axis: how clearly the levels are apart. */
  ratio: number;
  thresholdA: number;
}

export interface CalibrationProposal {
  /** null: the trace has no off level (or nothing above it) to place it by. */
  offBelowA: number | null;
  /** null: the trace shows no idle/running split. */
  runningAboveA: number | null;
  hysteresisA: number;
  minDwellS: number;
}

export type CalibrationConfidence = 'high' | 'medium' | 'low' | 'none';

export interface CalibrationReport {
  /** Readings given, usable ones (finite, ≥ 0) and ignored ones. */
  samples: number;
  used: number;
  ignored: number;
  /** Usable readings in no level (between levels: transitions, spikes). */
  transient: number;
  /** Median time between readings, seconds (null with fewer than two readings). */
  intervalS: number | null;
  durationS: number;
  levels: CalibrationLevel[];
  boundaries: CalibrationBoundary[];
  /** Excursions: short visits to another level and back (A → B → A). */
  excursions: { count: number; shortCount: number; longestShortS: number };
  proposal: CalibrationProposal;
  confidence: CalibrationConfidence;
  warnings: string[];
}

export interface CalibrationOptions {
  /** A level whose 95th percentile is at or below this is the CT noise floor: off (default 0.3 A). */
  offMaxA?: number;
  /** Fewest readings a level needs: max(minLevelCount, minLevelShare · used) (defaults 5, 0.002). */
  minLevelCount?: number;
  minLevelShare?: number;
  /** An excursion at most this long may be a glitch rather than a real state (default max(10 s, 3 intervals)). */
  maxGlitchS?: number;
}

/** Offset of the log axis so that 0 A has a place on it (the firmware reports milliamperes). */
export const CALIBRATION_EPSILON_A = 0.01;
const BIN = 0.02; // log10 units: about 4.7 % per bin
const MERGE_GAP_BINS = 3; // modes closer than ~15 % are one level
const MIN_SAMPLES = 20;

type Mode = { lo: number; hi: number; count: number };
type Group = { name: CalibrationLevelName; lo: number; hi: number; modes: number };

export function calibrateThresholds(trace: readonly AmpsSample[], options: CalibrationOptions = {}): CalibrationReport {
  const offMaxA = options.offMaxA ?? 0.3;
  const warnings: string[] = [];
  const clean = trace.filter((p) => Number.isFinite(p.ts) && Number.isFinite(p.amps) && p.amps >= 0);
  // Stable sort: equal timestamps keep their order.
  const points = clean.map((p, i) => ({ ...p, i })).sort((a, b) => a.ts - b.ts || a.i - b.i);
  const n = points.length;
  const intervalS = medianInterval(points);
  const durationS = n > 1 ? ((points[n - 1]?.ts ?? 0) - (points[0]?.ts ?? 0)) / 1000 + (intervalS ?? 0) : 0;
  const base = { samples: trace.length, used: n, ignored: trace.length - n, intervalS, durationS };
  if (trace.length > n) warnings.push(`${trace.length - n} reading(s) ignored: not a finite current ≥ 0 or no valid time.`);

  if (n < MIN_SAMPLES) {
    warnings.push(`Only ${n} usable reading(s): at least ${MIN_SAMPLES} are needed (record longer, ideally through a whole work cycle).`);
    return { ...base, transient: 0, levels: [], boundaries: [], excursions: { count: 0, shortCount: 0, longestShortS: 0 }, proposal: emptyProposal(intervalS), confidence: 'none', warnings };
  }

  const x = points.map((p) => Math.log10(p.amps + CALIBRATION_EPSILON_A));
  const minLevelCount = Math.max(options.minLevelCount ?? 5, Math.ceil((options.minLevelShare ?? 0.002) * n));
  const modes = findModes(x, minLevelCount);
  const groups = labelModes(modes, offMaxA, warnings);

  // Which group each reading belongs to (by the group's range on the log axis), or none.
  const member = x.map((v) => groups.findIndex((g) => v >= g.lo && v <= g.hi));
  const levels = groups.map((g, gi) => levelStats(g, points, member, gi, n));
  const transient = member.filter((m) => m === -1).length;
  if (transient / n > 0.05) warnings.push(`${pct(transient / n)} of the readings lie between levels (slow transitions or noise): check the proposal against the trace.`);

  // Thresholds in the middle of each gap between adjacent levels (log axis).
  const boundaries: CalibrationBoundary[] = [];
  for (let i = 1; i < levels.length; i++) {
    const lower = levels[i - 1] as CalibrationLevel;
    const upper = levels[i] as CalibrationLevel;
    const a = lower.maxA + CALIBRATION_EPSILON_A;
    const b = upper.minA + CALIBRATION_EPSILON_A;
    boundaries.push({ lower: lower.name, upper: upper.name, gapA: [lower.maxA, upper.minA], ratio: round(b / a, 3), thresholdA: niceBetween(Math.sqrt(a * b) - CALIBRATION_EPSILON_A, lower.maxA, upper.minA) });
  }
  const offBoundary = boundaries.find((b) => b.lower === 'off');
  const runBoundary = boundaries.find((b) => b.upper === 'running');
  // Off → anything above it (idle, running, or a level we cannot name) is a valid offBelowA.
  const offBelowA = offBoundary?.thresholdA ?? null;
  const runningAboveA = runBoundary?.thresholdA ?? null;

  const hysteresisA = proposeHysteresis(boundaries, levels);
  const segments = segmentLevels(points, offBelowA, runningAboveA, hysteresisA);
  const dwell = proposeDwell(segments, intervalS ?? 1, options.maxGlitchS ?? Math.max(10, 3 * (intervalS ?? 1)));
  if (dwell.shortestRealS !== null && dwell.minDwellS >= dwell.shortestRealS) {
    warnings.push(`The proposed dwell (${dwell.minDwellS} s) is not shorter than the shortest stay at a level (${dwell.shortestRealS} s): short states will be missed.`);
  }
  const proposal: CalibrationProposal = { offBelowA, runningAboveA, hysteresisA, minDwellS: dwell.minDwellS };
  const confidence = rateConfidence(proposal, boundaries, levels, transient / n, n);
  return {
    ...base,
    transient,
    levels,
    boundaries,
    excursions: { count: dwell.excursions, shortCount: dwell.shortCount, longestShortS: dwell.longestShortS },
    proposal,
    confidence,
    warnings,
  };
}

function emptyProposal(intervalS: number | null): CalibrationProposal {
  return { offBelowA: null, runningAboveA: null, hysteresisA: 0, minDwellS: defaultDwell(intervalS ?? 1) };
}

function medianInterval(points: ReadonlyArray<{ ts: number }>): number | null {
  if (points.length < 2) return null;
  const d: number[] = [];
  for (let i = 1; i < points.length; i++) d.push((points[i] as { ts: number }).ts - (points[i - 1] as { ts: number }).ts);
  const m = quantile(d.sort((a, b) => a - b), 0.5);
  return m > 0 ? m / 1000 : null;
}

/** Contiguous runs of occupied histogram bins, close ones merged, small ones dropped. */
function findModes(x: readonly number[], minLevelCount: number): Mode[] {
  const counts = new Map<number, number>();
  for (const v of x) {
    const b = Math.floor(v / BIN);
    counts.set(b, (counts.get(b) ?? 0) + 1);
  }
  // Sparse bins count as empty on long traces: a few stray readings must not bridge a gap.
  const sparse = Math.floor(x.length * 0.0005);
  const bins = [...counts.entries()].filter(([, c]) => c > sparse).sort((a, b) => a[0] - b[0]);
  let modes: Mode[] = [];
  for (const [b, c] of bins) {
    const last = modes[modes.length - 1];
    if (last && b - last.hi <= MERGE_GAP_BINS) {
      last.hi = b;
      last.count += c;
    } else modes.push({ lo: b, hi: b, count: c });
  }
  // Too few readings for a level: inrush peaks, transitions (they stay transient).
  modes = modes.filter((m) => m.count >= minLevelCount);
  // Bin indices → log-axis range (upper edge of the last bin).
  return modes.map((m) => ({ lo: m.lo * BIN, hi: (m.hi + 1) * BIN, count: m.count }));
}

function labelModes(modes: readonly Mode[], offMaxA: number, warnings: string[]): Group[] {
  if (modes.length === 0) return [];
  const offCeiling = Math.log10(offMaxA + CALIBRATION_EPSILON_A);
  const off = modes.filter((m) => m.hi <= offCeiling + BIN);
  const on = modes.filter((m) => !off.includes(m));
  const groups: Group[] = [];
  if (off.length > 0) groups.push({ name: 'off', lo: (off[0] as Mode).lo, hi: (off[off.length - 1] as Mode).hi, modes: off.length });
  if (on.length === 1) {
    const m = on[0] as Mode;
    groups.push({ name: 'on', lo: m.lo, hi: m.hi, modes: 1 });
  } else if (on.length >= 2) {
    let split = 1;
    let widest = -Infinity;
    for (let i = 1; i < on.length; i++) {
      const gap = (on[i] as Mode).lo - (on[i - 1] as Mode).hi;
      if (gap > widest) {
        widest = gap;
        split = i;
      }
    }
    const idle = on.slice(0, split);
    const running = on.slice(split);
    groups.push({ name: 'idle', lo: (idle[0] as Mode).lo, hi: (idle[idle.length - 1] as Mode).hi, modes: idle.length });
    groups.push({ name: 'running', lo: (running[0] as Mode).lo, hi: (running[running.length - 1] as Mode).hi, modes: running.length });
    if (on.length > 2) {
      warnings.push(`${on.length} distinct current levels above off: grouped at the widest gap into idle (${idle.length}) and running (${running.length}). Different jobs or idle modes can look like this; check the levels below.`);
    }
  }
  // Say plainly what the trace lacks; never invent a level.
  const names = groups.map((g) => g.name);
  if (names.length === 1 && names[0] === 'off') {
    warnings.push('Only one level found, at the noise floor of the clamp: the machine was off for the whole trace. No thresholds proposed; record while it works.');
  } else if (names.length === 1) {
    warnings.push('Only one level found, above the noise floor: the trace shows neither off nor a second level. No thresholds proposed; record through a whole cycle (off → idle → job → off).');
  } else if (names.join() === 'off,on') {
    warnings.push('Only two levels found: off and one level above it. The trace cannot tell idle from running, so runningAboveA is not proposed; record while the machine does a job.');
  } else if (!names.includes('off')) {
    warnings.push('No off level found (the machine was never switched off in this trace): offBelowA is not proposed; keep it below the idle level.');
  }
  return groups;
}

function levelStats(g: Group, points: ReadonlyArray<AmpsSample>, member: readonly number[], gi: number, n: number): CalibrationLevel {
  const amps: number[] = [];
  const diffs: number[] = [];
  for (let i = 0; i < points.length; i++) {
    if (member[i] !== gi) continue;
    const a = (points[i] as AmpsSample).amps;
    amps.push(a);
    if (i > 0 && member[i - 1] === gi) diffs.push(Math.abs(a - (points[i - 1] as AmpsSample).amps));
  }
  amps.sort((a, b) => a - b);
  diffs.sort((a, b) => a - b);
  const mean = amps.reduce((s, a) => s + a, 0) / amps.length;
  return {
    name: g.name,
    count: amps.length,
    share: round(amps.length / n, 4),
    meanA: round(mean, 3),
    p5A: round(quantile(amps, 0.05), 3),
    p50A: round(quantile(amps, 0.5), 3),
    p95A: round(quantile(amps, 0.95), 3),
    minA: amps[0] ?? 0,
    maxA: amps[amps.length - 1] ?? 0,
    // MAD of differences → σ of one reading's noise (a difference has √2 σ).
    noiseA: round(diffs.length > 0 ? (1.4826 * quantile(diffs, 0.5)) / Math.SQRT2 : 0, 4),
    modes: g.modes,
  };
}

/**
 * Wide enough to swallow the readings' noise near a threshold (3 σ of the noisier side),
 * never more than half the margin between a threshold and the nearest reading of a level.
 */
function proposeHysteresis(boundaries: readonly CalibrationBoundary[], levels: readonly CalibrationLevel[]): number {
  if (boundaries.length === 0) return 0;
  let cap = Infinity;
  let noise = 0;
  for (const b of boundaries) {
    cap = Math.min(cap, (b.thresholdA - b.gapA[0]) / 2, (b.gapA[1] - b.thresholdA) / 2);
    for (const name of [b.lower, b.upper]) noise = Math.max(noise, levels.find((l) => l.name === name)?.noiseA ?? 0);
  }
  const h = Math.min(cap, Math.max(3 * noise, 0.01));
  return h > 0 ? floorNice(h) : 0;
}

type Segment = { state: 'off' | 'idle' | 'running'; startTs: number; endTs: number; samples: number };

/** Consecutive stays at a level as the tracker would see them without dwell. */
function segmentLevels(points: ReadonlyArray<AmpsSample>, offBelowA: number | null, runningAboveA: number | null, hysteresisA: number): Segment[] {
  if (offBelowA === null && runningAboveA === null) return [];
  // A missing threshold is one no reading can cross.
  const tracker = new MachineStateTracker({ offBelowA: offBelowA ?? -1, runningAboveA: runningAboveA ?? Number.MAX_VALUE, minDwellS: 0, hysteresisA });
  const out: Segment[] = [];
  let level: 'off' | 'idle' | 'running' | null = null;
  for (const p of points) {
    level = tracker.classifyFrom(level, p.amps);
    const last = out[out.length - 1];
    if (last && last.state === level) {
      last.endTs = p.ts;
      last.samples++;
    } else out.push({ state: level, startTs: p.ts, endTs: p.ts, samples: 1 });
  }
  return out;
}

/**
 * Excursions A → B → A: short ones are glitches (spikes, dips), long ones real states (e.g.
 * idle gaps between jobs). Glitches pile up at a few short lengths; real states spread out.
 * The glitches end at the first length L (at most maxGlitchS) with at least 3 excursions up
 * to L and hardly any (≤ 10 % of those) in (L, 2L + one interval]. The dwell outlasts them.
 */
function proposeDwell(segments: readonly Segment[], intervalS: number, maxGlitchS: number): { minDwellS: number; excursions: number; shortCount: number; longestShortS: number; shortestRealS: number | null } {
  const lengths: number[] = [];
  for (let i = 1; i + 1 < segments.length; i++) {
    const s = segments[i] as Segment;
    if ((segments[i - 1] as Segment).state === (segments[i + 1] as Segment).state) lengths.push(s.samples * intervalS);
  }
  lengths.sort((a, b) => a - b);
  let shortCount = 0;
  let longestShortS = 0;
  for (const L of new Set(lengths)) {
    if (L > maxGlitchS) break;
    const upTo = lengths.filter((d) => d <= L).length;
    const after = lengths.filter((d) => d > L && d <= 2 * L + intervalS).length;
    if (upTo >= 3 && after <= Math.floor(0.1 * upTo)) {
      shortCount = upTo;
      longestShortS = L;
      break;
    }
  }
  // A glitch of k readings spans (k − 1) intervals: a dwell of k · interval outlasts it.
  const minDwellS = Math.max(defaultDwell(intervalS), ceilNice(longestShortS + intervalS / 2));
  const real = segments.slice(1, -1).map((s) => s.samples * intervalS).filter((d) => d > longestShortS);
  return { minDwellS, excursions: lengths.length, shortCount, longestShortS, shortestRealS: real.length > 0 ? Math.min(...real) : null };
}

/** Without glitches: two readings, so one stray reading never changes the state. */
function defaultDwell(intervalS: number): number {
  return ceilNice(2 * intervalS);
}

function rateConfidence(p: CalibrationProposal, boundaries: readonly CalibrationBoundary[], levels: readonly CalibrationLevel[], transientShare: number, n: number): CalibrationConfidence {
  if (p.offBelowA === null && p.runningAboveA === null) return 'none';
  const used = boundaries.filter((b) => (b.lower === 'off' && p.offBelowA !== null) || (b.upper === 'running' && p.runningAboveA !== null));
  const worst = Math.min(...used.map((b) => b.ratio));
  let c: CalibrationConfidence = worst >= 1.5 ? 'high' : worst >= 1.2 ? 'medium' : 'low';
  const downgrade = (to: CalibrationConfidence) => {
    const order: CalibrationConfidence[] = ['none', 'low', 'medium', 'high'];
    if (order.indexOf(to) < order.indexOf(c)) c = to;
  };
  if (transientShare > 0.05) downgrade('low');
  else if (transientShare > 0.02) downgrade('medium');
  if (levels.some((l) => l.modes > 1 && l.name !== 'off')) downgrade('medium');
  if (p.offBelowA === null || p.runningAboveA === null) downgrade('medium');
  if (n < 300) downgrade('medium');
  return c;
}

/** Linear-interpolated quantile of sorted values (NaN when empty); shared with production-calibration. */
export function quantile(sorted: readonly number[], q: number): number {
  if (sorted.length === 0) return NaN;
  const pos = (sorted.length - 1) * q;
  const lo = Math.floor(pos);
  const hi = Math.ceil(pos);
  const a = sorted[lo] as number;
  const b = sorted[hi] as number;
  return a + (b - a) * (pos - lo);
}

function round(v: number, digits: number): number {
  const f = 10 ** digits;
  return Math.round(v * f) / f;
}

/** Two significant digits if that stays strictly between lo and hi, else three, else as is. */
function niceBetween(v: number, lo: number, hi: number): number {
  for (const digits of [2, 3]) {
    const r = Number(v.toPrecision(digits));
    if (r > lo && r < hi) return r;
  }
  return v;
}

/** Rounds down to two significant digits (a hysteresis must not outgrow its cap). */
function floorNice(v: number): number {
  const e = 10 ** (Math.floor(Math.log10(v)) - 1);
  return Number((Math.floor(v / e + 1e-9) * e).toPrecision(2));
}

/** Rounds up to a whole second (or a tenth below one second). */
function ceilNice(s: number): number {
  if (s <= 0) return 0;
  return s >= 1 ? Math.ceil(s - 1e-9) : Math.ceil(s * 10 - 1e-9) / 10;
}

function pct(share: number): string {
  return `${(share * 100).toFixed(1)} %`;
}
