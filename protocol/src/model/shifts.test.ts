import { describe, expect, it } from 'vitest';
import { LocalTime } from './local-time.js';
import { shiftAt, shiftWindows } from './shifts.js';

describe('shiftWindows', () => {
  it('places shifts on their weekdays and runs a night shift past midnight, in the configured zone', () => {
    const tokyo = new LocalTime('Asia/Tokyo');
    const shifts = [
      { name: 'day', start: '08:00', end: '17:00', days: ['mon', 'tue', 'wed', 'thu', 'fri'] },
      { name: 'night', start: '22:00', end: '06:00', days: ['fri', 'sat'] },
    ];
    // Friday 2025-11-28 to Monday 2025-12-01 (exclusive).
    const windows = shiftWindows(
      shifts,
      tokyo,
      tokyo.startOfDay('2025-11-28'),
      tokyo.startOfDay('2025-12-01'),
    );
    expect(windows.map((w) => [w.shift, w.date, tokyo.iso(w.start), tokyo.iso(w.end)])).toEqual([
      ['day', '2025-11-28', '2025-11-28T08:00:00+09:00', '2025-11-28T17:00:00+09:00'],
      ['night', '2025-11-28', '2025-11-28T22:00:00+09:00', '2025-11-29T06:00:00+09:00'],
      ['night', '2025-11-29', '2025-11-29T22:00:00+09:00', '2025-11-30T06:00:00+09:00'],
    ]);
  });

  it('gives a night shift over a DST change its real length (Berlin: 7 h in spring, 9 h in fall)', () => {
    const berlin = new LocalTime('Europe/Berlin');
    const night = [{ name: 'night', start: '22:00', end: '06:00', days: ['sat'] }];
    const spring = shiftWindows(night, berlin, berlin.startOfDay('2025-03-29'), berlin.startOfDay('2025-03-30'));
    expect(spring.map((w) => (w.end - w.start) / 3_600_000)).toEqual([7]);
    const fall = shiftWindows(night, berlin, berlin.startOfDay('2025-10-25'), berlin.startOfDay('2025-10-26'));
    expect(fall.map((w) => (w.end - w.start) / 3_600_000)).toEqual([9]);
  });

  it('includes a window only when it starts inside the range', () => {
    const utc = new LocalTime('UTC');
    const night = [{ name: 'night', start: '22:00', end: '06:00', days: ['mon', 'tue', 'wed', 'thu', 'fri', 'sat', 'sun'] }];
    // The window of Jan 1 (22:00–06:00) is under way at 03:00 but started before: left out.
    expect(shiftWindows(night, utc, Date.UTC(2025, 0, 2, 3), Date.UTC(2025, 0, 3, 23)).map((w) => w.date)).toEqual(['2025-01-02', '2025-01-03']);
    expect(shiftWindows(night, utc, Date.UTC(2025, 0, 2, 3), Date.UTC(2025, 0, 3, 22)).map((w) => w.date)).toEqual(['2025-01-02']);
  });
});

describe('shiftAt', () => {
  const tokyo = new LocalTime('Asia/Tokyo');
  const shifts = [
    { name: 'day', start: '08:00', end: '17:00', days: ['mon', 'tue', 'wed', 'thu', 'fri'] },
    { name: 'night', start: '22:00', end: '06:00', days: ['fri'] },
  ];
  const at = (date: string, h: number, m = 0) => tokyo.instant(date, h, m);

  it('finds the shift under way, start inclusive and end exclusive, a night shift after midnight included', () => {
    expect(shiftAt(shifts, tokyo, at('2025-11-28', 8))?.shift).toBe('day');
    expect(shiftAt(shifts, tokyo, at('2025-11-28', 16, 59))?.shift).toBe('day');
    expect(shiftAt(shifts, tokyo, at('2025-11-28', 17))).toBeNull();
    expect(shiftAt(shifts, tokyo, at('2025-11-28', 7, 59))).toBeNull();
    // Saturday 03:00 is inside Friday's night shift; Saturday day time is in no shift.
    expect(shiftAt(shifts, tokyo, at('2025-11-29', 3))).toMatchObject({ shift: 'night', date: '2025-11-28' });
    expect(shiftAt(shifts, tokyo, at('2025-11-29', 10))).toBeNull();
    expect(shiftAt([], tokyo, at('2025-11-28', 10))).toBeNull();
  });
});
