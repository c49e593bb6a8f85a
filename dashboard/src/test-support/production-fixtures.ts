/**
 * OEE rows for tests, computed by the contract's formulas (protocol/src/model/production.ts):
 * the test gives the times and counts, the ratios and what is missing follow from them.
 */
import type { OeeMissing, OeeRow, SixBigLosses } from '@mieruka/protocol/model';

export type RowInput = {
  start: number;
  end: number;
  label: string;
  shift?: string | null;
  plannedS: number;
  noDataS?: number;
  runS: number;
  cycles?: number;
  /** Ideal cycle time (s); null: none known. */
  idealS?: number | null;
  good?: number;
  scrap?: number;
  startupScrap?: number;
  losses?: Partial<SixBigLosses>;
  kWh?: number;
  idleKWh?: number;
  tariff?: number;
};

export function oeeRow(p: RowInput): OeeRow {
  const noDataS = p.noDataS ?? 0;
  const cycles = p.cycles ?? 0;
  const idealS = p.idealS === undefined ? null : p.idealS;
  const good = p.good ?? 0;
  const scrap = p.scrap ?? 0;
  const startupScrap = p.startupScrap ?? 0;
  const missing: OeeMissing[] = [];
  if (p.plannedS === 0) missing.push('plan');
  else if (p.plannedS - noDataS <= 0) missing.push('data');
  if (cycles === 0) missing.push('cycles');
  if (idealS === null) missing.push('ideal_cycle');
  const pieces = good + scrap + startupScrap;
  if (pieces === 0) missing.push('quality');
  const availability = p.plannedS - noDataS > 0 ? p.runS / (p.plannedS - noDataS) : null;
  const performance = idealS !== null && cycles > 0 && p.runS > 0 ? (idealS * cycles) / p.runS : null;
  const quality = pieces > 0 ? good / pieces : null;
  const oee = availability !== null && performance !== null && quality !== null ? availability * performance * quality : null;
  const tariff = p.tariff ?? 30;
  const kWh = p.kWh ?? 0;
  const idleKWh = p.idleKWh ?? 0;
  return {
    start: p.start,
    end: p.end,
    label: p.label,
    shift: p.shift ?? null,
    plannedS: p.plannedS,
    noDataS,
    runS: p.runS,
    stopS: Math.max(0, p.plannedS - noDataS - p.runS),
    unplannedRunS: 0,
    cycles,
    good,
    scrap,
    startupScrap,
    availability,
    performance,
    quality,
    oee,
    missing,
    losses: { breakdownS: 0, setupS: 0, unexplainedS: 0, otherS: 0, minorStopS: 0, reducedSpeedS: 0, defectS: 0, startupS: 0, ...p.losses },
    energy: { kWh, runningKWh: kWh - idleKWh, idleKWh, offKWh: 0, costYen: kWh * tariff, idleCostYen: idleKWh * tariff },
  };
}
