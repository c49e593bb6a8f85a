import { describe, expect, it } from 'vitest';
import type { Segment } from '../reports/timeline.js';
import { deriveStops, toDowntimeStop } from './stops.js';

const MIN = 60_000;
const H = 60 * MIN;
const T = Math.floor(Date.now() / H) * H - 48 * H;
const seg = (state: Segment['state'], from: number, to: number): Segment => ({ state, start: T + from, end: T + to });
const RULES = { microstopBelowS: 60, askReasonAfterS: 300 };

describe('deriveStops', () => {
  it('joins off and idle into one stop whose state is the longer one', () => {
    const segments = [seg('running', 0, H), seg('idle', H, H + 10 * MIN), seg('off', H + 10 * MIN, H + 40 * MIN), seg('running', H + 40 * MIN, 2 * H)];
    const [stop, ...rest] = deriveStops(segments, [{ start: T, end: T + 2 * H }], T + 10 * H);
    expect(rest).toEqual([]);
    const s = toDowntimeStop('f', 'm', stop!, null, RULES, T + 10 * H);
    expect(s).toMatchObject({ start: T + H, end: T + H + 40 * MIN, durationS: 2400, state: 'off', microstop: false, needsReason: true });
  });

  it('unknown splits stops and clips them to planned time; the id is the clipped start', () => {
    const segments = [seg('off', 0, 2 * H), seg('unknown', 2 * H, 3 * H), seg('idle', 3 * H, 5 * H)];
    const stops = deriveStops(segments, [{ start: T + H, end: T + 4 * H }], T + 10 * H);
    expect(stops.map((s) => [s.start - T, s.end - T])).toEqual([
      [H, 2 * H],
      [3 * H, 4 * H],
    ]);
  });

  it('a stop reaching now is under way; microstops never ask for a reason', () => {
    const now = T + H + 30_000;
    const [s] = deriveStops([seg('running', 0, H), seg('idle', H, H + 30_000)], [{ start: T, end: now }], now);
    const stop = toDowntimeStop('f', 'm', s!, null, RULES, now);
    expect(stop).toMatchObject({ end: null, durationS: 30, microstop: true, needsReason: false });
    const long = toDowntimeStop('f', 'm', { ...s!, start: T + H - 10 * MIN }, null, RULES, now);
    expect(long).toMatchObject({ microstop: false, needsReason: true });
    expect(toDowntimeStop('f', 'm', { ...s!, start: T + H - 10 * MIN }, { code: 'setup', by: 'a', at: now }, RULES, now).needsReason).toBe(false);
  });
});
