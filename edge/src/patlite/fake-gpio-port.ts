/** A GpioPort in memory for tests: records every write, can be made absent or failing. */
import type { GpioAvailability, GpioInput, GpioOutput, GpioPort } from './gpio-port.js';

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

  private readonly inputs = new Map<number, { level: boolean; handlers: Set<(active: boolean) => void> }>();

  async openInput(line: number): Promise<GpioInput> {
    if (!this.accessible) throw new Error('fake GPIO is not accessible');
    if (this.openLines.has(line) || this.inputs.has(line)) throw new Error(`GPIO ${line} is already open`);
    const input = { level: false, handlers: new Set<(active: boolean) => void>() };
    this.inputs.set(line, input);
    return {
      line,
      read: async () => input.level,
      watch: (handler) => {
        input.handlers.add(handler);
        return () => input.handlers.delete(handler);
      },
      release: async () => {
        input.handlers.clear();
        this.inputs.delete(line);
      },
    };
  }

  /** Drives an input line as the sensor would (already debounced); handlers run on a change. */
  setInput(line: number, active: boolean): void {
    const input = this.inputs.get(line);
    if (!input) throw new Error(`GPIO ${line} is not open as an input`);
    if (input.level === active) return;
    input.level = active;
    for (const h of [...input.handlers]) h(active);
  }

  isInputOpen(line: number): boolean {
    return this.inputs.has(line);
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
