/**
 * ProductionService on both stores it can sit on (SQLite, PostgreSQL 15): one day shift of a
 * machine with cycles, a stop, a microstop, energy quarters and readings, a quality entry and a
 * sensor event, written like ingest writes them; every figure checked by hand. (The whole hub,
 * with ingest, is test/hub/oee.hub.test.ts, on SQLite.)
 */
import { afterEach, describe, expect, it } from 'vitest';
import { LocalTime, type ShiftConfig } from '@mieruka/protocol';
import { ReportsService } from '../reports/reports-service.js';
import { machineRows } from '../test-support/machine-rows.js';
import { hubConfig, silentLogger } from '../test-support/helpers.js';
import { sqlBackends, type OpenSqlBackend } from '../test-support/sql-backends.js';
import { DEFAULT_SUPPLY, kWhOf } from './energy.js';
import { ProductionService } from './production-service.js';

const H = 3_600_000;
const MIN = 60_000;
const S = 1000;
const SITE = 'factory';
const MILL = 'mill-1';
const PRESS = 'press-1';
const ALL_DAYS: ShiftConfig['days'] = ['mon', 'tue', 'wed', 'thu', 'fri', 'sat', 'sun'];
const tz = new LocalTime('UTC');
// The clock handed to the services: this day at 17:00 (the shift 08:00–16:00 is over).
const DAY = tz.startOfDay('2026-03-10');
const NOW = DAY + 17 * H;

const backends = sqlBackends();
const cleanups: Array<() => Promise<void> | void> = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

async function setup(open: OpenSqlBackend) {
  const { sql } = await open({ now: () => NOW });
  const config = hubConfig('/nonexistent', {
    timezone: 'UTC',
    machines: { [MILL]: { name: 'Mill', cycles: { aboveA: 8, idealCycleS: 60 } }, [PRESS]: {} },
    shifts: [{ name: 'day', start: '08:00', end: '16:00', days: ALL_DAYS }],
    oee: {
      tariffYenPerKWh: 25,
      askReasonAfterS: 300,
      microstopBelowS: 60,
      reasons: [
        { code: 'breakdown', en: 'Breakdown', ja: '故障', category: 'breakdown' },
        { code: 'setup', en: 'Setup', ja: '段取り', category: 'setup' },
      ],
    },
  });
  const reports = new ReportsService({ sql: () => sql, timeZone: 'UTC', shifts: config.shifts, site: SITE, machines: config.machines, logger: silentLogger, now: () => NOW, rollupIntervalMs: 0, aliveIntervalMs: 0 });
  await reports.start();
  const production = new ProductionService({ sql: () => sql, reports, live: { list: () => [], subscribe: () => () => undefined }, config, logger: silentLogger, now: () => NOW });
  production.start();
  cleanups.push(() => reports.stop(), () => production.stop());

  const rows = machineRows(sql, SITE);
  await rows.state(MILL, DAY + 7 * H, 'idle');
  await rows.state(MILL, DAY + 8 * H, 'running');
  await rows.state(MILL, DAY + 10 * H, 'idle'); // a stop of 30 min
  await rows.state(MILL, DAY + 10.5 * H, 'running');
  await rows.state(MILL, DAY + 12 * H, 'off'); // a microstop of 30 s
  await rows.state(MILL, DAY + 12 * H + 30 * S, 'running');
  await rows.state(MILL, DAY + 16 * H, 'off');
  // 100 cycles of 60 s in the first run, ending 08:01 … 09:40.
  for (let i = 1; i <= 100; i++) {
    const end = DAY + 8 * H + i * MIN;
    await sql.run('INSERT INTO cycles (site, node, seq, start_ts, end_ts, duration_ms, peak_a, mean_a, received_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)', [SITE, MILL, i, end - MIN, end, MIN, 12.5, 9.5, end]);
  }
  // Ampere-seconds as ingest keeps them: 10 A over the quarters 08:00 and 08:15, 2 A idle over 10:00.
  const quarter = 'INSERT INTO energy_quarters (site, node, quarter_start, running_as, idle_as, off_as, unknown_as) VALUES (?, ?, ?, ?, ?, ?, ?)';
  await sql.run(quarter, [SITE, MILL, DAY + 8 * H, 9000, 0, 0, 0]);
  await sql.run(quarter, [SITE, MILL, DAY + 8 * H + 15 * MIN, 9000, 0, 0, 0]);
  await sql.run(quarter, [SITE, MILL, DAY + 10 * H, 0, 1800, 0, 0]);
  // Readings every 10 s over the first quarter and a bit: 20 A until 08:10, then 2 A.
  for (let t = DAY + 8 * H, seq = 1; t <= DAY + 8 * H + 15 * MIN; t += 10 * S) await rows.reading(MILL, t, seq++, [t < DAY + 8 * H + 10 * MIN ? 20 : 2]);
  await rows.event(PRESS, DAY + 9 * H, 1, 'sensor_fault');
  await rows.event(MILL, DAY + 9 * H, 1, 'sensor_ok');
  return { sql, reports, production, config };
}

describe.each(backends.each)('ProductionService on %s', (_name, open) => {
  it('finds the stops, takes reasons and quality entries, and computes OEE, energy, Pareto and the andon board', async () => {
    const { reports, production } = await setup(open);
    const day = { from: DAY, to: DAY + 24 * H };

    const stops = (await production.machineStops(SITE, MILL, day))!;
    expect(stops.stops.map((s) => [s.start, s.end, s.durationS, s.state, s.needsReason])).toEqual([[DAY + 10 * H, DAY + 10.5 * H, 1800, 'idle', true]]);
    expect(stops.microstops).toEqual({ count: 1, totalS: 30 });
    expect((await production.stopsNeedingReason(24 * H)).map((s) => s.start)).toEqual([DAY + 10 * H]);
    expect(await production.machineStops(SITE, 'nobody', day)).toBeNull();

    // Reasons: refused for what is no stop, a microstop or an unknown code; saved for the stop.
    expect(await production.setStopReason({ site: SITE, node: MILL, start: DAY + 12 * H, code: 'breakdown' }, 'chief')).toEqual({ ok: false, error: 'microstop' });
    expect(await production.setStopReason({ site: SITE, node: MILL, start: DAY + 11 * H, code: 'breakdown' }, 'chief')).toEqual({ ok: false, error: 'unknown_stop' });
    expect(await production.setStopReason({ site: SITE, node: MILL, start: DAY + 10 * H, code: 'tea' }, 'chief')).toEqual({ ok: false, error: 'unknown_reason' });
    expect(await production.setStopReason({ site: SITE, node: 'nobody', start: DAY + 10 * H, code: 'setup' }, 'chief')).toEqual({ ok: false, error: 'unknown_machine' });
    expect(await production.setStopReason({ site: SITE, node: MILL, start: DAY + 10 * H, code: 'setup' }, 'chief')).toMatchObject({ ok: true });
    // A second reason replaces the first (the upsert).
    expect(await production.setStopReason({ site: SITE, node: MILL, start: DAY + 10 * H, code: 'breakdown' }, 'boss')).toMatchObject({ ok: true, stop: { reason: { code: 'breakdown', by: 'boss', at: NOW } } });
    expect((await production.machineStops(SITE, MILL, day))!.stops[0]!.reason).toEqual({ code: 'breakdown', by: 'boss', at: NOW });
    expect(await production.stopsNeedingReason(24 * H)).toEqual([]);
    expect(production.refused).toEqual({ microstop: 1, unknown_stop: 1, unknown_reason: 1, unknown_machine: 1 });

    const entry = await production.addQualityEntry({ site: SITE, node: MILL, start: DAY + 8 * H, end: DAY + 16 * H, good: 95, scrap: 5, startupScrap: 0, source: 'dashboard', note: null }, 'chief');
    expect(entry).toMatchObject({ ok: true, entry: { good: 95, scrap: 5, by: 'chief' } });
    expect((await production.listQualityEntries(SITE, MILL, day))!.map((e) => e.good)).toEqual([95]);

    const oee = (await production.machineOee(SITE, MILL, day, 'day'))!;
    const runS = 8 * 3600 - 1800 - 30;
    expect(oee.rows).toHaveLength(1);
    expect(oee.total).toMatchObject({ plannedS: 8 * 3600, noDataS: 0, runS, stopS: 1830, unplannedRunS: 0, cycles: 100, good: 95, scrap: 5 });
    expect(oee.total.availability).toBeCloseTo(runS / (8 * 3600), 9);
    expect(oee.total.performance).toBeCloseTo((100 * 60) / runS, 9);
    expect(oee.total.quality).toBeCloseTo(0.95, 9);
    expect(oee.idealCycle).toEqual({ seconds: 60, source: 'config' });
    expect(oee.total.energy.runningKWh).toBeCloseTo(kWhOf(18_000, DEFAULT_SUPPLY), 9);
    expect(oee.total.energy.idleKWh).toBeCloseTo(kWhOf(1800, DEFAULT_SUPPLY), 9);
    expect(oee.total.energy.costYen).toBeCloseTo(kWhOf(19_800, DEFAULT_SUPPLY) * 25, 9);

    // A range from 08:10 cuts the quarter 08:00: its part from 08:10 comes exactly from the
    // readings (2 A × 300 s), not prorated from the quarter's sum (9000 / 3).
    const cut = (await production.machineOee(SITE, MILL, { from: DAY + 8 * H + 10 * MIN, to: DAY + 24 * H }, 'day'))!;
    expect(cut.total.energy.runningKWh).toBeCloseTo(kWhOf(600 + 9000, DEFAULT_SUPPLY), 9);

    const pareto = await production.downtimePareto(day, null);
    expect(pareto.bars.map((b) => [b.code, b.totalS, b.count])).toEqual([
      ['breakdown', 1800, 1],
      ['microstops', 30, 1],
    ]);

    // Jobs get their cycles (by end) and kWh (none for a job without quarters).
    const jobs = (await reports.jobs(SITE, MILL, day))!.jobs;
    const decorated = await production.decorateJobs(SITE, MILL, jobs);
    expect(decorated.map((j) => [j.start, j.cycles])).toEqual([
      [DAY + 8 * H, 100],
      [DAY + 10.5 * H, 0],
      [DAY + 12 * H + 30 * S, 0],
    ]);
    expect(decorated[0]!.kWh).toBeCloseTo(kWhOf(18_000, DEFAULT_SUPPLY), 9);
    expect(decorated[1]!.kWh).toBeNull();

    const board = await production.andonBoard();
    expect(board.tiles.map((t) => [t.node, t.state, t.sensorFault, t.stop])).toEqual([
      [MILL, 'off', false, null],
      [PRESS, 'unknown', true, null],
    ]);

    const removed = entry.ok ? await production.deleteQualityEntry(entry.entry.id, 'chief') : false;
    expect(removed).toBe(true);
    expect(await production.listQualityEntries(SITE, MILL, day)).toEqual([]);
  });
});
