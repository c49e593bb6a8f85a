/**
 * The hub's own up-time, so the time it was down counts as "unknown" for every machine (it
 * heard nothing then). Each start adds a row; a timer keeps `alive_at` fresh, so after a
 * crash the outage starts at the last sign of life — or at the newest message written, if
 * that is later (an agent's clock may run ahead of the hub's).
 */
import type { SqlStore } from '../store/sql/sql-store.js';
import type { HubDownMark } from './observations.js';

type RunRow = { id: number; started_at: number; alive_at: number; stopped_at: number | null; down_at: number | null };

/** Rows looked at for "the newest message": enough for any burst between two alive ticks. */
const RECENT_ROWS = 1000;

export class HubRuns {
  private readonly sql: SqlStore;
  private runId: number | null = null;
  private marks: HubDownMark[] = [];

  constructor(sql: SqlStore) {
    this.sql = sql;
  }

  /** Outage marks by time (loaded at begin). */
  downMarks(): readonly HubDownMark[] {
    return this.marks;
  }

  /** Records this start; closes the previous run. Returns the new outage mark, if any. */
  async begin(now: number): Promise<HubDownMark | null> {
    return this.sql.transaction(async (tx) => {
      let mark: HubDownMark | null = null;
      const previous = await tx.get<RunRow>('SELECT id, started_at, alive_at, stopped_at, down_at FROM hub_runs ORDER BY id DESC LIMIT 1');
      if (previous && previous.down_at === null) {
        const states = await tx.get<{ ts: number | null; at: number | null }>(
          `SELECT max(ts) AS ts, max(received_at) AS at FROM (SELECT ts, received_at FROM states ORDER BY id DESC LIMIT ${RECENT_ROWS}) AS recent`,
        );
        const status = await tx.get<{ at: number | null }>(
          `SELECT max(received_at) AS at FROM (SELECT received_at FROM status_log ORDER BY id DESC LIMIT ${RECENT_ROWS}) AS recent`,
        );
        const downAt = Math.min(now, Math.max(previous.stopped_at ?? previous.alive_at, states?.ts ?? 0, states?.at ?? 0, status?.at ?? 0));
        await tx.run('UPDATE hub_runs SET down_at = ? WHERE id = ?', [downAt, previous.id]);
        // Every machine's timeline changes from there on.
        await tx.run('UPDATE rollup_cursors SET dirty_ts = CASE WHEN dirty_ts IS NULL OR dirty_ts > ? THEN ? ELSE dirty_ts END', [downAt, downAt]);
        mark = { id: previous.id, ts: downAt };
      }
      const inserted = await tx.get<{ id: number }>('INSERT INTO hub_runs (started_at, alive_at) VALUES (?, ?) RETURNING id', [now, now]);
      this.runId = Number(inserted!.id);
      this.marks = await tx.all<HubDownMark>('SELECT id, down_at AS ts FROM hub_runs WHERE down_at IS NOT NULL ORDER BY down_at, id');
      return mark;
    });
  }

  async alive(now: number): Promise<void> {
    if (this.runId !== null) await this.sql.run('UPDATE hub_runs SET alive_at = CASE WHEN alive_at > ? THEN alive_at ELSE ? END WHERE id = ?', [now, now, this.runId]);
  }

  async end(now: number): Promise<void> {
    if (this.runId === null) return;
    const id = this.runId;
    this.runId = null;
    await this.sql.run('UPDATE hub_runs SET alive_at = CASE WHEN alive_at > ? THEN alive_at ELSE ? END, stopped_at = ? WHERE id = ?', [now, now, now, id]);
  }
}
