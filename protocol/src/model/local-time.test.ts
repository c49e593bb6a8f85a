import { describe, expect, it } from 'vitest';
import { addDays, DAY_MS, HOUR_MS, LocalTime, parseDate, weekdayOf } from './local-time.js';

describe('LocalTime', () => {
  it('knows offsets, local dates and ISO strings with offset', () => {
    const tokyo = new LocalTime('Asia/Tokyo');
    const t = Date.UTC(2025, 10, 24, 15, 30, 5); // 2025-11-25 00:30:05 in Tokyo
    expect(tokyo.offsetAt(t)).toBe(9 * HOUR_MS);
    expect(tokyo.dateOf(t)).toBe('2025-11-25');
    expect(tokyo.iso(t)).toBe('2025-11-25T00:30:05+09:00');
    expect(tokyo.startOfDay('2025-11-25')).toBe(Date.UTC(2025, 10, 24, 15));
    expect(tokyo.startOfDayAt(t)).toBe(Date.UTC(2025, 10, 24, 15));
    expect(new LocalTime('America/New_York').iso(t)).toBe('2025-11-24T10:30:05-05:00');
    expect(new LocalTime('Asia/Kolkata').iso(t)).toBe('2025-11-24T21:00:05+05:30');
    expect(() => new LocalTime('Mars/Olympus')).toThrow(RangeError);
  });

  it('cuts a spring-forward day in Berlin into 23 hours and a fall-back day into 25', () => {
    const berlin = new LocalTime('Europe/Berlin');
    const spring = berlin.startOfDay('2025-03-30');
    const springEnd = berlin.startOfDay('2025-03-31');
    expect(springEnd - spring).toBe(23 * HOUR_MS);
    const hours = berlin.hourBoundaries(spring, springEnd);
    expect(hours.length - 1).toBe(23);
    expect(hours.slice(0, 4).map((b) => berlin.iso(b))).toEqual([
      '2025-03-30T00:00:00+01:00',
      '2025-03-30T01:00:00+01:00',
      '2025-03-30T03:00:00+02:00',
      '2025-03-30T04:00:00+02:00',
    ]);

    const fall = berlin.startOfDay('2025-10-26');
    const fallEnd = berlin.startOfDay('2025-10-27');
    expect(fallEnd - fall).toBe(25 * HOUR_MS);
    const fallHours = berlin.hourBoundaries(fall, fallEnd);
    expect(fallHours.length - 1).toBe(25);
    expect(fallHours.slice(2, 5).map((b) => berlin.iso(b))).toEqual(['2025-10-26T02:00:00+02:00', '2025-10-26T02:00:00+01:00', '2025-10-26T03:00:00+01:00']);

    const days = berlin.dayBoundaries(berlin.startOfDay('2025-03-29'), berlin.startOfDay('2025-04-01'));
    expect(days.map((b) => berlin.dateOf(b))).toEqual(['2025-03-29', '2025-03-30', '2025-03-31', '2025-04-01']);
    expect(days[2]! - days[1]!).toBe(23 * HOUR_MS);
  });

  it('resolves wall times in DST gaps forward and repeated ones to the first occurrence', () => {
    const berlin = new LocalTime('Europe/Berlin');
    expect(berlin.iso(berlin.instant('2025-03-30', 2, 30))).toBe('2025-03-30T03:30:00+02:00');
    expect(berlin.iso(berlin.instant('2025-10-26', 2, 30))).toBe('2025-10-26T02:30:00+02:00');
    expect(berlin.iso(berlin.instant('2025-07-01', 8, 0))).toBe('2025-07-01T08:00:00+02:00');
  });

  it('starts a day at the end of a DST jump over midnight (Santiago) and keeps 24 h days elsewhere', () => {
    const santiago = new LocalTime('America/Santiago');
    // 2025-09-07: clocks jump from 00:00 to 01:00.
    const start = santiago.startOfDay('2025-09-07');
    expect(santiago.iso(start)).toBe('2025-09-07T01:00:00-03:00');
    expect(santiago.startOfDay('2025-09-08') - start).toBe(23 * HOUR_MS);
    const days = santiago.dayBoundaries(santiago.startOfDay('2025-09-06'), santiago.startOfDay('2025-09-09'));
    expect(days.map((b) => santiago.iso(b))).toEqual([
      '2025-09-06T00:00:00-04:00',
      '2025-09-07T01:00:00-03:00',
      '2025-09-08T00:00:00-03:00',
      '2025-09-09T00:00:00-03:00',
    ]);
    // 2025-04-06: at 00:00 clocks go back to 23:00 of the day before: that day lasts 25 h.
    expect(santiago.startOfDay('2025-04-06') - santiago.startOfDay('2025-04-05')).toBe(25 * HOUR_MS);
    const april = santiago.dayBoundaries(santiago.startOfDay('2025-04-05'), santiago.startOfDay('2025-04-07'));
    expect(april.map((b) => santiago.dateOf(b))).toEqual(['2025-04-05', '2025-04-06', '2025-04-07']);
  });

  it('finds the hour bucket of an instant, also in a half-hour zone and on a fall-back night', () => {
    const kolkata = new LocalTime('Asia/Kolkata');
    const t = Date.UTC(2025, 0, 1, 10, 0); // 15:30 local
    expect(kolkata.iso(kolkata.startOfHourAt(t))).toBe('2025-01-01T15:00:00+05:30');
    const berlin = new LocalTime('Europe/Berlin');
    const repeated = Date.UTC(2025, 9, 26, 1, 20); // 02:20 CET, the second 02:xx
    expect(berlin.iso(berlin.startOfHourAt(repeated))).toBe('2025-10-26T02:00:00+01:00');
    expect(berlin.iso(berlin.startOfHourAt(repeated - HOUR_MS))).toBe('2025-10-26T02:00:00+02:00');
  });

  it('agrees with a quarter-hour walk over a whole year of hour boundaries', () => {
    for (const zone of ['Europe/Berlin', 'Australia/Lord_Howe', 'Asia/Tokyo']) {
      const tz = new LocalTime(zone);
      const from = Date.UTC(2025, 0, 1);
      const to = from + 366 * DAY_MS;
      const bounds = tz.hourBoundaries(from, to);
      // Independent check: a boundary wherever the local hour label or the offset changes.
      const expected = [from];
      let prev = `${tz.iso(from).slice(0, 13)}|${tz.offsetAt(from)}`;
      // Every real boundary in these zones falls on a quarter hour.
      for (let t = from + 900_000; t < to; t += 900_000) {
        const label = `${tz.iso(t).slice(0, 13)}|${tz.offsetAt(t)}`;
        if (label !== prev) expected.push(t);
        prev = label;
      }
      expected.push(to);
      expect(bounds, zone).toEqual(expected);
    }
  });

  it('does calendar arithmetic on plain dates', () => {
    expect(parseDate('2025-02-29')).toBeNull();
    expect(parseDate('2024-02-29')).toEqual({ year: 2024, month: 2, day: 29 });
    expect(parseDate('2024-2-29')).toBeNull();
    expect(addDays('2024-12-31', 1)).toBe('2025-01-01');
    expect(addDays('2025-03-01', -1)).toBe('2025-02-28');
    expect(weekdayOf('2025-11-24')).toBe(1);
  });
});
