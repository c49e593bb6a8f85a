/**
 * GPIO through onoff (sysfs). onoff is an optional dependency and only works on Linux boards,
 * so it is imported lazily: on a PC `availability()` says why not instead of crashing.
 */
import type { Gpio as OnoffGpio } from 'onoff';
import { detectGpioBase } from './gpio-base.js';
import type { GpioAvailability, GpioInput, GpioOutput, GpioPort } from './gpio-port.js';

type OnoffModule = { Gpio: typeof OnoffGpio };

export type OnoffGpioPortOptions = {
  /** Sysfs number of BCM line 0: a number, or 'auto' (default) to read it from sysfs. */
  base?: number | 'auto';
  sysfsRoot?: string;
  /** For tests: how onoff is loaded. */
  load?: () => Promise<OnoffModule>;
};

export class OnoffGpioPort implements GpioPort {
  private readonly options: OnoffGpioPortOptions;
  private module: Promise<OnoffModule | Error> | null = null;
  private base: Promise<number> | null = null;

  constructor(options: OnoffGpioPortOptions = {}) {
    this.options = options;
  }

  private loadOnoff(): Promise<OnoffModule | Error> {
    const load = this.options.load ?? (async () => (await import('onoff')) as unknown as OnoffModule);
    this.module ??= load().then(
      (m) => ((m as unknown as { default?: OnoffModule }).default?.Gpio ? (m as unknown as { default: OnoffModule }).default : m),
      (err: unknown) => (err instanceof Error ? err : new Error(String(err))),
    );
    return this.module;
  }

  async availability(): Promise<GpioAvailability> {
    const m = await this.loadOnoff();
    if (m instanceof Error) return { ok: false, reason: `the onoff package cannot be loaded (${m.message}); it is an optional dependency of @mieruka/edge` };
    if (!m.Gpio.accessible) return { ok: false, reason: 'GPIO is not accessible here (no /sys/class/gpio: not a Raspberry Pi, or the user is not in the gpio group)' };
    return { ok: true };
  }

  /** The sysfs number of a BCM line. */
  async sysfsNumber(line: number): Promise<number> {
    const configured = this.options.base ?? 'auto';
    this.base ??= configured === 'auto' ? detectGpioBase(this.options.sysfsRoot).then((b) => b.base) : Promise.resolve(configured);
    return (await this.base) + line;
  }

  async openOutput(line: number, options: { activeLow?: boolean } = {}): Promise<GpioOutput> {
    const m = await this.loadOnoff();
    if (m instanceof Error) throw m;
    const activeLow = options.activeLow ?? false;
    // 'high'/'low' set the raw level at once; an active-low relay must start high (= off).
    const gpio = new m.Gpio(await this.sysfsNumber(line), activeLow ? 'high' : 'low', 'none', { activeLow });
    let released = false;
    return {
      line,
      write: (active: boolean) => gpio.write(active ? 1 : 0),
      release: async () => {
        if (released) return;
        released = true;
        try {
          gpio.writeSync(0);
        } finally {
          gpio.unexport();
        }
      },
    };
  }

  /** Input with onoff's interrupt on both edges; debouncing is onoff's debounceTimeout. */
  async openInput(line: number, options: { activeLow?: boolean; debounceMs?: number } = {}): Promise<GpioInput> {
    const m = await this.loadOnoff();
    if (m instanceof Error) throw m;
    const gpio = new m.Gpio(await this.sysfsNumber(line), 'in', 'both', { activeLow: options.activeLow ?? false, debounceTimeout: options.debounceMs ?? 0 });
    const handlers = new Set<(active: boolean) => void>();
    let released = false;
    gpio.watch((err, value) => {
      if (err) return; // a failed read is followed by the next edge; nothing to act on
      for (const h of [...handlers]) h(value === 1);
    });
    return {
      line,
      read: async () => (await gpio.read()) === 1,
      watch: (handler) => {
        handlers.add(handler);
        return () => handlers.delete(handler);
      },
      release: async () => {
        if (released) return;
        released = true;
        handlers.clear();
        gpio.unwatchAll();
        gpio.unexport();
      },
    };
  }
}
