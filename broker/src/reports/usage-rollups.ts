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
import { DAY_MS, type LocalTime } from '@mieruka/protocol';
import type { SqlQueries, SqlStore } from '../store/sql/sql-store.js';
import type { ObservationReader } from './observations.js';
import { deriveSegments, type Segment } from './timeline.js';
import { accumulate, addDurations, bucketsFrom, type Bucket, type Durations } from './usage.js';

/** How far back roll-ups are kept up to date (the longest query range, plus slack). */
export const ROLLUP_HORIZON_DAYS = 402;

type CursorRow = { site: string; node: string; valid_from: number | null; valid_until: number | null; dirty_ts: number | null };
type UsageRowDb = { hour_start: number; hour_end: number; off_ms: number; idle_ms: number; running_ms: number; unknown_ms: number };

export type StoredHour = { start: number; end: number; ms: Durations };

/** Rows per INSERT of hours (8 parameters each: far below both databases' limits). */
const HOURS_PER_INSERT = 100;

const CURSOR = 'SELECT site, node, valid_from, valid_until, dirty_ts FROM rollup_cursors';
const SQL = {
  cursor: `${CURSOR} WHERE site = ? AND node = ?`,
  cursors: `${CURSOR} ORDER BY site, node`,
  setCursor: 'UPDATE rollup_cursors SET valid_from = ?, valid_until = ?, dirty_ts = NULL WHERE site = ? AND node = ?',
  deleteAllRows: 'DELETE FROM usage_hourly WHERE site = ? AND node = ?',
  deleteRows: 'DELETE FROM usage_hourly WHERE site = ? AND node = ? AND (hour_start >= ? OR hour_start < ?)',
  deleteAllDays: 'DELETE FROM usage_daily WHERE site = ? AND node = ?',
  // A day that ends after the first recomputed hour changes; one before the valid range is dropped.
  deleteDays: 'DELETE FROM usage_daily WHERE site = ? AND node = ? AND (day_end > ? OR day_start < ?)',
  insertDay: `INSERT INTO usage_daily (site, node, day_start, day_end, off_ms, idle_ms, running_ms, unknown_ms)
     SELECT ?, ?, ?, ?, sum(off_ms), sum(idle_ms), sum(running_ms), sum(unknown_ms) FROM usage_hourly
     WHERE site = ? AND node = ? AND hour_start >= ? AND hour_start < ?`,
  days: 'SELECT day_start AS hour_start, day_end AS hour_end, off_ms, idle_ms, running_ms, unknown_ms FROM usage_daily WHERE site = ? AND node = ? AND day_start >= ? AND day_end <= ? ORDER BY day_start',
  insertRows: 'INSERT INTO usage_hourly (site, node, hour_start, hour_end, off_ms, idle_ms, running_ms, unknown_ms) VALUES',
  rows: 'SELECT hour_start, hour_end, off_ms, idle_ms, running_ms, unknown_ms FROM usage_hourly WHERE site = ? AND node = ? AND hour_start >= ? AND hour_end <= ? ORDER BY hour_start',
  meta: "SELECT value FROM report_meta WHERE key = 'rollup_timezone'",
  setMeta: "INSERT INTO report_meta (key, value) VALUES ('rollup_timezone', ?) ON CONFLICT (key) DO UPDATE SET value = excluded.value",
} as const;

const toStored = (r: UsageRowDb): StoredHour => ({
  start: r.hour_start,
  end: r.hour_end,
  ms: { off: r.off_ms, idle: r.idle_ms, running: r.running_ms, unknown: r.unknown_ms },
});

export class UsageRollups {
  private readonly sql: SqlStore;
  private readonly reader: ObservationReader;
  private readonly clock: LocalTime;

  constructor(sql: SqlStore, reader: ObservationReader, clock: LocalTime) {
    this.sql = sql;
    this.reader = reader;
    this.clock = clock;
  }

  /** Roll-ups are cut in one time zone: a new one invalidates them all (rebuilt by the next updates). */
  async useTimeZone(): Promise<boolean> {
    const stored = (await this.sql.get<{ value: string }>(SQL.meta))?.value;
    if (stored === this.clock.timeZone) return false;
    await this.sql.transaction(async (tx) => {
      await tx.run('DELETE FROM usage_hourly');
      await tx.run('DELETE FROM usage_daily');
      await tx.run('UPDATE rollup_cursors SET valid_from = NULL, valid_until = NULL');
      await tx.run(SQL.setMeta, [this.clock.timeZone]);
    });
    return stored !== undefined;
  }

  /** Timeline of [from, end) from the store (`reader`: the transaction's, inside one). */
  async segments(site: string, node: string, from: number, end: number, reader: ObservationReader = this.reader): Promise<Segment[]> {
    if (!(end > from)) return [];
    const previous = await reader.before(site, node, from);
    const rest = await reader.between(site, node, from, end);
    const next = await reader.atOrAfter(site, node, end);
    if (next) rest.push(next);
    return deriveSegments(previous, rest, from, end);
  }

  /** Brings every machine's roll-ups up to date. Returns how many machines changed. */
  async updateAll(now: number): Promise<number> {
    let changed = 0;
    for (const c of await this.sql.all<CursorRow>(SQL.cursors)) if (await this.update(c.site, c.node, now)) changed++;
    return changed;
  }

  /** Brings one machine up to date, in one transaction. Returns false when nothing had to change. */
  async update(site: string, node: string, now: number): Promise<boolean> {
    return this.sql.transaction(async (tx) => {
      const reader = this.reader.within(tx);
      const c = await tx.get<CursorRow>(SQL.cursor, [site, node]);
      if (!c) return false;
      const first = await reader.firstStateTs(site, node);
      const lastTs = await reader.lastTs(site, node);
      if (first === null || lastTs === null) {
        if (c.valid_from === null && c.valid_until === null && c.dirty_ts === null) return false;
        await tx.run(SQL.deleteAllRows, [site, node]);
        await tx.run(SQL.deleteAllDays, [site, node]);
        await tx.run(SQL.setCursor, [null, null, site, node]);
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
          const previous = await reader.before(site, node, c.dirty_ts);
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
      await tx.run(SQL.deleteRows, [site, node, start, validFrom]);
      if (until > start) {
        const buckets = bucketsFrom(clock.hourBoundaries(start, until));
        accumulate(buckets, await this.segments(site, node, start, until, reader));
        // Many hours per statement: on PostgreSQL every statement is a round trip.
        for (let i = 0; i < buckets.length; i += HOURS_PER_INSERT) {
          const chunk = buckets.slice(i, i + HOURS_PER_INSERT);
          await tx.run(`${SQL.insertRows} ${chunk.map(() => '(?, ?, ?, ?, ?, ?, ?, ?)').join(', ')}`, chunk.flatMap((b) => [site, node, b.start, b.end, b.ms.off, b.ms.idle, b.ms.running, b.ms.unknown]));
        }
      }
      await this.updateDays(tx, site, node, start, validFrom, until);
      await tx.run(SQL.setCursor, [validFrom, until, site, node]);
      return true;
    });
  }

  /** Re-sums the complete local days within [validFrom, until) that end after `start` (their hours changed). */
  private async updateDays(tx: SqlQueries, site: string, node: string, start: number, validFrom: number, until: number): Promise<void> {
    await tx.run(SQL.deleteDays, [site, node, start, validFrom]);
    const from = Math.max(validFrom, this.clock.startOfDayAt(start));
    if (!(until > from)) return;
    // Local midnights are hour boundaries too, so a day is exactly the sum of its stored hours.
    const bounds = this.clock.dayBoundaries(from, until);
    for (let i = 0; i + 1 < bounds.length; i++) {
      const dayStart = bounds[i]!;
      const dayEnd = bounds[i + 1]!;
      if (this.isWholeDay(dayStart, dayEnd)) await tx.run(SQL.insertDay, [site, node, dayStart, dayEnd, site, node, dayStart, dayEnd]);
    }
  }

  /** Whether [start, end) is one whole local day (not cut by the valid range or a query range). */
  private isWholeDay(start: number, end: number): boolean {
    return this.clock.startOfDayAt(start) === start && this.clock.startOfDayAt(end) === end && this.clock.startOfDayAt(end - 1) === start;
  }

  /** Where stored hours are exact: [from, until), or null. */
  async validRange(site: string, node: string): Promise<{ from: number; until: number } | null> {
    const c = await this.sql.get<CursorRow>(SQL.cursor, [site, node]);
    if (!c || c.valid_from === null || c.valid_until === null || c.dirty_ts !== null) return null;
    return { from: c.valid_from, until: c.valid_until };
  }

  /** Stored hours within [from, to). */
  async storedHours(site: string, node: string, from: number, to: number): Promise<StoredHour[]> {
    return (await this.sql.all<UsageRowDb>(SQL.rows, [site, node, from, to])).map(toStored);
  }

  /** Stored whole days within [from, to). */
  async storedDays(site: string, node: string, from: number, to: number): Promise<StoredHour[]> {
    return (await this.sql.all<UsageRowDb>(SQL.days, [site, node, from, to])).map(toStored);
  }

  /**
   * Local-day buckets over [from, end): stored days where they are exact, the rest from hours
   * (stored or computed, see hours). `fresh`: whether to bring the machine up to date first.
   */
  async days(site: string, node: string, from: number, end: number, fresh: { now: number } | null, onError: (err: unknown) => void): Promise<Bucket[]> {
    const days = bucketsFrom(this.clock.dayBoundaries(from, end));
    let valid: { from: number; until: number } | null = null;
    try {
      if (fresh) await this.update(site, node, fresh.now);
      valid = await this.validRange(site, node);
    } catch (err) {
      onError(err);
    }
    const filled = new Array<boolean>(days.length).fill(false);
    if (valid) {
      const stored = new Map((await this.storedDays(site, node, Math.max(from, valid.from), Math.min(end, valid.until))).map((d) => [d.start, d]));
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
      for (const h of await this.hours(site, node, days[i]!.start, days[j - 1]!.end, null, onError)) {
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
  async hours(site: string, node: string, from: number, end: number, fresh: { now: number } | null, onError: (err: unknown) => void): Promise<Bucket[]> {
    const buckets = bucketsFrom(this.clock.hourBoundaries(from, end));
    let valid: { from: number; until: number } | null = null;
    try {
      if (fresh) await this.update(site, node, fresh.now);
      valid = await this.validRange(site, node);
    } catch (err) {
      onError(err);
    }
    const filled = new Array<boolean>(buckets.length).fill(false);
    if (valid) {
      const stored = new Map((await this.storedHours(site, node, Math.max(from, valid.from), Math.min(end, valid.until))).map((h) => [h.start, h]));
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
      accumulate(run, await this.segments(site, node, run[0]!.start, run.at(-1)!.end));
      i = j;
    }
    return buckets;
  }
}
