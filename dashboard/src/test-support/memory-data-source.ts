/**
 * A DashboardDataSource kept in memory: the hub side for tests, demos and UI work without a
 * broker. Changes made through it are published to subscribers like the real hub does.
 */
import type { AndonBoard, DowntimePareto, DowntimeReason, DowntimeStop, OeeGrouping, OeeReport, QualityEntry, QualityEntryInput, QualityEntryResult, StopList, StopReasonInput, StopReasonResult } from '@mieruka/protocol/model';
import type {
  AlarmAckResult,
  AlarmChangeKind,
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
  StateInterval,
  SystemInfo,
  TimeRange,
  UsageGrouping,
  UsageReport,
  UsageRow,
} from '../data-source.js';
import { applySettings, parseConfig, settingsFromConfig, type Config } from '@mieruka/protocol';
import { MemoryProduction } from './memory-production.js';

export type NodePatch = Partial<Omit<NodeSnapshot, 'site' | 'node'>>;

/** Canned report data of one machine; queries filter it by range. */
export type MemoryMachine = {
  name?: string | null;
  intervals?: StateInterval[];
  jobs?: MachineJob[];
  usage?: Partial<Record<UsageGrouping, UsageRow[]>>;
  /** The channel machineCurrent reads (default 0). */
  channel?: number;
};

export function emptyNode(site: string, node: string): NodeSnapshot {
  return { site, node, online: null, agent: null, version: null, lastSeen: null, state: null, current: null, clutter: null, motion: null };
}

export class MemoryDataSource implements DashboardDataSource {
  private readonly nodes = new Map<string, NodeSnapshot>();
  private readonly images = new Map<string, Buffer>();
  private readonly listeners = new Set<(update: LiveUpdate) => void>();
  private readonly counters: HubStats;
  private readonly machines = new Map<string, MemoryMachine>();
  private settings: ReportSettings = { timeZone: 'Asia/Tokyo', shifts: [] };
  private readonly alarms = new Map<string, AlarmItem>();
  private readonly benches = new Map<string, { name: string | null; scores: BenchScore[] }>();
  private readonly thumbnails = new Map<string, Buffer>();
  /** Stored current readings per machine, sorted by ts. */
  private readonly readings = new Map<string, Array<{ ts: number; irms: number[] }>>();
  /** Acknowledge-link tokens: token → alarm id, or 'expired'. The hub signs real ones. */
  private readonly alarmTokens = new Map<string, { alarmId: string; expired: boolean }>();
  /** Runtime settings: the config they are laid over, and the saved view (null until first asked). */
  private settingsBase: Readonly<Config> = parseConfig({});
  private settingsView: SettingsView | null = null;
  /** Nodes asking to join (tests add them), and those admitted. */
  private readonly joinRequests = new Map<string, JoinRequest>();
  readonly admitted = new Set<string>();
  /** The clock reports are cut at (tests set it). */
  now: () => number = Date.now;
  /** Production figures (stops, reasons, quality entries, OEE rows, andon): tests fill it through here. */
  readonly production = new MemoryProduction({
    now: () => this.now(),
    hasMachine: (site, node) => this.machines.has(key(site, node)),
    listMachines: () => this.listMachines(),
    reasons: () => this.settingsBase.oee.reasons.map((r) => ({ ...r, machines: [...r.machines] })),
    askReasonAfterS: () => this.settingsBase.oee.askReasonAfterS,
    publish: (update) => this.publish(update),
  });

  constructor(nodes: NodeSnapshot[] = [], startedAt = Date.now()) {
    for (const node of nodes) this.nodes.set(key(node.site, node.node), structuredClone(node));
    this.counters = { startedAt, messagesReceived: 0, messagesInvalid: 0, rowsWritten: 0, clientsConnected: 0, mqttRefused: { connect: {}, publish: {}, subscribe: {}, limits: {} } };
  }

  listNodes(): NodeSnapshot[] {
    return [...this.nodes.values()].map((node) => structuredClone(node));
  }

  async readImage(site: string, node: string, imageId: string): Promise<Buffer | null> {
    return this.images.get(`${key(site, node)}/${imageId}`) ?? null;
  }

  stats(): HubStats {
    return { ...this.counters };
  }

  subscribe(listener: (update: LiveUpdate) => void): () => void {
    this.listeners.add(listener);
    return () => {
      this.listeners.delete(listener);
    };
  }

  get subscriberCount(): number {
    return this.listeners.size;
  }

  /** Merges `patch` into the node (created when new) and publishes the result. */
  updateNode(site: string, node: string, patch: NodePatch): NodeSnapshot {
    const current = this.nodes.get(key(site, node)) ?? emptyNode(site, node);
    const next: NodeSnapshot = { ...current, ...structuredClone(patch), site, node };
    this.nodes.set(key(site, node), next);
    this.counters.messagesReceived += 1;
    this.publish({ type: 'node', node: structuredClone(next) });
    return next;
  }

  publishEvent(site: string, node: string, event: Extract<LiveUpdate, { type: 'event' }>['event']): void {
    this.counters.messagesReceived += 1;
    this.publish({ type: 'event', site, node, event });
  }

  putImage(site: string, node: string, imageId: string, jpeg: Buffer): void {
    this.images.set(`${key(site, node)}/${imageId}`, jpeg);
  }

  setReportSettings(settings: ReportSettings): void {
    this.settings = structuredClone(settings);
  }

  /** Adds or replaces the canned reports of a machine. */
  setMachine(site: string, node: string, machine: MemoryMachine): void {
    this.machines.set(key(site, node), structuredClone(machine));
  }

  reportSettings(): ReportSettings {
    return structuredClone(this.settings);
  }

  async listMachines(): Promise<MachineSummary[]> {
    const out: MachineSummary[] = [];
    for (const [id, machine] of this.machines) {
      const [site = '', node = ''] = id.split('/');
      const snapshot = this.nodes.get(id);
      const last = machine.intervals?.at(-1);
      out.push({
        site,
        node,
        name: machine.name ?? null,
        state: last && last.end === null ? last.state : 'unknown',
        since: last && last.end === null ? last.start : null,
        online: snapshot?.online ?? null,
        lastSeen: snapshot?.lastSeen ?? null,
      });
    }
    return out.sort((a, b) => (a.site === b.site ? a.node.localeCompare(b.node) : a.site.localeCompare(b.site)));
  }

  async machineTimeline(site: string, node: string, range: TimeRange): Promise<MachineTimeline | null> {
    const machine = this.machines.get(key(site, node));
    if (!machine) return null;
    const now = this.now();
    const end = Math.min(range.to, now);
    const intervals: StateInterval[] = [];
    for (const i of machine.intervals ?? []) {
      const iEnd = i.end ?? now;
      if (iEnd <= range.from || i.start >= end) continue;
      intervals.push({ state: i.state, start: Math.max(i.start, range.from), end: i.end === null && range.to >= now ? null : Math.min(iEnd, end) });
    }
    return { intervals, now };
  }

  async machineJobs(site: string, node: string, range: TimeRange): Promise<{ jobs: MachineJob[]; now: number } | null> {
    const machine = this.machines.get(key(site, node));
    if (!machine) return null;
    const jobs = (machine.jobs ?? []).filter((j) => j.start < range.to && (j.end === null || j.end > range.from));
    return { jobs: structuredClone(jobs), now: this.now() };
  }

  async machineUsage(site: string, node: string, range: TimeRange, by: UsageGrouping): Promise<UsageReport | null> {
    const machine = this.machines.get(key(site, node));
    if (!machine) return null;
    const now = this.now();
    const rows = (machine.usage?.[by] ?? []).filter((r) => r.start >= range.from && r.start < range.to);
    const seconds = { off: 0, idle: 0, running: 0, unknown: 0 };
    for (const r of rows) for (const s of ['off', 'idle', 'running', 'unknown'] as const) seconds[s] += r.seconds[s];
    const totalS = seconds.off + seconds.idle + seconds.running + seconds.unknown;
    const knownS = totalS - seconds.unknown;
    const total = {
      start: range.from,
      end: Math.max(range.from, Math.min(range.to, now)),
      seconds,
      totalS,
      knownS,
      utilization: knownS > 0 ? seconds.running / knownS : null,
      utilizationOfTotal: totalS > 0 ? seconds.running / totalS : null,
    };
    return { rows: structuredClone(rows), total, now };
  }

  /**
   * Stores a current reading (what the hub's store keeps; kept sorted by ts). It does not
   * touch the live snapshot: push that with updateNode({ current }) like the hub's ingest does.
   */
  addReading(site: string, node: string, ts: number, irms: number[]): void {
    const list = this.readings.get(key(site, node)) ?? [];
    const last = list[list.length - 1];
    list.push({ ts, irms: [...irms] });
    if (last && last.ts > ts) list.sort((a, b) => a.ts - b.ts);
    this.readings.set(key(site, node), list);
  }

  /** Raw readings when they fit, else avg/min/max per whole-second bucket from range.from (as the hub does). */
  async machineCurrent(site: string, node: string, range: TimeRange, maxPoints: number): Promise<CurrentSeries | null> {
    const machine = this.machines.get(key(site, node));
    if (!machine) return null;
    const channel = machine.channel ?? 0;
    const inRange = (this.readings.get(key(site, node)) ?? []).filter((r) => r.ts >= range.from && r.ts < range.to);
    const values = inRange.flatMap((r) => (r.irms[channel] === undefined ? [] : [{ ts: r.ts, v: r.irms[channel]! }]));
    if (inRange.length <= maxPoints) return { channel, bucketMs: 0, points: values.map(({ ts, v }) => ({ ts, avg: v, min: v, max: v })) };
    const width = Math.ceil((range.to - range.from) / maxPoints / 1000) * 1000;
    const points: CurrentSeries['points'] = [];
    let sum = 0;
    let count = 0;
    for (const { ts, v } of values) {
      const start = range.from + Math.floor((ts - range.from) / width) * width;
      const p = points[points.length - 1];
      if (p && p.ts === start) {
        p.min = Math.min(p.min, v);
        p.max = Math.max(p.max, v);
      } else {
        if (p) p.avg = sum / count;
        points.push({ ts: start, avg: v, min: v, max: v });
        sum = 0;
        count = 0;
      }
      sum += v;
      count += 1;
    }
    const lastPoint = points[points.length - 1];
    if (lastPoint) lastPoint.avg = sum / count;
    return { channel, bucketMs: width, points };
  }

  /** Adds or replaces an alarm and publishes the change like the hub does. */
  putAlarm(alarm: AlarmItem, change: AlarmChangeKind = 'raised'): void {
    this.alarms.set(alarm.id, structuredClone(alarm));
    this.publish({ type: 'alarm', change, alarm: structuredClone(alarm) });
  }

  /** Makes `token` an acknowledge link of the alarm (expired: refused as expired). */
  setAlarmToken(token: string, alarmId: string, expired = false): void {
    this.alarmTokens.set(token, { alarmId, expired });
  }

  async listAlarms(query: AlarmQuery): Promise<AlarmItem[]> {
    return [...this.alarms.values()]
      .filter(
        (a) =>
          (query.state === 'history' || a.active) &&
          (query.site === undefined || a.site === query.site) &&
          (query.node === undefined || a.node === query.node) &&
          (query.severity === undefined || query.severity.includes(a.severity)) &&
          (query.from === undefined || a.activeSince >= query.from) &&
          (query.to === undefined || a.activeSince < query.to),
      )
      .sort((a, b) => b.activeSince - a.activeSince || b.id.localeCompare(a.id))
      .slice(0, query.limit)
      .map((a) => structuredClone(a));
  }

  async acknowledgeAlarm(id: string, by: string): Promise<AlarmAckResult> {
    const alarm = this.alarms.get(id);
    if (!alarm) return { outcome: 'not_found', alarm: null };
    if (alarm.acknowledged) return { outcome: 'already', alarm: structuredClone(alarm) };
    const next: AlarmItem = { ...alarm, acknowledged: true, acknowledgedBy: by, acknowledgedAt: this.now() };
    this.putAlarm(next, 'acknowledged');
    return { outcome: 'acknowledged', alarm: structuredClone(next) };
  }

  async alarmLink(token: string, acknowledge: boolean): Promise<AlarmLinkResult> {
    const entry = this.alarmTokens.get(token);
    const alarm = entry ? this.alarms.get(entry.alarmId) : undefined;
    if (!entry || !alarm) return { outcome: 'invalid', alarm: null };
    if (entry.expired) return { outcome: 'expired', alarm: null };
    if (alarm.acknowledged) return { outcome: 'already', alarm: structuredClone(alarm) };
    if (!acknowledge) return { outcome: 'valid', alarm: structuredClone(alarm) };
    const result = await this.acknowledgeAlarm(alarm.id, 'mail-link');
    return { outcome: 'acknowledged', alarm: result.alarm };
  }

  /** Adds a clutter score (kept sorted by ts); creates the station when new. */
  addBenchScore(site: string, node: string, score: BenchScore, name: string | null = null): void {
    const bench = this.benches.get(key(site, node)) ?? { name, scores: [] };
    const last = bench.scores[bench.scores.length - 1];
    bench.scores.push(structuredClone(score));
    if (last && last.ts > score.ts) bench.scores.sort((a, b) => a.ts - b.ts);
    this.benches.set(key(site, node), bench);
  }

  putThumbnail(site: string, node: string, imageId: string, jpeg: Buffer): void {
    this.thumbnails.set(`${key(site, node)}/${imageId}`, jpeg);
  }

  async listBenches(): Promise<BenchSummary[]> {
    return [...this.benches.entries()].map(([k, bench]) => {
      const [site = '', node = ''] = k.split('/');
      const latest = bench.scores[bench.scores.length - 1];
      return { site, node, name: bench.name, online: this.nodes.get(k)?.online ?? null, latest: latest ? structuredClone(latest) : null };
    });
  }

  async benchScores(site: string, node: string, range: TimeRange, limit: number): Promise<BenchScore[] | null> {
    const bench = this.benches.get(key(site, node));
    if (!bench) return null;
    return bench.scores.filter((s) => s.ts >= range.from && s.ts < range.to).slice(0, limit).map((s) => structuredClone(s));
  }

  async readThumbnail(site: string, node: string, imageId: string): Promise<Buffer | null> {
    return this.thumbnails.get(`${key(site, node)}/${imageId}`) ?? null;
  }

  /** Starts the runtime settings over from `config` (tests: machines and stations to edit). */
  setSettingsConfig(config: Readonly<Config>): void {
    this.settingsBase = config;
    this.settingsView = null;
  }

  /** A test double of the hub's settings store: validated like the hub, versioned, kept in memory. */
  async getSettings(): Promise<SettingsView> {
    this.settingsView ??= {
      version: 0,
      updatedAt: null,
      updatedBy: null,
      settings: settingsFromConfig(this.settingsBase, {
        machines: [...this.machines.keys()].map((k) => k.split('/')[1] ?? k),
        stations: [...this.benches.keys()].map((k) => k.split('/')[1] ?? k),
      }),
    };
    return structuredClone(this.settingsView);
  }

  async updateSettings(settings: unknown, version: number, by: string): Promise<SettingsUpdateResult> {
    const current = await this.getSettings();
    if (version !== current.version) return { outcome: 'conflict', view: current };
    const check = applySettings(this.settingsBase, settings);
    if (!check.ok) return { outcome: 'invalid', issues: check.issues };
    this.settingsBase = check.config;
    this.settingsView = { version: current.version + 1, updatedAt: this.now(), updatedBy: by, settings: structuredClone(check.settings) };
    return { outcome: 'saved', view: structuredClone(this.settingsView) };
  }

  /** Records a refusal like the hub's ingest does: a new request, or one more from the same node. */
  addJoinRequest(site: string, node: string, at = this.now()): void {
    const r = this.joinRequests.get(key(site, node));
    this.joinRequests.set(key(site, node), r ? { ...r, lastAt: at, count: r.count + 1 } : { site, node, firstAt: at, lastAt: at, count: 1 });
  }

  /** Counters as the hub shows them (tests set refusals). */
  setStats(patch: Partial<HubStats>): void {
    Object.assign(this.counters, structuredClone(patch));
  }

  /** The nightly pruning's status as the hub reports it (absent until a test sets it). */
  retention: SystemInfo['retention'];

  async systemInfo(): Promise<SystemInfo> {
    const ingest = this.settingsBase.hub.ingest;
    const joinRequests = [...this.joinRequests.values()].sort((a, b) => b.lastAt - a.lastAt).map((r) => ({ ...r }));
    return {
      stats: { ...this.stats(), nodesAskingToJoin: joinRequests.length },
      listeners: {
        mqtt: { host: '127.0.0.1', port: 1883, anonymous: this.settingsBase.hub.mqtt.anonymous },
        mqttWs: { path: this.settingsBase.hub.mqtt.wsPath },
        http: { host: '127.0.0.1', port: 8080 },
      },
      admission: { autoJoin: ingest.autoJoin, maxNodesPerSite: ingest.maxNodesPerSite, maxSites: ingest.maxSites },
      joinRequests,
      ...(this.retention ? { retention: structuredClone(this.retention) } : {}),
    };
  }

  async admitJoinRequest(site: string, node: string, _by: string): Promise<JoinRequestOutcome> {
    if (!this.joinRequests.delete(key(site, node))) return { outcome: 'not-found' };
    this.admitted.add(key(site, node));
    return { outcome: 'admitted' };
  }

  async dismissJoinRequest(site: string, node: string, _by: string): Promise<JoinRequestOutcome> {
    return { outcome: this.joinRequests.delete(key(site, node)) ? 'dismissed' : 'not-found' };
  }

  async removeNode(site: string, node: string, _by: string): Promise<NodeRemovalOutcome> {
    return { outcome: this.nodes.delete(key(site, node)) ? 'removed' : 'not-found' };
  }

  // Production (issue 20): memory-production.ts.
  machineOee(site: string, node: string, range: TimeRange, by: OeeGrouping): Promise<OeeReport | null> { return this.production.machineOee(site, node, range, by); }
  machineStops(site: string, node: string, range: TimeRange): Promise<StopList | null> { return this.production.machineStops(site, node, range); }
  stopsNeedingReason(withinMs: number): Promise<DowntimeStop[]> { return this.production.stopsNeedingReason(withinMs); }
  setStopReason(input: StopReasonInput, by: string): Promise<StopReasonResult> { return this.production.setStopReason(input, by); }
  downtimePareto(range: TimeRange, machine: { site: string; node: string } | null): Promise<DowntimePareto> { return this.production.downtimePareto(range, machine); }
  downtimeReasons(machine: { site: string; node: string } | null): Promise<DowntimeReason[]> { return this.production.downtimeReasons(machine); }
  listQualityEntries(site: string, node: string, range: TimeRange): Promise<QualityEntry[] | null> { return this.production.listQualityEntries(site, node, range); }
  addQualityEntry(input: QualityEntryInput, by: string): Promise<QualityEntryResult> { return this.production.addQualityEntry(input, by); }
  deleteQualityEntry(id: number, by: string): Promise<boolean> { return this.production.deleteQualityEntry(id, by); }
  andonBoard(): Promise<AndonBoard> { return this.production.andonBoard(); }

  private publish(update: LiveUpdate): void {
    for (const listener of [...this.listeners]) {
      try {
        listener(update);
      } catch {
        // One broken subscriber must not starve the others.
      }
    }
  }
}

function key(site: string, node: string): string {
  return `${site}/${node}`;
}

