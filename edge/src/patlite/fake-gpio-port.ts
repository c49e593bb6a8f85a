/** A GpioPort in memory for tests: records every write, can be made absent or failing. */
import type { GpioAvailability, GpioOutput, GpioPort } from './gpio-port.js';

export type FakeGpioWrite = { line: number; active: boolean };

export class FakeGpioPort implements GpioPort {
  /** False = behaves like a PC without GPIO. */
  accessible: boolean;
  /** When set, writes reject with this message (a broken relay board, a lost permission). */
  failWrites: string | null = null;
  readonly writes: FakeGpioWrite[] = [];
  private readonly values = new Map<number, boolean>();
  private readonly openLines = new Map<number, { activeLow: boolean }>();

  constructor(options: { accessible?: boolean } = {}) {
    this.accessible = options.accessible ?? true;
  }

  async availability(): Promise<GpioAvailability> {
    return this.accessible ? { ok: true } : { ok: false, reason: 'fake GPIO is not accessible' };
  }

  async openOutput(line: number, options: { activeLow?: boolean } = {}): Promise<GpioOutput> {
    if (!this.accessible) throw new Error('fake GPIO is not accessible');
    if (this.openLines.has(line)) throw new Error(`GPIO ${line} is already open`);
    this.openLines.set(line, { activeLow: options.activeLow ?? false });
    this.values.set(line, false);
    return {
      line,
      write: async (active: boolean) => {
        if (this.failWrites) throw new Error(this.failWrites);
        if (!this.openLines.has(line)) throw new Error(`GPIO ${line} is released`);
        this.values.set(line, active);
        this.writes.push({ line, active });
      },
      release: async () => {
        this.values.set(line, false);
        this.openLines.delete(line);
      },
    };
  }

  /** Logical level of a line (false when never opened). */
  isActive(line: number): boolean {
    return this.values.get(line) ?? false;
  }

  isOpen(line: number): boolean {
    return this.openLines.has(line);
  }

  /** Physical level, taking the polarity of the line into account. */
  physicalHigh(line: number): boolean {
    const active = this.isActive(line);
    return this.openLines.get(line)?.activeLow ? !active : active;
  }

  get openCount(): number {
    return this.openLines.size;
  }
}
