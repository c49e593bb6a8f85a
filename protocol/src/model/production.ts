/**
 * Production figures from one current clamp per machine (docs/oee.md): cycles, OEE and its
 * parts, downtime stops with reasons, quality counts, energy. Types only; the hub computes
 * them (broker/src/production/), the dashboard shows them.
 *
 * Time that has no data (agent silent, sensor fault) is its own bucket everywhere: it is
 * never booked as off, idle or run time, and it is taken out of the planned time before
 * availability is computed.
 */

/** Where a loss goes in the six big losses (Nakajima). */
export const LOSS_CATEGORIES = ['breakdown', 'setup', 'planned', 'other'] as const;
export type LossCategory = (typeof LOSS_CATEGORIES)[number];

/** A downtime reason operators pick (runtime settings `downtimeReasons`, editable by admins). */
export type DowntimeReason = {
  /** Stable code stored with each stop, a-z 0-9 _ -. */
  code: string;
  en: string;
  ja: string;
  /** breakdown/setup/other are availability losses; planned stops are taken out of planned time. */
  category: LossCategory;
  /** Node ids this reason is offered for; empty = every machine. */
  machines: string[];
};

/** A stretch inside planned time when the machine was not running (off or idle). */
export type DowntimeStop = {
  site: string;
  node: string;
  /** Start of the stop (epoch ms): its id together with site and node. */
  start: number;
  /** null: still stopped now. */
  end: number | null;
  /** Length so far, seconds. */
  durationS: number;
  /** The state the machine stood in (the longer one if it went off ↔ idle). */
  state: 'off' | 'idle';
  /** The reason given, or null. */
  reason: { code: string; by: string; at: number } | null;
  /** Shorter than `oee.microstopBelowS`: grouped as a minor stop, never prompted. */
  microstop: boolean;
  /** At least `oee.askReasonAfterS` long and no reason yet: the dashboard and kiosk ask. */
  needsReason: boolean;
};

export type StopList = {
  stops: DowntimeStop[];
  /** Microstops in the range, grouped (they are not listed one by one in `stops`). */
  microstops: { count: number; totalS: number };
  now: number;
};

export type StopReasonInput = { site: string; node: string; start: number; code: string };
export type StopReasonResult =
  | { ok: true; stop: DowntimeStop }
  | { ok: false; error: 'unknown_machine' | 'unknown_stop' | 'unknown_reason' | 'microstop' };

/** One bar of the lost-time Pareto: a reason code, `unexplained` or `microstops`. */
export type ParetoBar = { code: string; en: string; ja: string; category: LossCategory | 'unexplained' | 'minor_stop'; totalS: number; count: number };
export type DowntimePareto = { bars: ParetoBar[]; totalS: number; now: number };

/** Good and scrap pieces an operator reports for a period (a job, a shift) or at an instant (a button press: start = end). */
export type QualityEntry = {
  id: number;
  site: string;
  node: string;
  start: number;
  end: number;
  good: number;
  scrap: number;
  /** Scrap from start-up / warm-up (reduced yield), counted apart from process defects. */
  startupScrap: number;
  source: 'dashboard' | 'kiosk' | 'button';
  by: string;
  at: number;
  note: string | null;
};
export type QualityEntryInput = Omit<QualityEntry, 'id' | 'at' | 'by'> & { replace?: boolean };
export type QualityEntryResult =
  | { ok: true; entry: QualityEntry; replaced: number[] }
  | { ok: false; error: 'unknown_machine' | 'invalid' | 'overlaps'; overlapping?: number[]; detail?: string };

/** Electric energy; cost at the configured tariff. */
export type EnergyFigures = {
  kWh: number;
  runningKWh: number;
  idleKWh: number;
  offKWh: number;
  costYen: number;
  idleCostYen: number;
};

export type OeeGrouping = 'hour' | 'shift' | 'day' | 'month';

/** What a figure could not be computed without (the UI says so instead of showing 0). */
export type OeeMissing = 'plan' | 'cycles' | 'ideal_cycle' | 'quality' | 'data';

/** The six big losses, as time (seconds) lost from planned time. */
export type SixBigLosses = {
  breakdownS: number;
  setupS: number;
  /** Stops with no reason yet and stops with category `other` (availability). */
  unexplainedS: number;
  otherS: number;
  minorStopS: number;
  /** Run time beyond ideal cycle time × cycles, minus minor stops inside runs (never negative). */
  reducedSpeedS: number;
  /** Ideal cycle time × scrap pieces. */
  defectS: number;
  startupS: number;
};

/** One bucket of the production report. All seconds are inside planned time unless named otherwise. */
export type OeeRow = {
  start: number;
  end: number;
  /** Hour: local ISO start; day: local date; month: YYYY-MM; shift: local date the shift starts on. */
  label: string;
  shift: string | null;
  /** Planned production time from the shifts (minus planned stops). */
  plannedS: number;
  /** Planned time without data (agent silent, sensor fault). */
  noDataS: number;
  runS: number;
  /** Planned − no data − run. */
  stopS: number;
  /** Run time outside planned time (overtime), not part of OEE. */
  unplannedRunS: number;
  cycles: number;
  good: number;
  scrap: number;
  startupScrap: number;
  /** run / (planned − no data); null when there is no plan or no data. */
  availability: number | null;
  /** ideal cycle × cycles / run; null without cycles config, ideal cycle or run time. */
  performance: number | null;
  /** good / (good + scrap + startup scrap); null when nothing was entered. */
  quality: number | null;
  /** availability × performance × quality; null when a part is null. */
  oee: number | null;
  missing: OeeMissing[];
  losses: SixBigLosses;
  energy: EnergyFigures;
};

export type OeeReport = {
  rows: OeeRow[];
  total: Omit<OeeRow, 'label' | 'shift'>;
  /** The ideal cycle time used and where it came from (set in the config, learned from cycles, none). */
  idealCycle: { seconds: number | null; source: 'config' | 'learned' | 'none' };
  tariffYenPerKWh: number;
  now: number;
};

/** One machine on the andon board (kiosk). */
export type AndonTile = {
  site: string;
  node: string;
  name: string | null;
  state: 'off' | 'idle' | 'running' | 'unknown';
  since: number | null;
  online: boolean | null;
  /** The sensor reports a fault (clamp unplugged?): no downtime is booked. */
  sensorFault: boolean;
  /** The stop under way, if the machine stands inside planned time. */
  stop: { start: number; durationS: number; reason: string | null; needsReason: boolean } | null;
  /** Today so far (planned time up to now). */
  today: Pick<OeeRow, 'availability' | 'performance' | 'quality' | 'oee' | 'missing' | 'cycles'>;
};
export type AndonBoard = { tiles: AndonTile[]; reasons: DowntimeReason[]; now: number };
