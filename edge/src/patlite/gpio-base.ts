/**
 * Sysfs GPIO numbers are the chip's base plus the BCM line number. Since Raspberry Pi kernel
 * 6.6 the base of the 40-pin header's chip is no longer 0 (gpiochip512 on a Pi 4, 571 on a
 * Pi 5), so "GPIO 17" is sysfs gpio529 there. Found by the chip's label in /sys/class/gpio.
 */
import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';

/** Labels of the SoC GPIO controllers that drive the header pins (Pi 1–4: bcm2835/2711, Pi 5: rp1). */
const HEADER_CHIP_LABEL = /^pinctrl-(bcm2835|bcm2711|bcm2712|rp1)$/;

export type GpioBase = { base: number; chip: string | null };

export async function detectGpioBase(sysfsRoot = '/sys/class/gpio'): Promise<GpioBase> {
  let entries: string[];
  try {
    entries = (await readdir(sysfsRoot)).filter((e) => e.startsWith('gpiochip'));
  } catch {
    return { base: 0, chip: null };
  }
  const chips: { name: string; base: number; label: string }[] = [];
  for (const name of entries) {
    try {
      const [label, base] = await Promise.all([readFile(join(sysfsRoot, name, 'label'), 'utf8'), readFile(join(sysfsRoot, name, 'base'), 'utf8')]);
      const n = Number(base.trim());
      if (Number.isInteger(n) && n >= 0) chips.push({ name, base: n, label: label.trim() });
    } catch {
      // a chip without readable attributes is not ours
    }
  }
  const header = chips.find((c) => HEADER_CHIP_LABEL.test(c.label));
  if (header) return { base: header.base, chip: `${header.name} (${header.label})` };
  // Unknown board: the lowest base is the usual SoC controller.
  const lowest = chips.sort((a, b) => a.base - b.base)[0];
  return lowest ? { base: lowest.base, chip: `${lowest.name} (${lowest.label})` } : { base: 0, chip: null };
}
