import { describe, expect, it } from 'vitest';
import { WorkCalendar } from './work-calendar.js';

/** Tokyo wall time → epoch ms (Tokyo has no DST). */
const tokyo = (day: number, h: number, m = 0) => Date.UTC(2025, 10, day, h - 9, m);

describe('work calendar', () => {
  const cal = new WorkCalendar({
    timeZone: 'Asia/Tokyo',
    shifts: [
      { name: 'day', start: '08:00', end: '17:00', days: ['mon', 'tue', 'wed', 'thu', 'fri'] },
      { name: 'night', start: '22:00', end: '06:00', days: ['fri'] },
    ],
    quietHours: { start: '21:00', end: '07:00' },
  });

  it.each([
    ['Mon 07:59', tokyo(24, 7, 59), null],
    ['Mon 08:00', tokyo(24, 8), tokyo(24, 8)],
    ['Mon 16:59', tokyo(24, 16, 59), tokyo(24, 8)],
    ['Mon 17:00', tokyo(24, 17), null],
    ['Fri 23:00 (night shift)', tokyo(28, 23), tokyo(28, 22)],
    ['Sat 05:59 (Friday night shift, past midnight)', tokyo(29, 5, 59), tokyo(28, 22)],
    ['Sat 06:00', tokyo(29, 6), null],
    ['Sat 10:00', tokyo(29, 10), null],
  ])('%s → shift start', (_label, t, expected) => {
    expect(cal.shiftStartAt(t)).toBe(expected);
    expect(cal.isWorkTime(t)).toBe(expected !== null);
  });

  it.each([
    ['20:59', tokyo(24, 20, 59), false],
    ['21:00', tokyo(24, 21), true],
    ['03:00', tokyo(25, 3), true],
    ['06:59', tokyo(25, 6, 59), true],
    ['07:00', tokyo(25, 7), false],
  ])('quiet at %s: %s', (_label, t, quiet) => {
    expect(cal.isQuiet(t)).toBe(quiet);
  });

  it('has no quiet hours unless configured, and a same-day window works too', () => {
    expect(new WorkCalendar({ timeZone: 'Asia/Tokyo', shifts: [] }).isQuiet(tokyo(24, 3))).toBe(false);
    const lunch = new WorkCalendar({ timeZone: 'Asia/Tokyo', shifts: [], quietHours: { start: '12:00', end: '13:00' } });
    expect([tokyo(24, 11, 59), tokyo(24, 12, 30), tokyo(24, 13)].map((t) => lunch.isQuiet(t))).toEqual([false, true, false]);
  });

  it('follows the zone across a DST change (Europe/Berlin, 2025-03-30)', () => {
    const berlin = new WorkCalendar({ timeZone: 'Europe/Berlin', shifts: [{ name: 'day', start: '08:00', end: '17:00', days: ['mon'] }] });
    // Monday 2025-03-31 08:00 CEST = 06:00 UTC.
    expect(berlin.shiftStartAt(Date.UTC(2025, 2, 31, 6, 30))).toBe(Date.UTC(2025, 2, 31, 6));
    expect(berlin.format(Date.UTC(2025, 2, 31, 6, 30))).toBe('2025-03-31 08:30');
  });
});
