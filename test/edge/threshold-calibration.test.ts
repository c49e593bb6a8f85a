import { describe, expect, it } from 'vitest';
import { Prng, simulateTrace, type MachineProfile, type SimulatedPhase, type TracePoint } from '@mieruka/firmware-bridge';
import { MachineConfig } from '@mieruka/protocol';
import { MachineStateTracker } from '../../edge/src/current/machine-state.js';
import { calibrateThresholds, type CalibrationProposal } from '../../edge/src/current/threshold-calibration.js';

const T0 = 1_764_000_000_000;
const toSamples = (trace: readonly TracePoint[]) => trace.map((p) => ({ ts: T0 + p.tMs, amps: p.irms }));

/** Share of readings whose level (hysteresis, no dwell) matches the simulator's phase. */
function agreement(trace: readonly TracePoint[], p: CalibrationProposal, phaseAsSeen: (ph: SimulatedPhase) => string = (ph) => ph): number {
  const tracker = new MachineStateTracker({ offBelowA: p.offBelowA ?? -1, runningAboveA: p.runningAboveA ?? Number.MAX_VALUE, minDwellS: 0, hysteresisA: p.hysteresisA });
  let level: ReturnType<MachineStateTracker['classifyFrom']> | null = null;
  let same = 0;
  for (const point of trace) {
    level = tracker.classifyFrom(level, point.irms);
    if (level === phaseAsSeen(point.phase)) same++;
  }
  return same / trace.length;
}

/** Runs the full tracker (hysteresis + dwell) over the readings: committed runs and agreement. */
function track(samples: ReadonlyArray<{ ts: number; amps: number }>, phases: readonly SimulatedPhase[], p: CalibrationProposal) {
  const tracker = new MachineStateTracker(MachineConfig.parse({ ...p }));
  let runs = 0;
  let same = 0;
  samples.forEach((s, i) => {
    const u = tracker.update(s.ts, s.amps);
    if (u.changed && u.state === 'running' && u.previous !== 'unknown') runs++;
    if (tracker.current.state === phases[i]) same++;
  });
  return { runs, agreement: same / samples.length };
}

const jobsIn = (trace: readonly TracePoint[]) => trace.filter((p, i) => p.phase === 'running' && i > 0 && trace[i - 1]?.phase !== 'running').length;

describe('calibrateThresholds on simulated machines', () => {
  it.each([
    { seed: 1, hours: 8, intervalMs: 1000 },
    { seed: 2, hours: 8, intervalMs: 1000 },
    { seed: 3, hours: 24, intervalMs: 1000 },
    { seed: 4, hours: 24, intervalMs: 5000 },
  ])('finds off, idle and running and separates the phases (seed $seed, $hours h, every $intervalMs ms)', ({ seed, hours, intervalMs }) => {
    const trace = simulateTrace({ seed, durationS: hours * 3600, intervalMs });
    const report = calibrateThresholds(toSamples(trace));
    expect(report.levels.map((l) => l.name)).toEqual(['off', 'idle', 'running']);
    expect(report.confidence).toBe('high');
    expect(report.warnings).toEqual([]);
    expect(report.intervalS).toBe(intervalMs / 1000);
    const [off, idle, running] = report.levels;
    const { offBelowA, runningAboveA, hysteresisA, minDwellS } = report.proposal;
    // Each threshold lies in the gap between the levels, with its band inside the gap.
    expect(offBelowA).not.toBeNull();
    expect(runningAboveA).not.toBeNull();
    expect((offBelowA as number) - hysteresisA).toBeGreaterThan(off?.maxA as number);
    expect((offBelowA as number) + hysteresisA).toBeLessThan(idle?.minA as number);
    expect((runningAboveA as number) - hysteresisA).toBeGreaterThan(idle?.maxA as number);
    expect((runningAboveA as number) + hysteresisA).toBeLessThan(running?.minA as number);
    expect(hysteresisA).toBeGreaterThan(0);
    // No glitches in the simulator: the shortest safe dwell, two readings.
    expect(minDwellS).toBe((2 * intervalMs) / 1000);
    // The proposal is a valid machine config and agrees with the simulator's phases.
    expect(MachineConfig.safeParse(report.proposal).success).toBe(true);
    expect(agreement(trace, report.proposal)).toBeGreaterThan(0.995);
    const tracked = track(toSamples(trace), trace.map((p) => p.phase), report.proposal);
    expect(tracked.runs).toBe(jobsIn(trace));
    // With the dwell every change is reported minDwellS late; the rest agrees.
    expect(tracked.agreement).toBeGreaterThan(0.96);
    // Level statistics are consistent.
    expect(report.levels.reduce((a, l) => a + l.count, 0) + report.transient).toBe(report.used);
    for (const l of report.levels) expect(l.minA <= l.p5A && l.p5A <= l.p50A && l.p50A <= l.p95A && l.p95A <= l.maxA).toBe(true);
    expect(report.transient / report.used).toBeLessThan(0.01);
  });

  it('a dwell long enough for the glitches it saw: spikes and dips no longer start runs', () => {
    const trace = simulateTrace({ seed: 11, durationS: 8 * 3600 });
    const samples = toSamples(trace);
    const rng = new Prng(5);
    let spikes = 0;
    // Spikes of 1–3 readings while idle (a coolant pump kicking in) and 2-reading dips while running.
    for (let i = 10; i < samples.length - 10; i++) {
      const calm = (ph: SimulatedPhase) => trace[i - 5]?.phase === ph && trace[i + 5]?.phase === ph;
      const s = samples[i] as { amps: number };
      if (calm('idle') && rng.next() < 0.01) {
        const k = 1 + Math.floor(rng.next() * 3);
        for (let j = 0; j < k; j++) (samples[i + j] as { amps: number }).amps = 3 + rng.next();
        spikes++;
        i += 10;
      } else if (calm('running') && rng.next() < 0.005) {
        s.amps = 0.9;
        (samples[i + 1] as { amps: number }).amps = 0.95;
        spikes++;
        i += 10;
      }
    }
    expect(spikes).toBeGreaterThan(50);
    const report = calibrateThresholds(samples);
    expect(report.levels.map((l) => l.name)).toEqual(['off', 'idle', 'running']);
    expect(report.excursions.longestShortS).toBe(3);
    expect(report.excursions.shortCount).toBeGreaterThanOrEqual(spikes);
    expect(report.proposal.minDwellS).toBe(4);
    const phases = trace.map((p) => p.phase);
    expect(track(samples, phases, report.proposal).runs).toBe(jobsIn(trace));
    // The same thresholds with the shortest dwell count the glitches as runs.
    expect(track(samples, phases, { ...report.proposal, minDwellS: 2 }).runs).toBeGreaterThan(jobsIn(trace) + 10);
  });
});

describe('calibrateThresholds on traces with fewer levels: says so, invents none', () => {
  const profileCase = (profile: Partial<MachineProfile>, seed: number, hours = 4) => {
    const trace = simulateTrace({ seed, durationS: hours * 3600, profile });
    return { trace, report: calibrateThresholds(toSamples(trace)) };
  };

  it('off and idle only (never ran): proposes offBelowA, not runningAboveA', () => {
    const { trace, report } = profileCase({ jobS: [0, 0] }, 6);
    expect(new Set(trace.map((p) => p.phase))).toEqual(new Set(['off', 'idle']));
    expect(report.levels.map((l) => l.name)).toEqual(['off', 'on']);
    expect(report.proposal.runningAboveA).toBeNull();
    expect(report.proposal.offBelowA).toBeGreaterThan(report.levels[0]?.maxA as number);
    expect(report.proposal.offBelowA).toBeLessThan(report.levels[1]?.minA as number);
    expect(report.warnings.join('\n')).toMatch(/Only two levels found.*cannot tell idle from running/s);
    expect(report.confidence).toBe('medium');
    expect(agreement(trace, report.proposal, (ph) => (ph === 'off' ? 'off' : 'idle'))).toBeGreaterThan(0.995);
  });

  it('off and running only (no idle phase): two levels, the upper one not named', () => {
    const { trace, report } = profileCase({ warmupS: [0, 0], gapS: [0, 0], cooldownS: [0, 0] }, 7);
    expect(report.levels.map((l) => l.name)).toEqual(['off', 'on']);
    expect(report.levels[1]?.p50A).toBeGreaterThan(2.5);
    expect(report.proposal.runningAboveA).toBeNull();
    expect(report.warnings.join('\n')).toMatch(/cannot tell idle from running/);
    expect(agreement(trace, report.proposal, (ph) => (ph === 'off' ? 'off' : 'idle'))).toBeGreaterThan(0.99);
  });

  it('idle and running only (never switched off): proposes runningAboveA, not offBelowA', () => {
    const { trace, report } = profileCase({ offS: [0, 0] }, 5);
    expect(new Set(trace.map((p) => p.phase))).toEqual(new Set(['idle', 'running']));
    expect(report.levels.map((l) => l.name)).toEqual(['idle', 'running']);
    expect(report.proposal.offBelowA).toBeNull();
    expect(report.proposal.runningAboveA).not.toBeNull();
    expect(report.warnings.join('\n')).toMatch(/No off level found/);
    expect(agreement(trace, report.proposal)).toBeGreaterThan(0.995);
  });

  it('off the whole time: one level, no thresholds, confidence none', () => {
    const { report } = profileCase({ offS: [100_000, 100_000] }, 8, 1);
    expect(report.levels.map((l) => l.name)).toEqual(['off']);
    expect(report.proposal).toMatchObject({ offBelowA: null, runningAboveA: null });
    expect(report.confidence).toBe('none');
    expect(report.warnings.join('\n')).toMatch(/machine was off for the whole trace/);
  });

  it('one steady level above the noise floor: one level, no thresholds', () => {
    const rng = new Prng(3);
    const samples = Array.from({ length: 600 }, (_, i) => ({ ts: T0 + i * 1000, amps: 4 + 0.1 * rng.gaussian() }));
    const report = calibrateThresholds(samples);
    expect(report.levels.map((l) => l.name)).toEqual(['on']);
    expect(report.confidence).toBe('none');
    expect(report.warnings.join('\n')).toMatch(/Only one level found, above the noise floor/);
  });

  it('too few readings: no proposal, and says how many are needed', () => {
    for (const samples of [[], Array.from({ length: 10 }, (_, i) => ({ ts: T0 + i * 1000, amps: i % 2 ? 5 : 0 }))]) {
      const report = calibrateThresholds(samples);
      expect(report.levels).toEqual([]);
      expect(report.confidence).toBe('none');
      expect(report.proposal).toMatchObject({ offBelowA: null, runningAboveA: null });
      expect(report.warnings.join('\n')).toMatch(/at least 20/);
    }
  });

  it('ignores unusable readings and sorts by time', () => {
    const trace = simulateTrace({ seed: 1, durationS: 8 * 3600 });
    const samples = toSamples(trace);
    const reference = calibrateThresholds(samples);
    const messy = [...samples].reverse();
    messy.push({ ts: T0, amps: Number.NaN }, { ts: T0, amps: -1 }, { ts: Number.NaN, amps: 1 }, { ts: T0, amps: Number.POSITIVE_INFINITY });
    const report = calibrateThresholds(messy);
    expect(report).toMatchObject({ samples: samples.length + 4, used: samples.length, ignored: 4 });
    expect(report.proposal).toEqual(reference.proposal);
    expect(report.warnings).toEqual(['4 reading(s) ignored: not a finite current ≥ 0 or no valid time.']);
  });
});
