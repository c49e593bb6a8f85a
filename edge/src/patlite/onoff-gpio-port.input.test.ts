/** OnoffGpioPort.openInput with a stand-in onoff module (the real one needs a Raspberry Pi). */
import { describe, expect, it } from 'vitest';
import { OnoffGpioPort } from './onoff-gpio-port.js';

class StandInGpio {
  static accessible = true;
  static last: StandInGpio | null = null;
  value = 0;
  watchers: Array<(err: Error | null | undefined, value: number) => void> = [];
  unexported = false;
  constructor(
    readonly gpio: number,
    readonly direction: string,
    readonly edge: string,
    readonly options: { activeLow?: boolean; debounceTimeout?: number },
  ) {
    StandInGpio.last = this;
  }
  watch(cb: (err: Error | null | undefined, value: number) => void) {
    this.watchers.push(cb);
  }
  unwatchAll() {
    this.watchers = [];
  }
  unexport() {
    this.unexported = true;
  }
  async read() {
    return this.value;
  }
  edgeTo(value: number) {
    this.value = value;
    for (const w of this.watchers) w(null, value);
  }
}

describe('OnoffGpioPort inputs', () => {
  it('opens the sysfs line for both edges with onoff debouncing, reports levels and releases', async () => {
    const port = new OnoffGpioPort({ base: 512, load: async () => ({ Gpio: StandInGpio as never }) });
    const input = await port.openInput(27, { debounceMs: 150 });
    const g = StandInGpio.last!;
    expect([g.gpio, g.direction, g.edge, g.options.debounceTimeout]).toEqual([539, 'in', 'both', 150]);
    const seen: boolean[] = [];
    const unwatch = input.watch((a) => seen.push(a));
    g.edgeTo(1);
    expect(await input.read()).toBe(true);
    g.watchers[0]!(new Error('read failed'), 0); // an errored edge is ignored
    g.edgeTo(0);
    unwatch();
    g.edgeTo(1);
    expect(seen).toEqual([true, false]);
    await input.release();
    expect(g.unexported).toBe(true);
    expect(g.watchers).toEqual([]);
  });
});
