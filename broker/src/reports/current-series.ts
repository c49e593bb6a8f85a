/**
 * Current readings of one machine channel over a range, for the dashboard's chart: raw when
 * they fit in `maxPoints`, otherwise avg/min/max per fixed-width bucket computed in SQL (a
 * year of one-second readings never leaves the database as rows). Both queries walk the
 * readings_ts index (site, node, ts).
 */
import type { CurrentSeries, TimeRange } from '@mieruka/protocol';
import type { SqlQueries } from '../store/sql/sql-store.js';

/** Buckets are whole seconds: nicer axis ticks, and the width never rounds down to 0. */
const BUCKET_STEP_MS = 1000;

/** The bucket width that keeps [from, to) within `maxPoints` buckets (0 = raw readings fit). */
export function bucketWidth(range: TimeRange, readings: number, maxPoints: number): number {
  if (readings <= maxPoints) return 0;
  return Math.ceil((range.to - range.from) / maxPoints / BUCKET_STEP_MS) * BUCKET_STEP_MS;
}

type Point = CurrentSeries['points'][number];

const WHERE = 'site = ? AND node = ? AND ts >= ? AND ts < ?';

/**
 * The channel's current of a reading (one `?`: the channel). irms is stored as JSON array text;
 * a reading without this channel gives NULL and is skipped. The one dialect difference here:
 * SQLite's json_extract against PostgreSQL's jsonb operator.
 */
function channelValue(dialect: SqlQueries['dialect']): string {
  return dialect === 'postgres'
    ? 'CAST(CAST(irms AS jsonb) ->> CAST(? AS INTEGER) AS DOUBLE PRECISION)'
    : "json_extract(irms, '$[' || CAST(? AS INTEGER) || ']')";
}

export class CurrentSeriesQuery {
  private readonly sql: SqlQueries;
  private readonly text: { count: string; raw: string; buckets: string };

  constructor(sql: SqlQueries) {
    this.sql = sql;
    const value = channelValue(sql.dialect);
    // Times are cast to integers: better-sqlite3 binds JS numbers as REAL, and the bucket index
    // must be an integer division on both databases.
    this.text = {
      count: `SELECT COUNT(*) AS n FROM readings WHERE ${WHERE}`,
      raw: `SELECT ts, v AS avg, v AS min, v AS max FROM (SELECT ts, seq, ${value} AS v FROM readings WHERE ${WHERE}) AS r WHERE v IS NOT NULL ORDER BY ts, seq`,
      // Bucket k covers [from + k·w, from + (k+1)·w).
      buckets: `SELECT CAST(? AS BIGINT) + k * CAST(? AS BIGINT) AS ts, AVG(v) AS avg, MIN(v) AS min, MAX(v) AS max
       FROM (SELECT (ts - CAST(? AS BIGINT)) / CAST(? AS BIGINT) AS k, ${value} AS v FROM readings WHERE ${WHERE}) AS b
       WHERE v IS NOT NULL GROUP BY k ORDER BY k`,
    };
  }

  async series(site: string, node: string, channel: number, range: TimeRange, maxPoints: number): Promise<CurrentSeries> {
    const where = [site, node, range.from, range.to];
    const n = (await this.sql.get<{ n: number }>(this.text.count, where))?.n ?? 0;
    const width = bucketWidth(range, n, maxPoints);
    const points =
      width === 0
        ? await this.sql.all<Point>(this.text.raw, [channel, ...where])
        : await this.sql.all<Point>(this.text.buckets, [range.from, width, range.from, width, channel, ...where]);
    return { channel, bucketMs: width, points: points.map((p) => ({ ts: Number(p.ts), avg: Number(p.avg), min: Number(p.min), max: Number(p.max) })) };
  }
}
