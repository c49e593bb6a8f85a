import { describe, expect, it } from 'vitest';
import { MachineStateTracker } from './machine-state.js';

const T0 = 1_764_000_000_000;
const config = { offBelowA: 0.3, runningAboveA: 1.5, minDwellS: 3 };

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

  it.each<{ name: string; readings: Array<[number, number]>; expected: string[]; cfg?: typeof config }>([
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
  });
});
