/**
 * Energy from the ampere-seconds per state per UTC quarter hour that ingest keeps
 * (energy_quarters, docs/oee.md#energy). The machine's supply (voltage, phases, power factor)
 * applies at query time, so a corrected power factor changes the past too.
 */
import type { EnergyFigures } from '@mieruka/protocol';
import { ampereSecondsFromReadings, QUARTER_MS, type EnergyMachine } from './energy-quarters.js';
import type { SqlQueries } from '../store/sql/sql-store.js';

export { QUARTER_MS };

/** A quarter's sums, or (`end` set) the exact sums of a part of a quarter, cut where a bucket begins or ends. */
export type Quarter = { start: number; end?: number; runningAs: number; idleAs: number; offAs: number; unknownAs: number };
export type EnergySupply = { voltageV: number; phases: 1 | 3; powerFactor: number };

export const DEFAULT_SUPPLY: EnergySupply = { voltageV: 200, phases: 3, powerFactor: 0.85 };

/** kWh from ampere-seconds: P = V × I × (√3 for three phases) × cos φ; 1 kWh = 3.6e6 J. */
export function kWhOf(ampereSeconds: number, supply: EnergySupply): number {
  return (ampereSeconds * supply.voltageV * (supply.phases === 3 ? Math.sqrt(3) : 1) * supply.powerFactor) / 3.6e6;
}

/**
 * Ampere-seconds per state in [from, to). A quarter partly inside counts in proportion to its
 * overlap (linear: the current is taken as even over the quarter); the quarter still filling at
 * `now` spans only up to now. The reader cuts quarters exactly where buckets begin and end
 * while the readings are kept, so proration only applies to quarters older than that.
 */
export function ampereSecondsIn(quarters: readonly Quarter[], from: number, to: number, now: number): Omit<Quarter, 'start'> & { rows: number } {
  const sum = { runningAs: 0, idleAs: 0, offAs: 0, unknownAs: 0, rows: 0 };
  for (const q of quarters) {
    const qEnd = Math.min(q.end ?? q.start + QUARTER_MS, Math.max(now, q.start + 1));
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

const QUARTERS =
  'SELECT quarter_start AS start, running_as AS "runningAs", idle_as AS "idleAs", off_as AS "offAs", unknown_as AS "unknownAs" FROM energy_quarters WHERE site = ? AND node = ? AND quarter_start > ? AND quarter_start < ? ORDER BY quarter_start';

/** Reads a machine's quarters (written by ingest; this service only reads them). */
export class EnergyReader {
  private readonly sql: SqlQueries;

  constructor(sql: SqlQueries) {
    this.sql = sql;
  }

  /**
   * Quarters overlapping [from, to). A quarter that holds one of `cuts` (the edges of the
   * buckets asked for) is replaced by its exact parts between the cuts, computed from the
   * readings by the table's own rule — unless it starts before `keptFrom`, where readings may
   * have been pruned (its sum is then prorated).
   */
  async read(site: string, node: string, from: number, to: number, exact?: { machine: EnergyMachine; cuts: readonly number[]; keptFrom: number | null }): Promise<Quarter[]> {
    const quarters = await this.sql.all<Quarter>(QUARTERS, [site, node, from - QUARTER_MS, to]);
    if (!exact) return quarters;
    const inner = new Map<number, number[]>();
    for (const t of exact.cuts) {
      const q = Math.floor(t / QUARTER_MS) * QUARTER_MS;
      if (t === q || t <= from - QUARTER_MS || t > to || (exact.keptFrom !== null && q < exact.keptFrom)) continue;
      inner.set(q, [...(inner.get(q) ?? []), t]);
    }
    if (inner.size === 0) return quarters;
    const out = quarters.filter((q) => !inner.has(q.start));
    for (const [q, cuts] of inner) {
      const edges = [q, ...new Set(cuts), q + QUARTER_MS].sort((a, b) => a - b);
      for (let i = 0; i + 1 < edges.length; i++) {
        const [a, b] = [edges[i]!, edges[i + 1]!];
        if (!(b > a)) continue;
        const part = { start: a, end: b, ...(await ampereSecondsFromReadings(this.sql, site, node, exact.machine, a, b)) };
        // Like the table (a quarter has a row once it holds current): an empty part is no data.
        if (part.runningAs || part.idleAs || part.offAs || part.unknownAs) out.push(part);
      }
    }
    return out.sort((a, b) => a.start - b.start);
  }
}
