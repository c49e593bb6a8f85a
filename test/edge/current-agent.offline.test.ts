/**
 * Sensor offline detection, on a manual clock shared by the simulated ESP32 and the agent (no
 * real waiting for offlineAfterS), with the real MQTT path: simulator → InProcessSerialLink →
 * CurrentAgent → MqttNodeLink → aedes → MQTT.js subscriber.
 */
import { connectAsync, type MqttClient } from 'mqtt';
import { pino } from 'pino';
import { afterEach, describe, expect, it } from 'vitest';
import { Esp32Simulator, InProcessSerialLink, SerialLineReader, type SimulatorClock } from '@mieruka/firmware-bridge';
import { decodeMessage, MachineConfig, type JsonKind, type PayloadOf } from '@mieruka/protocol';
import { makeTempDir } from '../helpers/temp-dir.js';
import { waitFor } from '../helpers/wait-for.js';
import { MqttNodeLink } from '../../edge/src/mqtt/mqtt-node-link.js';
import { CurrentAgent } from '../../edge/src/current/current-agent.js';
import { startTestBroker as startBroker } from '../helpers/aedes-broker.js';

const logger = pino({ level: 'silent' });
const T0 = 1_764_000_000_000;

/** Timers that fire only when the test advances time. */
class ManualClock implements SimulatorClock {
  private t = T0;
  private nextId = 1;
  private readonly timers = new Map<number, { due: number; fn: () => void }>();

  now = (): number => this.t;
  setTimeout = (fn: () => void, ms: number): unknown => {
    const id = this.nextId++;
    this.timers.set(id, { due: this.t + Math.max(0, ms), fn });
    return id;
  };
  clearTimeout = (handle: unknown): void => {
    this.timers.delete(handle as number);
  };

  get pending(): number {
    return this.timers.size;
  }

  /** Advances in steps of at most `stepMs`, running due timers in order; lets I/O settle after each. */
  async advance(ms: number, stepMs = 1000): Promise<void> {
    const end = this.t + ms;
    while (this.t < end) {
      const stepEnd = Math.min(end, this.t + stepMs);
      for (;;) {
        let next: [number, { due: number; fn: () => void }] | undefined;
        for (const entry of this.timers) if (entry[1].due <= stepEnd && (!next || entry[1].due < next[1].due)) next = entry;
        if (!next) break;
        this.timers.delete(next[0]);
        this.t = next[1].due;
        next[1].fn();
        // Decoding and publishing happen on later turns: let them run at this clock time.
        await new Promise((r) => setImmediate(r));
      }
      this.t = stepEnd;
      await new Promise((r) => setImmediate(r));
    }
  }
}


type Got = { kind: JsonKind | 'other'; payload: unknown; retain: boolean };

async function subscribe(url: string): Promise<{ client: MqttClient; got: Got[] }> {
  const client = await connectAsync(url, { clientId: `sub-${Math.random().toString(36).slice(2)}`, reconnectPeriod: 0 });
  const got: Got[] = [];
  client.on('message', (topic, payload, packet) => {
    const d = decodeMessage(topic, payload);
    if (d.ok && d.message.kind !== 'image') got.push({ kind: d.message.kind, payload: d.message.payload, retain: packet.retain });
    else got.push({ kind: 'other', payload: topic, retain: packet.retain });
  });
  await client.subscribeAsync('mieruka/v1/factory/mill-1/#', { qos: 1 });
  return { client, got };
}

const ofKind = <K extends JsonKind>(got: Got[], kind: K): Array<PayloadOf<K>> => got.filter((g) => g.kind === kind).map((g) => g.payload as PayloadOf<K>);
type Ev = PayloadOf<'event'> & Record<string, unknown>;
const events = (got: Got[], type: string): Ev[] => (ofKind(got, 'event') as Ev[]).filter((e) => e.type === type);

describe('CurrentAgent sensor offline detection', () => {
  const cleanups: Array<() => Promise<unknown>> = [];
  afterEach(async () => {
    for (const c of cleanups.reverse()) await c().catch(() => undefined);
    cleanups.length = 0;
  });

  async function setup() {
    const broker = await startBroker();
    cleanups.push(() => broker.close());
    const dir = await makeTempDir();
    cleanups.push(() => dir.remove());
    const sub = await subscribe(broker.url);
    cleanups.push(() => sub.client.endAsync());
    const link = new MqttNodeLink({ url: broker.url, site: 'factory', node: 'mill-1', agent: 'bridge', version: 'test', dataDir: dir.path, logger });
    await link.start();
    cleanups.push(() => link.stop());
    return { sub, link, brokerUrl: broker.url };
  }

  it('goes unknown after offlineAfterS without readings, closes the run as interrupted, and starts afresh when readings return', async () => {
    const { sub, link, brokerUrl } = await setup();
    const clock = new ManualClock();
    // One reading a simulated second; a long job soon after boot.
    const simulator = new Esp32Simulator({ seed: 4, intervalMs: 1000, clock, bootNoise: false, profile: { offS: [4, 4], warmupS: [5, 5], jobsPerCycle: [1, 1], jobS: [900, 900] } });
    cleanups.push(() => simulator.stop());
    const source = new InProcessSerialLink({ simulator, logger });
    const machine = MachineConfig.parse({ offBelowA: 0.3, runningAboveA: 1.8, minDwellS: 2, hysteresisA: 0.1, offlineAfterS: 5 });
    const agent = new CurrentAgent({ link, source, machine, logger, now: clock.now, timers: clock });
    cleanups.push(() => agent.stop());
    await agent.start();

    for (let i = 0; i < 40 && agent.stats().state !== 'running'; i++) await clock.advance(1000);
    expect(agent.stats().state).toBe('running');
    await clock.advance(10_000);
    const started = await waitFor(() => events(sub.got, 'run_started')[0], 'run_started');
    expect(started.afterOffline).toBeUndefined();

    // The sensor goes silent (USB unplugged, ESP32 hung).
    await simulator.stop();
    const lastReadingTs = agent.stats().lastReadingTs as number;
    expect(lastReadingTs).toBe(clock.now());
    await clock.advance(4_000);
    expect(agent.stats()).toMatchObject({ offline: false, state: 'running' });
    await clock.advance(1_000);
    expect(agent.stats()).toMatchObject({ offline: true, state: 'unknown', since: lastReadingTs, offlineEvents: 1 });

    const offlineEvent = await waitFor(() => events(sub.got, 'sensor_offline')[0], 'sensor_offline');
    expect(offlineEvent).toMatchObject({ ts: lastReadingTs + 5000, lastReadingTs });
    const unknown = await waitFor(() => ofKind(sub.got, 'state').find((s) => s.state === 'unknown'), 'state unknown');
    expect(unknown).toMatchObject({ since: lastReadingTs, ts: lastReadingTs + 5000 });
    // Retained: a dashboard connecting now learns that the state is unknown.
    const late = await subscribe(brokerUrl);
    cleanups.push(() => late.client.endAsync());
    const retained = await waitFor(() => late.got.find((g) => g.kind === 'state'), 'the retained state');
    expect(retained).toMatchObject({ retain: true, payload: { state: 'unknown', since: lastReadingTs } });
    const finished = await waitFor(() => events(sub.got, 'run_finished')[0], 'run_finished');
    expect(finished).toMatchObject({ ts: lastReadingTs, startedAt: started.ts, interrupted: true, durationS: Math.round((lastReadingTs - started.ts) / 1000) });
    expect(finished.partial).toBeUndefined();

    // A long silence gives one offline event, not one per timeout.
    await clock.advance(60_000);
    expect(agent.stats().offlineEvents).toBe(1);

    // Readings return (the device rebooted); the machine is still on its long job.
    await simulator.start();
    for (let i = 0; i < 5 && agent.stats().offline; i++) await clock.advance(1000);
    expect(agent.stats().offline).toBe(false);
    const backAt = agent.stats().lastReadingTs as number;
    // The first reading sets the state at once, without waiting out the dwell.
    expect(agent.stats()).toMatchObject({ state: 'running', since: backAt });
    const online = await waitFor(() => events(sub.got, 'sensor_online')[0], 'sensor_online');
    expect(online).toMatchObject({ ts: backAt, offlineS: Math.round((backAt - lastReadingTs) / 1000), lastReadingTs });
    const restarted = await waitFor(() => events(sub.got, 'run_started')[1], 'a new run_started');
    expect(restarted).toMatchObject({ ts: backAt, afterOffline: true });
    await waitFor(() => ofKind(sub.got, 'state').at(-1)?.state === 'running', 'state running again');
    expect(ofKind(sub.got, 'state').at(-1)).toMatchObject({ since: backAt });

    // Event order as published: seqs increase along the story.
    const story = (ofKind(sub.got, 'event') as Ev[]).map((e) => `${e.type}${e.interrupted ? '(interrupted)' : ''}${e.afterOffline ? '(afterOffline)' : ''}`);
    expect(story).toEqual(['run_started', 'run_finished(interrupted)', 'sensor_offline', 'sensor_online', 'run_started(afterOffline)']);
    const seqs = ofKind(sub.got, 'event').map((e) => e.seq);
    expect(seqs).toEqual([...seqs].sort((a, b) => a - b));

    // stop() releases the offline timer: time passing afterwards changes nothing.
    await agent.stop();
    await simulator.stop();
    expect(clock.pending).toBe(0);
    await clock.advance(30_000);
    expect(agent.stats().offlineEvents).toBe(1);
  });

  it('the clamp taken off mid-run (readings at the floor): sensor_fault, the run closed where the floor began, state unknown; silence on top keeps that; back: sensor_online, sensor_ok, a new run', async () => {
    const { sub, link } = await setup();
    const clock = new ManualClock();
    // A machine with a standby draw of 0.12 A when off, on a long job soon after boot.
    const simulator = new Esp32Simulator({ seed: 4, intervalMs: 1000, clock, bootNoise: false, profile: { offA: 0.12, offNoiseA: 0.01, offS: [4, 4], warmupS: [5, 5], jobsPerCycle: [1, 1], jobS: [900, 900] } });
    cleanups.push(() => simulator.stop());
    const source = new InProcessSerialLink({ simulator, logger });
    const machine = MachineConfig.parse({ offBelowA: 0.3, runningAboveA: 1.8, minDwellS: 2, offlineAfterS: 5, sensor: { offLevelA: 0.12, floorAfterS: 5 } });
    const agent = new CurrentAgent({ link, source, machine, logger, now: clock.now, timers: clock });
    cleanups.push(() => agent.stop());
    await agent.start();
    for (let i = 0; i < 40 && agent.stats().state !== 'running'; i++) await clock.advance(1000);
    expect(agent.stats().state).toBe('running');
    await clock.advance(10_000);
    const started = await waitFor(() => events(sub.got, 'run_started')[0], 'run_started');

    // Off the cable: the next readings are 0 A, the ESP32 goes on reporting.
    simulator.setClampUnplugged(true);
    await clock.advance(1000);
    const floorFrom = agent.stats().lastReadingTs as number;
    await clock.advance(4000);
    expect(agent.stats()).toMatchObject({ sensorFault: false, state: 'running', sensorFaults: 0 });
    await clock.advance(1000);
    expect(agent.stats()).toMatchObject({ sensorFault: true, state: 'unknown', since: floorFrom, sensorFaults: 1, offline: false });
    const fault = await waitFor(() => events(sub.got, 'sensor_fault')[0], 'sensor_fault');
    expect(fault).toMatchObject({ ts: floorFrom + 5000, cause: 'at_floor', sinceTs: floorFrom, readingA: 0, offLevelA: 0.12 });
    const finished = await waitFor(() => events(sub.got, 'run_finished')[0], 'run_finished');
    expect(finished).toMatchObject({ ts: floorFrom, startedAt: started.ts, interrupted: true });
    await waitFor(() => ofKind(sub.got, 'state').at(-1)?.state === 'unknown', 'state unknown');

    // Then the ESP32 goes silent as well: sensor_offline, the state stays unknown since the fault began.
    await simulator.stop();
    await clock.advance(5000);
    await waitFor(() => events(sub.got, 'sensor_offline')[0], 'sensor_offline');
    expect(agent.stats()).toMatchObject({ offline: true, state: 'unknown', since: floorFrom });

    // Clamp back on, ESP32 back: both outages end with the first reading, and the job goes on as a new run.
    simulator.setClampUnplugged(false);
    await simulator.start();
    for (let i = 0; i < 5 && agent.stats().offline; i++) await clock.advance(1000);
    const backAt = agent.stats().lastReadingTs as number;
    expect(agent.stats()).toMatchObject({ offline: false, sensorFault: false, state: 'running', since: backAt });
    const ok = await waitFor(() => events(sub.got, 'sensor_ok')[0], 'sensor_ok');
    expect(ok).toMatchObject({ ts: backAt, faultS: Math.round((backAt - floorFrom) / 1000) });
    await waitFor(() => events(sub.got, 'run_started')[1], 'a new run');
    const story = (ofKind(sub.got, 'event') as Ev[]).map((e) => `${e.type}${e.interrupted ? '(interrupted)' : ''}${e.afterFault ? '(afterFault)' : ''}`);
    expect(story).toEqual(['run_started', 'sensor_fault', 'run_finished(interrupted)', 'sensor_offline', 'sensor_online', 'sensor_ok', 'run_started(afterFault)']);
    expect(ofKind(sub.got, 'state').map((s) => s.state).slice(-4)).toEqual(['running', 'unknown', 'unknown', 'running']);
    expect(ofKind(sub.got, 'state').filter((s) => s.state === 'unknown').map((s) => s.since)).toEqual([floorFrom, floorFrom]);
  });

  it('a machine idle when the sensor goes silent gets no run event; it stays unknown until readings return', async () => {
    const { sub, link } = await setup();
    const clock = new ManualClock();
    const simulator = new Esp32Simulator({ seed: 9, intervalMs: 1000, clock, bootNoise: false, profile: { offS: [2, 2], warmupS: [600, 600] } });
    cleanups.push(() => simulator.stop());
    const source = new InProcessSerialLink({ simulator, logger });
    const machine = MachineConfig.parse({ offBelowA: 0.3, runningAboveA: 1.8, minDwellS: 1, offlineAfterS: 3 });
    const agent = new CurrentAgent({ link, source, machine, logger, now: clock.now, timers: clock });
    cleanups.push(() => agent.stop());
    await agent.start();
    for (let i = 0; i < 20 && agent.stats().state !== 'idle'; i++) await clock.advance(1000);
    expect(agent.stats().state).toBe('idle');

    await simulator.stop();
    await clock.advance(3_000);
    expect(agent.stats()).toMatchObject({ offline: true, state: 'unknown' });
    await waitFor(() => events(sub.got, 'sensor_offline').length === 1, 'sensor_offline');
    expect(events(sub.got, 'run_finished')).toEqual([]);
    expect(events(sub.got, 'run_started')).toEqual([]);

    await simulator.start();
    await clock.advance(1_000);
    expect(agent.stats()).toMatchObject({ offline: false, state: 'idle' });
    await waitFor(() => events(sub.got, 'sensor_online').length === 1, 'sensor_online');
    await waitFor(() => ofKind(sub.got, 'state').at(-1)?.state === 'idle', 'idle again');
    expect(ofKind(sub.got, 'state').map((s) => s.state)).toEqual(['idle', 'unknown', 'idle']);
  });

  it('reports a sensor that never sent anything: sensor_offline with lastReadingTs null, no state', async () => {
    const { sub, link } = await setup();
    const clock = new ManualClock();
    // A real reader on a port that does not exist (the ESP32 is not plugged in).
    const dir = await makeTempDir();
    cleanups.push(() => dir.remove());
    const source = new SerialLineReader({ path: `${dir.path}/no-such-tty`, logger, reconnect: { initialMs: 60_000 } });
    const machine = MachineConfig.parse({ offlineAfterS: 10 });
    const agent = new CurrentAgent({ link, source, machine, logger, now: clock.now, timers: clock });
    cleanups.push(() => agent.stop());
    await agent.start();
    await clock.advance(9_000);
    expect(agent.stats().offline).toBe(false);
    await clock.advance(1_000);
    expect(agent.stats()).toMatchObject({ offline: true, state: 'unknown', since: null, lastReadingTs: null, offlineEvents: 1 });
    const offline = await waitFor(() => events(sub.got, 'sensor_offline')[0], 'sensor_offline');
    expect(offline).toMatchObject({ ts: T0 + 10_000, lastReadingTs: null });
    await clock.advance(60_000);
    expect(events(sub.got, 'sensor_offline')).toHaveLength(1);
    // No state can be said without a reading: nothing retained was published.
    expect(ofKind(sub.got, 'state')).toEqual([]);
    await agent.stop();
    expect(clock.pending).toBe(0);
  });
});
