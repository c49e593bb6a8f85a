/**
 * What the state timeline of a machine is made of, read from the store: every `state` row,
 * every offline `status` (from its arrival: "unknown" from then on) and every hub outage (the
 * hub heard nothing: "unknown"). Outages and offline marks count only from the machine's
 * first state on — before that it is unknown anyway.
 */
import { MACHINE_STATES, type MachineState } from '@mieruka/protocol';
import type { SqlQueries } from '../store/sql/sql-store.js';

export type ObservationKind = 'state' | 'offline' | 'hub-down';

/** One point of the state stream: `state` holds from `since` (as the agent says) on. */
export type Observation = { ts: number; since: number; state: MachineState; kind: ObservationKind; id: number };

/** A hub outage: from `ts` on the hub heard nothing. */
export type HubDownMark = { id: number; ts: number };

/** At equal timestamps a state comes first, then offline, then an outage: "unknown" wins a tie. */
const RANK: Record<ObservationKind, number> = { state: 0, offline: 1, 'hub-down': 2 };

export function compareObservations(a: Observation, b: Observation): number {
  return a.ts - b.ts || RANK[a.kind] - RANK[b.kind] || a.id - b.id;
}

type StateRow = { id: number; ts: number; since: number; state: string };
type MarkRow = { id: number; ts: number };

const STATE = 'SELECT id, ts, since, state FROM states WHERE site = ? AND node = ?';
const OFFLINE = 'SELECT id, received_at AS ts FROM status_log WHERE site = ? AND node = ? AND online = 0';
const SQL = {
  firstState: 'SELECT min(ts) AS ts FROM states WHERE site = ? AND node = ?',
  stateBefore: `${STATE} AND ts < ? ORDER BY ts DESC LIMIT 1`,
  stateBetween: `${STATE} AND ts >= ? AND ts < ? ORDER BY ts`,
  stateAtOrAfter: `${STATE} AND ts >= ? ORDER BY ts LIMIT 1`,
  stateBeforeNot: `${STATE} AND ts < ? AND state <> ? ORDER BY ts DESC LIMIT 1`,
  stateAtOrAfterIn: `${STATE} AND ts >= ? AND state IN ('off', 'idle') ORDER BY ts LIMIT 1`,
  offlineBefore: `${OFFLINE} AND received_at < ? AND received_at >= ? ORDER BY received_at DESC, id DESC LIMIT 1`,
  offlineBetween: `${OFFLINE} AND received_at >= ? AND received_at < ? ORDER BY received_at, id`,
  offlineAtOrAfter: `${OFFLINE} AND received_at >= ? ORDER BY received_at, id LIMIT 1`,
  lastState: 'SELECT max(ts) AS ts FROM states WHERE site = ? AND node = ?',
  lastOffline: 'SELECT max(received_at) AS ts FROM status_log WHERE site = ? AND node = ? AND online = 0',
} as const;

const asState = (s: string): MachineState => ((MACHINE_STATES as readonly string[]).includes(s) ? (s as MachineState) : 'unknown');
const fromState = (r: StateRow): Observation => ({ ts: r.ts, since: r.since, state: asState(r.state), kind: 'state', id: r.id });
const fromOffline = (r: MarkRow): Observation => ({ ts: r.ts, since: r.ts, state: 'unknown', kind: 'offline', id: r.id });
const fromHubDown = (m: HubDownMark): Observation => ({ ts: m.ts, since: m.ts, state: 'unknown', kind: 'hub-down', id: m.id });

function latest(items: Array<Observation | null | undefined>): Observation | null {
  let best: Observation | null = null;
  for (const o of items) if (o && (!best || compareObservations(o, best) > 0)) best = o;
  return best;
}

function earliest(items: Array<Observation | null | undefined>): Observation | null {
  let best: Observation | null = null;
  for (const o of items) if (o && (!best || compareObservations(o, best) < 0)) best = o;
  return best;
}

export class ObservationReader {
  private readonly hubDown: () => readonly HubDownMark[];
  private readonly sql: SqlQueries;

  /** `hubDown`: outage marks sorted by ts (they apply to every machine). */
  constructor(sql: SqlQueries, hubDown: () => readonly HubDownMark[]) {
    this.sql = sql;
    this.hubDown = hubDown;
  }

  /** The same reader inside a transaction (its reads must go through `tx`, see SqlStore.transaction). */
  within(tx: SqlQueries): ObservationReader {
    return new ObservationReader(tx, this.hubDown);
  }

  /** Timestamp of the machine's first state; null when it never sent one. */
  async firstStateTs(site: string, node: string): Promise<number | null> {
    return (await this.sql.get<{ ts: number | null }>(SQL.firstState, [site, node]))?.ts ?? null;
  }

  private marksIn(first: number, from: number, to: number): Observation[] {
    const lo = Math.max(first, from);
    return this.hubDown()
      .filter((m) => m.ts >= lo && m.ts < to)
      .map(fromHubDown);
  }

  /** The last observation with ts < t. */
  async before(site: string, node: string, t: number): Promise<Observation | null> {
    const first = await this.firstStateTs(site, node);
    if (first === null) return null;
    const s = await this.sql.get<StateRow>(SQL.stateBefore, [site, node, t]);
    const o = await this.sql.get<MarkRow>(SQL.offlineBefore, [site, node, t, first]);
    return latest([s && fromState(s), o && fromOffline(o), this.marksIn(first, -Infinity, t).at(-1)]);
  }

  /** Observations with from ≤ ts < to, in order. */
  async between(site: string, node: string, from: number, to: number): Promise<Observation[]> {
    const first = await this.firstStateTs(site, node);
    if (first === null || !(to > from)) return [];
    const out = (await this.sql.all<StateRow>(SQL.stateBetween, [site, node, from, to])).map(fromState);
    const offline = await this.sql.all<MarkRow>(SQL.offlineBetween, [site, node, Math.max(from, first), to]);
    const marks = this.marksIn(first, from, to);
    // States come sorted by ts and unique per ts; only offline marks and outages need merging in.
    if (offline.length === 0 && marks.length === 0) return out;
    for (const r of offline) out.push(fromOffline(r));
    return [...out, ...marks].sort(compareObservations);
  }

  /** The first observation with ts ≥ t. */
  async atOrAfter(site: string, node: string, t: number): Promise<Observation | null> {
    const first = await this.firstStateTs(site, node);
    if (first === null) return null;
    const s = await this.sql.get<StateRow>(SQL.stateAtOrAfter, [site, node, t]);
    const o = await this.sql.get<MarkRow>(SQL.offlineAtOrAfter, [site, node, Math.max(t, first)]);
    return earliest([s && fromState(s), o && fromOffline(o), this.marksIn(first, t, Infinity)[0]]);
  }

  /** The last observation before t whose state is not `state`. */
  async beforeNot(site: string, node: string, t: number, state: MachineState): Promise<Observation | null> {
    const first = await this.firstStateTs(site, node);
    if (first === null) return null;
    const s = await this.sql.get<StateRow>(SQL.stateBeforeNot, [site, node, t, state]);
    if (state === 'unknown') return s ? fromState(s) : null;
    const o = await this.sql.get<MarkRow>(SQL.offlineBefore, [site, node, t, first]);
    return latest([s && fromState(s), o && fromOffline(o), this.marksIn(first, -Infinity, t).at(-1)]);
  }

  /** The first state row at or after t that says off or idle (a known "not running"). */
  async knownStopAtOrAfter(site: string, node: string, t: number): Promise<Observation | null> {
    const s = await this.sql.get<StateRow>(SQL.stateAtOrAfterIn, [site, node, t]);
    return s ? fromState(s) : null;
  }

  /** Timestamp of the latest observation; the timeline before it is final. */
  async lastTs(site: string, node: string): Promise<number | null> {
    const first = await this.firstStateTs(site, node);
    if (first === null) return null;
    const s = (await this.sql.get<{ ts: number | null }>(SQL.lastState, [site, node]))?.ts ?? first;
    const o = (await this.sql.get<{ ts: number | null }>(SQL.lastOffline, [site, node]))?.ts ?? -Infinity;
    const m = this.hubDown().at(-1)?.ts ?? -Infinity;
    return Math.max(s, o >= first ? o : -Infinity, m >= first ? m : -Infinity);
  }
}
