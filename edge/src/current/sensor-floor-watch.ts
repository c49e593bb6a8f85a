/**
 * Sensor honesty (docs/machine-monitor.md#sensor-fault): tells a machine that is off from a
 * clamp that is unplugged. A switched-off machine still draws its standby current (the
 * calibrated `offLevelA`); a clamp off the cable, or a broken lead, reads the ADC's floor. So
 * when `offLevelA` is above `floorA`, readings at or below the floor are not readings of the
 * machine: they are held back (neither state nor cycles see them), and once they have lasted
 * `floorAfterS` (dated from the first of them) the sensor is at fault. The first reading above
 * the floor ends the fault.
 *
 * Without `offLevelA` (or with it at the floor) a floor reading may be a machine that is off,
 * and every reading passes: the behaviour before sensor faults existed.
 *
 * Pure: time comes in with every reading.
 */
import type { MachineConfig } from '@mieruka/protocol';

export type SensorFloorConfig = Pick<MachineConfig['sensor'], 'floorA' | 'floorAfterS' | 'offLevelA'>;

export type FloorVerdict =
  /** An honest reading of the machine: use it. */
  | { type: 'reading' }
  /** At the floor, not (yet) a fault: hold it back. */
  | { type: 'floor' }
  /** The floor has lasted floorAfterS: raise the fault now. */
  | { type: 'fault'; sinceTs: number; readingA: number; offLevelA: number }
  /** Still at the floor during a fault. */
  | { type: 'faulted' }
  /** The first reading above the floor after a fault: the fault is over, and the reading is honest. */
  | { type: 'ok'; sinceTs: number; faultS: number };

export class SensorFloorWatch {
  private readonly floorA: number;
  private readonly floorAfterMs: number;
  private readonly offLevelA: number | null;
  /** First floor reading of the current stretch, if the readings are at the floor. */
  private floorSince: number | null = null;
  private faulted = false;

  constructor(config: SensorFloorConfig) {
    this.floorA = config.floorA;
    this.floorAfterMs = config.floorAfterS * 1000;
    this.offLevelA = config.offLevelA !== undefined && config.offLevelA > config.floorA ? config.offLevelA : null;
  }

  /** False: no calibrated off level above the floor, so the floor cannot be told from off. */
  get enabled(): boolean {
    return this.offLevelA !== null;
  }

  get inFault(): boolean {
    return this.faulted;
  }

  /** The first floor reading of the stretch under way, if any. */
  get since(): number | null {
    return this.floorSince;
  }

  update(ts: number, amps: number): FloorVerdict {
    if (this.offLevelA === null) return { type: 'reading' };
    if (amps <= this.floorA) {
      if (this.faulted) return { type: 'faulted' };
      this.floorSince ??= ts;
      if (ts - this.floorSince < this.floorAfterMs) return { type: 'floor' };
      this.faulted = true;
      return { type: 'fault', sinceTs: this.floorSince, readingA: amps, offLevelA: this.offLevelA };
    }
    const since = this.floorSince;
    this.floorSince = null;
    if (!this.faulted || since === null) return { type: 'reading' };
    this.faulted = false;
    return { type: 'ok', sinceTs: since, faultS: Math.max(0, Math.round((ts - since) / 1000)) };
  }

  /**
   * The sensor went silent: a floor stretch not yet a fault starts again with the next
   * readings (the silence is its own outage). A fault stays until a reading above the floor.
   */
  onSilent(): void {
    if (!this.faulted) this.floorSince = null;
  }
}
