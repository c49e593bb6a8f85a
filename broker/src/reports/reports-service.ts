/**
 * Machine reports over the hub's store: which machines there are and their state now, the
 * state timeline, jobs, and time per state by hour, day or shift in the configured time zone.
 * start() records the hub run (outages count as unknown) and keeps the hourly roll-ups up to
 * date on a timer; queries bring the machine asked about up to date first.
 */
import type { Logger } from 'pino';
import { LocalTime, shiftWindows, type CurrentSeries, type MachineJob, type MachineSummary, type MachineTimeline, type NodeSnapshot, type ReportSettings, type TimeRange, type UsageGrouping, type UsageReport, type UsageRow } from '@mieruka/protocol';
import type { MachineConfig, ShiftConfig } from '@mieruka/protocol';
import { CurrentSeriesQuery } from './current-series.js';
import { HubRuns } from './hub-runs.js';
import { deriveJobs, RUN_EVENT_TYPES, type RunEvent } from './jobs.js';
import { ObservationReader } from './observations.js';
import { addDurations, emptyDurations, usageFigures, accumulate, type Bucket } from './usage.js';
import { UsageRollups } from './usage-rollups.js';
import type { SqlStore } from '../store/sql/sql-store.js';

export type ReportsServiceOptions = {
  /** The open store (called at start()). */
  sql: () => SqlStore;
  timeZone: string;
  shifts: readonly ShiftConfig[];
  /** Site of the configured machines. */
  site: string;
  /** Configured machines (they are listed even before they report). */
  machines?: Readonly<Record<string, Pick<MachineConfig, 'name'> & Partial<Pick<MachineConfig, 'channel'>>>>;
  logger: Logger;
  now?: () => number;
  /** How often the roll-ups are brought up to date. Default 60 s; 0 = only when queried. */
  rollupIntervalMs?: number;
  /** How often the hub notes it is alive (for outages after a crash). Default 60 s. */
  aliveIntervalMs?: number;
  /** Fleet mode: the run record and roll-up updates wait for lead() (the leading hub's work). Absent: from start(). */
  fleet?: boolean;
};

type EventRow = { ts: number; seq: number; type: string; data: string };

const EVENT_COLS = `SELECT ts, seq, type, data FROM events WHERE site = ? AND node = ? AND type IN (${RUN_EVENT_TYPES.map((t) => `'${t}'`).join(', ')})`;
const SQL = {
  isMachine: 'SELECT 1 AS one FROM rollup_cursors WHERE site = ? AND node = ?',
  machines: 'SELECT site, node FROM rollup_cursors',
  eventBefore: `${EVENT_COLS} AND ts < ? ORDER BY ts DESC, seq DESC LIMIT 1`,
  eventsWithin: `${EVENT_COLS} AND ts >= ? AND ts < ? ORDER BY ts, seq`,
  eventAfter: `${EVENT_COLS} AND ts >= ? ORDER BY ts, seq LIMIT 1`,
} as const;

function parseData(text: string): Record<string, unknown> {
  try {
    const v: unknown = JSON.parse(text);
    return typeof v === 'object' && v !== null && !Array.isArray(v) ? (v as Record<string, unknown>) : {};
  } catch {
    return {};
  }
}

export class ReportsService {
  private options: ReportsServiceOptions;
  private readonly logger: Logger;
  private readonly now: () => number;
  readonly clock: LocalTime;
  private sql: SqlStore | null = null;
  private runs: HubRuns | null = null;
  private reader: ObservationReader | null = null;
  private rollupsInstance: UsageRollups | null = null;
  private currentQuery: CurrentSeriesQuery | null = null;
  private timers: NodeJS.Timeout[] = [];
  private leading = false;
  /** Timer work still going (a tick is skipped while its previous run is; stop() waits for them). */
  private readonly inFlight = new Map<string, Promise<void>>();

  constructor(options: ReportsServiceOptions) {
    this.options = options;
    this.logger = options.logger.child({ component: 'reports' });
    this.now = options.now ?? Date.now;
    this.clock = new LocalTime(options.timeZone);
  }

  get running(): boolean {
    return this.sql !== null;
  }

  private get parts(): { sql: SqlStore; reader: ObservationReader; rollups: UsageRollups } {
    if (!this.sql || !this.reader || !this.rollupsInstance) throw new Error('reports are not started');
    return { sql: this.sql, reader: this.reader, rollups: this.rollupsInstance };
  }

  /** The hourly roll-up store (tests, maintenance). */
  get rollups(): UsageRollups {
    return this.parts.rollups;
  }

  /** Opens the reports (queries work from here on); a single hub also starts its periodic work. */
  async start(): Promise<void> {
    if (this.sql) return;
    const sql = this.options.sql();
    const runs = new HubRuns(sql);
    this.sql = sql;
    this.runs = runs;
    this.reader = new ObservationReader(sql, () => runs.downMarks());
    this.rollupsInstance = new UsageRollups(sql, this.reader, this.clock);
    this.currentQuery = new CurrentSeriesQuery(sql);
    if (!this.options.fleet) await this.lead();
  }

  /**
   * Records this run and keeps the hourly roll-ups up to date (a single hub: from start; fleet
   * mode: on the leading hub only, so two hubs never rebuild the same hours at once).
   */
  async lead(): Promise<void> {
    const { runs, rollups } = { runs: this.runs, rollups: this.rollupsInstance };
    if (!runs || !rollups || this.leading) return;
    this.leading = true;
    const mark = await runs.begin(this.now());
    if (mark) this.logger.info({ downAt: mark.ts }, 'time since the hub last ran counts as unknown until agents report');
    if (await rollups.useTimeZone()) this.logger.info({ timeZone: this.clock.timeZone }, 'time zone changed: hourly roll-ups are rebuilt');
    const every = (ms: number, what: string, fn: () => Promise<unknown>) => {
      if (!(ms > 0)) return;
      this.timers.push(
        setInterval(() => {
          // One run at a time: a slow update (a long backfill, a busy PostgreSQL) skips ticks instead of piling up.
          if (this.inFlight.has(what)) return;
          const run = fn()
            .then(() => undefined)
            .catch((err: unknown) => this.logger.error({ err }, `${what} failed`))
            .finally(() => this.inFlight.delete(what));
          this.inFlight.set(what, run);
        }, ms),
      );
    };
    every(this.options.aliveIntervalMs ?? 60_000, 'alive mark', () => runs.alive(this.now()));
    every(this.options.rollupIntervalMs ?? 60_000, 'roll-up update', () => this.updateRollups());
  }

  /** Stops the timers, waits for their runs, then records the stop (nothing writes after it resolves). */
  async follow(): Promise<void> {
    if (!this.leading) return;
    this.leading = false;
    for (const t of this.timers) clearInterval(t);
    this.timers = [];
    await Promise.all(this.inFlight.values());
    try {
      await this.runs?.end(this.now());
    } catch (err) {
      this.logger.error({ err }, 'cannot record the hub stop');
    }
  }

  async stop(): Promise<void> {
    await this.follow();
    this.sql = null;
    this.runs = null;
    this.reader = null;
    this.rollupsInstance = null;
    this.currentQuery = null;
  }

  /** New work shifts and machine names (runtime settings); the hourly roll-ups do not depend on them. */
  reconfigure(config: Pick<ReportsServiceOptions, 'shifts' | 'machines'>): void {
    this.options = { ...this.options, shifts: config.shifts, ...(config.machines ? { machines: config.machines } : {}) };
  }

  /** Brings all hourly roll-ups up to date. Returns how many machines changed. */
  async updateRollups(): Promise<number> {
    return this.parts.rollups.updateAll(this.now());
  }

  settings(): ReportSettings {
    return { timeZone: this.clock.timeZone, shifts: this.options.shifts.map((s) => ({ name: s.name, start: s.start, end: s.end, days: [...s.days] })) };
  }

  private configured(site: string, node: string): boolean {
    return site === this.options.site && Object.hasOwn(this.options.machines ?? {}, node);
  }

  /** A machine: it has sent a state, or the config names it. */
  async isMachine(site: string, node: string): Promise<boolean> {
    if (this.configured(site, node)) return true;
    return (await this.parts.sql.get(SQL.isMachine, [site, node])) !== undefined;
  }

  /** Every machine with its state now (`nodes`: the live snapshots, for online and last seen). */
  async listMachines(nodes: readonly NodeSnapshot[]): Promise<MachineSummary[]> {
    const { sql } = this.parts;
    const now = this.now();
    const ids = new Map<string, { site: string; node: string }>();
    for (const r of await sql.all<{ site: string; node: string }>(SQL.machines)) ids.set(`${r.site}/${r.node}`, r);
    for (const node of Object.keys(this.options.machines ?? {})) ids.set(`${this.options.site}/${node}`, { site: this.options.site, node });
    const live = new Map(nodes.map((n) => [`${n.site}/${n.node}`, n]));
    const out: MachineSummary[] = [];
    for (const [key, { site, node }] of ids) {
      const snapshot = live.get(key);
      const current = await this.currentStretch(site, node, now);
      out.push({
        site,
        node,
        name: this.configured(site, node) ? (this.options.machines?.[node]?.name ?? null) : null,
        state: current?.state ?? 'unknown',
        since: current?.start ?? null,
        online: snapshot?.online ?? null,
        lastSeen: snapshot?.lastSeen ?? null,
      });
    }
    return out.sort((a, b) => (a.site === b.site ? a.node.localeCompare(b.node) : a.site.localeCompare(b.site)));
  }

  /** The stretch of the timeline going on at `now`; null when the machine never reported. */
  private async currentStretch(site: string, node: string, now: number): Promise<{ state: MachineSummary['state']; start: number } | null> {
    const { reader, rollups } = this.parts;
    const first = await reader.firstStateTs(site, node);
    const latest = await reader.before(site, node, now + 1);
    if (first === null || !latest) return null;
    // Look back from the last observation of another state; an observation that changed
    // nothing (an offline mark the agent then covered with its old since) may hide the real
    // start further back, so widen until the stretch begins inside the window.
    let from = Math.min(now, (await reader.beforeNot(site, node, now + 1, latest.state))?.ts ?? first);
    for (let i = 0; i < 100; i++) {
      const last = (await rollups.segments(site, node, from, now + 1)).at(-1);
      if (!last) return null;
      if (last.start > from || from <= first) return last;
      from = (await reader.beforeNot(site, node, from, last.state))?.ts ?? first;
    }
    return null;
  }

  /** Intervals within [from, min(to, now)); the last one's end is null when it reaches now. */
  async timeline(site: string, node: string, range: TimeRange): Promise<MachineTimeline | null> {
    if (!(await this.isMachine(site, node))) return null;
    const now = this.now();
    const end = Math.min(range.to, now);
    const segments = await this.parts.rollups.segments(site, node, range.from, end);
    return {
      now,
      intervals: segments.map((s, i) => ({ state: s.state, start: s.start, end: i === segments.length - 1 && end === now ? null : s.end })),
    };
  }

  private async runEvents(site: string, node: string, range: TimeRange): Promise<RunEvent[]> {
    const { sql } = this.parts;
    const before = await sql.get<EventRow>(SQL.eventBefore, [site, node, range.from]);
    const within = await sql.all<EventRow>(SQL.eventsWithin, [site, node, range.from, range.to]);
    const after = await sql.get<EventRow>(SQL.eventAfter, [site, node, range.to]);
    return [...(before ? [before] : []), ...within, ...(after ? [after] : [])].map((e) => ({ ts: e.ts, seq: e.seq, type: e.type, data: parseData(e.data) }));
  }

  /** Runs that overlap the range, with their real start and end. */
  async jobs(site: string, node: string, range: TimeRange): Promise<{ jobs: MachineJob[]; now: number } | null> {
    if (!(await this.isMachine(site, node))) return null;
    const { reader, rollups } = this.parts;
    const now = this.now();
    const events = await this.runEvents(site, node, range);
    // The timeline must reach back to where a run going at `from` began, and on to where one going at `to` stopped.
    let earliestEvent = Infinity;
    for (const e of events) {
      // A run that finished before the range does not matter; any other may reach back before it.
      if (e.ts < range.from && e.type !== 'run_started') continue;
      earliestEvent = Math.min(earliestEvent, e.ts, typeof e.data.startedAt === 'number' ? e.data.startedAt : Infinity);
    }
    const anchor = (await reader.beforeNot(site, node, range.from, 'running'))?.ts ?? (await reader.firstStateTs(site, node)) ?? range.from;
    const from = Math.min(range.from, anchor, earliestEvent);
    const stop = await reader.knownStopAtOrAfter(site, node, range.to);
    const end = Math.min(now, stop ? Math.max(range.to, stop.ts + 1) : now);
    const segments = await rollups.segments(site, node, from, end);
    return { jobs: deriveJobs(events, segments, range, now), now };
  }

  /** Current readings of the machine's configured channel (default 0), at most `maxPoints` of them. */
  async current(site: string, node: string, range: TimeRange, maxPoints: number): Promise<CurrentSeries | null> {
    if (!(await this.isMachine(site, node)) || !this.currentQuery) return null;
    const channel = (this.configured(site, node) ? this.options.machines?.[node]?.channel : undefined) ?? 0;
    return this.currentQuery.series(site, node, channel, range, maxPoints);
  }

  /** Time per state by hour, day or shift, elapsed time only (buckets after now are left out). */
  async usage(site: string, node: string, range: TimeRange, by: UsageGrouping): Promise<UsageReport | null> {
    if (!(await this.isMachine(site, node))) return null;
    const { rollups } = this.parts;
    const clock = this.clock;
    const now = this.now();
    const end = Math.min(range.to, now);
    const total = emptyDurations();
    const rows: UsageRow[] = [];
    const row = (b: Bucket, label: string, shift: string | null) => {
      addDurations(total, b.ms);
      rows.push({ start: b.start, end: b.end, label, shift, ...usageFigures(b.ms) });
    };
    if (end > range.from) {
      if (by === 'shift') {
        const windows = shiftWindows(this.options.shifts, clock, range.from, end);
        if (windows.length > 0) {
          const buckets = windows.map((w) => ({ start: w.start, end: Math.min(w.end, now), ms: emptyDurations() }));
          const segments = await rollups.segments(site, node, windows[0]!.start, Math.max(...buckets.map((b) => b.end)));
          // Shifts may overlap each other, but the windows of one shift never do: one pass per shift.
          for (const shift of new Set(windows.map((w) => w.shift))) accumulate(buckets.filter((_b, i) => windows[i]!.shift === shift), segments);
          windows.forEach((w, i) => row(buckets[i]!, w.date, w.shift));
        }
      } else {
        const onError = (err: unknown) => this.logger.error({ err, site, node }, 'roll-up update failed; computing from observations');
        if (by === 'hour') {
          for (const h of await rollups.hours(site, node, range.from, end, { now }, onError)) row(h, clock.iso(h.start), null);
        } else {
          for (const day of await rollups.days(site, node, range.from, end, { now }, onError)) row(day, clock.dateOf(day.start), null);
        }
      }
    }
    return { rows, total: { start: range.from, end: Math.max(range.from, end), ...usageFigures(total) }, now };
  }
}
