/**
 * Persisted hourly roll-ups (`usage_hourly`), kept incrementally: every written observation
 * lowers its machine's `dirty_ts` (same transaction as the row, see store/rows.ts); an update
 * recomputes the hours from the observation just before it — the timeline before that one
 * cannot have changed — up to the last complete hour before the newest observation (later
 * time is still open). Rows are thus exact wherever the cursor says so; everything else is
 * computed from the observations at query time, so a lagging update never gives wrong numbers.
 * Complete local days inside the exact range are also kept summed (`usage_daily`), so a
 * report by day reads one row per day.
 */
import type { Database, Statement } from 'better-sqlite3';
import { DAY_MS, type LocalTime } from '@mieruka/protocol';
import type { ObservationReader } from './observations.js';
import { deriveSegments, type Segment } from './timeline.js';
import { accumulate, addDurations, bucketsFrom, type Bucket, type Durations } from './usage.js';

/** How far back roll-ups are kept up to date (the longest query range, plus slack). */
export const ROLLUP_HORIZON_DAYS = 402;

type CursorRow = { site: string; node: string; valid_from: number | null; valid_until: number | null; dirty_ts: number | null };
type UsageRowDb = { hour_start: number; hour_end: number; off_ms: number; idle_ms: number; running_ms: number; unknown_ms: number };

export type StoredHour = { start: number; end: number; ms: Durations };

export class UsageRollups {
  private readonly db: Database;
  private readonly reader: ObservationReader;
  private readonly clock: LocalTime;
  private readonly q: Record<string, Statement>;

  constructor(db: Database, reader: ObservationReader, clock: LocalTime) {
    this.db = db;
    this.reader = reader;
    this.clock = clock;
    this.q = {
      cursor: db.prepare('SELECT site, node, valid_from, valid_until, dirty_ts FROM rollup_cursors WHERE site = ? AND node = ?'),
      cursors: db.prepare('SELECT site, node, valid_from, valid_until, dirty_ts FROM rollup_cursors ORDER BY site, node'),
      setCursor: db.prepare('UPDATE rollup_cursors SET valid_from = ?, valid_until = ?, dirty_ts = NULL WHERE site = ? AND node = ?'),
      deleteRows: db.prepare('DELETE FROM usage_hourly WHERE site = ? AND node = ? AND (hour_start >= ? OR hour_start < ?)'),
      // A day that ends after the first recomputed hour changes; one before the valid range is dropped.
      deleteDays: db.prepare('DELETE FROM usage_daily WHERE site = ? AND node = ? AND (day_end > ? OR day_start < ?)'),
      insertDay: db.prepare(
        `INSERT INTO usage_daily (site, node, day_start, day_end, off_ms, idle_ms, running_ms, unknown_ms)
         SELECT @site, @node, @start, @end, sum(off_ms), sum(idle_ms), sum(running_ms), sum(unknown_ms) FROM usage_hourly
         WHERE site = @site AND node = @node AND hour_start >= @start AND hour_start < @end`,
      ),
      days: db.prepare(
        'SELECT day_start AS hour_start, day_end AS hour_end, off_ms, idle_ms, running_ms, unknown_ms FROM usage_daily WHERE site = ? AND node = ? AND day_start >= ? AND day_end <= ? ORDER BY day_start',
      ),
      insertRow: db.prepare(
        'INSERT INTO usage_hourly (site, node, hour_start, hour_end, off_ms, idle_ms, running_ms, unknown_ms) VALUES (?, ?, ?, ?, ?, ?, ?, ?)',
      ),
      rows: db.prepare(
        'SELECT hour_start, hour_end, off_ms, idle_ms, running_ms, unknown_ms FROM usage_hourly WHERE site = ? AND node = ? AND hour_start >= ? AND hour_end <= ? ORDER BY hour_start',
      ),
      meta: db.prepare("SELECT value FROM report_meta WHERE key = 'rollup_timezone'"),
      setMeta: db.prepare("INSERT INTO report_meta (key, value) VALUES ('rollup_timezone', ?) ON CONFLICT (key) DO UPDATE SET value = excluded.value"),
    };
  }

  /** Roll-ups are cut in one time zone: a new one invalidates them all (rebuilt by the next updates). */
  useTimeZone(): boolean {
    const stored = (this.q.meta!.get() as { value: string } | undefined)?.value;
    if (stored === this.clock.timeZone) return false;
    this.db.transaction(() => {
      this.db.exec('DELETE FROM usage_hourly; DELETE FROM usage_daily; UPDATE rollup_cursors SET valid_from = NULL, valid_until = NULL');
      this.q.setMeta!.run(this.clock.timeZone);
    })();
    return stored !== undefined;
  }

  /** Timeline of [from, end) from the store. */
  segments(site: string, node: string, from: number, end: number): Segment[] {
    if (!(end > from)) return [];
    const previous = this.reader.before(site, node, from);
    const rest = this.reader.between(site, node, from, end);
    const next = this.reader.atOrAfter(site, node, end);
    if (next) rest.push(next);
    return deriveSegments(previous, rest, from, end);
  }

  /** Brings every machine's roll-ups up to date. Returns how many machines changed. */
  updateAll(now: number): number {
    let changed = 0;
    for (const c of this.q.cursors!.all() as CursorRow[]) if (this.update(c.site, c.node, now)) changed++;
    return changed;
  }

  /** Brings one machine up to date, in one transaction. Returns false when nothing had to change. */
  update(site: string, node: string, now: number): boolean {
    return this.db.transaction(() => {
      const c = this.q.cursor!.get(site, node) as CursorRow | undefined;
      if (!c) return false;
      const first = this.reader.firstStateTs(site, node);
      const lastTs = this.reader.lastTs(site, node);
      if (first === null || lastTs === null) {
        if (c.valid_from === null && c.valid_until === null && c.dirty_ts === null) return false;
        this.q.deleteRows!.run(site, node, -Infinity, Infinity);
        this.q.deleteDays!.run(site, node, -Infinity, Infinity);
        this.q.setCursor!.run(null, null, site, node);
        return true;
      }
      const clock = this.clock;
      const horizon = clock.startOfHourAt(now - ROLLUP_HORIZON_DAYS * DAY_MS);
      // The timeline before the newest observation is final; after it, the last state is still open.
      const limit = clock.startOfHourAt(Math.min(now, lastTs));
      let start: number;
      let validFrom: number;
      if (c.valid_from === null || c.valid_until === null) {
        start = Math.max(horizon, clock.startOfHourAt(first));
        validFrom = start;
      } else {
        start = c.valid_until;
        if (c.dirty_ts !== null) {
          const previous = this.reader.before(site, node, c.dirty_ts);
          start = Math.min(start, clock.startOfHourAt(previous ? previous.ts : c.dirty_ts));
        }
        validFrom = Math.min(c.valid_from, start);
        if (start < horizon) {
          start = horizon;
          validFrom = horizon;
        }
        if (c.dirty_ts === null && start === c.valid_until && limit <= start) return false;
      }
      const until = Math.max(start, limit);
      this.q.deleteRows!.run(site, node, start, validFrom);
      if (until > start) {
        const buckets = bucketsFrom(clock.hourBoundaries(start, until));
        accumulate(buckets, this.segments(site, node, start, until));
        for (const b of buckets) this.q.insertRow!.run(site, node, b.start, b.end, b.ms.off, b.ms.idle, b.ms.running, b.ms.unknown);
      }
      this.updateDays(site, node, start, validFrom, until);
      this.q.setCursor!.run(validFrom, until, site, node);
      return true;
    })();
  }

  /** Re-sums the complete local days within [validFrom, until) that end after `start` (their hours changed). */
  private updateDays(site: string, node: string, start: number, validFrom: number, until: number): void {
    this.q.deleteDays!.run(site, node, start, validFrom);
    const from = Math.max(validFrom, this.clock.startOfDayAt(start));
    if (!(until > from)) return;
    // Local midnights are hour boundaries too, so a day is exactly the sum of its stored hours.
    const bounds = this.clock.dayBoundaries(from, until);
    for (let i = 0; i + 1 < bounds.length; i++) {
      const dayStart = bounds[i]!;
      const dayEnd = bounds[i + 1]!;
      if (this.isWholeDay(dayStart, dayEnd)) this.q.insertDay!.run({ site, node, start: dayStart, end: dayEnd });
    }
  }

  /** Whether [start, end) is one whole local day (not cut by the valid range or a query range). */
  private isWholeDay(start: number, end: number): boolean {
    return this.clock.startOfDayAt(start) === start && this.clock.startOfDayAt(end) === end && this.clock.startOfDayAt(end - 1) === start;
  }

  /** Where stored hours are exact: [from, until), or null. */
  validRange(site: string, node: string): { from: number; until: number } | null {
    const c = this.q.cursor!.get(site, node) as CursorRow | undefined;
    if (!c || c.valid_from === null || c.valid_until === null || c.dirty_ts !== null) return null;
    return { from: c.valid_from, until: c.valid_until };
  }

  /** Stored hours within [from, to). */
  storedHours(site: string, node: string, from: number, to: number): StoredHour[] {
    return (this.q.rows!.all(site, node, from, to) as UsageRowDb[]).map((r) => ({
      start: r.hour_start,
      end: r.hour_end,
      ms: { off: r.off_ms, idle: r.idle_ms, running: r.running_ms, unknown: r.unknown_ms },
    }));
  }

  /** Stored whole days within [from, to). */
  storedDays(site: string, node: string, from: number, to: number): StoredHour[] {
    return (this.q.days!.all(site, node, from, to) as UsageRowDb[]).map((r) => ({
      start: r.hour_start,
      end: r.hour_end,
      ms: { off: r.off_ms, idle: r.idle_ms, running: r.running_ms, unknown: r.unknown_ms },
    }));
  }

  /**
   * Local-day buckets over [from, end): stored days where they are exact, the rest from hours
   * (stored or computed, see hours). `fresh`: whether to bring the machine up to date first.
   */
  days(site: string, node: string, from: number, end: number, fresh: { now: number } | null, onError: (err: unknown) => void): Bucket[] {
    const days = bucketsFrom(this.clock.dayBoundaries(from, end));
    let valid: { from: number; until: number } | null = null;
    try {
      if (fresh) this.update(site, node, fresh.now);
      valid = this.validRange(site, node);
    } catch (err) {
      onError(err);
    }
    const filled = new Array<boolean>(days.length).fill(false);
    if (valid) {
      const stored = new Map(this.storedDays(site, node, Math.max(from, valid.from), Math.min(end, valid.until)).map((d) => [d.start, d]));
      days.forEach((b, i) => {
        const d = stored.get(b.start);
        if (d && d.end === b.end) {
          b.ms = { ...d.ms };
          filled[i] = true;
        }
      });
    }
    for (let i = 0; i < days.length; ) {
      if (filled[i]) {
        i++;
        continue;
      }
      let j = i;
      while (j < days.length && !filled[j]) j++;
      // Day boundaries are hour boundaries: every hour of the run falls in exactly one of its days.
      let d = i;
      for (const h of this.hours(site, node, days[i]!.start, days[j - 1]!.end, null, onError)) {
        while (d < j && days[d]!.end <= h.start) d++;
        const day = days[d];
        if (day) addDurations(day.ms, h.ms);
      }
      i = j;
    }
    return days;
  }

  /**
   * Hourly buckets over [from, end): stored hours where they are exact, the rest computed from
   * the observations. `fresh`: whether to bring the machine up to date first.
   */
  hours(site: string, node: string, from: number, end: number, fresh: { now: number } | null, onError: (err: unknown) => void): Bucket[] {
    const buckets = bucketsFrom(this.clock.hourBoundaries(from, end));
    let valid: { from: number; until: number } | null = null;
    try {
      if (fresh) this.update(site, node, fresh.now);
      valid = this.validRange(site, node);
    } catch (err) {
      onError(err);
    }
    const filled = new Array<boolean>(buckets.length).fill(false);
    if (valid) {
      const stored = new Map(this.storedHours(site, node, Math.max(from, valid.from), Math.min(end, valid.until)).map((h) => [h.start, h]));
      buckets.forEach((b, i) => {
        const h = stored.get(b.start);
        if (h && h.end === b.end) {
          b.ms = { ...h.ms };
          filled[i] = true;
        }
      });
    }
    // Compute the rest in contiguous runs.
    for (let i = 0; i < buckets.length; ) {
      if (filled[i]) {
        i++;
        continue;
      }
      let j = i;
      while (j < buckets.length && !filled[j]) j++;
      const run = buckets.slice(i, j);
      accumulate(run, this.segments(site, node, run[0]!.start, run.at(-1)!.end));
      i = j;
    }
    return buckets;
  }
}
