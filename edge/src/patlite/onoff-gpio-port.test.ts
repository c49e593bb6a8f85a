/** The real onoff driver on this machine (a PC: no GPIO) and the sysfs base detection. */
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { pino } from 'pino';
import { makeTempDir } from '../../../test/helpers/temp-dir.js';
import { detectGpioBase } from './gpio-base.js';
import { GpioRelayTower } from './gpio-relay-tower.js';
import { OnoffGpioPort } from './onoff-gpio-port.js';

describe('OnoffGpioPort', () => {
  const cleanups: Array<() => Promise<unknown>> = [];
  afterEach(async () => {
    for (const c of cleanups.splice(0).reverse()) await c();
  });

  async function fakeSysfs(chips: { name: string; label: string; base: number }[]) {
    const dir = await makeTempDir();
    cleanups.push(() => dir.remove());
    for (const c of chips) {
      await mkdir(join(dir.path, c.name));
      await writeFile(join(dir.path, c.name, 'label'), `${c.label}\n`);
      await writeFile(join(dir.path, c.name, 'base'), `${c.base}\n`);
    }
    return dir.path;
  }

  it('loads onoff lazily and says GPIO is not accessible on a machine without it', async () => {
    const { Gpio } = await import('onoff');
    const port = new OnoffGpioPort();
    const availability = await port.availability();
    expect(availability.ok).toBe(Gpio.accessible);
    if (!availability.ok) expect(availability.reason).toMatch(/not accessible/);
  });

  it('a relay tower on such a machine is disabled, not broken', async () => {
    const { Gpio } = await import('onoff');
    if (Gpio.accessible) return; // on a real Pi this test has nothing to show
    const tower = new GpioRelayTower({ gpio: new OnoffGpioPort(), pins: { red: 17, amber: 27, green: 22 }, logger: pino({ level: 'silent' }) });
    await tower.start();
    expect(tower.disabled).toMatch(/not accessible/);
    await tower.stop();
  });

  it('explains a missing onoff package', async () => {
    const port = new OnoffGpioPort({ load: () => Promise.reject(new Error("Cannot find package 'onoff'")) });
    const availability = await port.availability();
    expect(availability).toEqual({ ok: false, reason: expect.stringMatching(/onoff package cannot be loaded.*optional dependency/) });
  });

  it('finds the header chip base: 512 on a Pi 4 with kernel 6.6, 571 on a Pi 5', async () => {
    const pi4 = await fakeSysfs([
      { name: 'gpiochip512', label: 'pinctrl-bcm2711', base: 512 },
      { name: 'gpiochip570', label: 'raspberrypi-exp-gpio', base: 570 },
    ]);
    expect(await detectGpioBase(pi4)).toEqual({ base: 512, chip: 'gpiochip512 (pinctrl-bcm2711)' });
    const pi5 = await fakeSysfs([
      { name: 'gpiochip512', label: 'gpio-brcmstb@107d508500', base: 512 },
      { name: 'gpiochip571', label: 'pinctrl-rp1', base: 571 },
    ]);
    expect((await detectGpioBase(pi5)).base).toBe(571);
    expect(await detectGpioBase(join(pi5, 'missing'))).toEqual({ base: 0, chip: null });
  });

  it('maps BCM lines to sysfs numbers with a configured or detected base', async () => {
    expect(await new OnoffGpioPort({ base: 512 }).sysfsNumber(17)).toBe(529);
    const old = await fakeSysfs([{ name: 'gpiochip0', label: 'pinctrl-bcm2835', base: 0 }]);
    expect(await new OnoffGpioPort({ sysfsRoot: old }).sysfsNumber(17)).toBe(17);
  });
});
