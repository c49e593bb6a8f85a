/**
 * Machine reports over the hub's store: which machines there are and their state now, the
 * state timeline, jobs, and time per state by hour, day or shift in the configured time zone.
 * start() records the hub run (outages count as unknown) and keeps the hourly roll-ups up to
 * date on a timer; queries bring the machine asked about up to date first.
 */
import type { Database, Statement } from 'better-sqlite3';
import type { Logger } from 'pino';
import { LocalTime, shiftWindows, type CurrentSeries, type MachineJob, type MachineSummary, type MachineTimeline, type NodeSnapshot, type ReportSettings, type TimeRange, type UsageGrouping, type UsageReport, type UsageRow } from '@mieruka/protocol';
import type { MachineConfig, ShiftConfig } from '@mieruka/protocol';
import { CurrentSeriesQuery } from './current-series.js';
import { HubRuns } from './hub-runs.js';
import { deriveJobs, RUN_EVENT_TYPES, type RunEvent } from './jobs.js';
import { ObservationReader } from './observations.js';
import { addDurations, emptyDurations, usageFigures, accumulate, type Bucket } from './usage.js';
import { UsageRollups } from './usage-rollups.js';

export type ReportsServiceOptions = {
  /** The open store database (called at start()). */
  database: () => Database;
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
};

type EventRow = { ts: number; seq: number; type: string; data: string };

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
  private db: Database | null = null;
  private runs: HubRuns | null = null;
  private reader: ObservationReader | null = null;
  private rollupsInstance: UsageRollups | null = null;
  private currentQuery: CurrentSeriesQuery | null = null;
  /** Statements of the per-machine queries, prepared once per start (the dashboard asks them per machine). */
  private q: { isMachine: Statement; eventBefore: Statement; eventsWithin: Statement; eventAfter: Statement } | null = null;
  private timers: NodeJS.Timeout[] = [];

  constructor(options: ReportsServiceOptions) {
    this.options = options;
    this.logger = options.logger.child({ component: 'reports' });
    this.now = options.now ?? Date.now;
    this.clock = new LocalTime(options.timeZone);
  }

  get running(): boolean {
    return this.db !== null;
  }

  private get parts(): { db: Database; reader: ObservationReader; rollups: UsageRollups; q: NonNullable<ReportsService['q']> } {
    if (!this.db || !this.reader || !this.rollupsInstance || !this.q) throw new Error('reports are not started');
    return { db: this.db, reader: this.reader, rollups: this.rollupsInstance, q: this.q };
  }

  /** The hourly roll-up store (tests, maintenance). */
  get rollups(): UsageRollups {
    return this.parts.rollups;
  }

  start(): void {
    if (this.db) return;
    const db = this.options.database();
    const runs = new HubRuns(db);
    const reader = new ObservationReader(db, () => runs.downMarks());
    const rollups = new UsageRollups(db, reader, this.clock);
    const mark = runs.begin(this.now());
    if (mark) this.logger.info({ downAt: mark.ts }, 'time since the hub last ran counts as unknown until agents report');
    if (rollups.useTimeZone()) this.logger.info({ timeZone: this.clock.timeZone }, 'time zone changed: hourly roll-ups are rebuilt');
    this.db = db;
    this.runs = runs;
    this.reader = reader;
    this.rollupsInstance = rollups;
    this.currentQuery = new CurrentSeriesQuery(db);
    const types = RUN_EVENT_TYPES.map((t) => `'${t}'`).join(', ');
    const cols = `SELECT ts, seq, type, data FROM events WHERE site = ? AND node = ? AND type IN (${types})`;
    this.q = {
      isMachine: db.prepare('SELECT 1 FROM rollup_cursors WHERE site = ? AND node = ?'),
      eventBefore: db.prepare(`${cols} AND ts < ? ORDER BY ts DESC, seq DESC LIMIT 1`),
      eventsWithin: db.prepare(`${cols} AND ts >= ? AND ts < ? ORDER BY ts, seq`).raw(true),
      eventAfter: db.prepare(`${cols} AND ts >= ? ORDER BY ts, seq LIMIT 1`),
    };
    const every = (ms: number, what: string, fn: () => void) => {
      if (!(ms > 0)) return;
      this.timers.push(
        setInterval(() => {
          try {
            fn();
          } catch (err) {
            this.logger.error({ err }, `${what} failed`);
          }
        }, ms),
      );
    };
    every(this.options.aliveIntervalMs ?? 60_000, 'alive mark', () => runs.alive(this.now()));
    every(this.options.rollupIntervalMs ?? 60_000, 'roll-up update', () => this.updateRollups());
  }

  stop(): void {
    for (const t of this.timers) clearInterval(t);
    this.timers = [];
    try {
      this.runs?.end(this.now());
    } catch (err) {
      this.logger.error({ err }, 'cannot record the hub stop');
    }
    this.db = null;
    this.runs = null;
    this.reader = null;
    this.rollupsInstance = null;
    this.currentQuery = null;
    this.q = null;
  }

  /** New work shifts and machine names (runtime settings); the hourly roll-ups do not depend on them. */
  reconfigure(config: Pick<ReportsServiceOptions, 'shifts' | 'machines'>): void {
    this.options = { ...this.options, shifts: config.shifts, ...(config.machines ? { machines: config.machines } : {}) };
  }

  /** Brings all hourly roll-ups up to date. Returns how many machines changed. */
  updateRollups(): number {
    return this.parts.rollups.updateAll(this.now());
  }

  settings(): ReportSettings {
    return { timeZone: this.clock.timeZone, shifts: this.options.shifts.map((s) => ({ name: s.name, start: s.start, end: s.end, days: [...s.days] })) };
  }

  private configured(site: string, node: string): boolean {
    return site === this.options.site && Object.hasOwn(this.options.machines ?? {}, node);
  }

  /** A machine: it has sent a state, or the config names it. */
  isMachine(site: string, node: string): boolean {
    if (this.configured(site, node)) return true;
    return this.parts.q.isMachine.get(site, node) !== undefined;
  }

  /** Every machine with its state now (`nodes`: the live snapshots, for online and last seen). */
  listMachines(nodes: readonly NodeSnapshot[]): MachineSummary[] {
    const { db } = this.parts;
    const now = this.now();
    const ids = new Map<string, { site: string; node: string }>();
    for (const r of db.prepare('SELECT site, node FROM rollup_cursors').all() as { site: string; node: string }[]) ids.set(`${r.site}/${r.node}`, r);
    for (const node of Object.keys(this.options.machines ?? {})) ids.set(`${this.options.site}/${node}`, { site: this.options.site, node });
    const live = new Map(nodes.map((n) => [`${n.site}/${n.node}`, n]));
    const out: MachineSummary[] = [];
    for (const [key, { site, node }] of ids) {
      const snapshot = live.get(key);
      const current = this.currentStretch(site, node, now);
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
  private currentStretch(site: string, node: string, now: number): { state: MachineSummary['state']; start: number } | null {
    const { reader, rollups } = this.parts;
    const first = reader.firstStateTs(site, node);
    const latest = reader.before(site, node, now + 1);
    if (first === null || !latest) return null;
    // Look back from the last observation of another state; an observation that changed
    // nothing (an offline mark the agent then covered with its old since) may hide the real
    // start further back, so widen until the stretch begins inside the window.
    let from = Math.min(now, reader.beforeNot(site, node, now + 1, latest.state)?.ts ?? first);
    for (let i = 0; i < 100; i++) {
      const last = rollups.segments(site, node, from, now + 1).at(-1);
      if (!last) return null;
      if (last.start > from || from <= first) return last;
      from = reader.beforeNot(site, node, from, last.state)?.ts ?? first;
    }
    return null;
  }

  /** Intervals within [from, min(to, now)); the last one's end is null when it reaches now. */
  timeline(site: string, node: string, range: TimeRange): MachineTimeline | null {
    if (!this.isMachine(site, node)) return null;
    const now = this.now();
    const end = Math.min(range.to, now);
    const segments = this.parts.rollups.segments(site, node, range.from, end);
    return {
      now,
      intervals: segments.map((s, i) => ({ state: s.state, start: s.start, end: i === segments.length - 1 && end === now ? null : s.end })),
    };
  }

  private runEvents(site: string, node: string, range: TimeRange): RunEvent[] {
    const { q } = this.parts;
    const before = q.eventBefore.get(site, node, range.from) as EventRow | undefined;
    const within = (q.eventsWithin.all(site, node, range.from, range.to) as Array<[number, number, string, string]>).map(([ts, seq, type, data]): EventRow => ({ ts, seq, type, data }));
    const after = q.eventAfter.get(site, node, range.to) as EventRow | undefined;
    return [...(before ? [before] : []), ...within, ...(after ? [after] : [])].map((e) => ({ ts: e.ts, seq: e.seq, type: e.type, data: parseData(e.data) }));
  }

  /** Runs that overlap the range, with their real start and end. */
  jobs(site: string, node: string, range: TimeRange): { jobs: MachineJob[]; now: number } | null {
    if (!this.isMachine(site, node)) return null;
    const { reader, rollups } = this.parts;
    const now = this.now();
    const events = this.runEvents(site, node, range);
    // The timeline must reach back to where a run going at `from` began, and on to where one going at `to` stopped.
    let earliestEvent = Infinity;
    for (const e of events) {
      // A run that finished before the range does not matter; any other may reach back before it.
      if (e.ts < range.from && e.type !== 'run_started') continue;
      earliestEvent = Math.min(earliestEvent, e.ts, typeof e.data.startedAt === 'number' ? e.data.startedAt : Infinity);
    }
    const anchor = reader.beforeNot(site, node, range.from, 'running')?.ts ?? reader.firstStateTs(site, node) ?? range.from;
    const from = Math.min(range.from, anchor, earliestEvent);
    const stop = reader.knownStopAtOrAfter(site, node, range.to);
    const end = Math.min(now, stop ? Math.max(range.to, stop.ts + 1) : now);
    const segments = rollups.segments(site, node, from, end);
    return { jobs: deriveJobs(events, segments, range, now), now };
  }

  /** Current readings of the machine's configured channel (default 0), at most `maxPoints` of them. */
  current(site: string, node: string, range: TimeRange, maxPoints: number): CurrentSeries | null {
    if (!this.isMachine(site, node) || !this.currentQuery) return null;
    const channel = (this.configured(site, node) ? this.options.machines?.[node]?.channel : undefined) ?? 0;
    return this.currentQuery.series(site, node, channel, range, maxPoints);
  }

  /** Time per state by hour, day or shift, elapsed time only (buckets after now are left out). */
  usage(site: string, node: string, range: TimeRange, by: UsageGrouping): UsageReport | null {
    if (!this.isMachine(site, node)) return null;
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
          const segments = rollups.segments(site, node, windows[0]!.start, Math.max(...buckets.map((b) => b.end)));
          // Shifts may overlap each other, but the windows of one shift never do: one pass per shift.
          for (const shift of new Set(windows.map((w) => w.shift))) accumulate(buckets.filter((_b, i) => windows[i]!.shift === shift), segments);
          windows.forEach((w, i) => row(buckets[i]!, w.date, w.shift));
        }
      } else {
        const onError = (err: unknown) => this.logger.error({ err, site, node }, 'roll-up update failed; computing from observations');
        if (by === 'hour') {
          for (const h of rollups.hours(site, node, range.from, end, { now }, onError)) row(h, clock.iso(h.start), null);
        } else {
          for (const day of rollups.days(site, node, range.from, end, { now }, onError)) row(day, clock.dateOf(day.start), null);
        }
      }
    }
    return { rows, total: { start: range.from, end: Math.max(range.from, end), ...usageFigures(total) }, now };
  }
}
