/**
 * Migration 9 on a database of an older hub: hourly roll-ups written without their daily sums
 * are dropped and rebuilt (with the days) by the next update, and reports stay exact.
 */
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterEach, describe, expect, it } from 'vitest';
import { LocalTime } from '@mieruka/protocol';
import { MIGRATIONS, migrate } from '../store/migrations.js';
import { Store } from '../store/store.js';
import { makeTempDir, silentLogger } from '../test-support/helpers.js';
import { ReportsService } from './reports-service.js';

const H = 3_600_000;
const cleanups: Array<() => Promise<void> | void> = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

describe('migration 9 (daily roll-ups)', () => {
  it('drops the old hourly roll-ups, rebuilds hours and days, and answers as before', async () => {
    const dir = await makeTempDir();
    cleanups.push(() => dir.remove());
    const tz = new LocalTime('Asia/Tokyo');
    const day = tz.startOfDay('2026-01-31');
    // A hub of schema 8: two days of states and a (deliberately wrong) stored hour, marked exact.
    const old = new Database(join(dir.path, 'mieruka.db'));
    migrate(old, MIGRATIONS.filter((m) => m.version <= 8), () => day);
    const state = old.prepare("INSERT INTO states (site, node, ts, state, since, irms, received_at) VALUES ('f', 'mill-1', ?, ?, ?, '[1]', ?)");
    state.run(day - H, 'off', day - H, day - H);
    state.run(day + 8 * H, 'running', day + 8 * H, day + 8 * H);
    state.run(day + 20 * H, 'off', day + 20 * H, day + 20 * H);
    state.run(day + 32 * H, 'idle', day + 32 * H, day + 32 * H);
    state.run(day + 58 * H, 'off', day + 58 * H, day + 58 * H);
    old.prepare("INSERT INTO usage_hourly VALUES ('f', 'mill-1', ?, ?, 0, 0, 0, ?)").run(day + 9 * H, day + 10 * H, H);
    old.prepare("INSERT INTO rollup_cursors VALUES ('f', 'mill-1', ?, ?, NULL)").run(day + 8 * H, day + 30 * H);
    old.prepare("INSERT INTO report_meta VALUES ('rollup_timezone', 'Asia/Tokyo')").run();
    old.close();

    const store = new Store({ dataDir: dir.path, batchSize: 100, flushIntervalMs: 60_000, logger: silentLogger });
    await store.start();
    const db = store.database;
    expect((db.prepare('SELECT count(*) AS n FROM usage_hourly').get() as { n: number }).n).toBe(0);
    expect(db.prepare("SELECT valid_from, valid_until FROM rollup_cursors WHERE node = 'mill-1'").get()).toEqual({ valid_from: null, valid_until: null });
    const indexes = (db.prepare("SELECT name FROM sqlite_master WHERE type = 'index' AND tbl_name = 'events'").all() as { name: string }[]).map((r) => r.name);
    expect(indexes).toContain('events_ts_seq');
    expect(indexes).not.toContain('events_ts');

    const reports = new ReportsService({ sql: () => store.sql, timeZone: 'Asia/Tokyo', shifts: [], site: 'f', logger: silentLogger, now: () => day + 3 * 24 * H, rollupIntervalMs: 0, aliveIntervalMs: 0 });
    await reports.start();
    cleanups.push(async () => {
      await reports.stop();
      await store.stop();
    });
    await reports.updateRollups();
    const days = db.prepare('SELECT day_start, running_ms, off_ms, unknown_ms FROM usage_daily ORDER BY day_start').all() as Array<Record<string, number>>;
    // Whole days inside the exact range (first state 30 Jan 23:00, last 2 Feb 10:00): 31 Jan and 1 Feb, across the month end.
    expect(days).toEqual([
      { day_start: day, running_ms: 12 * H, off_ms: 12 * H, unknown_ms: 0 },
      { day_start: tz.startOfDay('2026-02-01'), running_ms: 0, off_ms: 8 * H, unknown_ms: 0 },
    ]);
    const report = (await reports.usage('f', 'mill-1', { from: day, to: day + 2 * 24 * H }, 'day'))!;
    expect(report.rows.map((r) => [r.label, r.seconds.running, r.seconds.off, r.seconds.idle])).toEqual([
      ['2026-01-31', 12 * 3600, 12 * 3600, 0],
      ['2026-02-01', 0, 8 * 3600, 16 * 3600],
    ]);
  });
});
