/**
 * Energy from the ampere-seconds per state per UTC quarter hour that ingest keeps
 * (energy_quarters, docs/oee.md#energy). The machine's supply (voltage, phases, power factor)
 * applies at query time, so a corrected power factor changes the past too.
 */
import type { Database, Statement } from 'better-sqlite3';
import type { EnergyFigures } from '@mieruka/protocol';

export const QUARTER_MS = 15 * 60_000;

export type Quarter = { start: number; runningAs: number; idleAs: number; offAs: number; unknownAs: number };
export type EnergySupply = { voltageV: number; phases: 1 | 3; powerFactor: number };

export const DEFAULT_SUPPLY: EnergySupply = { voltageV: 200, phases: 3, powerFactor: 0.85 };

/** kWh from ampere-seconds: P = V × I × (√3 for three phases) × cos φ; 1 kWh = 3.6e6 J. */
export function kWhOf(ampereSeconds: number, supply: EnergySupply): number {
  return (ampereSeconds * supply.voltageV * (supply.phases === 3 ? Math.sqrt(3) : 1) * supply.powerFactor) / 3.6e6;
}

/**
 * Ampere-seconds per state in [from, to). A quarter partly inside counts in proportion to its
 * overlap (linear: the current is taken as even over the quarter); the quarter still filling at
 * `now` spans only up to now.
 */
export function ampereSecondsIn(quarters: readonly Quarter[], from: number, to: number, now: number): Omit<Quarter, 'start'> & { rows: number } {
  const sum = { runningAs: 0, idleAs: 0, offAs: 0, unknownAs: 0, rows: 0 };
  for (const q of quarters) {
    const qEnd = Math.min(q.start + QUARTER_MS, Math.max(now, q.start + 1));
    const overlap = Math.min(qEnd, to) - Math.max(q.start, from);
    if (!(overlap > 0)) continue;
    const f = Math.min(1, overlap / (qEnd - q.start));
    sum.runningAs += q.runningAs * f;
    sum.idleAs += q.idleAs * f;
    sum.offAs += q.offAs * f;
    sum.unknownAs += q.unknownAs * f;
    sum.rows++;
  }
  return sum;
}

/** Energy and its cost in [from, to); `kWh` includes the time of unknown state (the machine drew it all the same). */
export function energyFigures(quarters: readonly Quarter[], from: number, to: number, now: number, supply: EnergySupply, tariffYenPerKWh: number): EnergyFigures {
  const as = ampereSecondsIn(quarters, from, to, now);
  const runningKWh = kWhOf(as.runningAs, supply);
  const idleKWh = kWhOf(as.idleAs, supply);
  const offKWh = kWhOf(as.offAs, supply);
  const kWh = runningKWh + idleKWh + offKWh + kWhOf(as.unknownAs, supply);
  return { kWh, runningKWh, idleKWh, offKWh, costYen: kWh * tariffYenPerKWh, idleCostYen: idleKWh * tariffYenPerKWh };
}

export const emptyEnergy = (): EnergyFigures => ({ kWh: 0, runningKWh: 0, idleKWh: 0, offKWh: 0, costYen: 0, idleCostYen: 0 });

/** Reads a machine's quarters (written by ingest; this service only reads them). */
export class EnergyQuarters {
  private readonly q: Statement;

  constructor(db: Database) {
    this.q = db.prepare(
      'SELECT quarter_start AS start, running_as AS runningAs, idle_as AS idleAs, off_as AS offAs, unknown_as AS unknownAs FROM energy_quarters WHERE site = ? AND node = ? AND quarter_start > ? AND quarter_start < ? ORDER BY quarter_start',
    );
  }

  /** Quarters overlapping [from, to). */
  read(site: string, node: string, from: number, to: number): Quarter[] {
    return this.q.all(site, node, from - QUARTER_MS, to) as Quarter[];
  }
}
