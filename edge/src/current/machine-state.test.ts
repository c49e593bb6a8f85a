import { describe, expect, it } from 'vitest';
import { MachineStateTracker, type MachineStateConfig } from './machine-state.js';

const T0 = 1_764_000_000_000;
const config: MachineStateConfig = { offBelowA: 0.3, runningAboveA: 1.5, minDwellS: 3 };

/** Feeds [seconds after T0, amps] pairs; returns the committed changes as "t:state@sinceS". */
function changes(readings: Array<[number, number]>, cfg = config): string[] {
  const tracker = new MachineStateTracker(cfg);
  const out: string[] = [];
  for (const [s, amps] of readings) {
    const u = tracker.update(T0 + s * 1000, amps);
    if (u.changed) out.push(`${s}:${u.state}@${((u.since ?? NaN) - T0) / 1000}`);
  }
  return out;
}

/** One reading a second. */
const everySecond = (amps: number[], from = 0): Array<[number, number]> => amps.map((a, i) => [from + i, a]);

describe('MachineStateTracker', () => {
  it.each([
    { amps: 0, state: 'off' },
    { amps: 0.299, state: 'off' },
    { amps: 0.3, state: 'idle' },
    { amps: 1.5, state: 'idle' },
    { amps: 1.501, state: 'running' },
    { amps: 40, state: 'running' },
  ])('classifies $amps A as $state', ({ amps, state }) => {
    expect(new MachineStateTracker(config).classify(amps)).toBe(state);
  });

  it.each<{ name: string; readings: Array<[number, number]>; expected: string[]; cfg?: MachineStateConfig }>([
    { name: 'the first reading sets the state at once', readings: everySecond([0.9, 0.9]), expected: ['0:idle@0'] },
    { name: 'a change commits after holding minDwellS, dated from its first reading', readings: everySecond([0.9, 5, 5, 5, 5, 5]), expected: ['0:idle@0', '4:running@1'] },
    { name: 'a change shorter than minDwellS is ignored', readings: everySecond([0.9, 5, 5, 5, 0.9, 0.9]), expected: ['0:idle@0'] },
    {
      name: 'flapping around the running threshold produces no events',
      readings: everySecond([0.9, 1.49, 1.51, 1.49, 1.52, 1.48, 1.51, 1.5, 1.6, 1.4, 1.55, 1.45, 1.56]),
      expected: ['0:idle@0'],
    },
    {
      name: 'flapping around the off threshold produces no events',
      readings: everySecond([0.2, 0.31, 0.29, 0.32, 0.28, 0.33, 0.27, 0.35, 0.1, 0.4, 0.05, 0.31]),
      expected: ['0:off@0'],
    },
    {
      name: 'another candidate restarts the dwell',
      readings: everySecond([5, 0.9, 0.9, 0.1, 0.1, 0.1, 0.1]),
      expected: ['0:running@0', '6:off@3'],
    },
    {
      name: 'a full cycle off → idle → running → idle → off',
      readings: everySecond([0.02, 0.02, 0.8, 0.8, 0.8, 0.8, 6, 6.5, 5, 5.5, 6, 0.9, 0.9, 0.9, 0.9, 0.01, 0.01, 0.01, 0.01]),
      expected: ['0:off@0', '5:idle@2', '9:running@6', '14:idle@11', '18:off@15'],
    },
    { name: 'minDwellS 0 commits every change at once', readings: everySecond([0.1, 0.9, 5, 0.9]), expected: ['0:off@0', '1:idle@1', '2:running@2', '3:idle@3'], cfg: { ...config, minDwellS: 0 } },
    {
      name: 'sparse readings: a long gap counts as dwell time',
      readings: [
        [0, 0.9],
        [10, 5],
        [20, 5],
      ],
      expected: ['0:idle@0', '20:running@10'],
    },
    { name: 'NaN, negative and infinite readings are ignored', readings: everySecond([0.9, NaN, -1, Infinity, 0.9]), expected: ['0:idle@0'] },
  ])('$name', ({ readings, expected, cfg }) => {
    expect(changes(readings, cfg)).toEqual(expected);
  });

  it('reports the previous state and its start on a change, and the pending candidate', () => {
    const tracker = new MachineStateTracker(config);
    tracker.update(T0, 0.9);
    expect(tracker.update(T0 + 1000, 5)).toEqual({ state: 'idle', since: T0, changed: false });
    expect(tracker.pending).toEqual({ state: 'running', since: T0 + 1000 });
    expect(tracker.update(T0 + 4000, 5)).toEqual({ state: 'running', since: T0 + 1000, changed: true, previous: 'idle', previousSince: T0 });
    expect(tracker.pending).toBeNull();
    expect(tracker.current).toEqual({ state: 'running', since: T0 + 1000 });
  });

  it('restarts the dwell when the clock steps back', () => {
    const tracker = new MachineStateTracker(config);
    tracker.update(T0, 0.9);
    tracker.update(T0 + 10_000, 5);
    expect(tracker.update(T0 + 5_000, 5).changed).toBe(false); // clock stepped back 5 s
    expect(tracker.update(T0 + 7_000, 5).changed).toBe(false);
    expect(tracker.update(T0 + 8_000, 5).changed).toBe(true);
  });

  it('starts unknown and rejects impossible thresholds', () => {
    expect(new MachineStateTracker(config).current).toEqual({ state: 'unknown', since: null });
    expect(() => new MachineStateTracker({ offBelowA: 2, runningAboveA: 1, minDwellS: 0 })).toThrow(RangeError);
    expect(() => new MachineStateTracker({ offBelowA: 0.3, runningAboveA: 1, minDwellS: -1 })).toThrow(RangeError);
    expect(() => new MachineStateTracker({ offBelowA: 0.3, runningAboveA: 1, minDwellS: 0, hysteresisA: -0.1 })).toThrow(RangeError);
    // 0.3 + 0.4 ≥ 1 − 0.4: the idle band would vanish.
    expect(() => new MachineStateTracker({ offBelowA: 0.3, runningAboveA: 1, minDwellS: 0, hysteresisA: 0.4 })).toThrow(/hysteresisA/);
  });

  it('setUnknown forgets the level: the next reading sets the state at once', () => {
    const tracker = new MachineStateTracker({ ...config, hysteresisA: 0.1 });
    tracker.update(T0, 5);
    tracker.update(T0 + 1000, 0.9); // pending idle
    tracker.setUnknown(T0 + 1000);
    expect(tracker.current).toEqual({ state: 'unknown', since: T0 + 1000 });
    expect(tracker.pending).toBeNull();
    expect(tracker.update(T0 + 60_000, 0.9)).toEqual({ state: 'idle', since: T0 + 60_000, changed: true, previous: 'unknown', previousSince: T0 + 1000 });
  });
});

describe('MachineStateTracker hysteresis', () => {
  // Thresholds 0.3 A and 1.5 A with a ±0.1 A band: off→idle needs ≥ 0.4, idle→off < 0.2,
  // idle→running > 1.6, running→idle ≤ 1.4.
  const h = { offBelowA: 0.3, runningAboveA: 1.5, minDwellS: 3, hysteresisA: 0.1 };

  it.each([
    { from: 'off', amps: 0.39, to: 'off' },
    { from: 'off', amps: 0.4, to: 'idle' },
    { from: 'off', amps: 1.6, to: 'idle' },
    { from: 'off', amps: 1.61, to: 'running' },
    { from: 'idle', amps: 0.2, to: 'idle' },
    { from: 'idle', amps: 0.199, to: 'off' },
    { from: 'idle', amps: 1.6, to: 'idle' },
    { from: 'idle', amps: 1.601, to: 'running' },
    { from: 'running', amps: 1.41, to: 'running' },
    { from: 'running', amps: 1.4, to: 'idle' },
    { from: 'running', amps: 0.2, to: 'idle' },
    { from: 'running', amps: 0.19, to: 'off' },
  ] as const)('from $from, $amps A points to $to', ({ from, amps, to }) => {
    expect(new MachineStateTracker(h).classifyFrom(from, amps)).toBe(to);
  });

  it('with hysteresisA 0 it classifies exactly like the plain thresholds', () => {
    const t = new MachineStateTracker({ ...h, hysteresisA: 0 });
    for (const amps of [0, 0.299, 0.3, 0.31, 1.49, 1.5, 1.501, 9]) {
      for (const from of ['off', 'idle', 'running'] as const) expect(t.classifyFrom(from, amps)).toBe(t.classify(amps));
    }
  });

  /**
   * One reading a second, starting `lead` seconds on `start` A, then a square wave around
   * `center` (± `amplitude`) that stays `halfPeriodS` seconds on each side, for `cycles`.
   */
  function squareWave(start: number, center: number, amplitude: number, halfPeriodS: number, cycles: number, lead = 10): Array<[number, number]> {
    const out: Array<[number, number]> = [];
    for (let s = 0; s < lead; s++) out.push([s, start]);
    for (let c = 0; c < cycles * 2; c++) {
      const amps = Math.round((c % 2 === 0 ? center + amplitude : center - amplitude) * 1000) / 1000;
      for (let k = 0; k < halfPeriodS; k++) out.push([out.length, amps]);
    }
    return out;
  }

  // Ten full cycles around each threshold; the wave starts on the upper side. `band` is
  // whether the amplitude stays inside the ±0.1 A band, `slow` whether each side lasts
  // longer than minDwellS (3 s). Expected: the committed changes after the first reading.
  it.each([
    { threshold: 'off/idle', center: 0.3, start: 0.05, amplitude: 0.05, halfPeriodS: 1, changes: 0, why: 'inside the band, fast' },
    { threshold: 'off/idle', center: 0.3, start: 0.05, amplitude: 0.05, halfPeriodS: 10, changes: 0, why: 'inside the band, slow: hysteresis alone holds' },
    { threshold: 'off/idle', center: 0.3, start: 0.05, amplitude: 0.2, halfPeriodS: 1, changes: 0, why: 'across the band, faster than the dwell' },
    { threshold: 'off/idle', center: 0.3, start: 0.05, amplitude: 0.2, halfPeriodS: 2, changes: 0, why: 'across the band, just shorter than the dwell' },
    { threshold: 'off/idle', center: 0.3, start: 0.05, amplitude: 0.2, halfPeriodS: 10, changes: 20, why: 'across the band, slower than the dwell: real changes' },
    { threshold: 'idle/running', center: 1.5, start: 0.9, amplitude: 0.08, halfPeriodS: 1, changes: 0, why: 'inside the band, fast' },
    { threshold: 'idle/running', center: 1.5, start: 0.9, amplitude: 0.08, halfPeriodS: 10, changes: 0, why: 'inside the band, slow: hysteresis alone holds' },
    { threshold: 'idle/running', center: 1.5, start: 0.9, amplitude: 0.5, halfPeriodS: 1, changes: 0, why: 'across the band, faster than the dwell' },
    { threshold: 'idle/running', center: 1.5, start: 0.9, amplitude: 0.5, halfPeriodS: 2, changes: 0, why: 'across the band, just shorter than the dwell' },
    { threshold: 'idle/running', center: 1.5, start: 0.9, amplitude: 0.5, halfPeriodS: 10, changes: 20, why: 'across the band, slower than the dwell: real changes' },
  ])('flapping around $threshold: ±$amplitude A every $halfPeriodS s → $changes changes ($why)', ({ center, start, amplitude, halfPeriodS, changes: expected }) => {
    const readings = squareWave(start, center, amplitude, halfPeriodS, 10);
    expect(changes(readings, h).length - 1).toBe(expected);
  });

  it.each([
    { threshold: 'off/idle', center: 0.3, start: 0.05, amplitude: 0.05 },
    { threshold: 'idle/running', center: 1.5, start: 0.9, amplitude: 0.08 },
  ])('without hysteresis the same slow wobble inside the band around $threshold gives a change every half period', ({ center, start, amplitude }) => {
    const readings = squareWave(start, center, amplitude, 10, 10);
    expect(changes(readings, { ...h, hysteresisA: 0 }).length - 1).toBe(20);
    expect(changes(readings, h).length - 1).toBe(0);
  });

  it('a single crossing of the band that then settles inside it still commits after the dwell', () => {
    // 1.7 A crosses 1.6; 1.45–1.55 stays inside the band: the level stays running.
    const readings = everySecond([0.9, 0.9, 1.7, 1.55, 1.45, 1.5, 1.52, 1.48, 1.5]);
    expect(changes(readings, h)).toEqual(['0:idle@0', '5:running@2']);
  });

  it('dates the change from the reading that crossed the band, not from the threshold', () => {
    // 1.55 is above the threshold but inside the band: not yet running.
    const readings = everySecond([0.9, 1.55, 1.55, 1.65, 1.65, 1.65, 1.65]);
    expect(changes(readings, h)).toEqual(['0:idle@0', '6:running@3']);
  });

  it('a full cycle with noise inside the band gives exactly the four real changes', () => {
    const noisy = (level: number, n: number, wobble: number) => Array.from({ length: n }, (_, i) => level + (i % 2 === 0 ? -wobble : wobble));
    const amps = [...noisy(0.3, 20, 0.08), ...noisy(1.0, 20, 0.3), ...noisy(1.5, 20, 0.09), ...noisy(5, 20, 1), ...noisy(1.5, 20, 0.09), ...noisy(0.3, 20, 0.08)];
    // Start off (0.22 first, then 0.38/0.22 stays off: never ≥ 0.4), idle, stays idle inside the running band,
    // running, back inside the band (stays running: never ≤ 1.4), then down to 0.22/0.38:
    // from running 0.22 points to idle, 0.38 too — never below 0.2, so idle, not off.
    expect(changes(everySecond(amps), h)).toEqual(['0:off@0', '23:idle@20', '63:running@60', '103:idle@100']);
  });
});

describe('MachineStateTracker.setThresholds', () => {
  it('judges the next readings by the new thresholds, keeps the state until then, and still dwells', () => {
    const tracker = new MachineStateTracker({ offBelowA: 0.3, runningAboveA: 1.5, minDwellS: 2 });
    expect(tracker.update(0, 3).state).toBe('running');
    tracker.setThresholds({ offBelowA: 0.3, runningAboveA: 5, minDwellS: 2 });
    expect(tracker.current.state).toBe('running');
    expect(tracker.update(1_000, 3)).toMatchObject({ state: 'running', changed: false });
    expect(tracker.update(3_000, 3)).toMatchObject({ state: 'idle', changed: true, since: 1_000 });
  });

  it('refuses thresholds that make no sense and keeps the old ones', () => {
    const tracker = new MachineStateTracker({ offBelowA: 0.3, runningAboveA: 1.5, minDwellS: 0 });
    expect(() => tracker.setThresholds({ offBelowA: 2, runningAboveA: 1, minDwellS: 0 })).toThrow(/greater than offBelowA/);
    expect(() => tracker.setThresholds({ offBelowA: 1, runningAboveA: 1.2, minDwellS: 0, hysteresisA: 0.5 })).toThrow(/too wide/);
    expect(tracker.thresholds).toMatchObject({ offBelowA: 0.3, runningAboveA: 1.5 });
  });
});
