import { describe, expect, it } from 'vitest';
import { addDays, LocalTime } from '@mieruka/protocol';
import { mergeIntervals, shiftIntervals, shiftIntervalsAround, subtractIntervals, totalMs } from './planned-time.js';
import { bucketsFor } from './buckets.js';

const H = 3_600_000;
const clock = new LocalTime('Asia/Tokyo');
const ALL = ['mon', 'tue', 'wed', 'thu', 'fri', 'sat', 'sun'];
/** Yesterday's local date, from the real clock. */
const day = addDays(clock.dateOf(Date.now()), -3);
const night = [{ name: 'night', start: '22:00', end: '06:00', days: ALL }];

describe('planned time', () => {
  it('a night shift across midnight belongs to the day it starts on and is planned time after midnight too', () => {
    const midnight = clock.startOfDay(addDays(day, 1));
    // Asked from midnight on: the shift that began at 22:00 the day before still counts.
    expect(shiftIntervals(night, clock, midnight, midnight + 12 * H)).toEqual([{ start: midnight, end: midnight + 6 * H }]);
    const rows = bucketsFor('shift', night, clock, { from: clock.startOfDay(day), to: clock.startOfDay(addDays(day, 1)) }, Date.now());
    expect(rows).toEqual([{ start: clock.instant(day, 22), end: clock.instant(addDays(day, 1), 6), label: day, shift: 'night' }]);
  });

  it('overlapping shifts are planned time once', () => {
    const shifts = [
      { name: 'a', start: '08:00', end: '17:00', days: ALL },
      { name: 'b', start: '16:00', end: '20:00', days: ALL },
    ];
    const from = clock.startOfDay(day);
    expect(totalMs(shiftIntervals(shifts, clock, from, from + 24 * H))).toBe(12 * H);
  });

  it('stops are cut from pieces that start where a shift starts, whatever the range asked', () => {
    const tiling = [
      { name: 'am', start: '00:00', end: '12:00', days: ALL },
      { name: 'pm', start: '12:00', end: '00:00', days: ALL },
    ];
    const noon = clock.instant(day, 12);
    const piece = (from: number, to: number) => shiftIntervalsAround(tiling, clock, from, to).find((i) => i.start <= noon + H && noon + H < i.end);
    expect(piece(noon + 30 * 60_000, noon + 2 * H)).toEqual({ start: noon, end: clock.startOfDay(addDays(day, 1)) });
    expect(piece(noon - 30 * H, noon + 2 * H)).toEqual(piece(noon + 30 * 60_000, noon + 2 * H));
    // Overlapping shifts: cut where the second starts, not where the first ends.
    const overlapping = [
      { name: 'a', start: '08:00', end: '17:00', days: ALL },
      { name: 'b', start: '16:00', end: '20:00', days: ALL },
    ];
    const from = clock.startOfDay(day);
    expect(shiftIntervalsAround(overlapping, clock, from, from + 24 * H).filter((i) => i.start >= from)).toEqual([
      { start: clock.instant(day, 8), end: clock.instant(day, 16) },
      { start: clock.instant(day, 16), end: clock.instant(day, 20) },
    ]);
  });

  it('interval algebra', () => {
    expect(mergeIntervals([{ start: 5, end: 8 }, { start: 0, end: 5 }, { start: 9, end: 9 }])).toEqual([{ start: 0, end: 8 }]);
    expect(subtractIntervals([{ start: 0, end: 10 }], [{ start: 2, end: 3 }, { start: 8, end: 12 }])).toEqual([
      { start: 0, end: 2 },
      { start: 3, end: 8 },
    ]);
  });

  it('month buckets join the local days of a month', () => {
    const first = clock.startOfDay(`${day.slice(0, 7)}-01`);
    const rows = bucketsFor('month', [], clock, { from: first - 2 * 24 * H, to: first + 24 * H }, Date.now() + 400 * 24 * H);
    expect(rows.map((r) => r.label)).toEqual([clock.dateOf(first - H).slice(0, 7), day.slice(0, 7)]);
    expect(rows[1]!.start).toBe(first);
  });
});
