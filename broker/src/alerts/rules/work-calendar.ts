/**
 * Work hours (the configured `shifts`) and quiet hours as questions about an instant, in the
 * configured time zone. A shift whose end is at or before its start runs past midnight and
 * belongs to the day it starts on.
 */
import { addDays, LocalTime, weekdayOf } from '@mieruka/protocol';

export type ShiftSpec = { name: string; start: string; end: string; days: readonly string[] };
export type QuietHours = { start: string; end: string };

const WEEKDAY: Record<string, number> = { sun: 0, mon: 1, tue: 2, wed: 3, thu: 4, fri: 5, sat: 6 };

function minutesOf(slot: string): number {
  const [h, m] = slot.split(':').map(Number) as [number, number];
  return h * 60 + m;
}

export class WorkCalendar {
  private readonly clock: LocalTime;
  private readonly shifts: readonly ShiftSpec[];
  private readonly quiet: QuietHours | null;

  constructor(options: { timeZone: string; shifts: readonly ShiftSpec[]; quietHours?: QuietHours | null }) {
    this.clock = new LocalTime(options.timeZone);
    this.shifts = options.shifts;
    this.quiet = options.quietHours ?? null;
  }

  get timeZone(): string {
    return this.clock.timeZone;
  }

  /** Start of the shift that contains `t` (the earliest, when shifts overlap); null outside work hours. */
  shiftStartAt(t: number): number | null {
    const today = this.clock.dateOf(t);
    let best: number | null = null;
    for (const date of [addDays(today, -1), today]) {
      const weekday = weekdayOf(date);
      for (const s of this.shifts) {
        if (!s.days.some((d) => WEEKDAY[d] === weekday)) continue;
        const startMin = minutesOf(s.start);
        const endMin = minutesOf(s.end);
        const start = this.clock.instant(date, Math.floor(startMin / 60), startMin % 60);
        const end = this.clock.instant(endMin <= startMin ? addDays(date, 1) : date, Math.floor(endMin / 60), endMin % 60);
        if (t >= start && t < end && (best === null || start < best)) best = start;
      }
    }
    return best;
  }

  isWorkTime(t: number): boolean {
    return this.shiftStartAt(t) !== null;
  }

  /** Inside the quiet hours (start inclusive, end exclusive; may run past midnight). */
  isQuiet(t: number): boolean {
    if (!this.quiet) return false;
    const p = this.clock.parts(t);
    const m = p.hour * 60 + p.minute;
    const start = minutesOf(this.quiet.start);
    const end = minutesOf(this.quiet.end);
    return start < end ? m >= start && m < end : m >= start || m < end;
  }

  /** Local wall time for messages, e.g. `2025-11-24 17:05`. */
  format(t: number): string {
    const iso = this.clock.iso(t);
    return `${iso.slice(0, 10)} ${iso.slice(11, 16)}`;
  }
}
