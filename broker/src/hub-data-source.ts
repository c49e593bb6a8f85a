/** What the dashboard reads: the live snapshots, images on disk, hub counters and machine reports. */
import type { AndonBoard, DowntimePareto, DowntimeReason, DowntimeStop, OeeReport, QualityEntry, QualityEntryResult, StopList, StopReasonResult } from '@mieruka/protocol/model';
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
import type { ReportsService } from './reports/reports-service.js';
import type { RuntimeSettingsService } from './settings/runtime-settings.js';

export type HubDataSourceOptions = {
  live: LiveState;
  images: ImageStore;
  stats: () => HubStats;
  reports: ReportsService;
  alerts: Alerts;
  clutter: ClutterHistory;
  thumbnails: Thumbnails;
  settings: RuntimeSettingsService;
  /** Counters, listeners and nodes asking to join (the hub). */
  system: {
    systemInfo(): SystemInfo;
    joinRequests(): JoinRequest[];
    admitJoinRequest(site: string, node: string, by: string): JoinRequestOutcome;
    dismissJoinRequest(site: string, node: string, by: string): JoinRequestOutcome;
    removeNode(site: string, node: string, by: string): Promise<NodeRemovalOutcome>;
  };
};

export class HubDataSource implements DashboardDataSource {
  private readonly options: HubDataSourceOptions;

  constructor(options: HubDataSourceOptions) {
    this.options = options;
  }

  listNodes(): NodeSnapshot[] {
    return this.options.live.list();
  }

  async readImage(site: string, node: string, imageId: string): Promise<Buffer | null> {
    // ImageStore validates every part and keeps the path under the images directory.
    return this.options.images.read(site, node, imageId);
  }

  /** Nodes asking to join (also part of systemInfo). */
  listJoinRequests(): JoinRequest[] {
    return this.options.system.joinRequests();
  }

  stats(): HubStats {
    return this.options.stats();
  }

  /** The readings stream (node and event updates) and the alarm stream, merged for the live feed. */
  subscribe(listener: (update: LiveUpdate) => void): () => void {
    const offReadings = this.options.live.subscribe(listener);
    const offAlarms = this.options.alerts.subscribe(listener);
    return () => {
      offReadings();
      offAlarms();
    };
  }

  reportSettings(): ReportSettings {
    return this.options.reports.settings();
  }

  // SQLite answers synchronously; the interface is async so another store can be slower.
  async listMachines(): Promise<MachineSummary[]> {
    return this.options.reports.listMachines(this.options.live.list());
  }

  async machineTimeline(site: string, node: string, range: TimeRange): Promise<MachineTimeline | null> {
    return this.options.reports.timeline(site, node, range);
  }

  async machineJobs(site: string, node: string, range: TimeRange): Promise<{ jobs: MachineJob[]; now: number } | null> {
    return this.options.reports.jobs(site, node, range);
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

  // Production (issue 20): the contract is in protocol/src/model/production.ts; these are
  // filled in by the production service. Until then they refuse plainly.
  machineOee(): Promise<OeeReport | null> { return notYet('machineOee'); }
  machineStops(): Promise<StopList | null> { return notYet('machineStops'); }
  stopsNeedingReason(): Promise<DowntimeStop[]> { return notYet('stopsNeedingReason'); }
  setStopReason(): Promise<StopReasonResult> { return notYet('setStopReason'); }
  downtimePareto(): Promise<DowntimePareto> { return notYet('downtimePareto'); }
  downtimeReasons(): Promise<DowntimeReason[]> { return notYet('downtimeReasons'); }
  listQualityEntries(): Promise<QualityEntry[] | null> { return notYet('listQualityEntries'); }
  addQualityEntry(): Promise<QualityEntryResult> { return notYet('addQualityEntry'); }
  deleteQualityEntry(): Promise<boolean> { return notYet('deleteQualityEntry'); }
  andonBoard(): Promise<AndonBoard> { return notYet('andonBoard'); }
}

function notYet(what: string): Promise<never> {
  return Promise.reject(new Error(`${what}: production figures are not built yet`));
}
