/**
 * CurrentAgent end to end on real parts: simulated ESP32 → InProcessSerialLink (same line
 * decoder as a real port) → CurrentAgent → MqttNodeLink → aedes on 127.0.0.1 → an MQTT.js
 * subscriber that validates everything against the protocol schemas.
 */
import { connectAsync, type MqttClient } from 'mqtt';
import { pino } from 'pino';
import { afterEach, describe, expect, it } from 'vitest';
import { Esp32Simulator, InProcessSerialLink, type MachineProfile } from '@mieruka/firmware-bridge';
import { decodeMessage, MachineConfig, type DecodedMessage, type JsonKind, type PayloadOf, type SerialMessage } from '@mieruka/protocol';
import { makeTempDir } from '../helpers/temp-dir.js';
import { waitFor } from '../helpers/wait-for.js';
import { MqttNodeLink } from '../../edge/src/mqtt/mqtt-node-link.js';
import { CurrentAgent } from '../../edge/src/current/current-agent.js';
import { startTestBroker as startBroker } from '../helpers/aedes-broker.js';

const logger = pino({ level: 'silent' });

/** A machine with short phases: one simulated second per reading, a full cycle in ~90 readings. */
const FAST_PROFILE: Partial<MachineProfile> = { offS: [20, 20], warmupS: [10, 10], jobsPerCycle: [1, 1], jobS: [30, 30], gapS: [5, 5], cooldownS: [10, 10] };


type Got = { decoded: DecodedMessage; retain: boolean };

async function subscribe(url: string): Promise<{ client: MqttClient; got: Got[]; invalid: string[] }> {
  const client = await connectAsync(url, { clientId: `sub-${Math.random().toString(36).slice(2)}`, reconnectPeriod: 0 });
  const got: Got[] = [];
  const invalid: string[] = [];
  client.on('message', (topic, payload, packet) => {
    const d = decodeMessage(topic, payload);
    if (d.ok) got.push({ decoded: d.message, retain: packet.retain });
    else invalid.push(`${topic}: ${d.message}`);
  });
  await client.subscribeAsync('mieruka/v1/factory/mill-1/#', { qos: 1 });
  return { client, got, invalid };
}

const ofKind = <K extends JsonKind>(got: Got[], kind: K): Array<PayloadOf<K>> =>
  got.filter((g) => g.decoded.kind === kind).map((g) => g.decoded.payload as PayloadOf<K>);

describe('CurrentAgent', () => {
  const cleanups: Array<() => Promise<unknown>> = [];
  afterEach(async () => {
    for (const c of cleanups.reverse()) await c().catch(() => undefined);
    cleanups.length = 0;
  });

  async function setup(calibration?: ConstructorParameters<typeof CurrentAgent>[0]['calibration']) {
    const broker = await startBroker();
    cleanups.push(() => broker.close());
    const dir = await makeTempDir();
    cleanups.push(() => dir.remove());
    const sub = await subscribe(broker.url);
    cleanups.push(() => sub.client.endAsync());
    const link = new MqttNodeLink({ url: broker.url, site: 'factory', node: 'mill-1', agent: 'bridge', version: 'test', dataDir: dir.path, logger });
    await link.start();
    cleanups.push(() => link.stop());
    const simulator = new Esp32Simulator({ seed: 21, intervalMs: 20, timeScale: 50, profile: FAST_PROFILE });
    cleanups.push(() => simulator.stop());
    const source = new InProcessSerialLink({ simulator, logger });
    const fromSensor: SerialMessage[] = [];
    source.on('message', (m) => fromSensor.push(m));
    const commands: string[] = [];
    simulator.on('command', (c) => commands.push(c));
    const machine = MachineConfig.parse({ offBelowA: 0.3, runningAboveA: 1.8, minDwellS: 0.1 });
    const agent = new CurrentAgent({ link, source, machine, logger, calibration });
    cleanups.push(() => agent.stop());
    return { sub, link, simulator, source, agent, fromSensor, commands, url: broker.url };
  }

  it('publishes every reading unchanged, the machine state and run events, all valid', async () => {
    const { sub, agent, fromSensor } = await setup();
    await agent.start();
    await waitFor(() => ofKind(sub.got, 'event').some((e) => e.type === 'run_finished'), 'a finished run', 30_000);
    await waitFor(() => ofKind(sub.got, 'state').some((s) => s.state === 'off' && ofKind(sub.got, 'event').length >= 2), 'off after the run', 30_000);
    await agent.stop();
    expect(sub.invalid).toEqual([]);

    // current: same values in the same order as the sensor sent them; seq strictly increasing.
    const sent = fromSensor.filter((m): m is Extract<SerialMessage, { type: 'rms' }> => m.type === 'rms').map((m) => m.irms);
    await waitFor(() => ofKind(sub.got, 'current').length === sent.length, 'every reading on MQTT');
    const current = ofKind(sub.got, 'current');
    expect(current.map((c) => c.irms)).toEqual(sent);
    expect(current.every((c, i) => i === 0 || c.seq > (current[i - 1]?.seq ?? Infinity))).toBe(true);
    expect(current.every((c, i) => i === 0 || c.ts >= (current[i - 1]?.ts ?? Infinity))).toBe(true);

    // state: retained, and it went through the whole cycle.
    const states = ofKind(sub.got, 'state').map((s) => s.state);
    expect(states).toEqual(expect.arrayContaining(['off', 'idle', 'running']));
    expect(states.every((s, i) => i === 0 || s !== states[i - 1])).toBe(true); // one message per change
    const runningState = ofKind(sub.got, 'state').find((s) => s.state === 'running');
    expect(runningState?.irms[0]).toBeGreaterThan(1.8);

    // events: a run that started while we watched, then finished, with its duration.
    const events = ofKind(sub.got, 'event');
    const started = events.find((e) => e.type === 'run_started');
    const finished = events.find((e) => e.type === 'run_finished') as { ts: number; durationS: number; startedAt: number; partial?: boolean } | undefined;
    expect(started).toBeDefined();
    expect(finished?.startedAt).toBe(started?.ts);
    expect(finished?.partial).toBeUndefined();
    expect(finished?.durationS).toBe(Math.round(((finished?.ts ?? 0) - (started?.ts ?? 0)) / 1000));
    // Events share the node's seq with current messages: no value is used twice.
    const seqs = [...current.map((c) => c.seq), ...events.map((e) => e.seq)];
    expect(new Set(seqs).size).toBe(seqs.length);

    expect(agent.stats()).toMatchObject({ publishErrors: 0, readingsWithoutChannel: 0 });
    expect(agent.stats().readings).toBe(sent.length);
  });

  it('asks for a hello on open and sends the calibration after every hello', async () => {
    const { agent, commands, simulator, fromSensor } = await setup([{ channel: 0, ampsPerVolt: 100, noiseA: 0.02 }]);
    await agent.start();
    await waitFor(() => commands.filter((c) => c.startsWith('noise')).length >= 2, 'calibration after both hellos');
    // The device booted (hello 1) and answered our info (hello 2); each hello got the calibration.
    expect(commands.slice(0, 5)).toEqual(['info', 'cal 0 100', 'noise 0 0.02', 'cal 0 100', 'noise 0 0.02']);
    await waitFor(() => fromSensor.filter((m) => m.type === 'ack').length >= 4, 'acks');
    expect(fromSensor.filter((m) => m.type === 'ack').every((m) => m.type === 'ack' && m.ok)).toBe(true);
    expect(agent.stats()).toMatchObject({ hellos: 2, calibrationCommandsSent: 4, acksFailed: 0 });

    simulator.receive('info\n'); // a re-flashed or rebooted sensor says hello again
    await waitFor(() => commands.filter((c) => c.startsWith('cal')).length >= 3, 'calibration after a third hello');
  });

  it('takes new thresholds from the hub (retained cmd/thresholds) and refuses invalid ones', async () => {
    const { sub, agent, url } = await setup();
    const hub = await connectAsync(url, { clientId: 'test-hub', reconnectPeriod: 0 });
    cleanups.push(() => hub.endAsync());
    await agent.start();
    const topic = 'mieruka/v1/factory/mill-1/cmd/thresholds';
    // runningAboveA below offBelowA: valid JSON, invalid thresholds.
    await hub.publishAsync(topic, JSON.stringify({ ts: Date.now(), offBelowA: 2, runningAboveA: 1, hysteresisA: 0, minDwellS: 0 }), { qos: 1 });
    await waitFor(() => agent.stats().thresholdUpdatesRefused === 1, 'the refused thresholds');
    await hub.publishAsync(topic, JSON.stringify({ ts: Date.now(), offBelowA: 0.5 }), { qos: 1 });
    await waitFor(() => agent.stats().thresholdUpdatesRefused === 2, 'the incomplete thresholds');
    // So high that nothing the simulated machine draws counts as running.
    await hub.publishAsync(topic, JSON.stringify({ ts: Date.now(), offBelowA: 0.3, runningAboveA: 500, hysteresisA: 0.1, minDwellS: 0.1 }), { qos: 1, retain: true });
    await waitFor(() => agent.stats().thresholdUpdates === 1, 'the applied thresholds');
    const statesBefore = ofKind(sub.got, 'state').length;
    await waitFor(() => ofKind(sub.got, 'state').length >= statesBefore + 2, 'two more state changes', 30_000);
    expect(ofKind(sub.got, 'state').slice(statesBefore).map((s) => s.state)).not.toContain('running');
  });

  it('owns its source: stop() stops it; a restart re-publishes the known state', async () => {
    const { sub, agent, source, simulator } = await setup();
    await agent.start();
    await waitFor(() => ofKind(sub.got, 'state').length >= 1, 'a first state');
    await agent.stop();
    expect(source.stats().open).toBe(false);
    expect(simulator.isRunning).toBe(false);

    const known = agent.stats();
    expect(known.state).not.toBe('unknown');
    const before = ofKind(sub.got, 'state').length;
    const restartedAt = Date.now();
    await agent.start();
    await waitFor(() => ofKind(sub.got, 'state').length > before, 'the state again after the restart');
    const again = ofKind(sub.got, 'state')[before];
    expect(again).toMatchObject({ state: known.state, since: known.since });
    expect(again?.ts).toBeGreaterThanOrEqual(restartedAt);
    expect(source.stats().open).toBe(true);
  });

  it('forwards info and cal commands from the hub to the sensor', async () => {
    const { agent, commands, sub } = await setup();
    await agent.start();
    await waitFor(() => commands.length >= 1, 'the info on open');
    const n = commands.length;
    await waitFor(async () => {
      await sub.client.publishAsync('mieruka/v1/factory/mill-1/cmd/cal', JSON.stringify({ ts: Date.now(), channel: 0, ampsPerVolt: 50 }), { qos: 1 });
      return commands.slice(n).includes('cal 0 50');
    }, 'the cal command to reach the sensor');
    await sub.client.publishAsync('mieruka/v1/factory/mill-1/cmd/cal', JSON.stringify({ ts: Date.now(), channel: 'zero' }), { qos: 1 });
    await sub.client.publishAsync('mieruka/v1/factory/mill-1/cmd/info', JSON.stringify({ ts: Date.now() }), { qos: 1 });
    await waitFor(() => commands.slice(n).includes('info'), 'the info command to reach the sensor');
    expect(commands.slice(n).every((c) => c === 'cal 0 50' || c === 'info')).toBe(true);
  });
});
