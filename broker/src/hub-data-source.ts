/** What the dashboard reads: the live snapshots, images on disk, hub counters and machine reports. */
import type { AndonBoard, DowntimePareto, DowntimeReason, DowntimeStop, OeeGrouping, OeeReport, QualityEntry, QualityEntryInput, QualityEntryResult, StopList, StopReasonInput, StopReasonResult } from '@mieruka/protocol/model';
import type {
  AlarmAckResult,
  AlarmItem,
  AlarmLinkResult,
  AlarmQuery,
  BenchScore,
  BenchSummary,
  CurrentSeries,
  DashboardDataSource,
  HubStats,
  JoinRequest,
  JoinRequestOutcome,
  NodeRemovalOutcome,
  LiveUpdate,
  MachineJob,
  MachineSummary,
  MachineTimeline,
  NodeSnapshot,
  ReportSettings,
  SettingsUpdateResult,
  SettingsView,
  SystemInfo,
  TimeRange,
  UsageGrouping,
  UsageReport,
} from '@mieruka/protocol';
import type { Alerts } from './alerts/alerts.js';
import type { ClutterHistory } from './clutter-history/clutter-history.js';
import type { Thumbnails } from './clutter-history/thumbnails.js';
import type { ImageStore } from './ingest/image-store.js';
import type { LiveState } from './ingest/live-state.js';
import { LiveUnion, type LiveView } from './ingest/live-union.js';
import type { ProductionService } from './production/production-service.js';
import type { ReportsService } from './reports/reports-service.js';
import type { RuntimeSettingsService } from './settings/runtime-settings.js';

export type HubDataSourceOptions = {
  live: LiveState;
  /** Fleet mode: nodes reporting to the other hubs, live only (PeerLiveMirror); shown beside this hub's own. */
  peers?: LiveView;
  images: ImageStore;
  stats: () => HubStats;
  reports: ReportsService;
  production: ProductionService;
  alerts: Alerts;
  clutter: ClutterHistory;
  thumbnails: Thumbnails;
  settings: RuntimeSettingsService;
  /** Counters, listeners and nodes asking to join (the hub). */
  system: {
    systemInfo(): Promise<SystemInfo>;
    joinRequests(): Promise<JoinRequest[]>;
    admitJoinRequest(site: string, node: string, by: string): Promise<JoinRequestOutcome>;
    dismissJoinRequest(site: string, node: string, by: string): Promise<JoinRequestOutcome>;
    removeNode(site: string, node: string, by: string): Promise<NodeRemovalOutcome>;
  };
};

export class HubDataSource implements DashboardDataSource {
  private readonly options: HubDataSourceOptions;

  constructor(options: HubDataSourceOptions) {
    this.options = options;
  }

  /** This hub's nodes, and in fleet mode the other hubs' (a node this hub ingests itself shows as it has it). */
  listNodes(): NodeSnapshot[] {
    return new LiveUnion(this.options.live, this.options.peers ?? null).list();
  }

  async readImage(site: string, node: string, imageId: string): Promise<Buffer | null> {
    // ImageStore validates every part and keeps the path under the images directory.
    return this.options.images.read(site, node, imageId);
  }

  /** Nodes asking to join (also part of systemInfo). */
  listJoinRequests(): Promise<JoinRequest[]> {
    return this.options.system.joinRequests();
  }

  stats(): HubStats {
    return this.options.stats();
  }

  /** The readings stream (node and event updates), the alarm stream and production changes, merged for the live feed. */
  subscribe(listener: (update: LiveUpdate) => void): () => void {
    const offReadings = new LiveUnion(this.options.live, this.options.peers ?? null).subscribe(listener);
    const offAlarms = this.options.alerts.subscribe(listener);
    const offProduction = this.options.production.subscribe(listener);
    return () => {
      offReadings();
      offAlarms();
      offProduction();
    };
  }

  reportSettings(): ReportSettings {
    return this.options.reports.settings();
  }

  async listMachines(): Promise<MachineSummary[]> {
    return this.options.reports.listMachines(this.options.live.list());
  }

  async machineTimeline(site: string, node: string, range: TimeRange): Promise<MachineTimeline | null> {
    return this.options.reports.timeline(site, node, range);
  }

  async machineJobs(site: string, node: string, range: TimeRange): Promise<{ jobs: MachineJob[]; now: number } | null> {
    const result = await this.options.reports.jobs(site, node, range);
    return result && { ...result, jobs: await this.options.production.decorateJobs(site, node, result.jobs) };
  }

  async machineUsage(site: string, node: string, range: TimeRange, by: UsageGrouping): Promise<UsageReport | null> {
    return this.options.reports.usage(site, node, range, by);
  }

  async machineCurrent(site: string, node: string, range: TimeRange, maxPoints: number): Promise<CurrentSeries | null> {
    return this.options.reports.current(site, node, range, maxPoints);
  }

  async listAlarms(query: AlarmQuery): Promise<AlarmItem[]> {
    return this.options.alerts.listAlarms(query);
  }

  async acknowledgeAlarm(id: string, by: string): Promise<AlarmAckResult> {
    return this.options.alerts.acknowledge(id, by);
  }

  async alarmLink(token: string, acknowledge: boolean): Promise<AlarmLinkResult> {
    return this.options.alerts.alarmLink(token, acknowledge);
  }

  async listBenches(): Promise<BenchSummary[]> {
    return this.options.clutter.listBenches(this.options.live.list());
  }

  async benchScores(site: string, node: string, range: TimeRange, limit: number): Promise<BenchScore[] | null> {
    return this.options.clutter.scores(site, node, range, limit);
  }

  async readThumbnail(site: string, node: string, imageId: string): Promise<Buffer | null> {
    return this.options.thumbnails.read(site, node, imageId);
  }

  async getSettings(): Promise<SettingsView> {
    return this.options.settings.view();
  }

  updateSettings(settings: unknown, version: number, by: string): Promise<SettingsUpdateResult> {
    return this.options.settings.update(settings, version, by);
  }

  async systemInfo(): Promise<SystemInfo> {
    return this.options.system.systemInfo();
  }

  async admitJoinRequest(site: string, node: string, by: string): Promise<JoinRequestOutcome> {
    return this.options.system.admitJoinRequest(site, node, by);
  }

  async dismissJoinRequest(site: string, node: string, by: string): Promise<JoinRequestOutcome> {
    return this.options.system.dismissJoinRequest(site, node, by);
  }

  removeNode(site: string, node: string, by: string): Promise<NodeRemovalOutcome> {
    return this.options.system.removeNode(site, node, by);
  }

  // Production (docs/oee.md).
  async machineOee(site: string, node: string, range: TimeRange, by: OeeGrouping): Promise<OeeReport | null> {
    return this.options.production.machineOee(site, node, range, by);
  }

  async machineStops(site: string, node: string, range: TimeRange): Promise<StopList | null> {
    return this.options.production.machineStops(site, node, range);
  }

  async stopsNeedingReason(withinMs: number): Promise<DowntimeStop[]> {
    return this.options.production.stopsNeedingReason(withinMs);
  }

  async setStopReason(input: StopReasonInput, by: string): Promise<StopReasonResult> {
    return this.options.production.setStopReason(input, by);
  }

  async downtimePareto(range: TimeRange, machine: { site: string; node: string } | null): Promise<DowntimePareto> {
    return this.options.production.downtimePareto(range, machine);
  }

  async downtimeReasons(machine: { site: string; node: string } | null): Promise<DowntimeReason[]> {
    return this.options.production.downtimeReasons(machine);
  }

  async listQualityEntries(site: string, node: string, range: TimeRange): Promise<QualityEntry[] | null> {
    return this.options.production.listQualityEntries(site, node, range);
  }

  async addQualityEntry(input: QualityEntryInput, by: string): Promise<QualityEntryResult> {
    return this.options.production.addQualityEntry(input, by);
  }

  async deleteQualityEntry(id: number, by: string): Promise<boolean> {
    return this.options.production.deleteQualityEntry(id, by);
  }

  async andonBoard(): Promise<AndonBoard> {
    return this.options.production.andonBoard();
  }
}
