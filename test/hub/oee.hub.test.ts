/**
 * Production figures on a running hub (docs/oee.md): an edge client publishes states and sensor
 * events over real MQTT; cycles and energy quarter hours (written by ingest in production) are
 * put into the hub's own SQLite; the dashboard's data source answers. Every expected value is
 * computed by hand from the fixture below.
 *
 * The hub's clock is held at yesterday noon (local) and its timers are the test's, so the stop
 * watch is driven without waiting. The night shift 22:00–06:00 of day D (three days before "now")
 * runs past midnight; a day shift 08:00–16:00 holds "now".
 */
import mqtt, { type MqttClient } from 'mqtt';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { addDays, encodePayload, LocalTime, topicFor, type LiveUpdate, type PayloadOf } from '@mieruka/protocol';
import type { Hub } from '@mieruka/broker';
import { createHub } from '@mieruka/cli';
import { closeClient, hubConfig, makeTempDir, silentLogger } from '../../broker/src/test-support/helpers.js';
import { testSiteZone } from '../helpers/test-clock.js';

const SITE = 'factory';
const MILL = 'mill-1';
const LATHE = 'lathe-2';
const PRESS = 'press-3';
const S_ = 1000;
const MIN = 60 * S_;
const H = 60 * MIN;
const ALL = ['mon', 'tue', 'wed', 'thu', 'fri', 'sat', 'sun'];
const zone = testSiteZone();
const clock = new LocalTime(zone);

/** "Now" for the hub: yesterday 12:00 local, from the real clock. */
const today = addDays(clock.dateOf(Date.now()), -1);
let at = clock.instant(today, 12);
const NOW = at;
const D = addDays(today, -2);
/** The night shift of day D. */
const S = clock.instant(D, 22);
const W_END = clock.instant(addDays(D, 1), 6);
const SHIFT_S = (W_END - S) / 1000; // 8 h (9 or 7 across a DST change in zones that have one)

/** Timers on the held clock: they fire when the test moves it. */
const pending = new Map<number, { fn: () => void; due: number }>();
let timerId = 0;
const timers = {
  set: (fn: () => void, ms: number) => {
    pending.set(++timerId, { fn, due: at + ms });
    return timerId;
  },
  clear: (h: unknown) => void pending.delete(h as number),
};
/** The hub's production service, once started: its stop checks are asynchronous (they read the store). */
let production: { settled(): Promise<void> } | null = null;

/** Moves the clock, fires the timers due, and waits for the stop checks they started. */
async function advance(ms: number): Promise<void> {
  at += ms;
  for (const [id, t] of [...pending].sort((a, b) => a[1].due - b[1].due)) {
    if (t.due > at || !pending.has(id)) continue;
    pending.delete(id);
    t.fn();
  }
  await production?.settled();
}

const IDEAL = 60;
const VOLT = 200;
const PF = 0.85;
const TARIFF = 25;
const kWh = (as: number) => (as * VOLT * Math.sqrt(3) * PF) / 3.6e6;

describe('production figures on a running hub', () => {
  let dir: Awaited<ReturnType<typeof makeTempDir>>;
  let hub: Hub;
  let edge: MqttClient;
  const updates: LiveUpdate[] = [];
  let seq = 0;

  const state = (node: string, p: PayloadOf<'state'>) => edge.publishAsync(topicFor(SITE, node, 'state'), encodePayload('state', p), { qos: 1 });
  const event = (node: string, p: Record<string, unknown> & { ts: number; type: string }) =>
    edge.publishAsync(topicFor(SITE, node, 'event'), encodePayload('event', { seq: ++seq, ...p } as PayloadOf<'event'>), { qos: 1 });
  /** A state from `since` (relative to S), reported a second later. */
  const mill = (s: 'off' | 'idle' | 'running' | 'unknown', since: number) => state(MILL, { ts: S + since + (since === -4 * H ? 0 : S_), state: s, since: S + since, irms: [1] });
  const db = () => hub.store.database;
  const shiftRange = { from: clock.startOfDay(D), to: clock.startOfDay(addDays(D, 1)) };

  beforeAll(async () => {
    dir = await makeTempDir();
    hub = createHub({
      config: hubConfig(dir.path, {
        timezone: zone,
        machines: {
          [MILL]: { name: 'Mill', cycles: { aboveA: 8, idealCycleS: IDEAL } },
          [LATHE]: { cycles: { aboveA: 5 } },
          [PRESS]: {},
        },
        shifts: [
          { name: 'night', start: '22:00', end: '06:00', days: ALL },
          { name: 'day', start: '08:00', end: '16:00', days: ALL },
        ],
        oee: {
          tariffYenPerKWh: TARIFF,
          askReasonAfterS: 300,
          microstopBelowS: 60,
          reasons: [
            { code: 'breakdown', en: 'Breakdown', ja: '故障', category: 'breakdown' },
            { code: 'setup', en: 'Setup', ja: '段取り', category: 'setup' },
            { code: 'break', en: 'Break', ja: '休憩', category: 'planned' },
            { code: 'coolant', en: 'Coolant', ja: 'クーラント', category: 'other', machines: [LATHE] },
          ],
        },
      }),
      logger: silentLogger,
      now: () => at,
      timers,
    });
    await hub.start();
    production = hub.production;
    hub.dataSource.subscribe((u) => {
      if (u.type === 'production') updates.push(u);
    });
    edge = mqtt.connect(hub.mqttUrl, { clientId: 'edge-oee', reconnectPeriod: 0 });
    await new Promise<void>((resolve, reject) => {
      edge.once('connect', () => resolve());
      edge.once('error', reject);
    });
    for (const node of [MILL, LATHE, PRESS]) {
      await edge.publishAsync(topicFor(SITE, node, 'status'), encodePayload('status', { online: true, ts: NOW, agent: 'bridge', version: '1' }), { qos: 1, retain: true });
    }

    // mill-1: before the shift (unplanned), then the night shift S … S + 8 h.
    await mill('off', -4 * H); // first state: counts from its ts
    await mill('running', -3 * H); // 1 h of run outside any shift
    await mill('off', -2 * H);
    await mill('running', 30 * MIN); // stop S … S + 30 min (reason given below)
    await mill('idle', 2 * H); // microstop 30 s
    await mill('running', 2 * H + 30 * S_);
    await mill('idle', 2 * H + 10 * MIN); // microstop 20 s
    await mill('running', 2 * H + 10 * MIN + 20 * S_);
    await event(MILL, { ts: S + 3 * H, type: 'sensor_fault', cause: 'at_floor', sinceTs: S + 3 * H - MIN, readingA: 0.01, offLevelA: 0.2 });
    await mill('unknown', 3 * H); // the agent says unknown while the clamp reads its floor: no data
    await event(MILL, { ts: S + 4 * H, type: 'sensor_ok', faultS: 3600 });
    await mill('running', 4 * H);
    await mill('idle', 5 * H); // the planned break
    await mill('running', 6 * H);
    await mill('off', 7 * H); // to the end of the shift and on: unexplained

    // press-3: its sensor is at fault now.
    await state(PRESS, { ts: NOW - 2 * H, state: 'running', since: NOW - 2 * H, irms: [3] });
    await event(PRESS, { ts: NOW - H, type: 'sensor_fault', cause: 'at_floor', sinceTs: NOW - H - MIN, readingA: 0.01, offLevelA: 0.2 });
    await state(PRESS, { ts: NOW - H + S_, state: 'unknown', since: NOW - H, irms: [0.01] });
    await hub.flush();

    // What ingest writes in production: cycles and energy per quarter hour.
    const cycle = db().prepare('INSERT INTO cycles (site, node, seq, start_ts, end_ts, duration_ms, peak_a, mean_a, received_at) VALUES (?, ?, ?, ?, ?, ?, 12, 10, ?)');
    let n = 0;
    const cycles = (node: string, count: number, from: number, to: number, durationMs = IDEAL * S_) => {
      for (let i = 0; i < count; i++) {
        const end = from + Math.floor(((i + 0.5) * (to - from)) / count);
        cycle.run(SITE, node, ++n, end - durationMs, end, durationMs, end);
      }
    };
    cycles(MILL, 50, S + 30 * MIN, S + 2 * H);
    cycles(MILL, 50, S + 2 * H + 11 * MIN, S + 3 * H);
    cycles(MILL, 50, S + 4 * H, S + 5 * H);
    cycles(MILL, 50, S + 6 * H, S + 7 * H);
    cycles(MILL, 30, S - 3 * H, S - 2 * H); // outside the shift
    for (let i = 0; i < 25; i++) cycle.run(SITE, LATHE, ++n, NOW - 5 * H + i * MIN, NOW - 5 * H + i * MIN + (40 + i) * S_, (40 + i) * S_, NOW);
    const quarter = db().prepare('INSERT INTO energy_quarters (site, node, quarter_start, running_as, idle_as, off_as, unknown_as) VALUES (?, ?, ?, ?, ?, ?, 0)');
    for (let q = 0; q < 4; q++) quarter.run(SITE, MILL, S + 4 * H + q * 15 * MIN, 10 * 900, 0, 0); // 10 A running
    for (let q = 0; q < 4; q++) quarter.run(SITE, MILL, S + 5 * H + q * 15 * MIN, 0, 2 * 900, 0); // 2 A idle

    // lathe-2 ran, and stands idle in the day shift since 4 minutes: not yet long enough to ask.
    await state(LATHE, { ts: NOW - 2 * H, state: 'running', since: NOW - 2 * H, irms: [4] });
    await state(LATHE, { ts: NOW - 4 * MIN + S_, state: 'idle', since: NOW - 4 * MIN, irms: [0.8] });
    await hub.flush();
  });

  afterAll(async () => {
    await closeClient(edge);
    await hub?.stop();
    await dir?.remove();
  });

  it('gives, re-classifies and refuses stop reasons', async () => {
    const ds = hub.dataSource;
    expect(await ds.setStopReason({ site: SITE, node: MILL, start: S, code: 'setup' }, 'operator')).toMatchObject({ ok: true, stop: { start: S, end: S + 30 * MIN, durationS: 1800, state: 'off', reason: { code: 'setup', by: 'operator' } } });
    expect(await ds.setStopReason({ site: SITE, node: MILL, start: S, code: 'breakdown' }, 'chief')).toMatchObject({ ok: true, stop: { reason: { code: 'breakdown', by: 'chief', at: NOW } } });
    expect(await ds.setStopReason({ site: SITE, node: MILL, start: S + 5 * H, code: 'break' }, 'chief')).toMatchObject({ ok: true });
    expect(await ds.setStopReason({ site: SITE, node: 'lathe-9', start: S, code: 'setup' }, 'x')).toEqual({ ok: false, error: 'unknown_machine' });
    expect(await ds.setStopReason({ site: SITE, node: MILL, start: S + 1, code: 'setup' }, 'x')).toEqual({ ok: false, error: 'unknown_stop' });
    expect(await ds.setStopReason({ site: SITE, node: MILL, start: S, code: 'coolant' }, 'x')).toEqual({ ok: false, error: 'unknown_reason' }); // offered on lathe-2 only
    expect(await ds.setStopReason({ site: SITE, node: MILL, start: S + 2 * H, code: 'setup' }, 'x')).toEqual({ ok: false, error: 'microstop' });
    expect(updates.filter((u) => u.type === 'production' && u.node === MILL && u.change === 'reason')).toHaveLength(3);
    expect((await ds.downtimeReasons({ site: SITE, node: MILL })).map((r) => r.code)).toEqual(['breakdown', 'setup', 'break']);
    expect((await ds.downtimeReasons(null)).map((r) => r.code)).toContain('coolant');
  });

  it('lists the stops of the night shift with microstops grouped', async () => {
    const list = await hub.dataSource.machineStops(SITE, MILL, { from: S - 6 * H, to: W_END });
    expect(list!.stops.map((s) => [(s.start - S) / MIN, s.end === null ? null : (s.end - S) / MIN, s.reason?.code ?? null, s.needsReason])).toEqual([
      [0, 30, 'breakdown', false],
      [300, 360, 'break', false],
      [420, (W_END - S) / MIN, null, true], // cut at the end of the shift
    ]);
    expect(list!.microstops).toEqual({ count: 2, totalS: 50 });
    expect(await hub.dataSource.machineStops(SITE, 'lathe-9', { from: S, to: W_END })).toBeNull();
  });

  it('checks quality entries: overlaps refused, replaced on request, instants never overlap', async () => {
    const ds = hub.dataSource;
    const base = { site: SITE, node: MILL, source: 'dashboard' as const, note: null };
    const first = await ds.addQualityEntry({ ...base, start: S, end: S + 4 * H, good: 90, scrap: 5, startupScrap: 5 }, 'sv');
    expect(first.ok).toBe(true);
    const id1 = first.ok ? first.entry.id : -1;
    expect(await ds.addQualityEntry({ ...base, start: S + 3 * H, end: S + 8 * H, good: 1, scrap: 0, startupScrap: 0 }, 'sv')).toEqual({ ok: false, error: 'overlaps', overlapping: [id1] });
    const second = await ds.addQualityEntry({ ...base, start: S + 4 * H, end: W_END, good: 95, scrap: 0, startupScrap: 5 }, 'sv'); // touching is fine
    expect(second.ok).toBe(true);
    const button = await ds.addQualityEntry({ ...base, source: 'button', start: S + 5 * H, end: S + 5 * H, good: 2, scrap: 0, startupScrap: 0 }, 'button');
    expect(button.ok).toBe(true);
    const replaced = await ds.addQualityEntry({ ...base, start: S + 4 * H, end: W_END, good: 96, scrap: 0, startupScrap: 4, replace: true }, 'sv');
    expect(replaced).toMatchObject({ ok: true, replaced: [second.ok ? second.entry.id : -1], entry: { good: 96, startupScrap: 4, by: 'sv', at: NOW } });
    expect(await ds.addQualityEntry({ ...base, start: S, end: S - 1, good: 1, scrap: 0, startupScrap: 0 }, 'sv')).toMatchObject({ ok: false, error: 'invalid' });
    expect(await ds.addQualityEntry({ ...base, start: NOW, end: NOW + 2 * MIN, good: 1, scrap: 0, startupScrap: 0 }, 'sv')).toMatchObject({ ok: false, error: 'invalid', detail: 'end is in the future' });
    expect(await ds.addQualityEntry({ ...base, start: S, end: S, good: -1, scrap: 0, startupScrap: 0 }, 'sv')).toMatchObject({ ok: false, error: 'invalid' });
    expect(await ds.addQualityEntry({ ...base, node: 'lathe-9', start: S, end: S, good: 1, scrap: 0, startupScrap: 0 }, 'sv')).toEqual({ ok: false, error: 'unknown_machine' });
    // A typing mistake, deleted.
    const typo = await ds.addQualityEntry({ ...base, start: NOW - H, end: NOW, good: 999, scrap: 0, startupScrap: 0 }, 'sv');
    expect(await ds.deleteQualityEntry(typo.ok ? typo.entry.id : -1, 'sv')).toBe(true);
    expect(await ds.deleteQualityEntry(typo.ok ? typo.entry.id : -1, 'sv')).toBe(false);
    const entries = await ds.listQualityEntries(SITE, MILL, { from: S, to: NOW });
    expect(entries!.map((e) => [e.good, e.scrap, e.startupScrap, e.source])).toEqual([
      [90, 5, 5, 'dashboard'],
      [2, 0, 0, 'button'],
      [96, 0, 4, 'dashboard'],
    ]);
    expect(updates.filter((u) => u.type === 'production' && u.change === 'quality').length).toBe(6); // five saved, one deleted
    // Every refusal so far (the reasons test included) is counted by its error.
    expect(hub.production.refused).toEqual({ unknown_machine: 2, unknown_stop: 1, unknown_reason: 1, microstop: 1, overlaps: 1, invalid: 3 });
  });

  it('computes the night shift across midnight by hand', async () => {
    const report = (await hub.dataSource.machineOee(SITE, MILL, shiftRange, 'shift'))!;
    expect(report.rows.map((r) => [r.shift, r.label])).toEqual([
      ['day', D],
      ['night', D],
    ]);
    // The day shift of D was before the machine's first state: planned, but no data.
    expect(report.rows[0]).toMatchObject({ availability: null, noDataS: 8 * 3600 });
    expect(report.rows[0]!.missing).toContain('data');

    const night = report.rows[1]!;
    const planned = SHIFT_S - 3600; // minus the planned break
    const noData = 3600;
    expect(night.start).toBe(S);
    expect(night.plannedS).toBe(planned);
    expect(night.noDataS).toBe(noData);
    expect(night.runS).toBe(5400 + 570 + 2980 + 3600 + 3600);
    expect(night.stopS).toBe(planned - noData - night.runS);
    expect(night.unplannedRunS).toBe(0);
    expect(night.cycles).toBe(200);
    expect([night.good, night.scrap, night.startupScrap]).toEqual([188, 5, 9]);
    const A = night.runS / (planned - noData);
    const P = (IDEAL * 200) / night.runS;
    const Q = 188 / 202;
    expect(night.availability).toBeCloseTo(A, 12);
    expect(night.performance).toBeCloseTo(P, 12);
    expect(night.quality).toBeCloseTo(Q, 12);
    expect(night.oee).toBeCloseTo(A * P * Q, 12);
    expect(night.missing).toEqual([]);
    expect(night.losses).toEqual({
      breakdownS: 1800,
      setupS: 0,
      unexplainedS: (W_END - S) / 1000 - 7 * 3600,
      otherS: 0,
      minorStopS: 50,
      reducedSpeedS: night.runS - IDEAL * 200,
      defectS: IDEAL * 5,
      startupS: IDEAL * 9,
    });
    expect(night.energy.runningKWh).toBeCloseTo(kWh(36_000), 12);
    expect(night.energy.idleKWh).toBeCloseTo(kWh(7200), 12);
    expect(night.energy.kWh).toBeCloseTo(kWh(43_200), 12);
    expect(night.energy.costYen).toBeCloseTo(kWh(43_200) * TARIFF, 12);
    expect(night.energy.idleCostYen).toBeCloseTo(kWh(7200) * TARIFF, 12);
    expect(report.idealCycle).toEqual({ seconds: IDEAL, source: 'config' });
    expect(report.tariffYenPerKWh).toBe(TARIFF);
  });

  it('cuts the night shift at midnight by day, and groups days into the month', async () => {
    const byDay = (await hub.dataSource.machineOee(SITE, MILL, shiftRange, 'day'))!;
    expect(byDay.rows).toHaveLength(1);
    const d = byDay.rows[0]!;
    const early = (clock.instant(D, 6) - clock.startOfDay(D)) / 1000; // 6 h (but for a DST change that night)
    // Day D: 00:00–06:00 of the night shift that began the day before and the day shift (no data
    // yet: the machine's first state is at 18:00), then 22:00–24:00 of the night shift of D.
    expect(d).toMatchObject({ label: D, shift: null, plannedS: early + 8 * 3600 + 7200, noDataS: early + 8 * 3600, runS: 5400, unplannedRunS: 3600, cycles: 80, quality: null, oee: null });
    expect(d.availability).toBeCloseTo(5400 / 7200, 12);
    expect(d.performance).toBeCloseTo((IDEAL * 50) / 5400, 12);
    const byMonth = (await hub.dataSource.machineOee(SITE, MILL, shiftRange, 'month'))!;
    expect(byMonth.rows.map((r) => [r.label, r.plannedS, r.runS])).toEqual([[D.slice(0, 7), early + 8 * 3600 + 7200, 5400]]);
  });

  it('books run time outside the shifts as unplanned, hour by hour', async () => {
    const report = (await hub.dataSource.machineOee(SITE, MILL, { from: S - 4 * H, to: W_END }, 'hour'))!;
    const before = report.rows.filter((r) => r.start < S);
    expect(before.reduce((t, r) => t + r.unplannedRunS, 0)).toBe(3600);
    for (const r of before) expect(r).toMatchObject({ plannedS: 0, availability: null, oee: null });
    for (const r of before) expect(r.missing).toContain('plan');
    const inShift = report.rows.filter((r) => r.start >= S);
    expect(inShift.reduce((t, r) => t + r.plannedS, 0)).toBe(SHIFT_S - 3600);
    expect(inShift.reduce((t, r) => t + r.cycles, 0)).toBe(200);
    expect(report.total.unplannedRunS).toBe(3600);
    expect(report.total.cycles).toBe(230); // the 30 outside the shift count as cycles, not in performance
    expect(report.total.performance).toBeCloseTo((IDEAL * 200) / report.total.runS, 12);
  });

  it('fills cycles and kWh into the jobs', async () => {
    const { jobs } = (await hub.dataSource.machineJobs(SITE, MILL, { from: S + 4 * H, to: S + 5 * H }))!;
    expect(jobs).toEqual([expect.objectContaining({ start: S + 4 * H, end: S + 5 * H, cycles: 50 })]);
    expect(jobs[0]!.kWh).toBeCloseTo(kWh(36_000), 12);
    const press = await hub.dataSource.machineJobs(SITE, PRESS, { from: NOW - 3 * H, to: NOW });
    expect(press!.jobs[0]).toMatchObject({ cycles: null, kWh: null }); // no cycles config, no readings
  });

  it('learns the ideal cycle from 20 or more cycles', async () => {
    const report = (await hub.dataSource.machineOee(SITE, LATHE, { from: NOW - 6 * H, to: NOW }, 'day'))!;
    expect(report.idealCycle).toEqual({ seconds: 42, source: 'learned' }); // 10th percentile of 40 … 64 s
  });

  it('gives the Pareto of lost time without planned stops', async () => {
    const p = await hub.dataSource.downtimePareto({ from: S, to: W_END }, { site: SITE, node: MILL });
    expect(p.bars.map((b) => [b.code, b.totalS, b.count])).toEqual([
      ['unexplained', (W_END - S) / 1000 - 7 * 3600, 1],
      ['breakdown', 1800, 1],
      ['microstops', 50, 2],
    ]);
  });

  it('announces a stop once it needs a reason, on the clock the hub was given', async () => {
    const lathe = () => updates.filter((u) => u.type === 'production' && u.node === LATHE && u.change === 'stop');
    expect(lathe()).toHaveLength(0);
    expect((await hub.dataSource.stopsNeedingReason(H)).map((s) => s.node)).not.toContain(LATHE);
    await advance(59 * S_);
    expect(lathe()).toHaveLength(0);
    await advance(1 * S_); // 5 minutes idle: askReasonAfterS
    expect(lathe()).toHaveLength(1);
    const waiting = await hub.dataSource.stopsNeedingReason(H);
    expect(waiting.find((s) => s.node === LATHE)).toMatchObject({ start: NOW - 4 * MIN, end: null, durationS: 300, needsReason: true });
    await advance(10 * MIN);
    expect(lathe()).toHaveLength(1); // once per stop
  });

  it('offers the reasons an admin saved, at once', async () => {
    const view = await hub.dataSource.getSettings();
    const reasons = [...(view.settings.downtimeReasons ?? []), { code: 'cleaning', en: 'Cleaning', ja: '清掃', category: 'other' as const, machines: [MILL] }];
    const saved = await hub.dataSource.updateSettings({ ...view.settings, downtimeReasons: reasons }, view.version, 'boss');
    expect(saved.outcome).toBe('saved');
    expect((await hub.dataSource.downtimeReasons({ site: SITE, node: MILL })).map((r) => r.code)).toEqual(['breakdown', 'setup', 'break', 'cleaning']);
    expect((await hub.dataSource.downtimeReasons({ site: SITE, node: LATHE })).map((r) => r.code)).toEqual(['breakdown', 'setup', 'break', 'coolant']);
    expect(await hub.dataSource.setStopReason({ site: SITE, node: MILL, start: S + 7 * H, code: 'cleaning' }, 'chief')).toMatchObject({ ok: true });
    const p = await hub.dataSource.downtimePareto({ from: S, to: W_END }, { site: SITE, node: MILL });
    expect(p.bars.map((b) => [b.code, b.category, b.en])).toEqual([
      ['cleaning', 'other', 'Cleaning'],
      ['breakdown', 'breakdown', 'Breakdown'],
      ['microstops', 'minor_stop', 'Minor stops'],
    ]);
  });

  it('shows every machine on the andon board', async () => {
    const board = await hub.dataSource.andonBoard();
    const tile = (node: string) => board.tiles.find((t) => t.node === node)!;
    expect(board.tiles.map((t) => t.node)).toEqual([LATHE, MILL, PRESS]);
    expect(tile(PRESS)).toMatchObject({ state: 'unknown', sensorFault: true, stop: null });
    expect(tile(MILL)).toMatchObject({ name: 'Mill', state: 'off', sensorFault: false, stop: { start: clock.instant(today, 8), reason: null, needsReason: true } });
    expect(tile(MILL).today).toMatchObject({ availability: 0, oee: 0, cycles: 0 });
    expect(tile(LATHE).stop).toMatchObject({ start: NOW - 4 * MIN, needsReason: true });
    expect(board.reasons.map((r) => r.code)).toEqual(['breakdown', 'setup', 'break', 'coolant', 'cleaning']);
  });
});
