/** GpioRelayTower on the fake GPIO port: lamps, software blink, hold timer, stale commands, stop. */
import { pino } from 'pino';
import { afterEach, describe, expect, it } from 'vitest';
import { examplePatliteCommand, type PatliteCommand } from '@mieruka/protocol';
import { waitFor } from '../../../test/helpers/wait-for.js';
import { FakeGpioPort } from './fake-gpio-port.js';
import { GpioRelayTower, type GpioRelayTowerOptions } from './gpio-relay-tower.js';

const logger = pino({ level: 'silent' });
const PINS = { red: 17, amber: 27, green: 22, buzzer: 23 };
const cmd = (over: Partial<PatliteCommand>): PatliteCommand => ({ ts: Date.now(), red: 'off', amber: 'off', green: 'off', buzzer: 0, holdS: 60, ...over });

describe('GpioRelayTower', () => {
  const towers: GpioRelayTower[] = [];
  afterEach(async () => {
    for (const t of towers.splice(0)) await t.stop();
  });

  async function tower(options: Partial<GpioRelayTowerOptions> = {}) {
    const gpio = (options.gpio as FakeGpioPort | undefined) ?? new FakeGpioPort();
    const t = new GpioRelayTower({ gpio, pins: PINS, logger, blinkMs: 50, ...options });
    towers.push(t);
    await t.start();
    return { t, gpio };
  }

  it('opens one line per wired tier, all off, and switches steady lamps and the buzzer', async () => {
    const { t, gpio } = await tower();
    expect(gpio.openCount).toBe(4);
    expect([17, 27, 22, 23].map((l) => gpio.isActive(l))).toEqual([false, false, false, false]);
    expect(await t.apply(cmd({ red: 'on', green: 'on', buzzer: true }))).toBe('applied');
    expect([17, 27, 22, 23].map((l) => gpio.isActive(l))).toEqual([true, false, true, true]);
    expect(t.state()).toMatchObject({ red: 'on', green: 'on', buzzer: 1 });
  });

  it('blinks in software and beeps buzzer patterns ≥ 2 in the same rhythm', async () => {
    const { t, gpio } = await tower();
    await t.apply(cmd({ amber: 'blink', buzzer: 2 }));
    const amber = () => gpio.writes.filter((w) => w.line === 27).map((w) => w.active);
    await waitFor(() => amber().filter(Boolean).length >= 2 && amber().filter((a) => !a).length >= 3, 'amber toggling');
    const buzzer = gpio.writes.filter((w) => w.line === 23).map((w) => w.active);
    expect(buzzer).toContain(true);
    expect(buzzer.slice(1)).toContain(false);
    await t.apply(cmd({ amber: 'on' }));
    const count = gpio.writes.length;
    expect(gpio.isActive(27)).toBe(true);
    // no timer left: nothing is written any more
    await new Promise((r) => setTimeout(r, 200));
    expect(gpio.writes.length).toBe(count);
  });

  it('goes dark by itself when the hold runs out', async () => {
    const { t, gpio } = await tower();
    await t.apply(cmd({ red: 'on', holdS: 0.15 }));
    expect(gpio.isActive(17)).toBe(true);
    await waitFor(() => !gpio.isActive(17), 'red off after the hold');
    expect(t.state().red).toBe('off');
  });

  it('counts the hold from the hub timestamp: an old lit command is not shown', async () => {
    const { t, gpio } = await tower();
    expect(await t.apply(cmd({ ts: Date.now() - 120_000, red: 'on', holdS: 60 }))).toBe('expired');
    expect(gpio.isActive(17)).toBe(false);
  });

  it('ignores a command older than the one applied', async () => {
    const { t, gpio } = await tower();
    const now = Date.now();
    await t.apply(cmd({ ts: now, green: 'on' }));
    expect(await t.apply(cmd({ ts: now - 1000, red: 'on' }))).toBe('stale');
    expect(gpio.isActive(17)).toBe(false);
    expect(gpio.isActive(22)).toBe(true);
  });

  it('stop switches everything off and releases every line', async () => {
    const { t, gpio } = await tower();
    await t.apply(cmd({ red: 'blink', buzzer: 1 }));
    await t.stop();
    expect(gpio.openCount).toBe(0);
    expect([17, 27, 22, 23].map((l) => gpio.isActive(l))).toEqual([false, false, false, false]);
    expect(gpio.writes.slice(-4).every((w) => !w.active)).toBe(true);
    expect(await t.apply(examplePatliteCommand)).toBe('disabled');
  });

  it('reports itself disabled without GPIO and ignores commands', async () => {
    const { t, gpio } = await tower({ gpio: new FakeGpioPort({ accessible: false }) });
    expect(t.disabled).toMatch(/not accessible/);
    expect(await t.apply(cmd({ red: 'on' }))).toBe('disabled');
    expect(gpio.writes).toEqual([]);
  });

  it('a failing relay output is a fault, not a crash, and clears when writes work again', async () => {
    const { t, gpio } = await tower();
    gpio.failWrites = 'EIO';
    await t.apply(cmd({ red: 'on' }));
    expect(t.lastFault).toMatch(/GPIO 17 \(red\): EIO/);
    gpio.failWrites = null;
    await t.apply(cmd({ red: 'on' }));
    expect(t.lastFault).toBeNull();
    expect(gpio.isActive(17)).toBe(true);
  });

  it('active-low relay boards: logical on is a low pin', async () => {
    const { t, gpio } = await tower({ activeLow: true });
    expect(gpio.physicalHigh(17)).toBe(true);
    await t.apply(cmd({ red: 'on' }));
    expect(gpio.physicalHigh(17)).toBe(false);
  });

  it('refuses a wiring with the same pin twice', () => {
    expect(() => new GpioRelayTower({ gpio: new FakeGpioPort(), pins: { red: 17, amber: 17, green: 22 }, logger })).toThrow(/must differ/);
  });
});
