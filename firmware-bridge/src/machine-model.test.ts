import { describe, expect, it } from 'vitest';
import { CYCLING_MACHINE_PROFILE, DEFAULT_MACHINE_PROFILE, machineProfile, simulateTrace } from './machine-model.js';
import { Prng } from './prng.js';

describe('simulateTrace', () => {
  it('is deterministic: the same seed gives the same values, another seed different ones', () => {
    const a = simulateTrace({ seed: 7, durationS: 4 * 3600, intervalMs: 5000 });
    const b = simulateTrace({ seed: 7, durationS: 4 * 3600, intervalMs: 5000 });
    const c = simulateTrace({ seed: 8, durationS: 4 * 3600, intervalMs: 5000 });
    expect(a).toEqual(b);
    expect(a.map((p) => p.irms)).not.toEqual(c.map((p) => p.irms));
    expect(a).toHaveLength((4 * 3600) / 5);
    expect(a[0]?.tMs).toBe(5000);
  });

  it('with cycles, a job is a series of load peaks at about twice its base, clear of the base; off draws its standby current', () => {
    const trace = simulateTrace({ seed: 3, durationS: 8 * 3600, intervalMs: 1000, profile: CYCLING_MACHINE_PROFILE });
    const running = trace.filter((p) => p.phase === 'running').map((p) => p.irms);
    // The base (3–3.6 A ± load) stays below 4.6 A, peaks (2–2.4 × base ± load) above it, apart from the inrush.
    const near = running.filter((a) => a > 4.5 && a < 4.9).length;
    expect(near / running.length).toBeLessThan(0.02);
    const peaks = running.filter((a) => a >= 4.9).length / running.length;
    expect(peaks).toBeGreaterThan(0.3);
    expect(peaks).toBeLessThan(0.8);
    // Peaks come in stretches (60–120 s): count the stretches of running readings above 4.7 A.
    let stretches = 0;
    for (let i = 1; i < trace.length; i++) if ((trace[i]?.irms ?? 0) > 4.7 && (trace[i - 1]?.irms ?? 0) <= 4.7) stretches++;
    expect(stretches).toBeGreaterThan(10);
    const off = trace.filter((p) => p.phase === 'off').map((p) => p.irms);
    expect(off.filter((a) => a <= 0.05).length).toBe(0);
    // Without cycles the default profile is unchanged (the fixtures depend on it).
    expect(DEFAULT_MACHINE_PROFILE.cycles).toBeNull();
  });

  it('rejects impossible cycle profiles', () => {
    expect(() => machineProfile({ cycles: { peakFactor: [2, 1], cycleS: [1, 2], gapS: [1, 2] } })).toThrow(/cycles.peakFactor/);
    expect(() => machineProfile({ cycles: { peakFactor: [2, 3], cycleS: [0, 2], gapS: [1, 2] } })).toThrow(/cycles.cycleS/);
  });

  it('cycles through off, idle and running levels like a real machine', () => {
    const trace = simulateTrace({ seed: 1, durationS: 6 * 3600, intervalMs: 1000 });
    const byPhase = (phase: string) => trace.filter((p) => p.phase === phase).map((p) => p.irms);
    const off = byPhase('off');
    const idle = byPhase('idle');
    const running = byPhase('running');
    expect(off.length).toBeGreaterThan(100);
    expect(idle.length).toBeGreaterThan(100);
    expect(running.length).toBeGreaterThan(100);
    const median = (xs: number[]) => [...xs].sort((x, y) => x - y)[Math.floor(xs.length / 2)] ?? NaN;
    expect(Math.max(...off)).toBeLessThan(0.2);
    expect(median(idle)).toBeGreaterThan(0.5);
    expect(median(idle)).toBeLessThan(1.3);
    expect(median(running)).toBeGreaterThan(2.8);
    expect(median(running)).toBeLessThan(9);
    // Readings are amperes rounded to the milliampere, never negative.
    expect(trace.every((p) => p.irms >= 0 && Math.abs(Math.round(p.irms * 1000) - p.irms * 1000) < 1e-6)).toBe(true);
    // Phases follow the cycle order: off → idle → running … → idle → off.
    const order = trace.map((p) => p.phase).filter((ph, i, all) => i === 0 || all[i - 1] !== ph);
    for (let i = 1; i < order.length; i++) {
      const pair = `${order[i - 1]}>${order[i]}`;
      expect(['off>idle', 'idle>running', 'running>idle', 'idle>off']).toContain(pair);
    }
  });

  it('shows the start-up inrush at the first sample of a job, even when time runs 30× faster', () => {
    for (const intervalMs of [1000, 30_000]) {
      const trace = simulateTrace({ seed: 5, durationS: 8 * 3600, intervalMs });
      const firsts = trace.filter((p, i) => p.phase === 'running' && trace[i - 1]?.phase !== 'running');
      const seconds = trace.filter((p, i) => i >= 2 && trace[i - 1]?.phase === 'running' && trace[i - 2]?.phase === 'idle');
      expect(firsts.length).toBeGreaterThan(1);
      const avg = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;
      expect(avg(firsts.map((p) => p.irms))).toBeGreaterThan(avg(seconds.map((p) => p.irms)));
    }
  });

  it('accepts profile overrides and rejects impossible ones', () => {
    const trace = simulateTrace({ seed: 2, durationS: 3600, intervalMs: 1000, profile: { runningA: [20, 20], loadVariation: 0, jobS: [600, 600] } });
    // Past the inrush: at least five samples into a job.
    const running = trace.filter((p, i) => trace.slice(Math.max(0, i - 5), i + 1).every((q) => q.phase === 'running') && i >= 5);
    expect(running.length).toBeGreaterThan(0);
    expect(running.every((p) => p.irms > 18 && p.irms < 22)).toBe(true);
    expect(() => machineProfile({ jobS: [10, 5] })).toThrow(RangeError);
    expect(() => machineProfile({ jobsPerCycle: [0, 0] })).toThrow(RangeError);
    expect(DEFAULT_MACHINE_PROFILE.idleA).toEqual([0.6, 1.2]);
  });
});

describe('Prng', () => {
  it('repeats for a seed and stays within its ranges', () => {
    const a = new Prng(123);
    const b = new Prng(123);
    const xs = Array.from({ length: 1000 }, () => a.next());
    expect(xs).toEqual(Array.from({ length: 1000 }, () => b.next()));
    expect(xs.every((x) => x >= 0 && x < 1)).toBe(true);
    const ints = Array.from({ length: 1000 }, () => a.int(1, 3));
    expect(new Set(ints)).toEqual(new Set([1, 2, 3]));
    const g = Array.from({ length: 5000 }, () => a.gaussian());
    const mean = g.reduce((s, v) => s + v, 0) / g.length;
    expect(Math.abs(mean)).toBeLessThan(0.1);
  });
});
