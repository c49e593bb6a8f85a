/**
 * The hub's production figures (docs/oee.md): OEE per hour/shift/day/month, downtime stops and
 * their reasons, the lost-time Pareto, quality entries, energy, the andon board. Built on the
 * reports service's state timeline and shift windows; reads what ingest writes (cycles,
 * energy_quarters, button quality entries, sensor events) and writes stop reasons and quality
 * entries from the dashboard. Changes go out as live `production` updates.
 */
import type { Database, Statement } from 'better-sqlite3';
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

export type ProductionServiceOptions = {
  database: () => Database;
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

type Queries = Record<'cycleEnds' | 'firstCycle' | 'cycleDurations' | 'reasons' | 'reasonAt' | 'setReason' | 'sensorEvent' | 'cyclesIn', Statement>;

export class ProductionService {
  private options: ProductionServiceOptions;
  private readonly logger: Logger;
  private readonly stream: Fanout<ProductionUpdate>;
  private db: { quality: QualityEntries; energy: EnergyReader; q: Queries } | null = null;
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
    const db = this.options.database();
    this.db = {
      quality: new QualityEntries(db),
      energy: new EnergyReader(db),
      q: {
        cycleEnds: db.prepare('SELECT end_ts FROM cycles WHERE site = ? AND node = ? AND end_ts >= ? AND end_ts < ? ORDER BY end_ts').pluck(),
        // The run the machine's first stored cycle belongs to: cycle counting began with it.
        firstCycle: db.prepare(
          `SELECT coalesce((SELECT s.since FROM states s WHERE s.site = c.site AND s.node = c.node AND s.ts <= c.start_ts AND s.state = 'running'
                              AND NOT EXISTS (SELECT 1 FROM states o WHERE o.site = c.site AND o.node = c.node AND o.ts > s.ts AND o.ts <= c.start_ts)), c.start_ts)
           FROM (SELECT site, node, min(start_ts) AS start_ts FROM cycles WHERE site = ? AND node = ?) c WHERE c.start_ts IS NOT NULL`,
        ).pluck(),
        cycleDurations: db.prepare('SELECT duration_ms FROM cycles WHERE site = ? AND node = ? AND end_ts >= ? AND end_ts <= ?').pluck(),
        cyclesIn: db.prepare('SELECT count(*) FROM cycles WHERE site = ? AND node = ? AND end_ts > ? AND end_ts <= ?').pluck(),
        reasons: db.prepare('SELECT start_ts AS start, code, set_by AS by, set_at AS at FROM stop_reasons WHERE site = ? AND node = ? AND start_ts >= ? AND start_ts < ?'),
        reasonAt: db.prepare('SELECT code, set_by AS by, set_at AS at FROM stop_reasons WHERE site = ? AND node = ? AND start_ts = ?'),
        setReason: db.prepare(
          'INSERT INTO stop_reasons (site, node, start_ts, code, set_by, set_at) VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT (site, node, start_ts) DO UPDATE SET code = excluded.code, set_by = excluded.set_by, set_at = excluded.set_at',
        ),
        sensorEvent: db.prepare("SELECT type FROM events WHERE site = ? AND node = ? AND type IN ('sensor_fault', 'sensor_ok') ORDER BY ts DESC, seq DESC LIMIT 1").pluck(),
      },
    };
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

  stop(): void {
    this.unsubscribe?.();
    this.unsubscribe = null;
    this.watch?.stop();
    this.watch = null;
    this.db = null;
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
  private stopsAround(site: string, node: string, from: number, to: number, now: number): { stops: DowntimeStop[]; shifts: MachineFacts['shifts']; segments: MachineFacts['segments'] } {
    const { reports } = this.options;
    const end = Math.min(to, now);
    const whole = shiftIntervalsAround(reports.settings().shifts, reports.clock, from, Math.max(end, from + 1));
    const shifts = clipIntervals(whole, -Infinity, now);
    const segFrom = Math.min(from, shifts[0]?.start ?? from);
    const segTo = Math.max(end, shifts.at(-1)?.end ?? end);
    const segments = segTo > segFrom ? reports.rollups.segments(site, node, segFrom, segTo) : [];
    const raw = deriveStops(segments, shifts, now);
    const reasons = new Map<number, StoredReason>();
    if (raw.length > 0) {
      for (const r of this.parts.q.reasons.all(site, node, raw[0]!.start, raw.at(-1)!.start + 1) as Array<StoredReason & { start: number }>) {
        reasons.set(r.start, { code: r.code, by: r.by, at: r.at });
      }
    }
    const rules = this.options.config.oee;
    const stops = raw.map((s) => toDowntimeStop(site, node, s, reasons.get(s.start) ?? null, rules, now));
    return { stops, shifts, segments };
  }

  private idealCycle(site: string, node: string, now: number): OeeReport['idealCycle'] {
    const configured = this.machineConfig(site, node)?.cycles?.idealCycleS;
    if (configured !== undefined) return idealCycle(configured, []);
    const durations = (this.parts.q.cycleDurations.all(site, node, now - LEARN_DAYS * DAY_MS, now) as number[]).map((ms) => ms / 1000);
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

  private facts(site: string, node: string, range: TimeRange, now: number, cuts: readonly number[] = [range.from, range.to]): MachineFacts & { ideal: OeeReport['idealCycle'] } {
    const { quality, energy, q } = this.parts;
    const { stops, shifts, segments } = this.stopsAround(site, node, range.from, range.to, now);
    const ideal = this.idealCycle(site, node, now);
    return {
      segments,
      shifts,
      stops,
      categoryOf: this.categoryOf,
      cycleEnds: q.cycleEnds.all(site, node, range.from, range.to) as number[],
      // Entries ending at `to` count in the bucket that ends there (a period's end is in (from, to]).
      quality: quality.list(site, node, { from: range.from, to: range.to + 1 }),
      quarters: energy.read(site, node, range.from, Math.min(range.to, now), this.energyCuts(site, node, [...cuts, now], now)),
      cyclesConfigured: this.machineConfig(site, node)?.cycles !== undefined,
      countingFrom: (q.firstCycle.get(site, node) as number | null) ?? null,
      idealCycleS: ideal.seconds,
      ideal,
      supply: this.supply(site, node),
      tariffYenPerKWh: this.options.config.oee.tariffYenPerKWh,
      now,
    };
  }

  // --- queries -----------------------------------------------------------------------------

  machineOee(site: string, node: string, range: TimeRange, by: OeeGrouping): OeeReport | null {
    const { reports } = this.options;
    if (!reports.isMachine(site, node)) return null;
    const now = this.options.now();
    const buckets = bucketsFor(by, reports.settings().shifts, reports.clock, range, now);
    // A shift bucket may end after the range (a night shift that starts on its last day): read facts for all of it.
    const span = { from: Math.min(range.from, ...buckets.map((b) => b.start)), to: Math.max(range.to, ...buckets.map((b) => b.end)) };
    const facts = this.facts(site, node, span, now, [range.from, range.to, ...buckets.flatMap((b) => [b.start, b.end])]);
    const rows: OeeRow[] = buckets.map((b) => ({
      ...oeeFigures(facts, b.start, b.end),
      label: b.label,
      shift: b.shift,
    }));
    return { rows, total: oeeFigures(facts, range.from, range.to), idealCycle: facts.ideal, tariffYenPerKWh: facts.tariffYenPerKWh, now };
  }

  private stopsIn(site: string, node: string, range: TimeRange, now: number): DowntimeStop[] {
    return this.stopsAround(site, node, range.from, range.to, now).stops.filter((s) => s.start < range.to && (s.end === null ? now >= range.from : s.end > range.from));
  }

  machineStops(site: string, node: string, range: TimeRange): StopList | null {
    if (!this.options.reports.isMachine(site, node)) return null;
    const now = this.options.now();
    const all = this.stopsIn(site, node, range, now);
    const micro = all.filter((s) => s.microstop);
    return { stops: all.filter((s) => !s.microstop), microstops: { count: micro.length, totalS: micro.reduce((t, s) => t + s.durationS, 0) }, now };
  }

  private machines(): Array<{ site: string; node: string }> {
    return this.options.reports.listMachines(this.options.live.list()).map((m) => ({ site: m.site, node: m.node }));
  }

  stopsNeedingReason(withinMs: number): DowntimeStop[] {
    const now = this.options.now();
    const range = { from: now - Math.max(0, withinMs), to: now + 1 };
    const out: DowntimeStop[] = [];
    for (const m of this.machines()) out.push(...this.stopsIn(m.site, m.node, range, now).filter((s) => s.needsReason));
    return out.sort((a, b) => b.start - a.start);
  }

  setStopReason(input: StopReasonInput, by: string): StopReasonResult {
    const { site, node, start, code } = input;
    const refuse = (error: 'unknown_machine' | 'unknown_stop' | 'unknown_reason' | 'microstop') => this.refuse('stop reason', { ok: false as const, error }, { site, node, start, code });
    if (!this.options.reports.isMachine(site, node)) return refuse('unknown_machine');
    if (!this.downtimeReasons({ site, node }).some((r) => r.code === code)) return refuse('unknown_reason');
    const now = this.options.now();
    if (!Number.isSafeInteger(start)) return refuse('unknown_stop');
    const stop = this.stopsIn(site, node, { from: start, to: start + 1 }, now).find((s) => s.start === start);
    if (!stop) return refuse('unknown_stop');
    if (stop.microstop) return refuse('microstop');
    this.parts.q.setReason.run(site, node, start, code, by, now);
    this.logger.info({ site, node, start, code, by }, 'stop reason saved');
    this.notify(site, node, 'reason');
    return { ok: true, stop: { ...stop, reason: { code, by, at: now }, needsReason: false } };
  }

  downtimePareto(range: TimeRange, machine: { site: string; node: string } | null): DowntimePareto {
    const now = this.options.now();
    const machines = machine ? (this.options.reports.isMachine(machine.site, machine.node) ? [machine] : []) : this.machines();
    const stops = machines.flatMap((m) => this.stopsIn(m.site, m.node, range, now));
    return pareto(stops, this.downtimeReasons(null), range, now);
  }

  listQualityEntries(site: string, node: string, range: TimeRange): QualityEntry[] | null {
    if (!this.options.reports.isMachine(site, node)) return null;
    return this.parts.quality.list(site, node, range);
  }

  addQualityEntry(input: QualityEntryInput, by: string): QualityEntryResult {
    const now = this.options.now();
    const where = { site: input?.site, node: input?.node, by };
    const refuse = (r: Extract<QualityEntryResult, { ok: false }>) => this.refuse('quality entry', r, { ...where, ...(r.overlapping ? { overlapping: r.overlapping } : {}) });
    if (typeof input !== 'object' || input === null || typeof input.site !== 'string' || typeof input.node !== 'string') return refuse({ ok: false, error: 'invalid', detail: 'site and node are required' });
    if (!this.options.reports.isMachine(input.site, input.node)) return refuse({ ok: false, error: 'unknown_machine' });
    const invalid = invalidQuality(input, now);
    if (invalid) return refuse({ ok: false, error: 'invalid', detail: invalid });
    const result = this.parts.quality.add(input, by, now);
    if (!result.ok) return refuse(result);
    this.logger.info({ site: input.site, node: input.node, id: result.entry.id, replaced: result.replaced, by }, 'quality entry saved');
    this.notify(input.site, input.node, 'quality');
    return result;
  }

  deleteQualityEntry(id: number, by: string): boolean {
    if (!Number.isSafeInteger(id)) return false;
    const removed = this.parts.quality.remove(id);
    if (!removed) return false;
    this.logger.info({ site: removed.site, node: removed.node, id, by }, 'quality entry deleted');
    this.notify(removed.site, removed.node, 'quality');
    return true;
  }

  andonBoard(): AndonBoard {
    const { reports, live } = this.options;
    const now = this.options.now();
    const today = { from: reports.clock.startOfDayAt(now), to: now + 1 };
    const tiles = reports.listMachines(live.list()).map((m) => {
      const facts = this.facts(m.site, m.node, today, now);
      const figures: OeeFigures = oeeFigures(facts, today.from, today.to);
      const latest = this.parts.q.sensorEvent.get(m.site, m.node) as string | undefined;
      return andonTile(m, sensorFaultFrom(latest ?? null), facts.stops, figures);
    });
    return { tiles, reasons: this.downtimeReasons(null), now };
  }

  /** Fills cycles (null without cycles config) and kWh (null without current readings) of the reports' jobs. */
  decorateJobs(site: string, node: string, jobs: MachineJob[]): MachineJob[] {
    if (!this.db) return jobs;
    const now = this.options.now();
    const configured = this.machineConfig(site, node)?.cycles !== undefined;
    const supply = this.supply(site, node);
    return jobs.map((j) => {
      const end = j.end ?? now;
      const as = ampereSecondsIn(this.parts.energy.read(site, node, j.start, end, this.energyCuts(site, node, [j.start, end], now)), j.start, end, now);
      return {
        ...j,
        // A cycle belongs to the job it ends in.
        cycles: configured ? (this.parts.q.cyclesIn.get(site, node, j.start, end) as number) : null,
        kWh: as.rows > 0 ? kWhOf(as.runningAs + as.idleAs + as.offAs + as.unknownAs, supply) : null,
      };
    });
  }

  // --- stop watch --------------------------------------------------------------------------

  /**
   * Announces the stop under way once it needs a reason; returns when to look again. Timing
   * comes from the live state (the store may not have the newest row yet); whether the stop
   * needs a reason is then decided on the stored timeline, like every other figure.
   */
  private checkStop(site: string, node: string): number | null {
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
    const current = this.stopsIn(site, node, { from: now, to: now + 1 }, now).find((s) => s.end === null);
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
