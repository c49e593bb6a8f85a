/**
 * The hub's production figures (docs/oee.md): OEE per hour/shift/day/month, downtime stops and
 * their reasons, the lost-time Pareto, quality entries, energy, the andon board. Built on the
 * reports service's state timeline and shift windows; reads what ingest writes (cycles,
 * energy_quarters, button quality entries, sensor events) and writes stop reasons and quality
 * entries from the dashboard. Changes go out as live `production` updates.
 */
import type { Logger } from 'pino';
import type {
  AndonBoard,
  Config,
  DowntimePareto,
  DowntimeReason,
  DowntimeStop,
  LiveUpdate,
  LossCategory,
  MachineJob,
  NodeSnapshot,
  OeeGrouping,
  OeeReport,
  OeeRow,
  ProductionUpdate,
  QualityEntry,
  QualityEntryInput,
  QualityEntryResult,
  StopList,
  StopReasonInput,
  StopReasonResult,
  TimeRange,
} from '@mieruka/protocol';
import { DAY_MS, shiftAt, shiftWindows } from '@mieruka/protocol';
import { Fanout } from '../events/fanout.js';
import type { ReportsService } from '../reports/reports-service.js';
import { andonTile, sensorFaultFrom } from './andon.js';
import { ampereSecondsIn, DEFAULT_SUPPLY, EnergyReader, kWhOf, type EnergySupply } from './energy.js';
import { idealCycle, LEARN_DAYS } from './ideal-cycle.js';
import { oeeFigures, type MachineFacts, type OeeFigures } from './oee.js';
import { pareto } from './pareto.js';
import { clipIntervals, shiftIntervalsAround } from './planned-time.js';
import { invalidQuality, QualityEntries } from './quality-entries.js';
import { deriveStops, toDowntimeStop, type StoredReason } from './stops.js';
import { realTimers, StopWatch, type Timers } from './stop-watch.js';
import { bucketsFor } from './buckets.js';
import type { SqlStore } from '../store/sql/sql-store.js';

export type ProductionServiceOptions = {
  /** The open store (called at start()). */
  sql: () => SqlStore;
  /** The state timeline, shifts, time zone and machine list come from the reports. */
  reports: ReportsService;
  /** Node updates from ingest (the stop watch follows state changes). */
  live: { list(): NodeSnapshot[]; subscribe(listener: (update: LiveUpdate) => void): () => void };
  /** site, machines (cycles, energy) and oee (tariff, thresholds, reasons as in effect). */
  config: Readonly<Pick<Config, 'site' | 'machines' | 'oee' | 'hub'>>;
  logger: Logger;
  now: () => number;
  /** The clock's timers (tests drive them). Default: setTimeout. */
  timers?: Timers;
};

const SQL = {
  cycleEnds: 'SELECT end_ts FROM cycles WHERE site = ? AND node = ? AND end_ts >= ? AND end_ts < ? ORDER BY end_ts',
  // The run the machine's first stored cycle belongs to: cycle counting began with it.
  firstCycle: `SELECT coalesce((SELECT s.since FROM states s WHERE s.site = c.site AND s.node = c.node AND s.ts <= c.start_ts AND s.state = 'running'
                      AND NOT EXISTS (SELECT 1 FROM states o WHERE o.site = c.site AND o.node = c.node AND o.ts > s.ts AND o.ts <= c.start_ts)), c.start_ts) AS ts
   FROM (SELECT site, node, min(start_ts) AS start_ts FROM cycles WHERE site = ? AND node = ? GROUP BY site, node) AS c`,
  cycleDurations: 'SELECT duration_ms FROM cycles WHERE site = ? AND node = ? AND end_ts >= ? AND end_ts <= ?',
  cyclesIn: 'SELECT count(*) AS n FROM cycles WHERE site = ? AND node = ? AND end_ts > ? AND end_ts <= ?',
  reasons: 'SELECT start_ts AS start, code, set_by AS by, set_at AS at FROM stop_reasons WHERE site = ? AND node = ? AND start_ts >= ? AND start_ts < ?',
  setReason:
    'INSERT INTO stop_reasons (site, node, start_ts, code, set_by, set_at) VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT (site, node, start_ts) DO UPDATE SET code = excluded.code, set_by = excluded.set_by, set_at = excluded.set_at',
  sensorEvent: "SELECT type FROM events WHERE site = ? AND node = ? AND type IN ('sensor_fault', 'sensor_ok') ORDER BY ts DESC, seq DESC LIMIT 1",
} as const;

export class ProductionService {
  private options: ProductionServiceOptions;
  private readonly logger: Logger;
  private readonly stream: Fanout<ProductionUpdate>;
  private db: { sql: SqlStore; quality: QualityEntries; energy: EnergyReader } | null = null;
  private watch: StopWatch | null = null;
  private unsubscribe: (() => void) | null = null;
  /** Stops already announced as waiting for a reason (site/node/start). */
  private readonly announced = new Set<string>();

  constructor(options: ProductionServiceOptions) {
    this.options = options;
    this.logger = options.logger.child({ component: 'production' });
    this.stream = new Fanout({ logger: this.logger, what: 'production' });
  }

  private get parts(): NonNullable<ProductionService['db']> {
    if (!this.db) throw new Error('production figures are not started');
    return this.db;
  }

  start(): void {
    if (this.db) return;
    const sql = this.options.sql();
    this.db = { sql, quality: new QualityEntries(sql), energy: new EnergyReader(sql) };
    this.watch = new StopWatch({
      now: this.options.now,
      timers: this.options.timers ?? realTimers,
      check: (site, node) => this.checkStop(site, node),
      onError: (err, site, node) => this.logger.error({ err, site, node }, 'stop watch check failed'),
    });
    const watch = this.watch;
    this.unsubscribe = this.options.live.subscribe((u) => {
      // A node with a state is a machine; the watch itself skips updates that change no state (readings).
      if (u.type === 'node' && u.node.state) watch.onNode(u.node);
      // A good/scrap button at the machine: ingest wrote its quality row with the event.
      else if (u.type === 'event' && u.event.type === 'quality') this.notify(u.site, u.node, 'quality');
    });
    for (const n of this.options.live.list()) if (n.state) watch.onNode(n);
  }

  /** Stops following live updates and waits for the stop checks under way (nothing reads the store after). */
  async stop(): Promise<void> {
    this.unsubscribe?.();
    this.unsubscribe = null;
    const watch = this.watch;
    this.watch = null;
    await watch?.stop();
    this.db = null;
  }

  /** Resolves once the stop checks under way have finished (a test that drives the timers waits for this). */
  async settled(): Promise<void> {
    await this.watch?.idle();
  }

  /** New config in effect (runtime settings: reasons; the file: machines, oee). */
  reconfigure(config: Readonly<Pick<Config, 'site' | 'machines' | 'oee' | 'hub'>>): void {
    this.options = { ...this.options, config };
  }

  /** Production changes (reasons, quality entries, stops waiting for a reason). */
  subscribe(listener: (update: ProductionUpdate) => void): () => void {
    return this.stream.subscribe(listener);
  }

  /** Tells live subscribers a machine's figures changed (also for ingest: a quality button press). */
  notify(site: string, node: string, change: ProductionUpdate['change']): void {
    this.stream.emit({ type: 'production', site, node, change });
  }

  /** Inputs refused (bad stop reasons and quality entries), by error code, since start. */
  readonly refused: Record<string, number> = {};

  private refuse<T extends { ok: false; error: string }>(what: string, result: T, detail: Record<string, unknown>): T {
    this.refused[result.error] = (this.refused[result.error] ?? 0) + 1;
    this.logger.info({ ...detail, error: result.error }, `${what} refused`);
    return result;
  }

  // --- reasons -----------------------------------------------------------------------------

  /** The reasons offered for a machine (null: all of them). */
  downtimeReasons(machine: { site: string; node: string } | null): DowntimeReason[] {
    const all = this.options.config.oee.reasons.map((r) => ({ ...r, machines: [...r.machines] }));
    if (!machine) return all;
    return all.filter((r) => r.machines.length === 0 || r.machines.includes(machine.node));
  }

  private categoryOf = (code: string): LossCategory => this.options.config.oee.reasons.find((r) => r.code === code)?.category ?? 'other';

  private machineConfig(site: string, node: string): Config['machines'][string] | undefined {
    return site === this.options.config.site ? this.options.config.machines[node] : undefined;
  }

  // --- facts -------------------------------------------------------------------------------

  /** Stops cut from the whole shift windows around [from, to), with their reasons. */
  private async stopsAround(site: string, node: string, from: number, to: number, now: number): Promise<{ stops: DowntimeStop[]; shifts: MachineFacts['shifts']; segments: MachineFacts['segments'] }> {
    const { reports } = this.options;
    const end = Math.min(to, now);
    const whole = shiftIntervalsAround(reports.settings().shifts, reports.clock, from, Math.max(end, from + 1));
    const shifts = clipIntervals(whole, -Infinity, now);
    const segFrom = Math.min(from, shifts[0]?.start ?? from);
    const segTo = Math.max(end, shifts.at(-1)?.end ?? end);
    const segments = segTo > segFrom ? await reports.rollups.segments(site, node, segFrom, segTo) : [];
    const raw = deriveStops(segments, shifts, now);
    const reasons = new Map<number, StoredReason>();
    if (raw.length > 0) {
      for (const r of await this.parts.sql.all<StoredReason & { start: number }>(SQL.reasons, [site, node, raw[0]!.start, raw.at(-1)!.start + 1])) {
        reasons.set(r.start, { code: r.code, by: r.by, at: r.at });
      }
    }
    const rules = this.options.config.oee;
    const stops = raw.map((s) => toDowntimeStop(site, node, s, reasons.get(s.start) ?? null, rules, now));
    return { stops, shifts, segments };
  }

  private async idealCycle(site: string, node: string, now: number): Promise<OeeReport['idealCycle']> {
    const configured = this.machineConfig(site, node)?.cycles?.idealCycleS;
    if (configured !== undefined) return idealCycle(configured, []);
    const durations = (await this.parts.sql.all<{ duration_ms: number }>(SQL.cycleDurations, [site, node, now - LEARN_DAYS * DAY_MS, now])).map((r) => r.duration_ms / 1000);
    return idealCycle(undefined, durations);
  }

  private supply(site: string, node: string): EnergySupply {
    return this.machineConfig(site, node)?.energy ?? DEFAULT_SUPPLY;
  }

  /** How to cut energy quarters exactly at `cuts` (bucket edges) while the readings are kept; null for a machine not configured. */
  private energyCuts(site: string, node: string, cuts: readonly number[], now: number): Parameters<EnergyReader['read']>[4] {
    const m = this.machineConfig(site, node);
    if (!m) return undefined;
    const days = this.options.config.hub.retention.readingsDays;
    return { machine: { channel: m.channel, offlineAfterS: m.offlineAfterS }, cuts, keptFrom: days > 0 ? now - days * DAY_MS + m.offlineAfterS * 1000 : null };
  }

  private async facts(site: string, node: string, range: TimeRange, now: number, cuts: readonly number[] = [range.from, range.to]): Promise<MachineFacts & { ideal: OeeReport['idealCycle'] }> {
    const { quality, energy, sql } = this.parts;
    const { stops, shifts, segments } = await this.stopsAround(site, node, range.from, range.to, now);
    const ideal = await this.idealCycle(site, node, now);
    return {
      segments,
      shifts,
      stops,
      categoryOf: this.categoryOf,
      cycleEnds: (await sql.all<{ end_ts: number }>(SQL.cycleEnds, [site, node, range.from, range.to])).map((r) => r.end_ts),
      // Entries ending at `to` count in the bucket that ends there (a period's end is in (from, to]).
      quality: await quality.list(site, node, { from: range.from, to: range.to + 1 }),
      quarters: await energy.read(site, node, range.from, Math.min(range.to, now), this.energyCuts(site, node, [...cuts, now], now)),
      cyclesConfigured: this.machineConfig(site, node)?.cycles !== undefined,
      countingFrom: (await sql.get<{ ts: number | null }>(SQL.firstCycle, [site, node]))?.ts ?? null,
      idealCycleS: ideal.seconds,
      ideal,
      supply: this.supply(site, node),
      tariffYenPerKWh: this.options.config.oee.tariffYenPerKWh,
      now,
    };
  }

  // --- queries -----------------------------------------------------------------------------

  async machineOee(site: string, node: string, range: TimeRange, by: OeeGrouping): Promise<OeeReport | null> {
    const { reports } = this.options;
    if (!(await reports.isMachine(site, node))) return null;
    const now = this.options.now();
    const buckets = bucketsFor(by, reports.settings().shifts, reports.clock, range, now);
    // A shift bucket may end after the range (a night shift that starts on its last day): read facts for all of it.
    const span = { from: Math.min(range.from, ...buckets.map((b) => b.start)), to: Math.max(range.to, ...buckets.map((b) => b.end)) };
    const facts = await this.facts(site, node, span, now, [range.from, range.to, ...buckets.flatMap((b) => [b.start, b.end])]);
    const rows: OeeRow[] = buckets.map((b) => ({
      ...oeeFigures(facts, b.start, b.end),
      label: b.label,
      shift: b.shift,
    }));
    return { rows, total: oeeFigures(facts, range.from, range.to), idealCycle: facts.ideal, tariffYenPerKWh: facts.tariffYenPerKWh, now };
  }

  private async stopsIn(site: string, node: string, range: TimeRange, now: number): Promise<DowntimeStop[]> {
    return (await this.stopsAround(site, node, range.from, range.to, now)).stops.filter((s) => s.start < range.to && (s.end === null ? now >= range.from : s.end > range.from));
  }

  async machineStops(site: string, node: string, range: TimeRange): Promise<StopList | null> {
    if (!(await this.options.reports.isMachine(site, node))) return null;
    const now = this.options.now();
    const all = await this.stopsIn(site, node, range, now);
    const micro = all.filter((s) => s.microstop);
    return { stops: all.filter((s) => !s.microstop), microstops: { count: micro.length, totalS: micro.reduce((t, s) => t + s.durationS, 0) }, now };
  }

  private async machines(): Promise<Array<{ site: string; node: string }>> {
    return (await this.options.reports.listMachines(this.options.live.list())).map((m) => ({ site: m.site, node: m.node }));
  }

  async stopsNeedingReason(withinMs: number): Promise<DowntimeStop[]> {
    const now = this.options.now();
    const range = { from: now - Math.max(0, withinMs), to: now + 1 };
    const out: DowntimeStop[] = [];
    for (const m of await this.machines()) out.push(...(await this.stopsIn(m.site, m.node, range, now)).filter((s) => s.needsReason));
    return out.sort((a, b) => b.start - a.start);
  }

  async setStopReason(input: StopReasonInput, by: string): Promise<StopReasonResult> {
    const { site, node, start, code } = input;
    const refuse = (error: 'unknown_machine' | 'unknown_stop' | 'unknown_reason' | 'microstop') => this.refuse('stop reason', { ok: false as const, error }, { site, node, start, code });
    if (!(await this.options.reports.isMachine(site, node))) return refuse('unknown_machine');
    if (!this.downtimeReasons({ site, node }).some((r) => r.code === code)) return refuse('unknown_reason');
    const now = this.options.now();
    if (!Number.isSafeInteger(start)) return refuse('unknown_stop');
    const stop = (await this.stopsIn(site, node, { from: start, to: start + 1 }, now)).find((s) => s.start === start);
    if (!stop) return refuse('unknown_stop');
    if (stop.microstop) return refuse('microstop');
    await this.parts.sql.run(SQL.setReason, [site, node, start, code, by, now]);
    this.logger.info({ site, node, start, code, by }, 'stop reason saved');
    this.notify(site, node, 'reason');
    return { ok: true, stop: { ...stop, reason: { code, by, at: now }, needsReason: false } };
  }

  async downtimePareto(range: TimeRange, machine: { site: string; node: string } | null): Promise<DowntimePareto> {
    const now = this.options.now();
    const machines = machine ? ((await this.options.reports.isMachine(machine.site, machine.node)) ? [machine] : []) : await this.machines();
    const stops: DowntimeStop[] = [];
    for (const m of machines) stops.push(...(await this.stopsIn(m.site, m.node, range, now)));
    return pareto(stops, this.downtimeReasons(null), range, now);
  }

  async listQualityEntries(site: string, node: string, range: TimeRange): Promise<QualityEntry[] | null> {
    if (!(await this.options.reports.isMachine(site, node))) return null;
    return this.parts.quality.list(site, node, range);
  }

  async addQualityEntry(input: QualityEntryInput, by: string): Promise<QualityEntryResult> {
    const now = this.options.now();
    const where = { site: input?.site, node: input?.node, by };
    const refuse = (r: Extract<QualityEntryResult, { ok: false }>) => this.refuse('quality entry', r, { ...where, ...(r.overlapping ? { overlapping: r.overlapping } : {}) });
    if (typeof input !== 'object' || input === null || typeof input.site !== 'string' || typeof input.node !== 'string') return refuse({ ok: false, error: 'invalid', detail: 'site and node are required' });
    if (!(await this.options.reports.isMachine(input.site, input.node))) return refuse({ ok: false, error: 'unknown_machine' });
    const invalid = invalidQuality(input, now);
    if (invalid) return refuse({ ok: false, error: 'invalid', detail: invalid });
    const result = await this.parts.quality.add(input, by, now);
    if (!result.ok) return refuse(result);
    this.logger.info({ site: input.site, node: input.node, id: result.entry.id, replaced: result.replaced, by }, 'quality entry saved');
    this.notify(input.site, input.node, 'quality');
    return result;
  }

  async deleteQualityEntry(id: number, by: string): Promise<boolean> {
    if (!Number.isSafeInteger(id)) return false;
    const removed = await this.parts.quality.remove(id);
    if (!removed) return false;
    this.logger.info({ site: removed.site, node: removed.node, id, by }, 'quality entry deleted');
    this.notify(removed.site, removed.node, 'quality');
    return true;
  }

  async andonBoard(): Promise<AndonBoard> {
    const { reports, live } = this.options;
    const now = this.options.now();
    const today = { from: reports.clock.startOfDayAt(now), to: now + 1 };
    const tiles: AndonBoard['tiles'] = [];
    for (const m of await reports.listMachines(live.list())) {
      const facts = await this.facts(m.site, m.node, today, now);
      const figures: OeeFigures = oeeFigures(facts, today.from, today.to);
      const latest = await this.parts.sql.get<{ type: string }>(SQL.sensorEvent, [m.site, m.node]);
      tiles.push(andonTile(m, sensorFaultFrom(latest?.type ?? null), facts.stops, figures));
    }
    return { tiles, reasons: this.downtimeReasons(null), now };
  }

  /** Fills cycles (null without cycles config) and kWh (null without current readings) of the reports' jobs. */
  async decorateJobs(site: string, node: string, jobs: MachineJob[]): Promise<MachineJob[]> {
    if (!this.db) return jobs;
    const now = this.options.now();
    const configured = this.machineConfig(site, node)?.cycles !== undefined;
    const supply = this.supply(site, node);
    const out: MachineJob[] = [];
    for (const j of jobs) {
      const end = j.end ?? now;
      const as = ampereSecondsIn(await this.parts.energy.read(site, node, j.start, end, this.energyCuts(site, node, [j.start, end], now)), j.start, end, now);
      out.push({
        ...j,
        // A cycle belongs to the job it ends in.
        cycles: configured ? ((await this.parts.sql.get<{ n: number }>(SQL.cyclesIn, [site, node, j.start, end]))?.n ?? 0) : null,
        kWh: as.rows > 0 ? kWhOf(as.runningAs + as.idleAs + as.offAs + as.unknownAs, supply) : null,
      });
    }
    return out;
  }

  // --- stop watch --------------------------------------------------------------------------

  /**
   * Announces the stop under way once it needs a reason; returns when to look again. Timing
   * comes from the live state (the store may not have the newest row yet); whether the stop
   * needs a reason is then decided on the stored timeline, like every other figure.
   */
  private async checkStop(site: string, node: string): Promise<number | null> {
    if (!this.db) return null;
    const { reports, live } = this.options;
    const now = this.options.now();
    const ask = this.options.config.oee.askReasonAfterS * 1000;
    const state = live.list().find((n) => n.site === site && n.node === node)?.state;
    if (!state || (state.state !== 'off' && state.state !== 'idle')) return null;
    const shift = shiftAt(reports.settings().shifts, reports.clock, now);
    if (!shift) {
      // Stopped outside planned time: a stop begins with the next shift.
      const next = shiftWindows(reports.settings().shifts, reports.clock, now + 1, now + 2 * DAY_MS)[0];
      return next ? next.start + ask : null;
    }
    const current = (await this.stopsIn(site, node, { from: now, to: now + 1 }, now)).find((s) => s.end === null);
    if (current && current.start + ask <= now) return this.announce(current);
    // The store may not hold the newest state yet: then the stop began at the later of the
    // state's since and the shift's start (look again then; the store decides).
    const start = current?.start ?? Math.max(state.since, shift.start);
    return start + ask > now ? start + ask : null;
  }

  private announce(stop: DowntimeStop): null {
    if (!stop.needsReason) return null;
    const key = `${stop.site}/${stop.node}/${stop.start}`;
    if (this.announced.has(key)) return null;
    // Bounded: a key only guards against announcing one stop twice in a row.
    if (this.announced.size > 10_000) this.announced.clear();
    this.announced.add(key);
    this.logger.info({ site: stop.site, node: stop.node, start: stop.start }, 'stop waits for a reason');
    this.notify(stop.site, stop.node, 'stop');
    return null;
  }
}
