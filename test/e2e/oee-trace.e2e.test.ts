/**
 * Issue 20's "done when", on real parts: a recorded-like current trace written as ESP32 `rms`
 * lines into a real pty (socat) → SerialLineReader → CurrentAgent (cycle detection, sensor
 * floor watch) → MqttNodeLink → the hub (aedes, SQLite, production service). The night shift
 * runs across midnight; the clamp is unplugged for three minutes mid-shift. Cycles, the OEE
 * parts, the stop's reason, the Pareto and the kWh are checked against values computed by hand
 * from the trace below (docs/oee.md has the formulas).
 *
 * One clock: every reading is stamped by the agent with the test clock, which the source
 * adapter sets from the line's `uptimeMs` (the ESP32's own time) before the agent sees it; the
 * hub is given the same clock. The trace's dates come from that clock's start, derived from the
 * real date, never from a fixed calendar day.
 */
import { EventEmitter, once } from 'node:events';
import { createWriteStream, type WriteStream } from 'node:fs';
import { join } from 'node:path';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Hub } from '@mieruka/broker';
import { createHub } from '@mieruka/cli';
import { CurrentAgent, MqttNodeLink } from '@mieruka/edge';
import { PtyPair, SerialLineReader } from '@mieruka/firmware-bridge';
import { MachineConfig, parseConfig, type HostCommand, type SerialMessage, type SerialMessageSource, type SerialSourceEvents } from '@mieruka/protocol';
import { addDays, localTimeFor } from '@mieruka/protocol/model';
import { makeTempDir } from '../helpers/temp-dir.js';
import { testSiteZone } from '../helpers/test-clock.js';
import { waitFor } from '../helpers/wait-for.js';

const logger = pino({ level: 'silent' });
const SITE = 'factory';
const NODE = 'lathe-1';
const ZONE = testSiteZone();

/** Sets the shared clock from each rms line's device uptime, then hands the message on. */
class DeviceTimedSource extends EventEmitter<SerialSourceEvents> implements SerialMessageSource {
  constructor(
    private readonly inner: SerialLineReader,
    private readonly setClock: (uptimeMs: number) => void,
  ) {
    super();
    inner.on('message', (m: SerialMessage) => {
      if (m.type === 'rms') this.setClock(m.uptimeMs);
      this.emit('message', m);
    });
    inner.on('skip', (s) => this.emit('skip', s));
    inner.on('open', (p) => this.emit('open', p));
    inner.on('status', (s) => this.emit('status', s));
  }
  start() { return this.inner.start(); }
  stop() { return this.inner.stop(); }
  write(command: HostCommand) { return this.inner.write(command); }
  stats() { return this.inner.stats(); }
}

// The trace, second by second from 23:40 local (one reading a second):
//   23:40–23:50 running, 10 cycles   (each minute: 10 s at 5 A, 40 s at 12 A, 10 s at 5 A)
//   23:50–23:55 idle at 1.5 A        (a 300 s stop: asks for a reason; given "setup")
//   23:55–00:05 running, 10 cycles   (across midnight: 5 before, 5 after)
//   00:05–00:08 clamp unplugged      (0.00 A: the ADC's floor, below the machine's 0.3 A off level)
//   00:08–00:20 running, 12 cycles
const SEGMENTS: Array<{ seconds: number; amps: (s: number) => number }> = [
  { seconds: 600, amps: cycling },
  { seconds: 300, amps: () => 1.5 },
  { seconds: 600, amps: cycling },
  { seconds: 180, amps: () => 0 },
  { seconds: 720, amps: cycling },
];
function cycling(s: number): number {
  const inMinute = s % 60;
  return inMinute >= 10 && inMinute < 50 ? 12 : 5;
}
const TRACE_S = SEGMENTS.reduce((n, g) => n + g.seconds, 0); // 2400

// Hand values.
const RUN_S = 600 + 600 + 720;
const NO_DATA_S = 180;
const PLANNED_S = TRACE_S;
const CYCLES = 10 + 10 + 12;
const IDEAL_S = 45;
const GOOD = 30;
const SCRAP = 2;
const availability = RUN_S / (PLANNED_S - NO_DATA_S);
const performance = (IDEAL_S * CYCLES) / RUN_S;
const quality = GOOD / (GOOD + SCRAP);
// 200 V three-phase, power factor 0.85: kWh per ampere-second.
const KWH_PER_AS = (200 * Math.sqrt(3) * 0.85) / 3.6e6;
const RUNNING_AS = CYCLES * (20 * 5 + 40 * 12);
const IDLE_AS = 300 * 1.5;

describe('a current trace across midnight through the real bridge → hub path: cycles, OEE, reasons, kWh', () => {
  let dir: Awaited<ReturnType<typeof makeTempDir>>;
  let hub: Hub;
  let pty: PtyPair;
  let link: MqttNodeLink;
  let agent: CurrentAgent;
  let device: WriteStream;
  let clock: number;
  let start: number; // 23:40 local
  let midnight: number;
  const local = localTimeFor(ZONE);

  beforeAll(async () => {
    dir = await makeTempDir();
    // Yesterday's date in the site's zone (from the real clock), so the trace lies in the past.
    const today = local.dateOf(Date.now());
    start = local.instant(addDays(today, -1), 23, 40);
    midnight = local.startOfDay(today);
    clock = start - 60_000;
    const now = () => clock;

    const machine = {
      offBelowA: 0.5,
      runningAboveA: 3,
      minDwellS: 0,
      cycles: { aboveA: 8, minS: 2, minGapS: 1, idealCycleS: IDEAL_S },
      sensor: { floorA: 0.02, floorAfterS: 60, offLevelA: 0.3 },
    };
    const config = parseConfig({
      overrides: {
        site: SITE,
        timezone: ZONE,
        shifts: [{ name: 'night', start: '22:00', end: '06:00', days: ['mon', 'tue', 'wed', 'thu', 'fri', 'sat', 'sun'] }],
        machines: { [NODE]: machine },
        hub: { dataDir: join(dir.path, 'hub'), mqtt: { host: '127.0.0.1', port: 0 }, http: { host: '127.0.0.1', port: 0 }, ingest: { flushIntervalMs: 20 } },
        dashboard: { adminPassword: 'e2e-password-123' },
      },
    });
    hub = createHub({ config, logger, now });
    await hub.start();

    pty = await PtyPair.open({ dir: dir.path });
    const reader = new SerialLineReader({ path: pty.hostPath, logger });
    const source = new DeviceTimedSource(reader, (uptimeMs) => (clock = start + uptimeMs));
    link = new MqttNodeLink({ url: hub.mqttUrl, site: SITE, node: NODE, agent: 'bridge', version: 'test', dataDir: join(dir.path, 'agent'), logger, now });
    await link.start();
    agent = new CurrentAgent({ link, source, machine: MachineConfig.parse(machine), logger, now });
    await agent.start();
    await waitFor(() => reader.stats().open, 'the bridge to open the pty');
    device = createWriteStream(pty.devicePath);
    await once(device, 'open');
  });

  afterAll(async () => {
    device?.destroy();
    await agent?.stop();
    await link?.stop();
    await pty?.close();
    await hub?.stop();
    await dir?.remove();
  });

  it('stores every reading of the trace', async () => {
    const lines: string[] = [JSON.stringify({ type: 'hello', fw: '1.0.0', id: 'e2e', channels: 1, intervalMs: 1000 })];
    let t = 0;
    for (const segment of SEGMENTS) {
      for (let s = 0; s < segment.seconds; s++, t++) lines.push(JSON.stringify({ type: 'rms', seq: t, uptimeMs: t * 1000, irms: [segment.amps(s)] }));
    }
    // One more reading closes the last second.
    lines.push(JSON.stringify({ type: 'rms', seq: t, uptimeMs: t * 1000, irms: [5] }));
    for (const line of lines) if (!device.write(`${line}\n`)) await once(device, 'drain');

    const db = hub.store.database;
    await waitFor(() => (db.prepare('SELECT count(*) AS n FROM readings WHERE node = ?').get(NODE) as { n: number }).n === TRACE_S + 1, 'every reading stored', 60_000);
    await waitFor(() => (db.prepare('SELECT count(*) AS n FROM cycles WHERE node = ?').get(NODE) as { n: number }).n === CYCLES, `${CYCLES} cycles stored`, 30_000);
    clock = start + TRACE_S * 1000;
  });

  it('counts the cycles per hour across midnight and books the unplugged clamp as no data, not as a stop', async () => {
    const report = await hub.dataSource.machineOee(SITE, NODE, { from: start, to: start + TRACE_S * 1000 }, 'hour');
    expect(report).not.toBeNull();
    const rows = report!.rows.filter((r) => r.plannedS > 0);
    const before = rows.find((r) => r.start < midnight)!;
    const after = rows.find((r) => r.start >= midnight)!;
    expect(before.cycles).toBe(10 + 5);
    expect(after.cycles).toBe(5 + 12);
    expect(after.noDataS).toBeCloseTo(NO_DATA_S, 0);
    expect(before.noDataS).toBe(0);

    const stops = await hub.dataSource.machineStops(SITE, NODE, { from: start, to: start + TRACE_S * 1000 });
    expect(stops!.stops.map((s) => ({ start: s.start, durationS: Math.round(s.durationS), state: s.state }))).toEqual([{ start: start + 600_000, durationS: 300, state: 'idle' }]);
    expect(stops!.stops[0]!.needsReason).toBe(true);
  });

  it('a reason and a quality entry give the hand-computed OEE parts, Pareto and energy', async () => {
    const reason = await hub.dataSource.setStopReason({ site: SITE, node: NODE, start: start + 600_000, code: 'setup' }, 'admin');
    expect(reason.ok).toBe(true);
    const entry = await hub.dataSource.addQualityEntry({ site: SITE, node: NODE, start, end: start + TRACE_S * 1000, good: GOOD, scrap: SCRAP, startupScrap: 0, source: 'dashboard', note: null }, 'admin');
    expect(entry.ok).toBe(true);

    const report = await hub.dataSource.machineOee(SITE, NODE, { from: start, to: start + TRACE_S * 1000 }, 'shift');
    const total = report!.total;
    expect(total.plannedS).toBeCloseTo(PLANNED_S, 0);
    expect(total.runS).toBeCloseTo(RUN_S, 0);
    expect(total.noDataS).toBeCloseTo(NO_DATA_S, 0);
    expect(total.cycles).toBe(CYCLES);
    expect(total.good).toBe(GOOD);
    expect(total.scrap).toBe(SCRAP);
    expect(total.availability).toBeCloseTo(availability, 3);
    expect(total.performance).toBeCloseTo(performance, 3);
    expect(total.quality).toBeCloseTo(quality, 6);
    expect(total.oee).toBeCloseTo(availability * performance * quality, 3);
    expect(total.losses.setupS).toBeCloseTo(300, 0);
    expect(total.losses.unexplainedS).toBe(0);
    expect(total.losses.reducedSpeedS).toBeCloseTo(RUN_S - IDEAL_S * CYCLES, 0);
    expect(total.losses.defectS).toBeCloseTo(IDEAL_S * SCRAP, 0);
    // The shift started the evening before midnight: one row, labelled with that day.
    // By shift, the night shift (22:00–06:00) is one row, labelled with the day it started on,
    // holding the whole trace; before 23:40 and after 00:20 (now) it has no data.
    const shiftStart = start - 100 * 60_000;
    const byShift = await hub.dataSource.machineOee(SITE, NODE, { from: shiftStart, to: shiftStart + 8 * 3_600_000 }, 'shift');
    expect(byShift!.rows.map((r) => ({ shift: r.shift, label: r.label, cycles: r.cycles, runS: Math.round(r.runS) }))).toEqual([
      { shift: 'night', label: local.dateOf(start), cycles: CYCLES, runS: RUN_S },
    ]);

    // One reading at each state change may fall to either side: ± a second of 12 A.
    const tolerance = 12 * KWH_PER_AS;
    expect(Math.abs(total.energy.runningKWh - RUNNING_AS * KWH_PER_AS)).toBeLessThanOrEqual(tolerance);
    expect(Math.abs(total.energy.idleKWh - IDLE_AS * KWH_PER_AS)).toBeLessThanOrEqual(tolerance);
    expect(total.energy.costYen).toBeCloseTo(total.energy.kWh * 30, 6);

    const pareto = await hub.dataSource.downtimePareto({ from: start, to: start + TRACE_S * 1000 }, { site: SITE, node: NODE });
    expect(pareto.bars.map((b) => ({ code: b.code, totalS: Math.round(b.totalS), count: b.count }))).toEqual([{ code: 'setup', totalS: 300, count: 1 }]);
  });
});
