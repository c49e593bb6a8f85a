/**
 * The GPIO hardware port of the edge agents: output lines switched on and off. Real driver:
 * OnoffGpioPort (sysfs through onoff); tests use FakeGpioPort.
 */
export type GpioAvailability = { ok: true } | { ok: false; reason: string };

export interface GpioOutput {
  readonly line: number;
  /** Logical level: true = active (relay energised), whatever the wiring polarity. */
  write(active: boolean): Promise<void>;
  /** Leaves the line inactive and gives it back to the system. */
  release(): Promise<void>;
}

/** An input line (e.g. a PIR sensor) with edge interrupts. */
export interface GpioInput {
  readonly line: number;
  /** Logical level: true = active. */
  read(): Promise<boolean>;
  /** Called on every (debounced) change with the new logical level; returns the unsubscribe function. */
  watch(handler: (active: boolean) => void): () => void;
  /** Stops watching and gives the line back to the system. */
  release(): Promise<void>;
}

export interface GpioPort {
  /** Whether outputs can be opened here; `ok: false` on a PC or without permissions. */
  availability(): Promise<GpioAvailability>;
  /** `line` is the BCM GPIO number (as printed on pinout charts); the driver maps it. */
  openOutput(line: number, options?: { activeLow?: boolean }): Promise<GpioOutput>;
  /** Input with interrupts on both edges; optional so output-only ports stay valid. */
  openInput?(line: number, options?: { activeLow?: boolean; debounceMs?: number }): Promise<GpioInput>;
}
