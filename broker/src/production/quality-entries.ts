/**
 * Good / scrap counts for a period or an instant (docs/oee.md#quality). Entered on the
 * dashboard or the kiosk (here) or by a push button (ingest writes those). Two period entries
 * of one machine must not overlap — the same pieces would count twice — unless the new one
 * replaces the old ones; instants (start = end) never overlap anything.
 */
import type { QualityEntry, QualityEntryInput, QualityEntryResult, TimeRange } from '@mieruka/protocol';
import type { SqlStore } from '../store/sql/sql-store.js';

type Row = { id: number; site: string; node: string; start_ts: number; end_ts: number; good: number; scrap: number; startup_scrap: number; source: QualityEntry['source']; entered_by: string; entered_at: number; note: string | null };

const COLS = 'id, site, node, start_ts, end_ts, good, scrap, startup_scrap, source, entered_by, entered_at, note';
const MAX_COUNT = 1_000_000;
/** An entry may end a little in the future (a clock a bit ahead on the kiosk), not more. */
export const FUTURE_SLACK_MS = 60_000;

const toEntry = (r: Row): QualityEntry => ({
  id: r.id,
  site: r.site,
  node: r.node,
  start: r.start_ts,
  end: r.end_ts,
  good: r.good,
  scrap: r.scrap,
  startupScrap: r.startup_scrap,
  source: r.source,
  by: r.entered_by,
  at: r.entered_at,
  note: r.note,
});

const isCount = (v: unknown): v is number => typeof v === 'number' && Number.isInteger(v) && v >= 0 && v <= MAX_COUNT;
const isTs = (v: unknown): v is number => typeof v === 'number' && Number.isSafeInteger(v) && v >= 0;

/** Why an input is not an entry, or null when it is fine. */
export function invalidQuality(input: QualityEntryInput, now: number): string | null {
  if (!isTs(input.start) || !isTs(input.end)) return 'start and end must be epoch milliseconds';
  if (input.start > input.end) return 'start must not be after end';
  if (input.end > now + FUTURE_SLACK_MS) return 'end is in the future';
  if (!isCount(input.good) || !isCount(input.scrap) || !isCount(input.startupScrap)) return `good, scrap and startupScrap must be whole numbers from 0 to ${MAX_COUNT}`;
  if (!['dashboard', 'kiosk', 'button'].includes(input.source)) return 'source must be dashboard, kiosk or button';
  if (input.note !== null && input.note !== undefined && (typeof input.note !== 'string' || input.note.length > 500)) return 'note must be text of at most 500 characters';
  return null;
}

const SQL = {
  inRange: `SELECT ${COLS} FROM quality_entries WHERE site = ? AND node = ? AND end_ts >= ? AND start_ts < ? ORDER BY end_ts, id`,
  overlapping: 'SELECT id FROM quality_entries WHERE site = ? AND node = ? AND start_ts < end_ts AND start_ts < ? AND end_ts > ? ORDER BY id',
  insert: `INSERT INTO quality_entries (site, node, start_ts, end_ts, good, scrap, startup_scrap, source, entered_by, entered_at, note) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) RETURNING ${COLS}`,
  remove: 'DELETE FROM quality_entries WHERE id = ?',
  removeReturning: `DELETE FROM quality_entries WHERE id = ? RETURNING ${COLS}`,
} as const;

export class QualityEntries {
  private readonly sql: SqlStore;

  constructor(sql: SqlStore) {
    this.sql = sql;
  }

  /** Entries overlapping [from, to) (an instant: its ts in [from, to]), by end. */
  async list(site: string, node: string, range: TimeRange): Promise<QualityEntry[]> {
    return (await this.sql.all<Row>(SQL.inRange, [site, node, range.from, range.to])).map(toEntry);
  }

  /** Stores a checked input (see invalidQuality); refuses an overlap unless `replace`. */
  async add(input: QualityEntryInput, by: string, now: number): Promise<QualityEntryResult> {
    return this.sql.transaction(async (tx): Promise<QualityEntryResult> => {
      const overlapping = input.start < input.end ? (await tx.all<{ id: number }>(SQL.overlapping, [input.site, input.node, input.end, input.start])).map((r) => r.id) : [];
      if (overlapping.length > 0 && input.replace !== true) return { ok: false, error: 'overlaps', overlapping };
      for (const id of overlapping) await tx.run(SQL.remove, [id]);
      const row = await tx.get<Row>(SQL.insert, [input.site, input.node, input.start, input.end, input.good, input.scrap, input.startupScrap, input.source, by, now, input.note ?? null]);
      return { ok: true, entry: toEntry(row!), replaced: overlapping };
    });
  }

  /** The removed entry, or null when there is none with that id. */
  async remove(id: number): Promise<QualityEntry | null> {
    const row = await this.sql.get<Row>(SQL.removeReturning, [id]);
    return row ? toEntry(row) : null;
  }
}
