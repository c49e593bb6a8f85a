/**
 * Production events on the real bridge path: rms lines written on the device side of a socat
 * pty pair → SerialLineReader → CurrentAgent → MqttNodeLink → aedes on 127.0.0.1 → an MQTT.js
 * subscriber. One reading a second on the agent's clock (the test's), with load peaks (cycles)
 * and a clamp that drops to its floor mid-run.
 */
import { pino } from 'pino';
import { SerialPort } from 'serialport';
import { afterEach, describe, expect, it } from 'vitest';
import { ofKind, subscribeNode, type Got } from './support/node-subscriber.js';
import { PtyPair, SerialLineReader } from '@mieruka/firmware-bridge';
import { MachineConfig, productionEventSchemas, type PayloadOf } from '@mieruka/protocol';
import { makeTempDir } from '../helpers/temp-dir.js';
import { waitFor } from '../helpers/wait-for.js';
import { MqttNodeLink } from '../../edge/src/mqtt/mqtt-node-link.js';
import { CurrentAgent } from '../../edge/src/current/current-agent.js';
import { startTestBroker as startBroker } from '../helpers/aedes-broker.js';

const logger = pino({ level: 'silent' });

type Ev = PayloadOf<'event'> & Record<string, unknown>;
const events = (got: Got[]): Ev[] => ofKind(got, 'event') as Ev[];

/**
 * Seconds 0–2 off at the machine's standby (0.12 A), 3–5 idle, from 6 running at 2.5 A with
 * load peaks: 8–12 at 6 A (cycle 1), 16–20 at 6.5 A with a one-reading dip at 18 (cycle 2),
 * 24–26 at 7 A (a cycle under way), then the clamp at its floor from 27 to 33, back at 34.
 */
const TRACE: number[] = [
  0.12, 0.12, 0.12, 1, 1, 1, 2.5, 2.5, 6, 6, 6, 6, 6, 2.5, 2.5, 2.5, 6.5, 6.5, 3, 6.5, 6.5, 2.5, 2.5, 2.5, 7, 7, 7, 0, 0, 0.01, 0, 0, 0, 0, 2.5, 2.5, 2.5,
];
const FLOOR_FROM_S = 27;
const BACK_AT_S = 34;

const machineConfig = (sensor: Record<string, number>) =>
  MachineConfig.parse({ offBelowA: 0.3, runningAboveA: 1.5, minDwellS: 2, offlineAfterS: 3600, cycles: { aboveA: 4, minS: 3, minGapS: 2 }, sensor });

describe('production events over a socat pty: cycles and a clamp at its floor', () => {
  const cleanups: Array<() => Promise<unknown>> = [];
  afterEach(async () => {
    for (const c of cleanups.reverse()) await c().catch(() => undefined);
    cleanups.length = 0;
  });

  /** Drives TRACE one line per simulated second; returns what the subscriber got and the start time. */
  async function drive(machine: MachineConfig) {
    const broker = await startBroker();
    cleanups.push(() => broker.close());
    const tmp = await makeTempDir();
    cleanups.push(() => tmp.remove());
    const sub = await subscribeNode(broker.url);
    cleanups.push(() => sub.client.endAsync());
    const link = new MqttNodeLink({ url: broker.url, site: 'factory', node: 'mill-1', agent: 'bridge', version: 'test', dataDir: tmp.path, logger });
    await link.start();
    cleanups.push(() => link.stop());
    const pty = await PtyPair.open({ dir: tmp.path });
    cleanups.push(() => pty.close());
    const reader = new SerialLineReader({ path: pty.hostPath, logger });
    // The agent stamps readings with its clock: the test's, one second per line.
    const t0 = Date.now();
    let t = t0;
    const agent = new CurrentAgent({ link, source: reader, machine, logger, now: () => t });
    cleanups.push(() => agent.stop());
    await agent.start();
    const device = new SerialPort({ path: pty.devicePath, baudRate: 115200, autoOpen: false });
    await new Promise<void>((resolve, reject) => device.open((err) => (err ? reject(err) : resolve())));
    cleanups.push(() => new Promise<void>((resolve) => device.close(() => resolve())));
    await waitFor(() => reader.stats().open, 'the bridge to open the port');
    for (const [i, amps] of TRACE.entries()) {
      t = t0 + i * 1000;
      await new Promise<void>((resolve, reject) => device.write(`{"type":"rms","seq":${i},"uptimeMs":${i * 1000},"irms":[${amps}]}\n`, (err) => (err ? reject(err) : resolve())));
      await waitFor(() => agent.stats().readings === i + 1, `reading ${i}`);
    }
    await waitFor(() => ofKind(sub.got, 'current').length === TRACE.length, 'every reading on MQTT');
    return { sub, agent, t0, at: (s: number) => t0 + s * 1000 };
  }

  it('publishes the finished cycles, then sensor_fault before the retained state unknown, drops the cut cycle, and sensor_ok when the clamp reads again', async () => {
    const { sub, agent, at } = await drive(machineConfig({ floorA: 0.02, floorAfterS: 5, offLevelA: 0.12 }));
    await waitFor(() => events(sub.got).some((e) => e.type === 'run_started' && e.afterFault === true), 'the run after the fault');

    // Every production event is valid by its contract schema.
    for (const e of events(sub.got)) {
      const schema = productionEventSchemas[e.type as keyof typeof productionEventSchemas];
      if (schema) expect(schema.safeParse(e).success, JSON.stringify(e)).toBe(true);
    }
    const cycles = events(sub.got).filter((e) => e.type === 'cycle');
    expect(cycles.map(({ seq: _seq, ...c }) => c)).toEqual([
      { ts: at(13), type: 'cycle', startTs: at(8), durationS: 5, peakA: 6, meanA: 6 },
      // The dip at 18 belongs to the cycle: (4 · 6.5 + 3) / 5.
      { ts: at(21), type: 'cycle', startTs: at(16), durationS: 5, peakA: 6.5, meanA: 5.8 },
    ]);

    // The floor began at 27; after floorAfterS (5 s, at 32) the fault goes out first, the run is
    // closed where the floor began, and the state turns unknown since then.
    const order = sub.got.filter((g) => g.kind === 'state' || g.kind === 'event').map((g) => (g.kind === 'state' ? `state:${(g.payload as PayloadOf<'state'>).state}` : `event:${(g.payload as Ev).type}`));
    const faultAt = order.indexOf('event:sensor_fault');
    expect(order.slice(faultAt, faultAt + 3)).toEqual(['event:sensor_fault', 'event:run_finished', 'state:unknown']);
    const fault = events(sub.got).find((e) => e.type === 'sensor_fault');
    expect(fault).toMatchObject({ ts: at(FLOOR_FROM_S + 5), cause: 'at_floor', sinceTs: at(FLOOR_FROM_S), readingA: 0, offLevelA: 0.12 });
    expect(events(sub.got).find((e) => e.type === 'run_finished')).toMatchObject({ ts: at(FLOOR_FROM_S), startedAt: at(6), durationS: FLOOR_FROM_S - 6, interrupted: true });
    expect(ofKind(sub.got, 'state').find((s) => s.state === 'unknown')).toMatchObject({ since: at(FLOOR_FROM_S) });
    // Floor readings never made the machine "off".
    expect(ofKind(sub.got, 'state').map((s) => s.state)).toEqual(['off', 'idle', 'running', 'unknown', 'running']);

    // Back above the floor at 34: sensor_ok with the fault's length, a new run from there.
    expect(events(sub.got).find((e) => e.type === 'sensor_ok')).toMatchObject({ ts: at(BACK_AT_S), faultS: BACK_AT_S - FLOOR_FROM_S });
    expect(events(sub.got).at(-1)).toMatchObject({ type: 'run_started', ts: at(BACK_AT_S), afterFault: true });
    expect(ofKind(sub.got, 'state').at(-1)).toMatchObject({ state: 'running', since: at(BACK_AT_S) });
    // The cycle under way at 24–26 was cut by the fault: dropped, not counted.
    expect(agent.stats()).toMatchObject({ cycles: 2, cyclesDropped: 1, sensorFaults: 1, floorReadings: BACK_AT_S - FLOOR_FROM_S, sensorFault: false, publishErrors: 0 });
    expect(sub.got.filter((g) => g.kind === 'invalid')).toEqual([]);
  });

  it('without sensor.offLevelA the floor is a machine that is off: the cycle ends, the state turns off, no sensor_fault', async () => {
    const { sub, agent, at } = await drive(machineConfig({ floorA: 0.02, floorAfterS: 5 }));
    await waitFor(() => events(sub.got).filter((e) => e.type === 'cycle').length === 3, 'the third cycle');
    expect(events(sub.got).filter((e) => e.type === 'cycle').at(-1)).toMatchObject({ startTs: at(24), ts: at(FLOOR_FROM_S), durationS: 3, peakA: 7 });
    await waitFor(() => ofKind(sub.got, 'state').length === 5, 'five states');
    expect(ofKind(sub.got, 'state').map((s) => s.state)).toEqual(['off', 'idle', 'running', 'off', 'running']);
    expect(events(sub.got).filter((e) => e.type === 'sensor_fault' || e.type === 'sensor_ok')).toEqual([]);
    expect(agent.stats()).toMatchObject({ cycles: 3, sensorFaults: 0, floorReadings: 0 });
  });
});
