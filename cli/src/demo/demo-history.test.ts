/**
 * The demo's history on the real hub (aedes, SQLite, alert engine, dashboard on port 0), with
 * the simulated agents running in-process: 30 days of utilization (weekdays busy, weekends
 * zero), jobs, alarms acknowledged and open, the bench calendar with three scores per weekday,
 * and production figures (OEE parts, losses, kWh, a Pareto with reasons).
 * A second start on the same data dir adds nothing; `historyDays: 0` starts empty. Dates come
 * from the clock the test gives the demo.
 */
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { addDays, LocalTime, weekdayOf, type AlarmItem } from '@mieruka/protocol';
import { hubConfig, makeTempDir, silentLogger, waitFor } from '../../../broker/src/test-support/helpers.js';
import { login } from '../../../test/helpers/dashboard-client.js';
import { stoppedClock, testSiteZone } from '../../../test/helpers/test-clock.js';
import { Demo } from './demo.js';
import { DEMO_IDEAL_CYCLE_S } from './demo-machines.js';

const SITE = 'factory';
const PASSWORD = 'demo-password-1';
const isWorkday = (date: string) => weekdayOf(date) >= 1 && weekdayOf(date) <= 5;

describe('demo with history', () => {
  const cleanups: (() => Promise<unknown> | unknown)[] = [];
  afterEach(async () => {
    for (const c of cleanups.splice(0).reverse()) await c();
  });

  const clock = stoppedClock();
  const zone = testSiteZone();
  const local = new LocalTime(zone);
  const today = local.dateOf(clock.at);
  const firstDate = addDays(today, -30);
  /** The 30 finished days before today. */
  const past = { from: local.startOfDay(firstDate), to: local.startOfDay(today) };

  async function startDemo(dataDir: string, historyDays?: number, overrides: Record<string, unknown> = {}): Promise<Demo> {
    const config = hubConfig(dataDir, { timezone: zone, dashboard: { adminPassword: PASSWORD }, ...overrides });
    // One live shot at the start, then none for an hour: today's calendar is not the subject.
    const demo = new Demo({ config, logger: silentLogger, serial: 'in-process', now: clock, clutterIntervalS: 3600, ...(historyDays === undefined ? {} : { historyDays }) });
    cleanups.push(() => demo.stop());
    await demo.start();
    return demo;
  }

  const pastAlarms = async (demo: Demo): Promise<AlarmItem[]> => (await demo.hub.alerts.listAlarms({ state: 'history', limit: 5000 })).filter((a) => a.activeSince < past.to);

  /** Scores per day before today, from the dashboard's API. */
  async function calendar(demo: Demo): Promise<Map<string, number>> {
    const cookie = await login(demo.hub.httpUrl, 'admin', PASSWORD);
    const counts = new Map<string, number>();
    // Every month the 30 days touch (three when they start on a 30th or 31st and end on a 1st).
    const months = new Set<string>();
    for (let d = firstDate; d < today; d = addDays(d, 1)) months.add(d.slice(0, 7));
    for (const month of months) {
      const res = await fetch(`${demo.hub.httpUrl}/api/benches/${SITE}/${demo.stationId}/calendar?month=${month}`, { headers: { cookie } });
      expect(res.status).toBe(200);
      // Today has the live station's shots, whenever they come: only the past is compared.
      for (const d of ((await res.json()) as { days: Array<{ date: string; count: number }> }).days) if (d.date < today) counts.set(d.date, d.count);
    }
    return counts;
  }

  it('backfills 30 days through the hub: utilization, jobs, alarms and the bench calendar; a restart adds nothing', async () => {
    const dir = await makeTempDir();
    cleanups.push(() => dir.remove());
    const dataDir = join(dir.path, 'data');
    const demo = await startDemo(dataDir);
    expect(demo.history).toMatchObject({ backfilled: true, days: 30 });
    const { hub } = demo;

    // Utilization per local day: busy on weekdays, zero (but known: the machine was off) at weekends.
    for (const node of demo.machineIds) {
      const usage = await hub.reports.usage(SITE, node, past, 'day');
      expect(usage?.rows.map((r) => r.label)).toEqual(Array.from({ length: 30 }, (_v, i) => addDays(firstDate, i)));
      for (const row of usage!.rows) {
        expect(row.seconds.unknown, `${node} ${row.label} unknown`).toBe(0);
        if (isWorkday(row.label)) expect(row.utilization, `${node} ${row.label}`).toBeGreaterThan(0.05);
        else expect(row.utilization, `${node} ${row.label}`).toBe(0);
      }
      const jobs = (await hub.reports.jobs(SITE, node, past))!.jobs;
      expect(jobs.length).toBeGreaterThan(40);
      expect(jobs.some((j) => j.durationS >= 4 * 3600)).toBe(true);
    }

    // Production figures of the last finished week, from the hub's own production service:
    // Performance from the history's cycles, Quality from the daily entries, energy from readings.
    const week = { from: local.startOfDay(addDays(today, -7)), to: past.to };
    expect(demo.history).toMatchObject({ backfilled: true });
    if (demo.history.backfilled) {
      expect(demo.history.qualityEntries).toBeGreaterThan(20);
      expect(demo.history.reasons).toBeGreaterThan(5);
    }
    for (const node of demo.machineIds) {
      const oee = (await hub.dataSource.machineOee(SITE, node, week, 'day'))!;
      expect(oee.idealCycle).toEqual({ seconds: DEMO_IDEAL_CYCLE_S, source: 'config' });
      const worked = oee.rows.filter((r) => isWorkday(r.label) && r.runS > 0);
      expect(worked.length).toBeGreaterThanOrEqual(4);
      for (const row of worked) {
        expect(row.cycles, `${node} ${row.label}`).toBeGreaterThan(0);
        expect(row.performance, `${node} ${row.label} performance`).toBeGreaterThan(0.6);
        expect(row.performance, `${node} ${row.label} performance`).toBeLessThan(0.95);
        expect(row.quality, `${node} ${row.label} quality`).toBeGreaterThan(0.95);
        expect(row.quality, `${node} ${row.label} quality`).toBeLessThan(1);
        expect(row.oee).not.toBeNull();
      }
      // Energy of the last two working days: running and idle current, more running than idle.
      for (const row of worked.slice(-2)) {
        expect(row.energy.kWh, `${node} ${row.label} kWh`).toBeGreaterThan(0);
        expect(row.energy.runningKWh).toBeGreaterThan(row.energy.idleKWh);
        expect(row.energy.idleKWh).toBeGreaterThan(0);
      }
      // The month's losses: slow cycles, scrap, and stops with and without a reason.
      const losses = (await hub.dataSource.machineOee(SITE, node, past, 'month'))!.total.losses;
      expect(losses.reducedSpeedS).toBeGreaterThan(0);
      expect(losses.defectS).toBeGreaterThan(0);
      expect(losses.unexplainedS).toBeGreaterThan(0);
      expect(losses.breakdownS + losses.setupS + losses.otherS).toBeGreaterThan(0);
    }
    // The Pareto has reasons (the stoppage a breakdown) next to the unexplained stops.
    const pareto = await hub.dataSource.downtimePareto(past, null);
    const codes = pareto.bars.map((b) => b.code);
    expect(codes).toContain('unexplained');
    expect(codes).toContain('breakdown');
    expect(pareto.bars.filter((b) => b.category !== 'unexplained' && b.category !== 'minor_stop').length).toBeGreaterThanOrEqual(2);
    const monthOee = async (d: Demo) => Promise.all(d.machineIds.map(async (n) => (await d.hub.dataSource.machineOee(SITE, n, past, 'month'))!.total));

    // Alarms raised by the rules at the time, some acknowledged then, some still open.
    const alarms = await pastAlarms(demo);
    const stopped = alarms.filter((a) => a.type === 'machine_stopped');
    expect(stopped).toHaveLength(1);
    expect(stopped[0]).toMatchObject({ node: demo.machineIds[0], acknowledged: true, acknowledgedBy: 'demo-foreman', active: false });
    expect(local.parts(stopped[0]!.activeSince)).toMatchObject({ hour: 10, minute: 20 });
    expect(stopped[0]!.clearedAt! - stopped[0]!.activeSince).toBeGreaterThanOrEqual(3 * 3_600_000);
    expect(stopped[0]!.acknowledgedAt! - stopped[0]!.activeSince).toBe(15 * 60_000);
    const clutter = alarms.filter((a) => a.type === 'clutter_high');
    expect(clutter.length).toBeGreaterThan(3);
    expect(clutter.every((a) => weekdayOf(local.dateOf(a.activeSince)) >= 4)).toBe(true); // Thursday or Friday: the messy days
    expect(alarms.some((a) => a.acknowledged && a.acknowledgedAt! < past.to)).toBe(true);
    expect(alarms.some((a) => !a.acknowledged)).toBe(true);
    expect(alarms.some((a) => a.type === 'job_finished')).toBe(true);

    // The bench calendar over the dashboard's API: three scores on every weekday, none at weekends.
    const days = await calendar(demo);
    for (let d = firstDate; d < today; d = addDays(d, 1)) expect(days.get(d), d).toBe(isWorkday(d) ? 3 : undefined);

    // The live agents continue the history's seqs: their first messages are taken, none is a duplicate.
    await waitFor(() => hub.live.get(SITE, demo.stationId)?.clutter?.slot === 'demo', "the live station's first shot", 30_000);
    expect(hub.ingestStats().duplicates.total).toBe(0);

    // A second start on the same data dir keeps the history as it is.
    const before = { alarms: alarms.length, jobs: await Promise.all(demo.machineIds.map(async (n) => (await hub.reports.jobs(SITE, n, past))!.jobs.length)), days: [...days], oee: await monthOee(demo) };
    await demo.stop();
    const again = await startDemo(dataDir);
    expect(again.history).toEqual({ backfilled: false, reason: 'data-dir-in-use' });
    expect((await pastAlarms(again)).length).toBe(before.alarms);
    expect(await Promise.all(again.machineIds.map(async (n) => (await again.hub.reports.jobs(SITE, n, past))!.jobs.length))).toEqual(before.jobs);
    expect([...(await calendar(again))]).toEqual(before.days);
    expect(await monthOee(again)).toEqual(before.oee);
  });

  it('starts empty with historyDays 0', async () => {
    const dir = await makeTempDir();
    cleanups.push(() => dir.remove());
    const demo = await startDemo(join(dir.path, 'data'), 0);
    expect(demo.history).toEqual({ backfilled: false, reason: 'off' });
    expect(await pastAlarms(demo)).toEqual([]);
    // The station may not have taken its first live shot yet: no scores, or none before today.
    expect((await demo.hub.clutter.scores(SITE, demo.stationId, past, 100)) ?? []).toEqual([]);
    expect((await demo.hub.reports.jobs(SITE, demo.machineIds[0]!, past))?.jobs ?? []).toEqual([]);
  });

  it('backfills nothing when alert channels are configured: the past alarms would be sent', async () => {
    const dir = await makeTempDir();
    cleanups.push(() => dir.remove());
    // A webhook to a closed loopback port: nothing is listening, nothing may be posted anyway.
    const demo = await startDemo(join(dir.path, 'data'), undefined, { alerts: { webhooks: [{ name: 'chat', url: 'http://127.0.0.1:9/hook' }] } });
    expect(demo.history).toEqual({ backfilled: false, reason: 'alert-channels' });
    expect(await pastAlarms(demo)).toEqual([]);
  });
});
