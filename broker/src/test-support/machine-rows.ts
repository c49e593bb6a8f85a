/**
 * Writes what ingest writes for a machine — readings, states, status changes, events — straight
 * through a SqlStore, so a reports or production test can seed SQLite and PostgreSQL alike
 * (the hub's own writer, store/rows.ts, is SQLite's synchronous batch path). Same effects as
 * rows.ts for what the reports read: a new state row lowers the machine's roll-up `dirty_ts`
 * (creating its cursor), an offline status lowers it too; duplicates of (node, ts) / (node,
 * seq) are ignored like there. The `nodes` table (live snapshots) is not written.
 */
import type { MachineState } from '@mieruka/protocol';
import type { SqlQueries } from '../store/sql/sql-store.js';

const LOWER_DIRTY = 'CASE WHEN rollup_cursors.dirty_ts IS NULL OR rollup_cursors.dirty_ts > excluded.dirty_ts THEN excluded.dirty_ts ELSE rollup_cursors.dirty_ts END';

export type MachineRows = ReturnType<typeof machineRows>;

export function machineRows(sql: SqlQueries, site: string) {
  return {
    /** A state row; false when one of that (node, ts) was already stored. */
    async state(node: string, ts: number, state: MachineState, since = ts, options: { receivedAt?: number; irms?: number[] } = {}): Promise<boolean> {
      const { changes } = await sql.run('INSERT INTO states (site, node, ts, state, since, irms, received_at) VALUES (?, ?, ?, ?, ?, ?, ?) ON CONFLICT DO NOTHING', [
        site,
        node,
        ts,
        state,
        since,
        JSON.stringify(options.irms ?? [1]),
        options.receivedAt ?? ts,
      ]);
      if (changes > 0) {
        await sql.run(`INSERT INTO rollup_cursors (site, node, dirty_ts) VALUES (?, ?, ?) ON CONFLICT (site, node) DO UPDATE SET dirty_ts = ${LOWER_DIRTY}`, [site, node, ts]);
      }
      return changes > 0;
    },
    /** A status message that arrived at `at` (its own ts an hour earlier, like a late LWT). */
    async status(node: string, at: number, online: boolean, ts = at - 3_600_000): Promise<void> {
      await sql.run('INSERT INTO status_log (site, node, online, ts, received_at) VALUES (?, ?, ?, ?, ?)', [site, node, online ? 1 : 0, ts, at]);
      if (!online) {
        await sql.run('UPDATE rollup_cursors SET dirty_ts = CASE WHEN dirty_ts IS NULL OR dirty_ts > ? THEN ? ELSE dirty_ts END WHERE site = ? AND node = ?', [at, at, site, node]);
      }
    },
    async event(node: string, ts: number, seq: number, type: string, data: Record<string, unknown> = {}): Promise<void> {
      await sql.run('INSERT INTO events (site, node, ts, seq, type, data, received_at) VALUES (?, ?, ?, ?, ?, ?, ?) ON CONFLICT DO NOTHING', [site, node, ts, seq, type, JSON.stringify(data), ts]);
    },
    async reading(node: string, ts: number, seq: number, irms: number[]): Promise<void> {
      await sql.run('INSERT INTO readings (site, node, ts, seq, irms, received_at) VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT DO NOTHING', [site, node, ts, seq, JSON.stringify(irms), ts]);
    },
  };
}
