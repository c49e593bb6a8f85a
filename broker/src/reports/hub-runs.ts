/**
 * The hub's own up-time, so the time it was down counts as "unknown" for every machine (it
 * heard nothing then). Each start adds a row; a timer keeps `alive_at` fresh, so after a
 * crash the outage starts at the last sign of life — or at the newest message written, if
 * that is later (an agent's clock may run ahead of the hub's).
 */
import type { Database } from 'better-sqlite3';
import type { HubDownMark } from './observations.js';

type RunRow = { id: number; started_at: number; alive_at: number; stopped_at: number | null; down_at: number | null };

/** Rows looked at for "the newest message": enough for any burst between two alive ticks. */
const RECENT_ROWS = 1000;

export class HubRuns {
  private readonly db: Database;
  private runId: number | null = null;
  private marks: HubDownMark[] = [];

  constructor(db: Database) {
    this.db = db;
  }

  /** Outage marks by time (loaded at begin). */
  downMarks(): readonly HubDownMark[] {
    return this.marks;
  }

  /** Records this start; closes the previous run. Returns the new outage mark, if any. */
  begin(now: number): HubDownMark | null {
    const db = this.db;
    let mark: HubDownMark | null = null;
    db.transaction(() => {
      const previous = db.prepare('SELECT id, started_at, alive_at, stopped_at, down_at FROM hub_runs ORDER BY id DESC LIMIT 1').get() as RunRow | undefined;
      if (previous && previous.down_at === null) {
        const states = db
          .prepare(`SELECT max(ts) AS ts, max(received_at) AS at FROM (SELECT ts, received_at FROM states ORDER BY id DESC LIMIT ${RECENT_ROWS})`)
          .get() as { ts: number | null; at: number | null };
        const status = db
          .prepare(`SELECT max(received_at) AS at FROM (SELECT received_at FROM status_log ORDER BY id DESC LIMIT ${RECENT_ROWS})`)
          .get() as { at: number | null };
        const downAt = Math.min(now, Math.max(previous.stopped_at ?? previous.alive_at, states.ts ?? 0, states.at ?? 0, status.at ?? 0));
        db.prepare('UPDATE hub_runs SET down_at = ? WHERE id = ?').run(downAt, previous.id);
        // Every machine's timeline changes from there on.
        db.prepare('UPDATE rollup_cursors SET dirty_ts = min(coalesce(dirty_ts, @at), @at)').run({ at: downAt });
        mark = { id: previous.id, ts: downAt };
      }
      this.runId = Number(db.prepare('INSERT INTO hub_runs (started_at, alive_at) VALUES (?, ?)').run(now, now).lastInsertRowid);
      this.marks = db.prepare('SELECT id, down_at AS ts FROM hub_runs WHERE down_at IS NOT NULL ORDER BY down_at, id').all() as HubDownMark[];
    })();
    return mark;
  }

  alive(now: number): void {
    if (this.runId !== null) this.db.prepare('UPDATE hub_runs SET alive_at = max(alive_at, ?) WHERE id = ?').run(now, this.runId);
  }

  end(now: number): void {
    if (this.runId === null) return;
    this.db.prepare('UPDATE hub_runs SET alive_at = max(alive_at, @now), stopped_at = @now WHERE id = @id').run({ now, id: this.runId });
    this.runId = null;
  }
}
