import { describe, expect, it } from 'vitest';
import type { MachineState } from '@mieruka/protocol';
import type { Observation } from './observations.js';
import { deriveSegments } from './timeline.js';

const M = 60_000;
let id = 0;
const obs = (ts: number, state: MachineState, since = ts, kind: Observation['kind'] = 'state'): Observation => ({ ts: ts * M, since: since * M, state, kind, id: ++id });
const mins = (segments: ReturnType<typeof deriveSegments>) => segments.map((s) => [s.state, s.start / M, s.end / M]);

describe('deriveSegments', () => {
  it('is unknown before the first observation, which starts at its own ts, not at its since', () => {
    expect(mins(deriveSegments(null, [obs(10, 'running', 2)], 0, 30 * M))).toEqual([
      ['unknown', 0, 10],
      ['running', 10, 30],
    ]);
    expect(mins(deriveSegments(null, [], 0, 30 * M))).toEqual([['unknown', 0, 30]]);
  });

  it('starts a state at its since, but never before the previous observation', () => {
    const list = [obs(10, 'off'), obs(20, 'running', 17), obs(30, 'idle', 5)];
    expect(mins(deriveSegments(null, list, 0, 40 * M))).toEqual([
      ['unknown', 0, 10],
      ['off', 10, 17],
      ['running', 17, 20],
      ['idle', 20, 40],
    ]);
  });

  it('merges repeats of the same state, so a re-published state never counts twice', () => {
    const list = [obs(10, 'running'), obs(20, 'running', 10), obs(25, 'running', 10), obs(40, 'off', 39)];
    expect(mins(deriveSegments(null, list, 0, 60 * M))).toEqual([
      ['unknown', 0, 10],
      ['running', 10, 39],
      ['off', 39, 60],
    ]);
  });

  it('makes an offline gap unknown until the agent reports again, and lets an old since fill it', () => {
    const list = [obs(10, 'running'), obs(20, 'unknown', 20, 'offline'), obs(30, 'idle', 28)];
    expect(mins(deriveSegments(null, list, 0, 40 * M))).toEqual([
      ['unknown', 0, 10],
      ['running', 10, 20],
      ['unknown', 20, 28],
      ['idle', 28, 40],
    ]);
    // Re-published after reconnecting with its old since: the state held through the gap.
    const filled = [obs(10, 'running'), obs(20, 'unknown', 20, 'offline'), obs(30, 'running', 10)];
    expect(mins(deriveSegments(null, filled, 0, 40 * M))).toEqual([
      ['unknown', 0, 10],
      ['running', 10, 40],
    ]);
  });

  it('gives the same stretches from a window with the observation before it as from the whole list', () => {
    const list = [obs(10, 'off'), obs(20, 'running', 15), obs(30, 'idle', 29), obs(50, 'off', 45), obs(70, 'running', 60)];
    const whole = deriveSegments(null, list, 0, 100 * M);
    // Window [25, 55): previous = the one at 20; rest = 30, 50 and the first at/after 55 (70).
    const window = deriveSegments(list[1]!, list.slice(2), 25 * M, 55 * M);
    const clipped = whole
      .map((s) => ({ ...s, start: Math.max(s.start, 25 * M), end: Math.min(s.end, 55 * M) }))
      .filter((s) => s.end > s.start);
    expect(window).toEqual(clipped);
  });
});
