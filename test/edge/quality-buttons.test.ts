/**
 * Good / scrap buttons at the machine: the fake GPIO port (the hardware edge) drives the
 * lines, debouncing runs on the test's clock and timers, and the presses travel the real
 * path: QualityButtons → MqttNodeLink → aedes on 127.0.0.1 → an MQTT.js subscriber.
 */
import { connectAsync } from 'mqtt';
import { pino } from 'pino';
import { afterEach, describe, expect, it } from 'vitest';
import { decodeMessage, MachineConfig, QualityCountEvent, type PayloadOf } from '@mieruka/protocol';
import { makeTempDir } from '../helpers/temp-dir.js';
import { waitFor } from '../helpers/wait-for.js';
import { MqttNodeLink } from '../../edge/src/mqtt/mqtt-node-link.js';
import { FakeGpioPort } from '../../edge/src/patlite/fake-gpio-port.js';
import { QualityButtons } from '../../edge/src/current/quality-buttons.js';
import { startTestBroker as startBroker } from '../helpers/aedes-broker.js';

const logger = pino({ level: 'silent' });
const GOOD = 17;
const SCRAP = 27;

/** Timers that fire only when the test moves the clock. */
class ManualTimers {
  t = Date.now();
  private nextId = 1;
  private readonly due = new Map<number, { at: number; fn: () => void }>();
  now = (): number => this.t;
  setTimeout = (fn: () => void, ms: number): unknown => {
    const id = this.nextId++;
    this.due.set(id, { at: this.t + ms, fn });
    return id;
  };
  clearTimeout = (handle: unknown): void => {
    this.due.delete(handle as number);
  };
  advance(ms: number): void {
    const end = this.t + ms;
    for (;;) {
      const next = [...this.due.entries()].filter(([, d]) => d.at <= end).sort((a, b) => a[1].at - b[1].at)[0];
      if (!next) break;
      this.due.delete(next[0]);
      this.t = next[1].at;
      next[1].fn();
    }
    this.t = end;
  }
  get pending(): number {
    return this.due.size;
  }
}

describe('QualityButtons', () => {
  const cleanups: Array<() => Promise<unknown>> = [];
  afterEach(async () => {
    for (const c of cleanups.reverse()) await c().catch(() => undefined);
    cleanups.length = 0;
  });

  async function setup(buttons: unknown, gpio: FakeGpioPort | null = new FakeGpioPort()) {
    const broker = await startBroker();
    cleanups.push(() => broker.close());
    const tmp = await makeTempDir();
    cleanups.push(() => tmp.remove());
    const client = await connectAsync(broker.url, { clientId: `sub-${Math.random().toString(36).slice(2)}`, reconnectPeriod: 0 });
    cleanups.push(() => client.endAsync());
    const events: Array<PayloadOf<'event'>> = [];
    client.on('message', (topic, payload) => {
      const d = decodeMessage(topic, payload);
      if (d.ok && d.message.kind === 'event') events.push(d.message.payload as PayloadOf<'event'>);
    });
    await client.subscribeAsync('mieruka/v1/factory/mill-1/event', { qos: 1 });
    const link = new MqttNodeLink({ url: broker.url, site: 'factory', node: 'mill-1', agent: 'bridge', version: 'test', dataDir: tmp.path, logger });
    await link.start();
    cleanups.push(() => link.stop());
    const timers = new ManualTimers();
    const machine = MachineConfig.parse({ buttons });
    const qb = new QualityButtons({ link, gpio, buttons: machine.buttons, logger, now: timers.now, timers });
    cleanups.push(() => qb.stop());
    await qb.start();
    return { qb, gpio, timers, events };
  }

  it('each press that holds 50 ms publishes one quality event; bounce on press and release and short spikes do not count', async () => {
    const { qb, gpio, timers, events } = await setup({ good: { gpio: GOOD }, scrap: { gpio: SCRAP, activeLow: false } });
    const fake = gpio as FakeGpioPort;
    expect(qb.stats().lines).toEqual({ good: 'open', scrap: 'open' });
    const press = (line: number, bounces: number) => {
      // Contact bounce: the line flips a few times within a few ms, then stays.
      for (let i = 0; i < bounces; i++) {
        fake.setInput(line, true);
        timers.advance(2);
        fake.setInput(line, false);
        timers.advance(2);
      }
      fake.setInput(line, true);
    };
    const pressedAt: Array<{ kind: string; ts: number }> = [];
    // Good: a clean press, released after 200 ms.
    press(GOOD, 0);
    pressedAt.push({ kind: 'good', ts: timers.t });
    timers.advance(200);
    fake.setInput(GOOD, false);
    timers.advance(100);
    // Good again: with bounce on press and release.
    press(GOOD, 3);
    pressedAt.push({ kind: 'good', ts: timers.t });
    timers.advance(49);
    expect(qb.stats().good).toBe(1); // not yet: the level has held 49 ms
    timers.advance(150);
    for (let i = 0; i < 3; i++) {
      fake.setInput(GOOD, false);
      timers.advance(1);
      fake.setInput(GOOD, true);
      timers.advance(1);
    }
    fake.setInput(GOOD, false);
    timers.advance(500);
    // A 10 ms spike on the scrap line: not a press.
    fake.setInput(SCRAP, true);
    timers.advance(10);
    fake.setInput(SCRAP, false);
    timers.advance(500);
    // Scrap: a real press.
    press(SCRAP, 2);
    pressedAt.push({ kind: 'scrap', ts: timers.t });
    timers.advance(300);
    fake.setInput(SCRAP, false);
    timers.advance(100);
    expect(timers.pending).toBe(0);

    await waitFor(() => events.length >= 3, 'three quality events');
    for (const e of events) expect(QualityCountEvent.safeParse(e).success).toBe(true);
    expect(events.map((e) => ({ ts: e.ts, good: e.good, scrap: e.scrap }))).toEqual(
      pressedAt.map((p) => ({ ts: p.ts, good: p.kind === 'good' ? 1 : 0, scrap: p.kind === 'scrap' ? 1 : 0 })),
    );
    expect(events.map((e) => e.seq)).toEqual([...events.map((e) => e.seq)].sort((a, b) => a - b));
    expect(qb.stats()).toMatchObject({ good: 2, scrap: 1, publishErrors: 0 });
    expect(qb.stats().bounces).toBe(6 + 6 + 1 + 4); // press, release, spike, scrap press: every edge but the first of each

    await qb.stop();
    expect(fake.isInputOpen(GOOD) || fake.isInputOpen(SCRAP)).toBe(false);
  });

  it('a button held down at start is not a press; it counts after it is released and pressed again', async () => {
    const gpio = new FakeGpioPort();
    // Held down before the agent starts: open the line, set it, then hand the port over.
    const original = gpio.openInput.bind(gpio);
    gpio.openInput = async (line: number) => {
      const input = await original(line);
      gpio.setInput(line, true);
      return input;
    };
    const { qb, timers, events } = await setup({ good: { gpio: GOOD } }, gpio);
    timers.advance(1000);
    expect(qb.stats().good).toBe(0);
    gpio.setInput(GOOD, false);
    timers.advance(100);
    gpio.setInput(GOOD, true);
    timers.advance(100);
    await waitFor(() => events.length === 1, 'one quality event');
    expect(qb.stats().good).toBe(1);
  });

  it('no GPIO on this host: the buttons are reported off, nothing crashes', async () => {
    const { qb, events } = await setup({ good: { gpio: GOOD }, scrap: { gpio: SCRAP } }, new FakeGpioPort({ accessible: false }));
    expect(qb.stats().lines).toEqual({ good: 'off: fake GPIO is not accessible', scrap: 'off: fake GPIO is not accessible' });
    expect(events).toEqual([]);
    const none = await setup({ good: { gpio: GOOD } }, null);
    expect(none.qb.stats().lines.good).toMatch(/^off: no GPIO port/);
  });
});
