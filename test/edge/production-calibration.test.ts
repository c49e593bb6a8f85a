/**
 * Production calibration on generated traces: the test draws the cycles itself (so it knows
 * their true lengths) and checks what `mieruka machine calibrate` would propose.
 */
import { describe, expect, it } from 'vitest';
import { Prng } from '@mieruka/firmware-bridge';
import { calibrateThresholds } from '../../edge/src/current/threshold-calibration.js';
import { calibrateProduction } from '../../edge/src/current/production-calibration.js';
import type { AmpsSample } from '../../edge/src/current/threshold-calibration.js';

type Gen = { trace: AmpsSample[]; cycleS: number[]; gapS: number[] };

/**
 * One reading a second: off at `offA`, idle at 0.8 A, then `cycles` load peaks at 6 A (40–60 s,
 * some with a one-reading dip) separated by 8–20 s at the 3 A running base (some with a
 * one-reading spike), then idle and off again.
 */
function generate(options: { seed: number; cycles: number; offA: number; peaks?: boolean }): Gen {
  const rng = new Prng(options.seed);
  const t0 = Date.now();
  const trace: AmpsSample[] = [];
  const push = (amps: number) => trace.push({ ts: t0 + trace.length * 1000, amps: Math.max(0, Math.round(amps * 1000) / 1000) });
  const hold = (s: number, level: number, noise: number) => {
    for (let i = 0; i < s; i++) push(level + noise * rng.gaussian());
  };
  const cycleS: number[] = [];
  const gapS: number[] = [];
  hold(300, options.offA, options.offA / 10);
  hold(120, 0.8, 0.02);
  for (let c = 0; c < options.cycles; c++) {
    const gap = rng.int(8, 20);
    gapS.push(gap);
    for (let i = 0; i < gap; i++) push(options.peaks !== false && c % 4 === 1 && i === 3 ? 6 : 3 + 0.08 * rng.gaussian());
    const len = rng.int(40, 60);
    cycleS.push(len);
    for (let i = 0; i < len; i++) push(options.peaks === false ? 3 + 0.08 * rng.gaussian() : c % 3 === 0 && i === 20 ? 3 : 6 + 0.25 * rng.gaussian());
  }
  hold(15, 3, 0.08);
  hold(120, 0.8, 0.02);
  hold(300, options.offA, options.offA / 10);
  return { trace, cycleS, gapS };
}

function p10(values: number[]): number {
  const s = [...values].sort((a, b) => a - b);
  const pos = (s.length - 1) * 0.1;
  return (s[Math.floor(pos)] as number) + ((s[Math.ceil(pos)] as number) - (s[Math.floor(pos)] as number)) * (pos - Math.floor(pos));
}

describe('calibrateProduction', () => {
  it('proposes offLevelA, the cycle threshold, minS, minGapS and idealCycleS from a periodic load pattern', () => {
    const { trace, cycleS, gapS } = generate({ seed: 7, cycles: 30, offA: 0.12 });
    const report = calibrateThresholds(trace);
    expect(report.proposal.runningAboveA).toBeGreaterThan(0.9);
    expect(report.proposal.runningAboveA).toBeLessThan(2.8);
    const p = calibrateProduction(trace, report);
    expect(p.offLevelA).toBeGreaterThan(0.1);
    expect(p.offLevelA).toBeLessThan(0.14);
    expect(p.cycles).not.toBeNull();
    const c = p.cycles!;
    // Between the running base and the peaks, clear of both.
    expect(c.aboveA).toBeGreaterThan(3.4);
    expect(c.aboveA).toBeLessThan(5.2);
    // Bridges the one-reading dips, never the shortest real gap.
    expect(c.minGapS).toBeGreaterThanOrEqual(2);
    expect(c.minGapS).toBeLessThan(Math.min(...gapS));
    // Keeps the one-reading spikes out, every real cycle in.
    expect(c.minS).toBeGreaterThan(1);
    expect(c.minS).toBeLessThan(Math.min(...cycleS));
    expect(p.cycleCount).toBe(cycleS.length);
    expect(Math.abs(c.idealCycleS - p10(cycleS))).toBeLessThanOrEqual(1);
    expect(p.cycleS?.p50).toBeGreaterThan(c.idealCycleS);
  });

  it('running without load peaks: no cycle numbers invented, a warning says why', () => {
    const { trace } = generate({ seed: 8, cycles: 20, offA: 0.12, peaks: false });
    const p = calibrateProduction(trace, calibrateThresholds(trace));
    expect(p.cycles).toBeNull();
    expect(p.cycleCount).toBe(0);
    expect(p.warnings.join(' ')).toMatch(/no separate load-peak level/);
    expect(p.offLevelA).not.toBeNull();
  });

  it('readings a minute apart (as stored by the hub) up to the end of a run: every dip is bridged, no cycle ends; a warning, never a crash', () => {
    // Off, idle, then running with alternating load until the trace ends: one reading a minute.
    const t0 = 1_700_000_000_000;
    const levels = [...Array<number>(20).fill(0.12), ...Array<number>(20).fill(0.9), ...Array.from({ length: 300 }, (_v, i) => (i % 2 === 0 ? 3.3 : 7.2))];
    const trace: AmpsSample[] = levels.map((amps, i) => ({ ts: t0 + i * 60_000, amps: amps * (1 + ((i * 7) % 5) * 0.004) }));
    const p = calibrateProduction(trace, calibrateThresholds(trace));
    expect(p.cycles).toBeNull();
    expect(p.warnings.join('\n')).toMatch(/no load peak above [\d.]+ A ends as a cycle in this trace \(readings every 60 s/);
  });

  it('too few cycles: none proposed', () => {
    const { trace } = generate({ seed: 9, cycles: 3, offA: 0.12 });
    const p = calibrateProduction(trace, calibrateThresholds(trace));
    expect(p.cycles).toBeNull();
    expect(p.warnings.join(' ')).toMatch(/only 3 load peak/);
  });

  it('an off level at the sensor floor: offLevelA not proposed', () => {
    const { trace } = generate({ seed: 10, cycles: 10, offA: 0.01 });
    const p = calibrateProduction(trace, calibrateThresholds(trace));
    expect(p.offLevelA).toBeNull();
    expect(p.warnings.join(' ')).toMatch(/not clearly above the sensor floor/);
  });
});
