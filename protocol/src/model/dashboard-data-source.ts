/**
 * What the dashboard reads from the hub. The dashboard never imports the broker and the hub
 * never imports the dashboard: the hub implements this (broker/src/hub-data-source.ts), the
 * composition root (cli) hands it to the dashboard.
 */
import type { AlarmAckResult, AlarmItem, AlarmLinkResult, AlarmQuery } from './alarm.js';
import type { BenchScore, BenchSummary } from './bench.js';
import type { HubStats } from './hub-stats.js';
import type { AndonBoard, DowntimePareto, DowntimeStop, DowntimeReason, OeeGrouping, OeeReport, QualityEntry, QualityEntryInput, QualityEntryResult, StopList, StopReasonInput, StopReasonResult } from './production.js';
import type { LiveUpdate } from './live-update.js';
import type { NodeSnapshot } from './node-snapshot.js';
import type { CurrentSeries, MachineJob, MachineSummary, MachineTimeline, ReportSettings, TimeRange, UsageGrouping, UsageReport } from './reports.js';
import type { SettingsUpdateResult, SettingsView } from './settings-view.js';
import type { JoinRequestOutcome, NodeRemovalOutcome, SystemInfo } from './system-info.js';

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
  /** Counters, listeners and nodes asking to join (admins' System page). */
  systemInfo(): Promise<SystemInfo>;
  /** Lets a node asking to join in: it joins even past the caps or with auto-join off; kept across restarts. */
  admitJoinRequest(site: string, node: string, by: string): Promise<JoinRequestOutcome>;
  /** Forgets a node's request; it is listed again when it next reports. */
  dismissJoinRequest(site: string, node: string, by: string): Promise<JoinRequestOutcome>;
  /** Removes a node that is gone for good from the node list and live state (its history stays); it is a new node if it reports again. */
  removeNode(site: string, node: string, by: string): Promise<NodeRemovalOutcome>;

  // Production (docs/oee.md): OEE, cycles, energy, downtime reasons, quality counts.
  /** OEE parts, cycles, six big losses and energy per bucket; null when the machine is unknown. */
  machineOee(site: string, node: string, range: TimeRange, by: OeeGrouping): Promise<OeeReport | null>;
  /** Stops inside planned time overlapping the range (microstops grouped); null when the machine is unknown. */
  machineStops(site: string, node: string, range: TimeRange): Promise<StopList | null>;
  /** Stops of every machine that wait for a reason (newest first, within `withinMs` of now). */
  stopsNeedingReason(withinMs: number): Promise<DowntimeStop[]>;
  /** Gives or re-classifies a stop's reason; `by` is the user name (or `kiosk`). */
  setStopReason(input: StopReasonInput, by: string): Promise<StopReasonResult>;
  /** Lost time by reason, largest first; one machine or (site/node null) all. */
  downtimePareto(range: TimeRange, machine: { site: string; node: string } | null): Promise<DowntimePareto>;
  /** The reasons offered for a machine (or all reasons with null). */
  downtimeReasons(machine: { site: string; node: string } | null): Promise<DowntimeReason[]>;
  listQualityEntries(site: string, node: string, range: TimeRange): Promise<QualityEntry[] | null>;
  addQualityEntry(input: QualityEntryInput, by: string): Promise<QualityEntryResult>;
  /** Removes an entry (a typing mistake); false when there is none with that id. */
  deleteQualityEntry(id: number, by: string): Promise<boolean>;
  /** Every machine for the kiosk's andon board. */
  andonBoard(): Promise<AndonBoard>;
}
