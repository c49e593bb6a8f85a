import { pino } from 'pino';
import { afterEach, describe, expect, it } from 'vitest';
import type { SerialMessage } from '@mieruka/protocol';
import { waitFor } from '../../test/helpers/wait-for.js';
import { Esp32Simulator, type SimulatorClock } from './esp32-simulator.js';
import { InProcessSerialLink } from './in-process-serial-link.js';
import { MachineModel, simulateTrace } from './machine-model.js';

const logger = pino({ level: 'silent' });

/** A clock the test advances by hand: the simulator only ticks when told. */
class ManualClock implements SimulatorClock {
  t = 1_000_000;
  private timers = new Map<number, { at: number; fn: () => void }>();
  private nextId = 1;
  now(): number {
    return this.t;
  }
  setTimeout(fn: () => void, ms: number): unknown {
    const id = this.nextId++;
    this.timers.set(id, { at: this.t + ms, fn });
    return id;
  }
  clearTimeout(handle: unknown): void {
    this.timers.delete(handle as number);
  }
  advance(ms: number): void {
    const end = this.t + ms;
    for (;;) {
      const due = [...this.timers.entries()].filter(([, t]) => t.at <= end).sort((a, b) => a[1].at - b[1].at)[0];
      if (!due) break;
      this.timers.delete(due[0]);
      this.t = due[1].at;
      due[1].fn();
    }
    this.t = end;
  }
  get pending(): number {
    return this.timers.size;
  }
}

type Rms = Extract<SerialMessage, { type: 'rms' }>;
type Ack = Extract<SerialMessage, { type: 'ack' }>;

describe('Esp32Simulator through the in-process link', () => {
  const stops: Array<() => Promise<void>> = [];
  afterEach(async () => {
    for (const s of stops.reverse()) await s();
    stops.length = 0;
  });

  function setup(options: ConstructorParameters<typeof Esp32Simulator>[0] = {}) {
    const clock = new ManualClock();
    const simulator = new Esp32Simulator({ clock, ...options });
    const link = new InProcessSerialLink({ simulator, logger });
    stops.push(() => link.stop(), () => simulator.stop());
    const messages: SerialMessage[] = [];
    link.on('message', (m) => messages.push(m));
    const rms = () => messages.filter((m): m is Rms => m.type === 'rms');
    const acks = () => messages.filter((m): m is Ack => m.type === 'ack');
    return { clock, simulator, link, messages, rms, acks };
  }

  it('boots like an ESP32: banner and noise are skipped and counted, then hello', async () => {
    const { link, messages, simulator } = setup({ seed: 4, id: 'a1b2c3d4' });
    await link.start();
    expect(simulator.isRunning).toBe(true);
    await waitFor(() => messages.length >= 1, 'hello');
    expect(messages[0]).toEqual({ type: 'hello', fw: '1.0.0-sim', id: 'a1b2c3d4', channels: 1, intervalMs: 1000 });
    const stats = link.stats();
    expect(stats.skipped).toMatchObject({ 'not-json': 10, empty: 1, binary: 1 });
    expect(stats.open).toBe(true);
  });

  it('reports channel 0 exactly as simulateTrace does for the same seed, once per interval', async () => {
    const { link, clock, rms } = setup({ seed: 11, intervalMs: 500, timeScale: 10 });
    await link.start();
    clock.advance(500 * 40);
    await waitFor(() => rms().length >= 40, '40 rms lines');
    expect(rms()).toHaveLength(40);
    const trace = simulateTrace({ seed: 11, durationS: (40 * 500 * 10) / 1000, intervalMs: 500 * 10 });
    expect(rms().map((m) => m.irms[0])).toEqual(trace.map((p) => p.irms));
    expect(rms().map((m) => m.seq)).toEqual(Array.from({ length: 40 }, (_, i) => i));
    expect(rms()[1]?.uptimeMs).toBe(1000);
  });

  it('an unplugged clamp reads the floor (0 A) while the machine goes on; plugged back, the readings are the machine\'s again', async () => {
    const { link, clock, rms, simulator } = setup({ seed: 11, intervalMs: 500, timeScale: 10 });
    await link.start();
    clock.advance(500 * 10);
    simulator.setClampUnplugged(true);
    clock.advance(500 * 10);
    simulator.setClampUnplugged(false);
    clock.advance(500 * 10);
    await waitFor(() => rms().length >= 30, '30 rms lines');
    const trace = simulateTrace({ seed: 11, durationS: (30 * 500 * 10) / 1000, intervalMs: 500 * 10 }).map((p) => p.irms);
    const got = rms().map((m) => m.irms[0]);
    expect(got.slice(10, 20)).toEqual(Array(10).fill(0));
    expect(got.slice(0, 10)).toEqual(trace.slice(0, 10));
    expect(got.slice(20)).toEqual(trace.slice(20));
  });

  it('answers host commands with acks and applies them', async () => {
    const { link, clock, simulator, rms, acks, messages } = setup({ seed: 11, intervalMs: 500, channels: 2 });
    await link.start();
    clock.advance(500);
    await waitFor(() => rms().length === 1, 'first rms');
    const before = rms()[0] as Rms;
    expect(before.irms).toHaveLength(2);

    await link.write({ cmd: 'cal', channel: 1, ampsPerVolt: 60 });
    await link.write({ cmd: 'interval', ms: 200 });
    await link.write({ cmd: 'noise', channel: 0, amps: 0.05 });
    await link.write({ cmd: 'save' });
    await link.write({ cmd: 'info' });
    simulator.receive('cal 7 30\ninterval 5\nreboot now\n\u0000\u00ff\u0001\nnoise 0 -1\n\n');
    await waitFor(() => acks().length >= 9, 'nine acks');
    expect(acks().map((a) => [a.cmd, a.ok])).toEqual([
      ['cal', true],
      ['interval', true],
      ['noise', true],
      ['save', true],
      ['cal', false],
      ['interval', false],
      ['reboot', false],
      ['unknown', false],
      ['noise', false],
    ]);
    expect(messages.filter((m) => m.type === 'hello')).toHaveLength(2);
    expect(simulator.currentIntervalMs).toBe(200);
    expect(simulator.stats().commands).toBe(10);

    clock.advance(200);
    await waitFor(() => rms().length === 2, 'an rms after the new interval');
    // The cal factor doubled channel 1 relative to the default 30 A/V.
    const channel1 = new MachineModel(11 + 1_000_003);
    expect(rms()[0]?.irms[1]).toBe(channel1.advance(0.5));
    const raw1 = channel1.advance(0.2);
    expect(raw1).toBeGreaterThan(0.005);
    expect(rms()[1]?.irms[1]).toBe(Math.round(raw1 * 2 * 1000) / 1000);
    // Channel 0 had its noise floor (0.05 A) subtracted in quadrature.
    const channel0 = new MachineModel(11);
    channel0.advance(0.5);
    const raw = channel0.advance(0.2);
    expect(rms()[1]?.irms[0]).toBe(Math.round(Math.sqrt(Math.max(0, raw * raw - 0.05 * 0.05)) * 1000) / 1000);
  });

  it('rejects writes before start and stops a simulator it started', async () => {
    const { link, simulator, clock } = setup();
    await expect(link.write({ cmd: 'info' })).rejects.toMatchObject({ code: 'SERIAL_PORT_UNAVAILABLE' });
    await link.start();
    await link.stop();
    expect(simulator.isRunning).toBe(false);
    expect(clock.pending).toBe(0);
    expect(link.stats().open).toBe(false);
  });

  it('leaves a simulator running that someone else started', async () => {
    const { link, simulator } = setup();
    await simulator.start();
    await link.start();
    await link.stop();
    expect(simulator.isRunning).toBe(true);
  });

  it('validates its options', () => {
    expect(() => new Esp32Simulator({ channels: 0 })).toThrow(RangeError);
    expect(() => new Esp32Simulator({ intervalMs: 1 })).toThrow(RangeError);
    expect(() => new Esp32Simulator({ timeScale: 0 })).toThrow(RangeError);
  });
});
