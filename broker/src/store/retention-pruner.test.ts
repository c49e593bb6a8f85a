import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { DAY_MS, localTimeFor } from '@mieruka/protocol';
import { sqlBackends } from '../test-support/sql-backends.js';
import { silentLogger, waitFor } from '../test-support/helpers.js';
import { nextLocalTime, RetentionPruner, type RetentionSettings } from './retention-pruner.js';
import type { SqlStore, SqlValue } from './sql/sql-store.js';

const SETTINGS: RetentionSettings = { readingsDays: 90, historyDays: 365, at: '03:30', batchRows: 1000 };

const backends = sqlBackends();

describe.each(backends.each)('RetentionPruner on %s', (_name, open) => {
  let db: SqlStore;
  let pruner: RetentionPruner | undefined;
  // The clock handed to the pruner; every fixture date is built from it.
  let t = 0;
  const now = () => t;

  beforeEach(async () => {
    t = Date.now();
    db = (await open({ now })).sql;
  });

  afterEach(async () => {
    await pruner?.stop();
    pruner = undefined;
  });

  const make = (settings: Partial<RetentionSettings> = {}, timeZone = 'Asia/Tokyo') =>
    (pruner = new RetentionPruner({ sql: () => db, retention: { ...SETTINGS, ...settings }, timeZone, now, logger: silentLogger, checkIntervalMs: 5 }));
  /** A prepared-statement look-alike for the fixtures: `run(...params)`. */
  const statement = (sql: string) => ({ run: (...params: SqlValue[]) => db.run(sql, params) });
  const reading = () => statement("INSERT INTO readings (site, node, ts, seq, irms, received_at) VALUES ('factory', ?, ?, ?, '[1]', ?)");
  const count = async (sql: string, ...args: SqlValue[]) => (await db.get<{ n: number }>(`SELECT count(*) AS n FROM ${sql}`, args))!.n;
  const rows = (sql: string) => db.all(sql);
  const column = async (sql: string) => (await db.all<Record<string, unknown>>(sql)).map((row) => Object.values(row)[0]);

  it('deletes readings and motion past readingsDays in batches, keeps newer ones and the newest of a silent node', async () => {
    const old = t - 91 * DAY_MS;
    const insert = "INSERT INTO readings (site, node, ts, seq, irms, received_at) VALUES ('factory', ?, ?, ?, '[1]', ?)";
    // 2,500 old readings: three batches of 1,000.
    await db.transaction(async (tx) => {
      for (let i = 0; i < 2500; i += 1) await tx.run(insert, ['mill-1', old + i * 1000, i, old]);
      for (let i = 0; i < 10; i += 1) await tx.run(insert, ['mill-1', t - 89 * DAY_MS + i, 10_000 + i, t]);
      // A node silent for 100 days: its last reading is what the dashboard shows after a restart.
      await tx.run(insert, ['lathe-2', t - 100 * DAY_MS, 1, t]);
      await tx.run(insert, ['lathe-2', t - 100 * DAY_MS + 1000, 2, t]);
    });
    await statement("INSERT INTO motion (site, node, ts, active, received_at) VALUES ('factory', 'bench-1', ?, 1, ?), ('factory', 'bench-1', ?, 0, ?)").run(old, old, t - DAY_MS, t);

    // Other work on the same thread gets turns while the pass runs (ingest is not stalled).
    let turns = 0;
    let finished = false;
    const spin = () => {
      if (finished) return;
      turns += 1;
      setImmediate(spin);
    };
    setImmediate(spin);
    const run = await make().prune();
    finished = true;

    expect(run.deleted.readings).toBe(2501);
    expect(run.deleted.motion).toBe(1);
    expect(run.error).toBeUndefined();
    expect(await count('readings WHERE node = ?', 'mill-1')).toBe(10);
    expect(await count('readings WHERE node = ?', 'lathe-2')).toBe(1);
    expect((await db.get<{ seq: number }>("SELECT seq FROM readings WHERE node = 'lathe-2'"))!.seq).toBe(2);
    expect(await count('motion')).toBe(1);
    expect(turns).toBeGreaterThan(2);
    expect(pruner!.lastRun).toEqual(run);
  });

  it('keeps the history younger than historyDays, roll-ups, active alarms and what a roll-up still has to read', async () => {
    const old = t - 400 * DAY_MS;
    const recent = t - 10 * DAY_MS;
    const state = statement("INSERT INTO states (site, node, ts, state, since, irms, received_at) VALUES ('factory', ?, ?, ?, ?, '[1]', ?)");
    const cursor = statement("INSERT INTO rollup_cursors (site, node, valid_from, valid_until, dirty_ts) VALUES ('factory', ?, ?, ?, ?)");
    for (const node of ['mill-1', 'mill-2', 'mill-3']) {
      await state.run(node, old, 'running', old, old);
      await state.run(node, old + 1000, 'idle', old + 1000, old);
      await state.run(node, recent, 'off', recent, recent);
    }
    // mill-1: roll-ups exact up to yesterday; mill-2: none built yet; mill-3: an old late state not yet rolled up.
    await cursor.run('mill-1', recent - 5 * DAY_MS, t - DAY_MS, null);
    await cursor.run('mill-2', null, null, null);
    await cursor.run('mill-3', recent - 5 * DAY_MS, t - DAY_MS, old);
    await statement("INSERT INTO status_log (site, node, online, ts, received_at) VALUES ('factory', 'mill-1', 0, ?, ?), ('factory', 'mill-1', 1, ?, ?), ('factory', 'mill-2', 0, ?, ?)").run(old, old, recent, recent, old, old);
    const event = statement("INSERT INTO events (site, node, ts, seq, type, data, received_at) VALUES ('factory', 'mill-1', ?, ?, 'run_finished', '{}', ?)");
    await event.run(old, 1, old);
    await event.run(recent, 2, recent);
    const clutter = statement("INSERT INTO clutter (site, node, ts, seq, score, covered_ratio, slot, image_id, received_at) VALUES ('factory', 'bench-1', ?, ?, 10, 0.1, '09:00', NULL, ?)");
    await clutter.run(old, 1, old);
    await clutter.run(recent, 2, recent);
    await statement("INSERT INTO usage_hourly (site, node, hour_start, hour_end, off_ms, idle_ms, running_ms, unknown_ms) VALUES ('factory', 'mill-1', ?, ?, 0, 0, 3600000, 0)").run(old, old + 3_600_000);
    const alarm = statement(
      `INSERT INTO alarms (id, site, node, type, severity, message_ja, message_en, details, active, active_since, last_raised_at, occurrences, clear_after_ms, cleared_at, acknowledged, notified_level, created_at, updated_at)
       VALUES (?, 'factory', 'mill-1', ?, 'warning', 'm', 'm', '{}', ?, ?, ?, 1, 0, ?, 0, 0, ?, ?)`,
    );
    await alarm.run('a-old', 'stopped', 0, old, old, old, old, old);
    await alarm.run('a-active', 'idle_too_long', 1, old, old, null, old, old);
    await alarm.run('a-recent', 'stopped', 0, recent, recent, recent, recent, recent);
    await statement("INSERT INTO alarm_events (alarm_id, ts, kind) VALUES ('a-old', ?, 'raised'), ('a-recent', ?, 'raised')").run(old, recent);
    const mail = statement("INSERT INTO mail_queue (alarm_id, kind, recipient, language, subject, text, html, status, next_attempt_at, created_at) VALUES (NULL, 'alarm', 'a@example.com', 'ja', 's', 't', 'h', ?, ?, ?)");
    await mail.run('sent', old, old);
    await mail.run('pending', old, old);

    const run = await make().prune();

    // mill-1: the older state goes; the newest before the cut says what it did then.
    expect(await rows("SELECT ts FROM states WHERE node = 'mill-1' ORDER BY ts")).toEqual([{ ts: old + 1000 }, { ts: recent }]);
    expect(await count("states WHERE node = 'mill-2'")).toBe(3);
    expect(await count("states WHERE node = 'mill-3'")).toBe(3);
    expect(run.deleted.states).toBe(1);
    expect(await rows('SELECT node, online FROM status_log ORDER BY id')).toEqual([
      { node: 'mill-1', online: 1 },
      { node: 'mill-2', online: 0 },
    ]);
    expect(await rows('SELECT seq FROM events')).toEqual([{ seq: 2 }]);
    expect(await rows('SELECT seq FROM clutter')).toEqual([{ seq: 2 }]);
    expect(await count('usage_hourly')).toBe(1);
    expect(await rows('SELECT id FROM alarms ORDER BY id')).toEqual([{ id: 'a-active' }, { id: 'a-recent' }]);
    expect(await rows('SELECT alarm_id FROM alarm_events')).toEqual([{ alarm_id: 'a-recent' }]);
    expect(await rows('SELECT status FROM mail_queue')).toEqual([{ status: 'pending' }]);
    expect(run.deleted).toMatchObject({ status_log: 1, events: 1, clutter: 1, alarms: 1, mail_queue: 1 });
  });

  it('prunes cycles with the readings, and quality entries, stop reasons and energy quarters with the history', async () => {
    const cycle = statement("INSERT INTO cycles (site, node, seq, start_ts, end_ts, duration_ms, peak_a, mean_a, received_at) VALUES ('factory', 'mill-1', ?, ?, ?, 1000, 9, 8, ?)");
    const quality = statement("INSERT INTO quality_entries (site, node, start_ts, end_ts, good, scrap, startup_scrap, source, entered_by, entered_at) VALUES ('factory', 'mill-1', ?, ?, 1, 0, 0, 'button', 'mill-1', ?)");
    const reason = statement("INSERT INTO stop_reasons (site, node, start_ts, code, set_by, set_at) VALUES ('factory', 'mill-1', ?, 'setup', 'admin', ?)");
    const quarter = statement("INSERT INTO energy_quarters (site, node, quarter_start, running_as, idle_as, off_as, unknown_as) VALUES ('factory', 'mill-1', ?, 1, 2, 3, 4)");
    // Older than readingsDays (90) but younger than historyDays (365), and older than both.
    const between = t - 100 * DAY_MS;
    const ancient = t - 400 * DAY_MS;
    await cycle.run(1, between - 5000, between, between);
    await cycle.run(2, t - 5000, t - 1000, t);
    for (const at of [ancient, between]) {
      await quality.run(at, at, at);
      await reason.run(at, at);
      await quarter.run(at);
    }
    const run = await make({ batchRows: 1 }).prune();
    expect(run.error).toBeUndefined();
    expect(run.deleted).toMatchObject({ cycles: 1, quality_entries: 1, stop_reasons: 1, energy_quarters: 1 });
    expect(await column('SELECT seq FROM cycles')).toEqual([2]);
    expect(await column('SELECT end_ts FROM quality_entries')).toEqual([between]);
    expect(await column('SELECT start_ts FROM stop_reasons')).toEqual([between]);
    expect(await column('SELECT quarter_start FROM energy_quarters')).toEqual([between]);
  });

  it('keeps everything when the days are 0 (forever)', async () => {
    await reading().run('mill-1', t - 5000 * DAY_MS, 1, t);
    await reading().run('mill-1', t - 4000 * DAY_MS, 2, t);
    const run = await make({ readingsDays: 0, historyDays: 0 }).prune();
    expect(run.total).toBe(0);
    expect(await count('readings')).toBe(2);
  });

  it('runs at the configured local time, also on the nights daylight saving time starts and ends', async () => {
    const ny = localTimeFor('America/New_York');
    // Spring forward: 2027-03-14 02:30 does not exist in New York; the run moves on by the jump to 03:30 EDT.
    t = ny.instant('2027-03-13', 12, 0);
    const spring = nextLocalTime(ny, '02:30', t);
    expect(ny.iso(spring)).toBe('2027-03-14T03:30:00-04:00');
    make({ at: '02:30' }, 'America/New_York').start();
    expect(pruner!.nextRunAt).toBe(spring);
    await reading().run('mill-1', t - 200 * DAY_MS, 1, t);
    await reading().run('mill-1', t - 199 * DAY_MS, 2, t);

    t = spring - 1000;
    await new Promise((r) => setTimeout(r, 30));
    expect(pruner!.lastRun).toBeNull();
    t = spring + 10;
    await waitFor(() => pruner!.lastRun !== null, 'the nightly run');
    expect(pruner!.lastRun!.startedAt).toBe(spring + 10);
    expect(pruner!.lastRun!.deleted.readings).toBe(1);
    expect(ny.iso(pruner!.nextRunAt!)).toBe('2027-03-15T02:30:00-04:00');
    await pruner!.stop();

    // Fall back: 01:30 happens twice on 2027-11-07; the run takes the first and only that one.
    t = ny.instant('2027-11-06', 12, 0);
    make({ at: '01:30' }, 'America/New_York').start();
    const first = pruner!.nextRunAt!;
    expect(ny.iso(first)).toBe('2027-11-07T01:30:00-04:00');
    t = first + 5;
    await waitFor(() => pruner!.lastRun !== null, 'the nightly run');
    const next = pruner!.nextRunAt!;
    expect(ny.iso(next)).toBe('2027-11-08T01:30:00-05:00');
    t = first + 3_600_000 + 5; // 01:30 EST, the repeated hour
    await new Promise((r) => setTimeout(r, 30));
    expect(pruner!.lastRun!.startedAt).toBe(first + 5);
  });

  it('skips a run missed by more than an hour (clock set late after boot) and waits for the next night', async () => {
    const tokyo = localTimeFor('Asia/Tokyo');
    make().start();
    const due = pruner!.nextRunAt!;
    expect(tokyo.iso(due).slice(11, 16)).toBe('03:30');
    t = due + 5 * 3_600_000;
    await waitFor(() => pruner!.nextRunAt !== due, 'the next night');
    expect(pruner!.nextRunAt).toBe(nextLocalTime(tokyo, '03:30', t));
    expect(pruner!.lastRun).toBeNull();
  });
});
