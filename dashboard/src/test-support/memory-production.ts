/**
 * The production half of the in-memory data source (tests, UI work): stops and their reasons,
 * quality entries, canned OEE rows, the Pareto and the andon board. Simple, but it keeps the
 * contract's rules (protocol/src/model/production.ts): microstops are grouped and never take a
 * reason, overlapping quality entries are refused unless replaced, a reason must be offered
 * for the machine, and every change is published as a `production` live update.
 */
import type {
  AndonBoard,
  AndonTile,
  DowntimePareto,
  DowntimeReason,
  DowntimeStop,
  OeeGrouping,
  OeeReport,
  OeeRow,
  ParetoBar,
  QualityEntry,
  QualityEntryInput,
  QualityEntryResult,
  StopList,
  StopReasonInput,
  StopReasonResult,
} from '@mieruka/protocol/model';
import type { LiveUpdate, MachineSummary, TimeRange } from '../data-source.js';

/** What the production store asks of the data source it lives in. */
export type ProductionHost = {
  now(): number;
  hasMachine(site: string, node: string): boolean;
  listMachines(): Promise<MachineSummary[]>;
  /** The reasons in effect (runtime settings `downtimeReasons`). */
  reasons(): DowntimeReason[];
  /** `oee.askReasonAfterS`: a stop without reason at least this long asks for one. */
  askReasonAfterS(): number;
  publish(update: LiveUpdate): void;
};

export type TodayFigures = AndonTile['today'];

const NO_TODAY: TodayFigures = { availability: null, performance: null, quality: null, oee: null, missing: ['data'], cycles: 0 };

const key = (site: string, node: string) => `${site}/${node}`;

export class MemoryProduction {
  private readonly stops = new Map<string, DowntimeStop[]>();
  private readonly reports = new Map<string, { rows: Partial<Record<OeeGrouping, OeeRow[]>>; idealCycle: OeeReport['idealCycle']; tariffYenPerKWh: number }>();
  private readonly quality: QualityEntry[] = [];
  private readonly today = new Map<string, TodayFigures>();
  private readonly sensorFaults = new Set<string>();
  private nextQualityId = 1;

  constructor(private readonly host: ProductionHost) {}

  // --- what tests set ---

  /** Adds a stop (its `needsReason` is recomputed from its reason and microstop flag). */
  addStop(stop: Omit<DowntimeStop, 'needsReason' | 'durationS'>): DowntimeStop {
    const list = this.stops.get(key(stop.site, stop.node)) ?? [];
    const full: DowntimeStop = { ...structuredClone(stop), durationS: 0, needsReason: false };
    this.refresh(full);
    list.push(full);
    list.sort((a, b) => a.start - b.start);
    this.stops.set(key(stop.site, stop.node), list);
    if (full.needsReason) this.host.publish({ type: 'production', site: stop.site, node: stop.node, change: 'stop' });
    return structuredClone(full);
  }

  /** Canned OEE rows of a machine per grouping; machineOee filters them by range and totals them. */
  setOee(site: string, node: string, report: { rows: Partial<Record<OeeGrouping, OeeRow[]>>; idealCycle?: OeeReport['idealCycle']; tariffYenPerKWh?: number }): void {
    this.reports.set(key(site, node), {
      rows: structuredClone(report.rows),
      idealCycle: report.idealCycle ?? { seconds: null, source: 'none' },
      tariffYenPerKWh: report.tariffYenPerKWh ?? 30,
    });
  }

  /** Today's figures on the andon board. */
  setToday(site: string, node: string, today: TodayFigures): void {
    this.today.set(key(site, node), structuredClone(today));
  }

  setSensorFault(site: string, node: string, fault: boolean): void {
    if (fault) this.sensorFaults.add(key(site, node));
    else this.sensorFaults.delete(key(site, node));
  }

  // --- the contract ---

  async machineOee(site: string, node: string, range: TimeRange, by: OeeGrouping): Promise<OeeReport | null> {
    if (!this.host.hasMachine(site, node)) return null;
    const canned = this.reports.get(key(site, node));
    const rows = (canned?.rows[by] ?? []).filter((r) => r.start >= range.from && r.start < range.to);
    const now = this.host.now();
    return {
      rows: structuredClone(rows),
      total: totalOf(rows, range, now),
      idealCycle: canned?.idealCycle ?? { seconds: null, source: 'none' },
      tariffYenPerKWh: canned?.tariffYenPerKWh ?? 30,
      now,
    };
  }

  async machineStops(site: string, node: string, range: TimeRange): Promise<StopList | null> {
    if (!this.host.hasMachine(site, node)) return null;
    const now = this.host.now();
    const inRange = this.overlapping(site, node, range);
    const micro = inRange.filter((s) => s.microstop);
    return {
      stops: inRange.filter((s) => !s.microstop),
      microstops: { count: micro.length, totalS: micro.reduce((sum, s) => sum + s.durationS, 0) },
      now,
    };
  }

  async stopsNeedingReason(withinMs: number): Promise<DowntimeStop[]> {
    const now = this.host.now();
    const out: DowntimeStop[] = [];
    for (const list of this.stops.values()) {
      for (const stop of list) {
        this.refresh(stop);
        if (stop.needsReason && (stop.end ?? now) >= now - withinMs) out.push(structuredClone(stop));
      }
    }
    return out.sort((a, b) => b.start - a.start);
  }

  async setStopReason(input: StopReasonInput, by: string): Promise<StopReasonResult> {
    if (!this.host.hasMachine(input.site, input.node)) return { ok: false, error: 'unknown_machine' };
    const stop = this.stops.get(key(input.site, input.node))?.find((s) => s.start === input.start);
    if (!stop) return { ok: false, error: 'unknown_stop' };
    if (stop.microstop) return { ok: false, error: 'microstop' };
    if (!this.offered(input.node).some((r) => r.code === input.code)) return { ok: false, error: 'unknown_reason' };
    stop.reason = { code: input.code, by, at: this.host.now() };
    this.refresh(stop);
    this.host.publish({ type: 'production', site: input.site, node: input.node, change: 'reason' });
    return { ok: true, stop: structuredClone(stop) };
  }

  async downtimePareto(range: TimeRange, machine: { site: string; node: string } | null): Promise<DowntimePareto> {
    const reasons = new Map(this.host.reasons().map((r) => [r.code, r]));
    const bars = new Map<string, ParetoBar>();
    const add = (bar: Omit<ParetoBar, 'totalS' | 'count'>, seconds: number) => {
      const b = bars.get(bar.code) ?? { ...bar, totalS: 0, count: 0 };
      b.totalS += seconds;
      b.count += 1;
      bars.set(bar.code, b);
    };
    const now = this.host.now();
    for (const [k, list] of this.stops) {
      const [site = '', node = ''] = k.split('/');
      if (machine && (machine.site !== site || machine.node !== node)) continue;
      for (const stop of list) {
        // Only the part inside the range counts.
        const seconds = Math.max(0, Math.min(stop.end ?? now, range.to, now) - Math.max(stop.start, range.from)) / 1000;
        if (seconds <= 0) continue;
        if (stop.microstop) add({ code: 'microstops', en: 'Minor stops', ja: 'チョコ停', category: 'minor_stop' }, seconds);
        else if (!stop.reason) add({ code: 'unexplained', en: 'No reason given', ja: '理由未入力', category: 'unexplained' }, seconds);
        else {
          const r = reasons.get(stop.reason.code);
          add({ code: stop.reason.code, en: r?.en ?? stop.reason.code, ja: r?.ja ?? stop.reason.code, category: r?.category ?? 'other' }, seconds);
        }
      }
    }
    const sorted = [...bars.values()].sort((a, b) => b.totalS - a.totalS || a.code.localeCompare(b.code));
    return { bars: sorted, totalS: sorted.reduce((s, b) => s + b.totalS, 0), now };
  }

  async downtimeReasons(machine: { site: string; node: string } | null): Promise<DowntimeReason[]> {
    return machine ? this.offered(machine.node) : structuredClone(this.host.reasons());
  }

  async listQualityEntries(site: string, node: string, range: TimeRange): Promise<QualityEntry[] | null> {
    if (!this.host.hasMachine(site, node)) return null;
    // A period that shares time with the range, or an instant inside it.
    const inRange = (e: QualityEntry) => e.start < range.to && (e.end > range.from || e.start >= range.from);
    return this.quality.filter((e) => e.site === site && e.node === node && inRange(e)).map((e) => structuredClone(e));
  }

  async addQualityEntry(input: QualityEntryInput, by: string): Promise<QualityEntryResult> {
    if (!this.host.hasMachine(input.site, input.node)) return { ok: false, error: 'unknown_machine' };
    const counts = [input.good, input.scrap, input.startupScrap];
    if (!(input.end >= input.start) || counts.some((n) => !Number.isInteger(n) || n < 0) || counts.every((n) => n === 0)) {
      return { ok: false, error: 'invalid', detail: 'end must not be before start; counts are whole numbers ≥ 0, not all 0' };
    }
    // Two periods overlap when they share time; instants (button presses) never clash.
    const overlapping = this.quality.filter(
      (e) => e.site === input.site && e.node === input.node && e.start !== e.end && input.start !== input.end && e.start < input.end && input.start < e.end,
    );
    if (overlapping.length > 0 && !input.replace) return { ok: false, error: 'overlaps', overlapping: overlapping.map((e) => e.id) };
    for (const e of overlapping) this.quality.splice(this.quality.indexOf(e), 1);
    const { replace: _replace, ...fields } = input;
    const entry: QualityEntry = { ...fields, note: fields.note ?? null, id: this.nextQualityId++, by, at: this.host.now() };
    this.quality.push(entry);
    this.quality.sort((a, b) => a.start - b.start || a.id - b.id);
    this.host.publish({ type: 'production', site: input.site, node: input.node, change: 'quality' });
    return { ok: true, entry: structuredClone(entry), replaced: overlapping.map((e) => e.id) };
  }

  async deleteQualityEntry(id: number, _by: string): Promise<boolean> {
    const i = this.quality.findIndex((e) => e.id === id);
    if (i < 0) return false;
    const [entry] = this.quality.splice(i, 1);
    if (entry) this.host.publish({ type: 'production', site: entry.site, node: entry.node, change: 'quality' });
    return true;
  }

  /** One entry by id (routes check who may delete it). */
  qualityEntry(id: number): QualityEntry | null {
    const e = this.quality.find((x) => x.id === id);
    return e ? structuredClone(e) : null;
  }

  async andonBoard(): Promise<AndonBoard> {
    const now = this.host.now();
    const tiles: AndonTile[] = [];
    for (const m of await this.host.listMachines()) {
      const fault = this.sensorFaults.has(key(m.site, m.node));
      const open = fault ? undefined : this.stops.get(key(m.site, m.node))?.find((s) => s.end === null && !s.microstop);
      if (open) this.refresh(open);
      tiles.push({
        site: m.site,
        node: m.node,
        name: m.name,
        state: fault ? 'unknown' : m.state,
        since: m.since,
        online: m.online,
        sensorFault: fault,
        stop: open ? { start: open.start, durationS: open.durationS, reason: open.reason?.code ?? null, needsReason: open.needsReason } : null,
        today: structuredClone(this.today.get(key(m.site, m.node)) ?? NO_TODAY),
      });
    }
    return { tiles, reasons: structuredClone(this.host.reasons()), now };
  }

  private offered(node: string): DowntimeReason[] {
    return this.host.reasons().filter((r) => r.machines.length === 0 || r.machines.includes(node));
  }

  private overlapping(site: string, node: string, range: TimeRange): DowntimeStop[] {
    const now = this.host.now();
    return (this.stops.get(key(site, node)) ?? [])
      .filter((s) => s.start < range.to && (s.end ?? now) > range.from)
      .map((s) => {
        this.refresh(s);
        return structuredClone(s);
      });
  }

  /** Duration so far and whether it asks for a reason (an open stop grows with the clock). */
  private refresh(stop: DowntimeStop): void {
    stop.durationS = Math.max(0, ((stop.end ?? this.host.now()) - stop.start) / 1000);
    stop.needsReason = !stop.microstop && stop.reason === null && stop.durationS >= this.host.askReasonAfterS();
  }
}

/** Sums of the rows, and the ratios from the sums (never an average of ratios). */
function totalOf(rows: OeeRow[], range: TimeRange, now: number): OeeReport['total'] {
  const sum = (f: (r: OeeRow) => number) => rows.reduce((s, r) => s + f(r), 0);
  const plannedS = sum((r) => r.plannedS);
  const noDataS = sum((r) => r.noDataS);
  const runS = sum((r) => r.runS);
  const cycles = sum((r) => r.cycles);
  const good = sum((r) => r.good);
  const scrap = sum((r) => r.scrap);
  const startupScrap = sum((r) => r.startupScrap);
  const missing = new Set(rows.flatMap((r) => r.missing));
  const availability = plannedS - noDataS > 0 ? runS / (plannedS - noDataS) : null;
  // Performance: ideal × cycles / run, from the rows' own performance weighted by run time.
  const perfRows = rows.filter((r) => r.performance !== null && r.runS > 0);
  const performance = perfRows.length > 0 && runS > 0 ? perfRows.reduce((s, r) => s + r.performance! * r.runS, 0) / perfRows.reduce((s, r) => s + r.runS, 0) : null;
  const pieces = good + scrap + startupScrap;
  const quality = pieces > 0 ? good / pieces : null;
  const oee = availability !== null && performance !== null && quality !== null ? availability * performance * quality : null;
  if (plannedS === 0) missing.add('plan');
  const lossKeys = ['breakdownS', 'setupS', 'unexplainedS', 'otherS', 'minorStopS', 'reducedSpeedS', 'defectS', 'startupS'] as const;
  const losses = Object.fromEntries(lossKeys.map((k) => [k, sum((r) => r.losses[k])])) as OeeRow['losses'];
  const energyKeys = ['kWh', 'runningKWh', 'idleKWh', 'offKWh', 'costYen', 'idleCostYen'] as const;
  const energy = Object.fromEntries(energyKeys.map((k) => [k, sum((r) => r.energy[k])])) as OeeRow['energy'];
  return {
    start: range.from,
    end: Math.max(range.from, Math.min(range.to, now)),
    plannedS,
    noDataS,
    runS,
    stopS: sum((r) => r.stopS),
    unplannedRunS: sum((r) => r.unplannedRunS),
    cycles,
    good,
    scrap,
    startupScrap,
    availability,
    performance,
    quality,
    oee,
    missing: [...missing],
    losses,
    energy,
  };
}
