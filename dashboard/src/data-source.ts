/**
 * What the dashboard needs from the hub. The dashboard never imports the broker: the hub
 * implements this interface over its store and live message stream (broker/src/hub-data-source.ts).
 */
import type { MachineState, RuntimeSettings } from '@mieruka/protocol';

export type NodeSnapshot = {
  site: string;
  node: string;
  /** From the retained `status` (null: never heard of). */
  online: boolean | null;
  agent: string | null;
  version: string | null;
  /** Last message of any kind, epoch ms. */
  lastSeen: number | null;
  state: { state: MachineState; since: number; ts: number } | null;
  current: { irms: number[]; ts: number; seq: number } | null;
  clutter: { score: number; coveredRatio: number; slot: string; ts: number; imageId: string | null } | null;
  motion: { active: boolean; ts: number } | null;
};

export type LiveUpdate =
  | { type: 'node'; node: NodeSnapshot }
  | { type: 'event'; site: string; node: string; event: { ts: number; seq: number; type: string; [k: string]: unknown } }
  /** An alarm was raised, re-occurred or changed, acknowledged or cleared. */
  | { type: 'alarm'; change: AlarmChangeKind; alarm: AlarmItem };

export type AlarmSeverity = 'critical' | 'major' | 'minor' | 'warning' | 'info';
export type AlarmChangeKind = 'raised' | 'updated' | 'acknowledged' | 'cleared';

/** One alarm as the dashboard shows it (a superset of the alert engine's AlarmView). */
export type AlarmItem = {
  id: string;
  site: string;
  /** Machine or station id; `hub` for hub-level alarms (a broken alert channel). */
  node: string;
  /** Rule type: machine_stopped, job_finished, running_long, idle_long, sensor_offline, clutter_high, channel_broken. */
  type: string;
  severity: AlarmSeverity;
  message: { ja: string; en: string };
  activeSince: number;
  active: boolean;
  acknowledged: boolean;
  acknowledgedBy?: string;
  acknowledgedAt?: number;
  clearedAt?: number;
  /** How often the condition began again before the alarm cleared (1 = once). */
  occurrences: number;
  lastRaisedAt: number;
  /** The escalation list has been told. */
  escalated: boolean;
};

/** `active`: alarms active now (acknowledged or not); `history`: all alarms, newest first. */
export type AlarmQuery = {
  state: 'active' | 'history';
  site?: string;
  node?: string;
  severity?: AlarmSeverity[];
  /** activeSince in [from, to), epoch ms. */
  from?: number;
  to?: number;
  limit: number;
};

export type AlarmAckResult = { outcome: 'acknowledged' | 'already' | 'not_found'; alarm: AlarmItem | null };

/** What a signed acknowledge link (from a mail) says: `valid` = may be acknowledged now. */
export type AlarmLinkResult = { outcome: 'valid' | 'acknowledged' | 'already' | 'invalid' | 'expired'; alarm: AlarmItem | null };

export type HubStats = {
  startedAt: number;
  messagesReceived: number;
  messagesInvalid: number;
  rowsWritten: number;
  clientsConnected: number;
};

export type AuthenticatedUser = { username: string; role: 'admin' | 'viewer' };

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

/** One clutter score of a work-bench station. */
export type BenchScore = {
  ts: number;
  seq: number;
  score: number;
  coveredRatio: number;
  slot: string;
  imageId: string | null;
  /** The image file is on disk (false after retention pruned it, or before it arrived). */
  imageAvailable: boolean;
};

/** A clutter station (one that has sent a score, or one named in the config) and its latest score. */
export type BenchSummary = { site: string; node: string; name: string | null; online: boolean | null; latest: BenchScore | null };

/** Current readings of one channel, downsampled to at most maxPoints buckets (oldest first). */
export type CurrentSeries = {
  /** The channel the machine's state is decided on (machines.<id>.channel). */
  channel: number;
  /** Bucket width in ms (0: raw readings, no downsampling was needed). */
  bucketMs: number;
  /** ts = bucket start (or the reading's ts when raw); amperes RMS. */
  points: Array<{ ts: number; avg: number; min: number; max: number }>;
};

/** The settings an admin may change from the dashboard (effective values: config file + saved changes). */
export type SettingsView = {
  /** Bumped at every save; PUT must send the version it edited (409 otherwise). 0 = never saved. */
  version: number;
  updatedAt: number | null;
  updatedBy: string | null;
  settings: RuntimeSettings;
};

export type SettingsUpdateResult =
  | { outcome: 'saved'; view: SettingsView }
  | { outcome: 'conflict'; view: SettingsView }
  /** Each problem with its path inside `settings` (e.g. ['machines','lathe-1','runningAboveA']). */
  | { outcome: 'invalid'; issues: Array<{ path: Array<string | number>; message: string }> };

export interface DashboardDataSource {
  listNodes(): NodeSnapshot[];
  /** Latest annotated JPEG of a clutter result, or null. */
  readImage(site: string, node: string, imageId: string): Promise<Buffer | null>;
  stats(): HubStats;
  /** Calls `listener` for every live change; returns the unsubscribe function. */
  subscribe(listener: (update: LiveUpdate) => void): () => void;
  reportSettings(): ReportSettings;
  listMachines(): Promise<MachineSummary[]>;
  /** Intervals clipped to the range (and to now); null when the machine is unknown. */
  machineTimeline(site: string, node: string, range: TimeRange): Promise<MachineTimeline | null>;
  /** Runs overlapping the range, with their real start and end; null when the machine is unknown. */
  machineJobs(site: string, node: string, range: TimeRange): Promise<{ jobs: MachineJob[]; now: number } | null>;
  /** Seconds per state per bucket; null when the machine is unknown. */
  machineUsage(site: string, node: string, range: TimeRange, by: UsageGrouping): Promise<UsageReport | null>;
  listAlarms(query: AlarmQuery): Promise<AlarmItem[]>;
  /** Acknowledges from the dashboard; `by` is the user name recorded in the history. */
  acknowledgeAlarm(id: string, by: string): Promise<AlarmAckResult>;
  /** A signed mail link: checks it (`acknowledge` false) or acknowledges with it (true). Never throws for a bad token. */
  alarmLink(token: string, acknowledge: boolean): Promise<AlarmLinkResult>;
  listBenches(): Promise<BenchSummary[]>;
  /** Scores with ts in [from, to), oldest first, at most `limit`; null when the station is unknown. */
  benchScores(site: string, node: string, range: TimeRange, limit: number): Promise<BenchScore[] | null>;
  /** A small JPEG of a clutter image (about 240 px wide), or null. */
  readThumbnail(site: string, node: string, imageId: string): Promise<Buffer | null>;
  /** Stored current readings in the range; null when the machine is unknown. */
  machineCurrent(site: string, node: string, range: TimeRange, maxPoints: number): Promise<CurrentSeries | null>;
  getSettings(): Promise<SettingsView>;
  /** Validates, stores and applies at once (no restart). `version` is the one the editor started from. */
  updateSettings(settings: unknown, version: number, by: string): Promise<SettingsUpdateResult>;
}

export interface UserVerifier {
  /** Resolves the user when the password matches, null otherwise. Never throws for bad input. */
  verify(username: string, password: string): Promise<AuthenticatedUser | null>;
}
