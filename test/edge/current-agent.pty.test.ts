/**
 * The bridge path on real parts end to end: a simulated ESP32 (or raw bytes) on the device
 * side of a socat pty pair → SerialLineReader → CurrentAgent → MqttNodeLink → aedes on
 * 127.0.0.1 → an MQTT.js subscriber. The port vanishes mid-stream and comes back under the
 * same path; garbage of every kind is mixed into valid lines.
 */
import { pino } from 'pino';
import { SerialPort } from 'serialport';
import { afterEach, describe, expect, it } from 'vitest';
import { ofKind, subscribeNode, type Got } from './support/node-subscriber.js';
import { Esp32Simulator, Prng, PtyPair, SerialLineReader } from '@mieruka/firmware-bridge';
import { MachineConfig, parseSerialLine, type PayloadOf, type SkipReason } from '@mieruka/protocol';
import { makeTempDir } from '../helpers/temp-dir.js';
import { waitFor } from '../helpers/wait-for.js';
import { MqttNodeLink } from '../../edge/src/mqtt/mqtt-node-link.js';
import { CurrentAgent, type ChannelCalibration } from '../../edge/src/current/current-agent.js';
import { startTestBroker as startBroker } from '../helpers/aedes-broker.js';

const logger = pino({ level: 'silent' });


const eventsOf = (got: Got[], type: string) => ofKind(got, 'event').filter((e) => e.type === type) as Array<PayloadOf<'event'> & Record<string, unknown>>;

describe('bridge path on a socat pty: CurrentAgent through unplugging and garbage', () => {
  const cleanups: Array<() => Promise<unknown>> = [];
  afterEach(async () => {
    for (const c of cleanups.reverse()) await c().catch(() => undefined);
    cleanups.length = 0;
  });

  async function setup(machine: MachineConfig, calibration?: ChannelCalibration[]) {
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
    const reader = new SerialLineReader({ path: pty.hostPath, logger, reconnect: { initialMs: 50, maxMs: 500 } });
    const agent = new CurrentAgent({ link, source: reader, machine, logger, calibration });
    cleanups.push(() => agent.stop());
    return { dir: tmp.path, sub, pty, reader, agent };
  }

  it('the port vanishes mid-stream and comes back under the same path: resumes, loses nothing written after it is back, readings identical and in order', async () => {
    // The simulator's own factor is 30 A/V: the calibration is sent but changes no value.
    const { dir, sub, pty, reader, agent } = await setup(MachineConfig.parse({ offBelowA: 0.3, runningAboveA: 1.8, minDwellS: 0.1, offlineAfterS: 1 }), [{ channel: 0, ampsPerVolt: 30 }]);
    let opens = 0;
    reader.on('open', () => opens++);
    await agent.start();

    // What the device wrote, per boot, and whether the bridge had the port open again by then.
    const simulator = new Esp32Simulator({ seed: 17, intervalMs: 20, timeScale: 30 });
    cleanups.push(() => simulator.stop());
    const sent: Array<{ boot: number; irms: number[]; afterReopen: boolean }> = [];
    const commands: Array<{ boot: number; command: string }> = [];
    simulator.on('command', (command) => commands.push({ boot: simulator.stats().boots, command }));
    simulator.on('data', (bytes) => {
      // One send per message; the boot noise (banner, half line) is not a reading.
      const m = parseSerialLine(bytes.toString('latin1').replace(/\n$/, ''));
      if (m.ok && m.message.type === 'rms') sent.push({ boot: simulator.stats().boots, irms: m.message.irms, afterReopen: opens >= 2 });
    });
    await simulator.connectToPath(pty.devicePath);
    await waitFor(() => ofKind(sub.got, 'current').length >= 40, '40 readings before the unplug');

    // Unplugged while streaming: socat and both ptys disappear.
    await pty.close();
    await waitFor(() => !reader.stats().open, 'the reader to notice');
    // Silent for longer than offlineAfterS: the state turns unknown.
    await waitFor(() => eventsOf(sub.got, 'sensor_offline').length >= 1, 'sensor_offline while unplugged', 10_000);
    await waitFor(() => ofKind(sub.got, 'state').at(-1)?.state === 'unknown', 'state unknown');

    // Plugged in again: the same path, a rebooting device (banner, noise, hello, seq from 0).
    const pty2 = await PtyPair.open({ dir });
    cleanups.push(() => pty2.close());
    expect(pty2.hostPath).toBe(pty.hostPath);
    await simulator.connectToPath(pty2.devicePath);
    await waitFor(() => opens >= 2, 'the bridge to reopen the port within seconds', 10_000);
    await waitFor(() => sent.filter((s) => s.afterReopen).length >= 60, '60 readings written after the reopen');
    // Quiet the device without unplugging it (closing the port could cut the last line).
    await reader.write({ cmd: 'interval', ms: 60_000 });
    await waitFor(() => simulator.currentIntervalMs === 60_000, 'the device to slow down');
    const boot2 = sent.filter((s) => s.boot === 2).map((s) => s.irms);
    const afterReopen = sent.filter((s) => s.afterReopen).map((s) => s.irms);
    const boot1 = sent.filter((s) => s.boot === 1).map((s) => s.irms);
    // Before the unplug: the first boot's readings from its start (the bridge was listening),
    // maybe minus the last few cut by the unplug. After: a tail of the second boot's readings
    // that holds at least every reading written after the reopen. Same values, same order.
    const split = () => {
      const received = ofKind(sub.got, 'current').map((c) => JSON.stringify(c.irms));
      let k = 0;
      while (k < received.length && k < boot1.length && received[k] === JSON.stringify(boot1[k])) k++;
      return { k, tail: received.slice(k).map((s) => JSON.parse(s) as number[]) };
    };
    // Waits for the readings written after the reopen as the end of what arrived. (Not through
    // split(): at the noise floor two readings can be equal, so a rebooted device's first
    // reading may match boot 1's next one and stretch the prefix into boot 2.)
    const wanted = afterReopen.map((irms) => JSON.stringify(irms));
    await waitFor(() => {
      const received = ofKind(sub.got, 'current').map((c) => JSON.stringify(c.irms));
      return received.length >= wanted.length && wanted.every((w, i) => received[received.length - wanted.length + i] === w);
    }, 'every reading written after the reopen on MQTT');
    const { k, tail } = split();
    expect(k).toBeGreaterThanOrEqual(40);
    expect(tail).toEqual(boot2.slice(boot2.length - tail.length));
    expect(afterReopen).toEqual(boot2.slice(boot2.length - afterReopen.length));
    expect(afterReopen.length).toBeGreaterThanOrEqual(60);

    // Seqs keep increasing across the outage; nothing invalid was published.
    const seqs = ofKind(sub.got, 'current').map((c) => c.seq);
    expect(seqs.every((s, i) => i === 0 || s > (seqs[i - 1] as number))).toBe(true);
    expect(sub.got.filter((g) => g.kind === 'invalid')).toEqual([]);
    // The agent asked the rebooted device for a hello and calibrated it again; the sensor came back online.
    expect(agent.stats().hellos).toBeGreaterThanOrEqual(2);
    expect(commands.filter((c) => c.boot === 2).map((c) => c.command)).toEqual(expect.arrayContaining(['info', 'cal 0 30']));
    const online = eventsOf(sub.got, 'sensor_online').at(-1);
    expect(online?.offlineS).toBeGreaterThanOrEqual(1);
    expect(ofKind(sub.got, 'state').at(-1)?.state).not.toBe('unknown');
    expect(reader.stats()).toMatchObject({ open: true, reconnects: 1 });
  });

  it('garbage of every kind over the pty: no crash, counted by reason, valid lines around it delivered unchanged', async () => {
    const { sub, pty, reader, agent } = await setup(MachineConfig.parse({ offlineAfterS: 60 }));
    await agent.start();
    const device = new SerialPort({ path: pty.devicePath, baudRate: 115200, autoOpen: false });
    await new Promise<void>((resolve, reject) => device.open((err) => (err ? reject(err) : resolve())));
    cleanups.push(() => new Promise<void>((resolve) => device.close(() => resolve())));
    const send = (data: Buffer | string) => new Promise<void>((resolve, reject) => device.write(data, (err) => (err ? reject(err) : device.drain(() => resolve()))));

    const rng = new Prng(2024);
    const expectedSkips: Record<SkipReason, number> = { empty: 0, 'too-long': 0, binary: 0, 'not-json': 0, 'not-object': 0, 'unknown-type': 0, invalid: 0 };
    const garbage: Array<{ reason: SkipReason; bytes: () => Buffer | string }> = [
      // Random bytes (no newline inside), starting with NUL so the line is certainly noise.
      { reason: 'binary', bytes: () => Buffer.from([0, ...Array.from({ length: 1 + rng.int(0, 200) }, () => [rng.int(0, 9), rng.int(11, 255)][rng.int(0, 1)] as number), 0x0a]) },
      { reason: 'too-long', bytes: () => `${'x'.repeat(5000 + rng.int(0, 100_000))}\n` },
      { reason: 'too-long', bytes: () => `{"type":"rms","seq":1,"uptimeMs":1,"irms":[${Array.from({ length: 400 }, () => '1.0').join(',')}]}\n` },
      { reason: 'not-json', bytes: () => '{"type":"rms","seq":1,"uptimeMs":5,"irms":[1.0]\n' },
      { reason: 'not-json', bytes: () => 'ets Jun  8 2016 00:22:57\r\n' },
      { reason: 'not-json', bytes: () => '["rms",1,2]\n' }, // only objects count as JSON lines
      { reason: 'unknown-type', bytes: () => '{"type":"reboot","why":"wdt"}\n' },
      { reason: 'unknown-type', bytes: () => '{"seq":1,"irms":[1]}\n' },
      { reason: 'invalid', bytes: () => '{"type":"rms","seq":"one","uptimeMs":5,"irms":["a"]}\n' },
      { reason: 'invalid', bytes: () => '{"type":"rms","seq":2,"uptimeMs":5,"irms":[-1]}\n' },
      { reason: 'invalid', bytes: () => '{"type":"rms","seq":3,"uptimeMs":5,"irms":[1e999]}\n' },
      { reason: 'invalid', bytes: () => `{"type":"rms","seq":4,"uptimeMs":5,"irms":[${Array.from({ length: 17 }, () => 1).join(',')}]}\n` },
      { reason: 'invalid', bytes: () => '{"type":"hello","fw":"","id":"x","channels":0,"intervalMs":1}\n' },
      { reason: 'empty', bytes: () => '   \r\n' },
    ];
    const valid: number[][] = [];
    for (let i = 0; i < 150; i++) {
      // A valid line, sometimes split across writes and with CRLF, then 0–2 pieces of garbage.
      const irms = [Math.round(rng.range(0, 50) * 1000) / 1000];
      valid.push(irms);
      const line = `{"type":"rms","seq":${i},"uptimeMs":${i * 1000},"irms":[${irms[0]}]}${i % 3 === 0 ? '\r\n' : '\n'}`;
      if (i % 5 === 0) {
        const cut = rng.int(1, line.length - 1);
        await send(line.slice(0, cut));
        await send(line.slice(cut));
      } else await send(line);
      for (let g = rng.int(0, 2); g > 0; g--) {
        const pick = garbage[rng.int(0, garbage.length - 1)] as (typeof garbage)[number];
        expectedSkips[pick.reason]++;
        await send(pick.bytes());
      }
    }
    await waitFor(() => ofKind(sub.got, 'current').length >= valid.length, 'every valid reading on MQTT');
    expect(ofKind(sub.got, 'current').map((c) => c.irms)).toEqual(valid);

    const stats = reader.stats();
    expect(stats.open).toBe(true);
    expect(stats.skipped).toEqual(expectedSkips);
    // Every kind was tried (not-object cannot happen: a line must start with "{" to be parsed).
    expect(Object.entries(expectedSkips).every(([reason, n]) => n > 0 || reason === 'not-object')).toBe(true);
    expect(stats.byType.rms).toBe(valid.length);
    expect(stats.lines).toBe(stats.messages + Object.values(stats.skipped).reduce((a, b) => a + b, 0));
    expect(agent.stats()).toMatchObject({ readings: valid.length, publishErrors: 0 });
    expect(sub.got.filter((g) => g.kind === 'invalid')).toEqual([]);
  });
});
