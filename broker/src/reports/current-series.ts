/**
 * Current readings of one machine channel over a range, for the dashboard's chart: raw when
 * they fit in `maxPoints`, otherwise avg/min/max per fixed-width bucket computed in SQL (a
 * year of one-second readings never leaves SQLite as rows). Both queries walk the
 * readings_ts index (site, node, ts).
 */
import type { Database, Statement } from 'better-sqlite3';
import type { CurrentSeries, TimeRange } from '@mieruka/protocol';

/** Buckets are whole seconds: nicer axis ticks, and the width never rounds down to 0. */
const BUCKET_STEP_MS = 1000;

/** The bucket width that keeps [from, to) within `maxPoints` buckets (0 = raw readings fit). */
export function bucketWidth(range: TimeRange, readings: number, maxPoints: number): number {
  if (readings <= maxPoints) return 0;
  return Math.ceil((range.to - range.from) / maxPoints / BUCKET_STEP_MS) * BUCKET_STEP_MS;
}

type Point = CurrentSeries['points'][number];

export class CurrentSeriesQuery {
  private readonly count: Statement;
  private readonly raw: Statement;
  private readonly buckets: Statement;

  constructor(db: Database) {
    // irms is stored as a JSON array; a reading without this channel gives NULL and is skipped.
    // better-sqlite3 binds JS numbers as REAL: cast where an integer matters (path, division).
    const value = "json_extract(irms, '$[' || CAST(@channel AS INTEGER) || ']')";
    const where = 'site = @site AND node = @node AND ts >= @from AND ts < @to';
    this.count = db.prepare(`SELECT COUNT(*) AS n FROM readings WHERE ${where}`);
    this.raw = db.prepare(`SELECT ts, v AS avg, v AS min, v AS max FROM (SELECT ts, seq, ${value} AS v FROM readings WHERE ${where}) WHERE v IS NOT NULL ORDER BY ts, seq`);
    // Integer division of the offset from `from`: bucket k covers [from + k·w, from + (k+1)·w).
    this.buckets = db.prepare(
      `SELECT @from + k * @width AS ts, AVG(v) AS avg, MIN(v) AS min, MAX(v) AS max
       FROM (SELECT (ts - CAST(@from AS INTEGER)) / CAST(@width AS INTEGER) AS k, ${value} AS v FROM readings WHERE ${where})
       WHERE v IS NOT NULL GROUP BY k ORDER BY k`,
    );
  }

  series(site: string, node: string, channel: number, range: TimeRange, maxPoints: number): CurrentSeries {
    const args = { site, node, from: range.from, to: range.to, channel };
    const { n } = this.count.get(args) as { n: number };
    const width = bucketWidth(range, n, maxPoints);
    const points = (width === 0 ? this.raw.all(args) : this.buckets.all({ ...args, width })) as Point[];
    return { channel, bucketMs: width, points: points.map((p) => ({ ts: p.ts, avg: Number(p.avg), min: Number(p.min), max: Number(p.max) })) };
  }
}
