/**
 * The buckets of an OEE report in the site's time zone: local hours, shifts (a shift belongs to
 * the local date it starts on, also when it runs past midnight), local days or months. Only
 * elapsed time: buckets that start after now are left out.
 */
import { shiftWindows, type LocalTime, type OeeGrouping, type ShiftSpec, type TimeRange } from '@mieruka/protocol';

export type OeeBucket = { start: number; end: number; label: string; shift: string | null };

export function bucketsFor(by: OeeGrouping, shifts: readonly ShiftSpec[], clock: LocalTime, range: TimeRange, now: number): OeeBucket[] {
  const end = Math.min(range.to, now);
  if (!(end > range.from)) return [];
  if (by === 'shift') return shiftWindows(shifts, clock, range.from, end).map((w) => ({ start: w.start, end: w.end, label: w.date, shift: w.shift }));
  const pairs = (b: number[]) => b.slice(0, -1).map((start, i) => ({ start, end: b[i + 1]! }));
  if (by === 'hour') return pairs(clock.hourBoundaries(range.from, end)).map((h) => ({ ...h, label: clock.iso(h.start), shift: null }));
  const days = pairs(clock.dayBoundaries(range.from, end)).map((d) => ({ ...d, label: clock.dateOf(d.start), shift: null }));
  if (by === 'day') return days;
  const months: OeeBucket[] = [];
  for (const d of days) {
    const label = d.label.slice(0, 7);
    const last = months.at(-1);
    if (last && last.label === label) last.end = d.end;
    else months.push({ start: d.start, end: d.end, label, shift: null });
  }
  return months;
}
