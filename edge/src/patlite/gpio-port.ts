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

export interface GpioPort {
  /** Whether outputs can be opened here; `ok: false` on a PC or without permissions. */
  availability(): Promise<GpioAvailability>;
  /** `line` is the BCM GPIO number (as printed on pinout charts); the driver maps it. */
  openOutput(line: number, options?: { activeLow?: boolean }): Promise<GpioOutput>;
}
