/**
 * OEE of one bucket of time, from the facts of one machine (docs/oee.md). Pure: the service
 * reads the store, this computes.
 *
 * - Planned time = shift windows − stops whose reason has category `planned`.
 * - No data = planned time with state unknown or no state (agent silent, sensor fault).
 * - Availability A = run / (planned − no data); null without plan (missing `plan`) or when all
 *   of the planned time lacks data (missing `data`).
 * - Performance P = ideal cycle × cycles / run, with the cycles that ended inside the shift
 *   windows and the run time inside planned time; null without cycles config, ideal cycle or
 *   run time. Not capped: P > 1 means the ideal cycle is set slower than the machine really
 *   works, and hiding that behind 100 % would keep it wrong forever (the UI flags it).
 * - Quality Q = good / (good + scrap + startup scrap); null when nothing was entered.
 * - OEE = A × P × Q; null when a part is null — except A = 0 (planned time with data and no
 *   run at all): then OEE is 0 whatever P and Q are.
 */
import type { DowntimeStop, EnergyFigures, LossCategory, OeeMissing, OeeRow, SixBigLosses } from '@mieruka/protocol';
import { firstWhere } from '../reports/first-where.js';
import type { Segment } from '../reports/timeline.js';
import { accumulate, addDurations, emptyDurations, type Durations } from '../reports/usage.js';
import { energyFigures, type EnergySupply, type Quarter } from './energy.js';
import { clipIntervals, mergeIntervals, subtractIntervals, totalMs, type Interval } from './planned-time.js';
import { stopCategory } from './stops.js';

export type QualityCounts = { start: number; end: number; good: number; scrap: number; startupScrap: number };

/** What one machine's figures are computed from, covering every bucket asked. */
export type MachineFacts = {
  /** The state timeline, sorted, up to now. */
  segments: readonly Segment[];
  /** Shift windows (merged, whole). */
  shifts: readonly Interval[];
  /** Stops cut from those windows, with their reasons. */
  stops: readonly DowntimeStop[];
  categoryOf: (code: string) => LossCategory;
  /** End timestamps of the cycles, sorted. */
  cycleEnds: readonly number[];
  quality: readonly QualityCounts[];
  quarters: readonly Quarter[];
  cyclesConfigured: boolean;
  /**
   * When cycle counting began: the start of the run that holds the machine's first stored cycle
   * (a machine upgraded or newly configured has run time before it with no cycles at all). Run
   * time before it is kept out of Performance; null (no cycle yet) leaves Performance out with
   * `missing: ['cycles']`.
   */
  countingFrom: number | null;
  idealCycleS: number | null;
  supply: EnergySupply;
  tariffYenPerKWh: number;
  now: number;
};

export type OeeFigures = Omit<OeeRow, 'label' | 'shift'>;

/** Does a quality entry count in [from, to)? A period by its end, in (from, to]; an instant (start = end) by its ts, in [from, to). */
export function qualityInBucket(e: { start: number; end: number }, from: number, to: number): boolean {
  return e.start === e.end ? e.end >= from && e.end < to : e.end > from && e.end <= to;
}

/** How many of the sorted instants lie in [from, to). */
function countBetween(sorted: readonly number[], from: number, to: number): number {
  return Math.max(0, firstWhere(sorted, (t) => t >= to) - firstWhere(sorted, (t) => t >= from));
}

/** Milliseconds per state of the timeline inside `within` (sorted, disjoint): the reports' bucket sweep, summed. */
function stateMs(segments: readonly Segment[], within: readonly Interval[]): Durations {
  const buckets = within.map((i) => ({ start: i.start, end: i.end, ms: emptyDurations() }));
  // Only the segments that can touch `within`: a month of hour rows stays one sweep each.
  const first = within.length > 0 ? firstWhere(segments, (s) => s.end > within[0]!.start) : segments.length;
  const last = within.length > 0 ? firstWhere(segments, (s) => s.start >= within.at(-1)!.end) : first;
  accumulate(buckets, segments.slice(first, last));
  const total = emptyDurations();
  for (const b of buckets) addDurations(total, b.ms);
  return total;
}

/** Planned stops (reason category `planned`) as intervals. */
export function plannedStopIntervals(facts: Pick<MachineFacts, 'stops' | 'categoryOf' | 'now'>): Interval[] {
  return mergeIntervals(facts.stops.filter((s) => stopCategory(s, facts.categoryOf) === 'planned').map((s) => ({ start: s.start, end: s.end ?? facts.now })));
}

export const emptyLosses = (): SixBigLosses => ({ breakdownS: 0, setupS: 0, unexplainedS: 0, otherS: 0, minorStopS: 0, reducedSpeedS: 0, defectS: 0, startupS: 0 });

/** The figures of [from, to) (elapsed time only: cut at now). */
export function oeeFigures(facts: MachineFacts, from: number, to: number): OeeFigures {
  const end = Math.max(from, Math.min(to, facts.now));
  const shiftTime = clipIntervals(facts.shifts, from, end);
  const planned = subtractIntervals(shiftTime, plannedStopIntervals(facts));
  const plannedMs = totalMs(planned);
  const inPlan = stateMs(facts.segments, planned);
  const runMs = inPlan.running;
  // Time the timeline does not cover at all counts as no data too.
  const noDataMs = plannedMs - inPlan.running - inPlan.off - inPlan.idle;
  const unplannedRunMs = stateMs(facts.segments, [{ start: from, end }]).running - stateMs(facts.segments, shiftTime).running;

  const cycles = countBetween(facts.cycleEnds, from, to);
  const plannedCycles = shiftTime.reduce((n, i) => n + countBetween(facts.cycleEnds, i.start, i.end), 0);
  let good = 0;
  let scrap = 0;
  let startupScrap = 0;
  for (const e of facts.quality) {
    if (!qualityInBucket(e, from, to)) continue;
    good += e.good;
    scrap += e.scrap;
    startupScrap += e.startupScrap;
  }

  const missing: OeeMissing[] = [];
  const usableMs = plannedMs - noDataMs;
  let availability: number | null = null;
  if (plannedMs === 0) missing.push('plan');
  else if (usableMs <= 0) missing.push('data');
  else availability = runMs / usableMs;

  const ideal = facts.idealCycleS;
  const counting = facts.countingFrom;
  // Run time while cycles were counted (planned time from the first cycle on).
  const countedRunMs = counting === null || counting >= end ? 0 : counting <= from ? runMs : stateMs(facts.segments, clipIntervals(planned, counting, end)).running;
  let performance: number | null = null;
  if (!facts.cyclesConfigured || counting === null || counting >= end) missing.push('cycles');
  else if (ideal === null) missing.push('ideal_cycle');
  else if (countedRunMs > 0) performance = (ideal * plannedCycles) / (countedRunMs / 1000);

  const pieces = good + scrap + startupScrap;
  let quality: number | null = null;
  if (pieces === 0) missing.push('quality');
  else quality = good / pieces;

  const oee = availability === 0 ? 0 : availability !== null && performance !== null && quality !== null ? availability * performance * quality : null;

  const losses = emptyLosses();
  for (const s of facts.stops) {
    const overlap = Math.min(s.end ?? facts.now, end) - Math.max(s.start, from);
    if (!(overlap > 0)) continue;
    const seconds = overlap / 1000;
    const category = stopCategory(s, facts.categoryOf);
    if (category === 'minor') losses.minorStopS += seconds;
    else if (category === 'unexplained') losses.unexplainedS += seconds;
    else if (category === 'breakdown') losses.breakdownS += seconds;
    else if (category === 'setup') losses.setupS += seconds;
    else if (category === 'other') losses.otherS += seconds;
  }
  if (ideal !== null) {
    losses.reducedSpeedS = Math.max(0, countedRunMs / 1000 - ideal * plannedCycles);
    losses.defectS = ideal * scrap;
    losses.startupS = ideal * startupScrap;
  }

  const energy: EnergyFigures = energyFigures(facts.quarters, from, end, facts.now, facts.supply, facts.tariffYenPerKWh);
  return {
    start: from,
    end,
    plannedS: plannedMs / 1000,
    noDataS: noDataMs / 1000,
    runS: runMs / 1000,
    stopS: (plannedMs - noDataMs - runMs) / 1000,
    unplannedRunS: unplannedRunMs / 1000,
    cycles,
    good,
    scrap,
    startupScrap,
    availability,
    performance,
    quality,
    oee,
    missing,
    losses,
    energy,
  };
}
