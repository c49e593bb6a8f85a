/**
 * Wall-clock arithmetic in one IANA time zone: local dates, hour and day boundaries (23 h and
 * 25 h days across DST included), local ISO strings with offset. Built on Intl only; the
 * broker's reports and the dashboard's REST layer share it so both cut days the same way.
 */

export const HOUR_MS = 3_600_000;
export const DAY_MS = 86_400_000;

/** Local wall clock of an instant (to the second). `weekday`: 0 = Sunday … 6 = Saturday. */
export type LocalParts = { year: number; month: number; day: number; hour: number; minute: number; second: number; weekday: number };

const DATE = /^(\d{4})-(\d{2})-(\d{2})$/;
const WEEKDAYS: Record<string, number> = { Sun: 0, Mon: 1, Tue: 2, Wed: 3, Thu: 4, Fri: 5, Sat: 6 };
/** Two offset changes never come closer than this in any real zone; sampling at this step finds each one. */
const SAMPLE_MS = 4 * HOUR_MS;
const CACHE_LIMIT = 50_000;

const pad = (n: number, width = 2) => String(n).padStart(width, '0');
const mod = (a: number, b: number) => ((a % b) + b) % b;

/** Parses `YYYY-MM-DD` into numbers; null when it is not a real calendar date. */
export function parseDate(date: string): { year: number; month: number; day: number } | null {
  const m = DATE.exec(date);
  if (!m) return null;
  const year = Number(m[1]);
  const month = Number(m[2]);
  const day = Number(m[3]);
  const check = new Date(Date.UTC(year, month - 1, day));
  if (check.getUTCFullYear() !== year || check.getUTCMonth() !== month - 1 || check.getUTCDate() !== day) return null;
  return { year, month, day };
}

function requireDate(date: string): { year: number; month: number; day: number } {
  const parsed = parseDate(date);
  if (!parsed) throw new RangeError(`not a date (YYYY-MM-DD): ${date}`);
  return parsed;
}

/** Calendar arithmetic on `YYYY-MM-DD` (no time zone involved). */
export function addDays(date: string, days: number): string {
  const { year, month, day } = requireDate(date);
  const d = new Date(Date.UTC(year, month - 1, day + days));
  return `${pad(d.getUTCFullYear(), 4)}-${pad(d.getUTCMonth() + 1)}-${pad(d.getUTCDate())}`;
}

/** 0 = Sunday … 6 = Saturday. */
export function weekdayOf(date: string): number {
  const { year, month, day } = requireDate(date);
  return new Date(Date.UTC(year, month - 1, day)).getUTCDay();
}

export function isValidTimeZone(timeZone: string): boolean {
  try {
    new Intl.DateTimeFormat('en-US', { timeZone });
    return true;
  } catch {
    return false;
  }
}

/** A stretch of time with one UTC offset. */
type Segment = { start: number; end: number; offset: number };

export class LocalTime {
  readonly timeZone: string;
  private readonly format: Intl.DateTimeFormat;
  /** offset by whole second; bounded (cleared when full). */
  private readonly offsets = new Map<number, number>();

  constructor(timeZone: string) {
    if (!isValidTimeZone(timeZone)) throw new RangeError(`unknown IANA time zone: ${timeZone}`);
    this.timeZone = timeZone;
    this.format = new Intl.DateTimeFormat('en-US', {
      timeZone,
      hourCycle: 'h23',
      weekday: 'short',
      year: 'numeric',
      month: '2-digit',
      day: '2-digit',
      hour: '2-digit',
      minute: '2-digit',
      second: '2-digit',
    });
  }

  parts(t: number): LocalParts {
    const out: LocalParts = { year: 0, month: 0, day: 0, hour: 0, minute: 0, second: 0, weekday: 0 };
    for (const p of this.format.formatToParts(new Date(Math.floor(t / 1000) * 1000))) {
      switch (p.type) {
        case 'year':
          out.year = Number(p.value);
          break;
        case 'month':
          out.month = Number(p.value);
          break;
        case 'day':
          out.day = Number(p.value);
          break;
        case 'hour':
          out.hour = Number(p.value);
          break;
        case 'minute':
          out.minute = Number(p.value);
          break;
        case 'second':
          out.second = Number(p.value);
          break;
        case 'weekday':
          out.weekday = WEEKDAYS[p.value] ?? 0;
          break;
        default:
          break;
      }
    }
    return out;
  }

  /** Local time minus UTC at `t`, in ms (e.g. +32 400 000 for Asia/Tokyo). */
  offsetAt(t: number): number {
    const second = Math.floor(t / 1000);
    const cached = this.offsets.get(second);
    if (cached !== undefined) return cached;
    const p = this.parts(t);
    const offset = Date.UTC(p.year, p.month - 1, p.day, p.hour, p.minute, p.second) - second * 1000;
    if (this.offsets.size >= CACHE_LIMIT) this.offsets.clear();
    this.offsets.set(second, offset);
    return offset;
  }

  /** Local date `YYYY-MM-DD` of `t`. */
  dateOf(t: number): string {
    const local = new Date(t + this.offsetAt(t));
    return `${pad(local.getUTCFullYear(), 4)}-${pad(local.getUTCMonth() + 1)}-${pad(local.getUTCDate())}`;
  }

  /** ISO 8601 local time with offset, to the second: `2025-11-24T09:00:00+09:00`. */
  iso(t: number): string {
    const offset = this.offsetAt(t);
    const local = new Date(Math.floor(t / 1000) * 1000 + offset);
    const sign = offset < 0 ? '-' : '+';
    const abs = Math.abs(offset) / 1000;
    const seconds = abs % 60;
    const zone = `${sign}${pad(Math.floor(abs / 3600))}:${pad(Math.floor(abs / 60) % 60)}${seconds ? `:${pad(seconds)}` : ''}`;
    return (
      `${pad(local.getUTCFullYear(), 4)}-${pad(local.getUTCMonth() + 1)}-${pad(local.getUTCDate())}` +
      `T${pad(local.getUTCHours())}:${pad(local.getUTCMinutes())}:${pad(local.getUTCSeconds())}${zone}`
    );
  }

  /**
   * The instant of a local wall time. A time skipped by a DST jump moves forward by the jump
   * (02:30 on a spring-forward night → 03:30); a repeated time takes its first occurrence —
   * the "compatible" rule of Temporal and of most calendars.
   */
  instant(date: string, hour = 0, minute = 0, second = 0, ms = 0): number {
    const { year, month, day } = requireDate(date);
    const wall = Date.UTC(year, month - 1, day, hour, minute, second, ms);
    const before = this.offsetAt(wall - DAY_MS);
    const after = this.offsetAt(wall + DAY_MS);
    let best: number | null = null;
    for (const offset of before === after ? [before] : [before, after]) {
      const t = wall - offset;
      if (this.offsetAt(t) === offset && (best === null || t < best)) best = t;
    }
    return best ?? wall - before;
  }

  /** First instant of a local date (local midnight, or the end of a DST jump over midnight). */
  startOfDay(date: string): number {
    return this.instant(date);
  }

  /** Start of the local day that contains `t`. */
  startOfDayAt(t: number): number {
    return this.startOfDay(this.dateOf(t));
  }

  /** Start of the local hour bucket that contains `t` (see hourBoundaries). */
  startOfHourAt(t: number): number {
    const bounds = this.hourBoundaries(t - 2 * HOUR_MS, t + 1);
    let start = bounds[1] ?? t;
    // bounds[0] is the artificial window start; a real boundary always lies within two hours.
    for (let i = 1; i < bounds.length - 1; i++) if ((bounds[i] ?? Infinity) <= t) start = bounds[i] ?? start;
    return start;
  }

  /**
   * Cuts [from, to) into stretches of constant UTC offset. Offsets are sampled every few
   * hours and each change is found to the second by bisection.
   */
  private segments(from: number, to: number): Segment[] {
    const out: Segment[] = [];
    if (!(to > from)) return out;
    let start = from;
    let offset = this.offsetAt(from);
    let t = from;
    while (t < to) {
      const stepEnd = Math.min(to, (Math.floor(t / SAMPLE_MS) + 1) * SAMPLE_MS);
      if (this.offsetAt(stepEnd - 1) === offset) {
        t = stepEnd;
        continue;
      }
      // The offset changes somewhere in (t, stepEnd): find the first second with the new one.
      let lo = Math.floor(t / 1000);
      let hi = Math.floor((stepEnd - 1) / 1000);
      while (hi - lo > 1) {
        const mid = Math.floor((lo + hi) / 2);
        if (this.offsetAt(mid * 1000) === offset) lo = mid;
        else hi = mid;
      }
      const change = hi * 1000;
      out.push({ start, end: change, offset });
      start = change;
      offset = this.offsetAt(change);
      t = change;
    }
    out.push({ start, end: to, offset });
    return out;
  }

  /**
   * Bucket boundaries of local hours in [from, to]: `from`, every local hh:00 and every
   * offset change, then `to`. A spring-forward day has 23 buckets, a fall-back day 25 (the
   * repeated hour is its own bucket, told apart by its offset).
   */
  hourBoundaries(from: number, to: number): number[] {
    const out: number[] = [];
    if (!(to > from)) return out;
    for (const s of this.segments(from, to)) {
      out.push(s.start);
      let b = s.start - mod(s.start + s.offset, HOUR_MS) + HOUR_MS;
      for (; b < s.end; b += HOUR_MS) out.push(b);
    }
    out.push(to);
    return out;
  }

  /** Boundaries of local days in [from, to]: `from`, every first instant of a local date, `to`. */
  dayBoundaries(from: number, to: number): number[] {
    const out: number[] = [];
    if (!(to > from)) return out;
    let previous: Segment | null = null;
    for (const s of this.segments(from, to)) {
      // An offset change starts a new day only when the local date changes with it.
      if (previous === null || Math.floor((s.start - 1 + previous.offset) / DAY_MS) !== Math.floor((s.start + s.offset) / DAY_MS)) out.push(s.start);
      let b = s.start - mod(s.start + s.offset, DAY_MS) + DAY_MS;
      for (; b < s.end; b += DAY_MS) out.push(b);
      previous = s;
    }
    out.push(to);
    return out;
  }
}

const clocks = new Map<string, LocalTime>();

/** One LocalTime per zone, shared by the routes (building one reads the zone's rules). */
export function localTimeFor(timeZone: string): LocalTime {
  let clock = clocks.get(timeZone);
  if (!clock) {
    clock = new LocalTime(timeZone);
    clocks.set(timeZone, clock);
  }
  return clock;
}
