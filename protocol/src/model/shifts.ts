/**
 * Work shifts from the config as concrete time windows. A shift belongs to the local date it
 * starts on; `end` at or before `start` means it runs past midnight into the next day.
 * Wall times skipped or repeated by DST resolve like LocalTime.instant. The hub cuts reports
 * by them; a clutter station keeps its motion voice quiet outside them.
 */
import { addDays, DAY_MS, type LocalTime, weekdayOf } from './local-time.js';

export type ShiftWindow = { shift: string; date: string; start: number; end: number };

/** A shift as in the config (`days`: mon … sun). */
export type ShiftSpec = { name: string; start: string; end: string; days: readonly string[] };

const WEEKDAY: Record<string, number> = { sun: 0, mon: 1, tue: 2, wed: 3, thu: 4, fri: 5, sat: 6 };

function hm(slot: string): [number, number] {
  const [h, m] = slot.split(':').map(Number) as [number, number];
  return [h, m];
}

/** Windows of every shift that start in [from, to), by start. */
export function shiftWindows(shifts: readonly ShiftSpec[], clock: LocalTime, from: number, to: number): ShiftWindow[] {
  const out: ShiftWindow[] = [];
  if (!(to > from) || shifts.length === 0) return out;
  const last = clock.dateOf(to);
  for (let date = addDays(clock.dateOf(from), -1); date <= last; date = addDays(date, 1)) {
    const weekday = weekdayOf(date);
    for (const s of shifts) {
      if (!s.days.some((d) => WEEKDAY[d] === weekday)) continue;
      const [sh, sm] = hm(s.start);
      const [eh, em] = hm(s.end);
      const start = clock.instant(date, sh, sm);
      const end = clock.instant(s.end <= s.start ? addDays(date, 1) : date, eh, em);
      if (start >= from && start < to && end > start) out.push({ shift: s.name, date, start, end });
    }
  }
  return out.sort((a, b) => a.start - b.start || a.shift.localeCompare(b.shift));
}

/** The shift whose window holds `t` (start inclusive, end exclusive), or null outside every shift. */
export function shiftAt(shifts: readonly ShiftSpec[], clock: LocalTime, t: number): ShiftWindow | null {
  // A shift is at most a day (25 h across DST) long: one that holds t started in the two days before.
  return shiftWindows(shifts, clock, t - 2 * DAY_MS, t + 1).find((w) => w.start <= t && t < w.end) ?? null;
}
