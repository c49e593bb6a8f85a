/** Machine reports: ranges, timelines, jobs, utilization and current readings. */
import type { MachineState } from '../payloads.js';

/** [from, to) in epoch ms. */
export type TimeRange = { from: number; to: number };

/** What reports are cut by: the configured time zone and work shifts. */
export type ReportSettings = {
  timeZone: string;
  shifts: ReadonlyArray<{ name: string; start: string; end: string; days: readonly string[] }>;
};

/** A machine (a node that reports a state, or one named in the config) and its state now. */
export type MachineSummary = {
  site: string;
  node: string;
  /** Display name from the config. */
  name: string | null;
  /** As the hub sees it now: `unknown` while the agent is offline or never heard. */
  state: MachineState;
  /** When that state began (null: never heard). */
  since: number | null;
  online: boolean | null;
  lastSeen: number | null;
};

/** One stretch of the state timeline; `end` null = still going now. */
export type StateInterval = { state: MachineState; start: number; end: number | null };

export type MachineTimeline = { intervals: StateInterval[]; now: number };

/** One run of a machine; `end` null = running now. */
export type MachineJob = {
  start: number;
  end: number | null;
  /** Length in seconds (so far, for a run still going). */
  durationS: number;
  /** The real start is unknown (the run was under way when the agent or the hub first saw it). */
  partial: boolean;
  /** The run ended without a normal finish (sensor lost, end not reported). */
  interrupted: boolean;
  /** `events`: run_started/run_finished; `states`: derived from the state timeline (no events). */
  source: 'events' | 'states';
  /** Machining cycles counted in the run (null: cycle detection is not configured for the machine). */
  cycles?: number | null;
  /** Energy used during the run (kWh; null: no current readings). */
  kWh?: number | null;
};

export type UsageGrouping = 'hour' | 'day' | 'shift';

export type StateSeconds = { off: number; idle: number; running: number; unknown: number };

/** Seconds per state in one bucket (hour, day, or one shift on one day), elapsed time only. */
export type UsageRow = {
  start: number;
  end: number;
  /** Hour: local ISO start; day: local date; shift: local date the shift starts on. */
  label: string;
  /** Shift name (by=shift only). */
  shift: string | null;
  seconds: StateSeconds;
  totalS: number;
  /** totalS − unknown. */
  knownS: number;
  /** running / knownS (null when knownS is 0). */
  utilization: number | null;
  /** running / totalS (null when totalS is 0). */
  utilizationOfTotal: number | null;
};

export type UsageReport = { rows: UsageRow[]; total: Omit<UsageRow, 'label' | 'shift'>; now: number };

/** Current readings of one channel, downsampled to at most maxPoints buckets (oldest first). */
export type CurrentSeries = {
  /** The channel the machine's state is decided on (machines.<id>.channel). */
  channel: number;
  /** Bucket width in ms (0: raw readings, no downsampling was needed). */
  bucketMs: number;
  /** ts = bucket start (or the reading's ts when raw); amperes RMS. */
  points: Array<{ ts: number; avg: number; min: number; max: number }>;
};
