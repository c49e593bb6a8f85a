/**
 * ReportsService on both stores it can sit on — the hub's SQLite file and a real PostgreSQL 15 —
 * with a controlled clock; the machine rows are written like ingest writes them.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { addDays, LocalTime } from '@mieruka/protocol';
import type { MachineState, ShiftConfig } from '@mieruka/protocol';
import { machineRows } from '../test-support/machine-rows.js';
import { sqlBackends, type OpenSqlBackend } from '../test-support/sql-backends.js';
import type { SqlStore, SqlValue } from '../store/sql/sql-store.js';
import { silentLogger } from '../test-support/helpers.js';
import { waitFor } from '../../../test/helpers/wait-for.js';
import { ReportsService, type ReportsServiceOptions } from './reports-service.js';

const H = 3_600_000;
const MIN = 60_000;
const SITE = 'factory';
const ALL_DAYS: ShiftConfig['days'] = ['mon', 'tue', 'wed', 'thu', 'fri', 'sat', 'sun'];

const backends = sqlBackends();
const cleanups: Array<() => Promise<void> | void> = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

async function setupOn(open: OpenSqlBackend, timeZone: string, startAt: number, extra: Partial<ReportsServiceOptions> = {}) {
  const clock = { now: startAt };
  const { sql, sqlite } = await open({ now: () => clock.now });
  const make = (options: Partial<ReportsServiceOptions> = {}) =>
    new ReportsService({ sql: () => sql, timeZone, shifts: [], site: SITE, logger: silentLogger, now: () => clock.now, rollupIntervalMs: 0, aliveIntervalMs: 0, ...extra, ...options });
  const reports = make();
  await reports.start();
  cleanups.push(() => reports.stop());
  const rows = machineRows(sql, SITE);
  const state = (node: string, ts: number, s: MachineState, since = ts) => rows.state(node, ts, s, since);
  const status = (node: string, at: number, online: boolean) => rows.status(node, at, online);
  const event = (node: string, ts: number, seq: number, type: string, data: Record<string, unknown> = {}) => rows.event(node, ts, seq, type, data);
  return { sql, sqlite, reports, clock, state, status, event, make, tz: new LocalTime(timeZone) };
}

describe.each(backends.each)('ReportsService on %s', (_name, open) => {
  const setup = (timeZone: string, startAt: number, extra: Partial<ReportsServiceOptions> = {}) => setupOn(open, timeZone, startAt, extra);
  it('counts a night shift that crosses midnight inside its window only', async () => {
    const tz = new LocalTime('Asia/Tokyo');
    const day = tz.startOfDay('2025-11-24');
    const night: ShiftConfig = { name: 'night', start: '22:00', end: '06:00', days: ALL_DAYS };
    const dayShift: ShiftConfig = { name: 'day', start: '08:00', end: '17:00', days: ['mon', 'tue', 'wed', 'thu', 'fri'] };
    const s = await setup('Asia/Tokyo', day + 40 * H, { shifts: [dayShift, night] });
    await s.state('mill-1', day + 7 * H, 'idle'); // 07:00 idle
    await s.state('mill-1', day + 9 * H, 'running'); // 09:00–12:00 running
    await s.state('mill-1', day + 12 * H, 'off');
    await s.state('mill-1', day + 23 * H, 'running'); // 23:00 – 01:30 next day running
    await s.state('mill-1', day + 25.5 * H, 'idle');
    await s.state('mill-1', day + 30 * H, 'off'); // 06:00 next day
    const report = (await s.reports.usage(SITE, 'mill-1', { from: day, to: day + 24 * H }, 'shift'))!;
    expect(report.rows.map((r) => [r.label, r.shift, tz.iso(r.start), tz.iso(r.end)])).toEqual([
      ['2025-11-24', 'day', '2025-11-24T08:00:00+09:00', '2025-11-24T17:00:00+09:00'],
      ['2025-11-24', 'night', '2025-11-24T22:00:00+09:00', '2025-11-25T06:00:00+09:00'],
    ]);
    const [dayRow, nightRow] = report.rows;
    expect(dayRow!.seconds).toEqual({ off: 5 * 3600, idle: 3600, running: 3 * 3600, unknown: 0 });
    expect(dayRow!.utilization).toBeCloseTo(3 / 9);
    expect(nightRow!.seconds).toEqual({ off: 3600, idle: 4.5 * 3600, running: 2.5 * 3600, unknown: 0 });
    expect(nightRow!.totalS).toBe(8 * 3600);
    expect(report.total.seconds.running).toBe(5.5 * 3600);
  });

  it('reports 23 hour rows on a spring-forward day and 25 on a fall-back day (Europe/Berlin), with day totals to match', async () => {
    const tz = new LocalTime('Europe/Berlin');
    const s = await setup('Europe/Berlin', tz.startOfDay('2025-11-01'));
    await s.state('mill-1', tz.startOfDay('2025-03-29'), 'running');
    await s.state('mill-1', tz.startOfDay('2025-10-27'), 'off');
    for (const [date, hours] of [
      ['2025-03-30', 23],
      ['2025-10-26', 25],
      ['2025-07-01', 24],
    ] as const) {
      const range = { from: tz.startOfDay(date), to: tz.startOfDay(date) + 30 * H };
      const byHour = (await s.reports.usage(SITE, 'mill-1', { from: range.from, to: tz.startOfDay(date) + hours * H }, 'hour'))!;
      expect(byHour.rows, date).toHaveLength(hours);
      expect(byHour.rows.every((r) => r.seconds.running === (r.end - r.start) / 1000)).toBe(true);
      const byDay = (await s.reports.usage(SITE, 'mill-1', range, 'day'))!;
      expect(byDay.rows.map((r) => r.label)).toEqual([date, byDay.rows[1]!.label]);
      expect(byDay.rows[0]!.totalS).toBe(hours * 3600);
      expect(byDay.rows[0]!.utilization).toBe(1);
    }
    // The same again from the stored roll-ups.
    expect((await s.reports.updateRollups())).toBe(0); // queries already brought them up to date
    const fall = (await s.reports.usage(SITE, 'mill-1', { from: tz.startOfDay('2025-10-26'), to: tz.startOfDay('2025-10-27') }, 'hour'))!;
    expect(fall.rows.map((r) => r.label).slice(1, 4)).toEqual(['2025-10-26T01:00:00+02:00', '2025-10-26T02:00:00+02:00', '2025-10-26T02:00:00+01:00']);
  });

  it('counts time as unknown while the agent is offline, and a re-published state with its old since fills the gap', async () => {
    const t0 = Date.UTC(2025, 10, 24, 0, 0);
    const s = await setup('UTC', t0 + 10 * H);
    await s.state('mill-1', t0, 'running');
    await s.status('mill-1', t0 + 2 * H, false); // LWT: from its arrival on, unknown
    await s.state('mill-1', t0 + 3 * H, 'idle', t0 + 3 * H - 5 * MIN); // new agent process: idle since 2:55
    await s.status('mill-2', t0 + 1 * H, false);
    await s.state('mill-2', t0, 'running');
    await s.status('mill-2', t0 + 4 * H, true);
    await s.state('mill-2', t0 + 4 * H, 'running', t0); // reconnected; the machine ran all along
    const mill1 = (await s.reports.timeline(SITE, 'mill-1', { from: t0, to: t0 + 5 * H }))!;
    expect(mill1.intervals.map((i) => [i.state, (i.start - t0) / MIN, i.end === null ? null : (i.end - t0) / MIN])).toEqual([
      ['running', 0, 120],
      ['unknown', 120, 175],
      ['idle', 175, 300],
    ]);
    const mill2 = (await s.reports.timeline(SITE, 'mill-2', { from: t0, to: t0 + 5 * H }))!;
    expect(mill2.intervals.map((i) => i.state)).toEqual(['running']);
    const usage = (await s.reports.usage(SITE, 'mill-1', { from: t0, to: t0 + 5 * H }, 'hour'))!;
    expect(usage.total.seconds).toEqual({ off: 0, idle: 125 * 60, running: 2 * 3600, unknown: 55 * 60 });
    expect(usage.total.utilization).toBeCloseTo(120 / 245);
    expect(usage.total.utilizationOfTotal).toBeCloseTo(120 / 300);

    // The machine list tells the state now: unknown while offline.
    await s.status('mill-1', t0 + 6 * H, false);
    const machines = await s.reports.listMachines([]);
    expect(machines.map((m) => [m.node, m.state, m.since === null ? null : (m.since - t0) / MIN])).toEqual([
      ['mill-1', 'unknown', 360],
      ['mill-2', 'running', 0],
    ]);
  });

  it('counts the time the hub was down as unknown, unless the agent says on reconnect what held since', async () => {
    const t0 = Date.UTC(2025, 10, 24, 0, 0);
    const s = await setup('UTC', t0);
    await s.state('mill-1', t0, 'running');
    await s.state('mill-2', t0, 'off');
    s.clock.now = t0 + 1 * H;
    await s.reports.stop();
    s.clock.now = t0 + 3 * H;
    await s.reports.start();
    await s.state('mill-1', t0 + 3 * H + MIN, 'running', t0); // mill-1's agent re-publishes: running since t0
    await s.state('mill-2', t0 + 3 * H + MIN, 'off', t0 + 3 * H + MIN); // mill-2's agent restarted too
    s.clock.now = t0 + 4 * H;
    const t1 = (await s.reports.timeline(SITE, 'mill-1', { from: t0, to: t0 + 4 * H }))!;
    expect(t1.intervals).toEqual([{ state: 'running', start: t0, end: null }]);
    const t2 = (await s.reports.timeline(SITE, 'mill-2', { from: t0, to: t0 + 4 * H }))!;
    expect(t2.intervals.map((i) => [i.state, (i.start - t0) / MIN])).toEqual([
      ['off', 0],
      ['unknown', 60],
      ['off', 181],
    ]);
  });

  it('lists configured machines that never reported as unknown, and answers null for a node that is no machine', async () => {
    const s = await setup('Asia/Tokyo', Date.UTC(2025, 10, 24), { machines: { 'press-1': { name: 'Press 1' } } });
    await s.sql.run('INSERT INTO motion (site, node, ts, active, received_at) VALUES (?, ?, ?, ?, ?)', [SITE, 'bench-1', Date.UTC(2025, 10, 23), 1, Date.UTC(2025, 10, 23)]);
    expect((await s.reports.listMachines([]))).toEqual([{ site: SITE, node: 'press-1', name: 'Press 1', state: 'unknown', since: null, online: null, lastSeen: null }]);
    const range = { from: Date.UTC(2025, 10, 23), to: Date.UTC(2025, 10, 24) };
    expect((await s.reports.usage(SITE, 'press-1', range, 'day'))!.total.seconds).toEqual({ off: 0, idle: 0, running: 0, unknown: 86_400 });
    expect((await s.reports.timeline(SITE, 'bench-1', range))).toBeNull();
    expect((await s.reports.jobs(SITE, 'bench-1', range))).toBeNull();
    expect((await s.reports.usage(SITE, 'bench-1', range, 'hour'))).toBeNull();
  });

  it('finds jobs from events, and from running stretches where events are missing, with real start and end across the range', async () => {
    const t0 = Date.UTC(2025, 10, 24, 0, 0);
    const s = await setup('UTC', t0 + 10 * H);
    await s.state('mill-1', t0, 'idle');
    await s.state('mill-1', t0 + 1 * H, 'running');
    await s.event('mill-1', t0 + 1 * H, 1, 'run_started');
    await s.state('mill-1', t0 + 2 * H, 'idle');
    await s.event('mill-1', t0 + 2 * H, 2, 'run_finished', { durationS: 3600, startedAt: t0 + 1 * H });
    // An older agent (no events) from here on.
    await s.state('mill-1', t0 + 3 * H, 'running');
    await s.state('mill-1', t0 + 5 * H, 'off');
    await s.state('mill-1', t0 + 8 * H, 'running');
    const all = (await s.reports.jobs(SITE, 'mill-1', { from: t0, to: t0 + 10 * H }))!;
    expect(all.jobs.map((j) => [(j.start - t0) / H, j.end === null ? null : (j.end - t0) / H, j.durationS, j.source, j.partial])).toEqual([
      [1, 2, 3600, 'events', false],
      [3, 5, 7200, 'states', false],
      [8, null, 7200, 'states', false],
    ]);
    // A window inside the second run still shows its real start and end.
    const inside = (await s.reports.jobs(SITE, 'mill-1', { from: t0 + 4 * H, to: t0 + 4.5 * H }))!;
    expect(inside.jobs.map((j) => [(j.start - t0) / H, (j.end! - t0) / H])).toEqual([[3, 5]]);
  });

  it('splits a job that crosses midnight at a month and a year end between the two days, and lists it on both', async () => {
    const tz = new LocalTime('Asia/Tokyo');
    const s = await setup('Asia/Tokyo', tz.startOfDay('2028-01-03'));
    let seq = 0;
    for (const [day, next] of [
      ['2027-02-28', '2027-03-01'],
      ['2027-12-31', '2028-01-01'],
    ] as const) {
      const start = tz.instant(day, 22);
      const end = tz.instant(next, 2, 30);
      await s.state('mill-1', tz.instant(day, 21), 'idle');
      await s.state('mill-1', start, 'running');
      await s.event('mill-1', start, ++seq, 'run_started');
      await s.state('mill-1', end, 'off');
      await s.event('mill-1', end, ++seq, 'run_finished', { durationS: (end - start) / 1000, startedAt: start });
    }
    for (const [day, next] of [
      ['2027-02-28', '2027-03-01'],
      ['2027-12-31', '2028-01-01'],
    ] as const) {
      const range = { from: tz.startOfDay(day), to: tz.startOfDay(addDays(next, 1)) };
      const rows = (await s.reports.usage(SITE, 'mill-1', range, 'day'))!.rows;
      expect(rows.map((r) => [r.label, r.seconds.running]), day).toEqual([
        [day, 2 * 3600],
        [next, 2.5 * 3600],
      ]);
      for (const date of [day, next]) {
        const jobs = (await s.reports.jobs(SITE, 'mill-1', { from: tz.startOfDay(date), to: tz.startOfDay(addDays(date, 1)) }))!.jobs;
        expect(jobs.map((j) => [tz.iso(j.start), j.end === null ? null : tz.iso(j.end), j.durationS]), date).toEqual([[`${day}T22:00:00+09:00`, `${next}T02:30:00+09:00`, 4.5 * 3600]]);
      }
    }
  });

  it('rebuilds the roll-ups when the time zone changes', async () => {
    const tokyo = new LocalTime('Asia/Tokyo');
    const s = await setup('Asia/Tokyo', tokyo.startOfDay('2025-11-25') + 12 * H);
    await s.state('mill-1', tokyo.startOfDay('2025-11-24'), 'running');
    await s.state('mill-1', tokyo.startOfDay('2025-11-25'), 'off');
    await s.reports.updateRollups();
    const tokyoRows = await s.sql.get<{ hour_start: number }>('SELECT hour_start FROM usage_hourly ORDER BY hour_start LIMIT 1');
    expect(tokyoRows!.hour_start).toBe(tokyo.startOfDay('2025-11-24'));
    await s.reports.stop();

    const india = s.make({ timeZone: 'Asia/Kolkata' });
    await india.start();
    cleanups.push(() => india.stop());
    const kolkata = new LocalTime('Asia/Kolkata');
    const day = (await india.usage(SITE, 'mill-1', { from: kolkata.startOfDay('2025-11-23'), to: kolkata.startOfDay('2025-11-24') }, 'day'))!;
    // Tokyo midnight is 20:30 the day before in India: 3.5 h of that day ran.
    expect(day.rows[0]!.seconds.running).toBe(3.5 * 3600);
    const first = await s.sql.get<{ hour_start: number }>('SELECT hour_start FROM usage_hourly ORDER BY hour_start LIMIT 1');
    expect(kolkata.iso(first!.hour_start)).toBe('2025-11-23T20:00:00+05:30');
    // The daily sums were rebuilt in the new zone too: Kolkata's 24th ran from its midnight to 20:30.
    const days = await s.sql.all<{ day_start: number; running_ms: number }>('SELECT day_start, running_ms FROM usage_daily ORDER BY day_start');
    expect(days.map((d) => [kolkata.dateOf(d.day_start), d.running_ms])).toContainEqual(['2025-11-24', 20.5 * H]);
  });

  it('answers a 30-day report from whole-day roll-ups, equal to the hours, and finds the run before the range without sorting older events', async () => {
    const tz = new LocalTime('Europe/Berlin');
    // 30 days across the October DST switch and a month end.
    const first = '2025-10-10';
    const s = await setup('Europe/Berlin', tz.startOfDay('2025-11-09') + 10 * H);
    let seq = 0;
    for (let d = 0; d < 31; d++) {
      const date = addDays(first, d);
      await s.state('mill-1', tz.instant(date, 8), 'idle');
      await s.state('mill-1', tz.instant(date, 9), 'running');
      await s.event('mill-1', tz.instant(date, 9), ++seq, 'run_started');
      await s.state('mill-1', tz.instant(date, 11, 30), 'idle');
      await s.event('mill-1', tz.instant(date, 11, 30), ++seq, 'run_finished', { durationS: 9000, startedAt: tz.instant(date, 9) });
      await s.state('mill-1', tz.instant(date, 17), 'off');
    }
    await s.reports.updateRollups();
    const range = { from: tz.startOfDay('2025-10-11'), to: tz.startOfDay('2025-11-10') };
    const byDay = (await s.reports.usage(SITE, 'mill-1', range, 'day'))!;
    const byHour = (await s.reports.usage(SITE, 'mill-1', range, 'hour'))!;
    const stored = await s.sql.get<{ n: number }>('SELECT count(*) AS n FROM usage_daily');
    expect(stored!.n).toBeGreaterThanOrEqual(29);
    expect(byDay.rows).toHaveLength(30);
    expect(byDay.rows.find((r) => r.label === '2025-10-26')!.totalS).toBe(25 * 3600);
    expect(byDay.rows.slice(0, -1).every((r) => r.seconds.running === 2.5 * 3600)).toBe(true);
    expect(byDay.total).toEqual(byHour.total);
    const jobs = (await s.reports.jobs(SITE, 'mill-1', range))!.jobs;
    expect(jobs).toHaveLength(30);
    // SQLite's plan for the run before the range: the index, no sort (PostgreSQL picks its plan by table size).
    if (s.sqlite) {
      const plan = s.sqlite
        .prepare("EXPLAIN QUERY PLAN SELECT ts, seq, type, data FROM events WHERE site = ? AND node = ? AND type IN ('run_started', 'run_finished') AND ts < ? ORDER BY ts DESC, seq DESC LIMIT 1")
        .all(SITE, 'mill-1', range.from) as Array<{ detail: string }>;
      expect(plan.map((p) => p.detail).join('; ')).not.toMatch(/TEMP B-TREE/);
    }
  });

  it('runs one roll-up update at a time on its timer, and stop() waits for the one under way before it records the stop', async () => {
    const t0 = Date.UTC(2025, 10, 24, 0, 0);
    const s = await setup('UTC', t0 + 2 * H);
    await s.state('mill-1', t0, 'running');
    await s.reports.stop();
    // The update lists the machines first: hold it there until the test opens the gate.
    let open!: () => void;
    const gate = new Promise<void>((resolve) => (open = resolve));
    let updates = 0;
    const held: SqlStore = {
      dialect: s.sql.dialect,
      all: async <T extends object>(text: string, params?: readonly SqlValue[]): Promise<T[]> => {
        if (text.includes('FROM rollup_cursors ORDER BY site, node')) {
          updates++;
          await gate;
        }
        return s.sql.all<T>(text, params);
      },
      get: (text, params) => s.sql.get(text, params),
      run: (text, params) => s.sql.run(text, params),
      transaction: (fn) => s.sql.transaction(fn),
      close: () => s.sql.close(),
    };
    const reports = s.make({ sql: () => held, rollupIntervalMs: 5 });
    await reports.start();
    await waitFor(() => updates === 1, 'the first update started');
    await new Promise((resolve) => setTimeout(resolve, 100)); // twenty ticks while it is held
    expect(updates).toBe(1);
    let stopped = false;
    const stopping = reports.stop().then(() => (stopped = true));
    await new Promise((resolve) => setTimeout(resolve, 20));
    expect(stopped).toBe(false);
    const run = async () => s.sql.get<{ stopped_at: number | null }>('SELECT stopped_at FROM hub_runs ORDER BY id DESC LIMIT 1');
    expect((await run())!.stopped_at).toBeNull();
    open();
    await stopping;
    expect(updates).toBe(1);
    expect((await run())!.stopped_at).toBe(t0 + 2 * H);
    // The held update finished: the machine's hours are stored.
    expect((await s.sql.get<{ n: number }>('SELECT count(*) AS n FROM usage_hourly'))!.n).toBeGreaterThan(0);
  });
});
