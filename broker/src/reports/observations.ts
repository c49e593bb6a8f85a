/**
 * What the state timeline of a machine is made of, read from the store: every `state` row,
 * every offline `status` (from its arrival: "unknown" from then on) and every hub outage (the
 * hub heard nothing: "unknown"). Outages and offline marks count only from the machine's
 * first state on — before that it is unknown anyway.
 */
import type { Database, Statement } from 'better-sqlite3';
import { MACHINE_STATES, type MachineState } from '@mieruka/protocol';

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
  private readonly q: Record<string, Statement>;

  /** `hubDown`: outage marks sorted by ts (they apply to every machine). */
  constructor(db: Database, hubDown: () => readonly HubDownMark[]) {
    this.hubDown = hubDown;
    const state = 'SELECT id, ts, since, state FROM states WHERE site = ? AND node = ?';
    const offline = 'SELECT id, received_at AS ts FROM status_log WHERE site = ? AND node = ? AND online = 0';
    this.q = {
      firstState: db.prepare('SELECT min(ts) AS ts FROM states WHERE site = ? AND node = ?'),
      stateBefore: db.prepare(`${state} AND ts < ? ORDER BY ts DESC LIMIT 1`),
      // Rows as arrays: building named-key objects in the driver costs about 3× the query itself.
      stateBetween: db.prepare(`${state} AND ts >= ? AND ts < ? ORDER BY ts`).raw(true),
      stateAtOrAfter: db.prepare(`${state} AND ts >= ? ORDER BY ts LIMIT 1`),
      stateBeforeNot: db.prepare(`${state} AND ts < ? AND state <> ? ORDER BY ts DESC LIMIT 1`),
      stateAtOrAfterIn: db.prepare(`${state} AND ts >= ? AND state IN ('off', 'idle') ORDER BY ts LIMIT 1`),
      offlineBefore: db.prepare(`${offline} AND received_at < ? AND received_at >= ? ORDER BY received_at DESC, id DESC LIMIT 1`),
      offlineBetween: db.prepare(`${offline} AND received_at >= ? AND received_at < ? ORDER BY received_at, id`).raw(true),
      offlineAtOrAfter: db.prepare(`${offline} AND received_at >= ? ORDER BY received_at, id LIMIT 1`),
      lastState: db.prepare('SELECT max(ts) AS ts FROM states WHERE site = ? AND node = ?'),
      lastOffline: db.prepare('SELECT max(received_at) AS ts FROM status_log WHERE site = ? AND node = ? AND online = 0'),
    };
  }

  /** Timestamp of the machine's first state; null when it never sent one. */
  firstStateTs(site: string, node: string): number | null {
    return (this.q.firstState!.get(site, node) as { ts: number | null }).ts;
  }

  private marksIn(first: number, from: number, to: number): Observation[] {
    const lo = Math.max(first, from);
    return this.hubDown()
      .filter((m) => m.ts >= lo && m.ts < to)
      .map(fromHubDown);
  }

  /** The last observation with ts < t. */
  before(site: string, node: string, t: number): Observation | null {
    const first = this.firstStateTs(site, node);
    if (first === null) return null;
    const s = this.q.stateBefore!.get(site, node, t) as StateRow | undefined;
    const o = this.q.offlineBefore!.get(site, node, t, first) as MarkRow | undefined;
    return latest([s && fromState(s), o && fromOffline(o), this.marksIn(first, -Infinity, t).at(-1)]);
  }

  /** Observations with from ≤ ts < to, in order. */
  between(site: string, node: string, from: number, to: number): Observation[] {
    const first = this.firstStateTs(site, node);
    if (first === null || !(to > from)) return [];
    const out: Observation[] = [];
    for (const [id, ts, since, state] of this.q.stateBetween!.all(site, node, from, to) as Array<[number, number, number, string]>) out.push({ ts, since, state: asState(state), kind: 'state', id });
    const offline = this.q.offlineBetween!.all(site, node, Math.max(from, first), to) as Array<[number, number]>;
    const marks = this.marksIn(first, from, to);
    // States come sorted by ts and unique per ts; only offline marks and outages need merging in.
    if (offline.length === 0 && marks.length === 0) return out;
    for (const [id, ts] of offline) out.push({ ts, since: ts, state: 'unknown', kind: 'offline', id });
    return [...out, ...marks].sort(compareObservations);
  }

  /** The first observation with ts ≥ t. */
  atOrAfter(site: string, node: string, t: number): Observation | null {
    const first = this.firstStateTs(site, node);
    if (first === null) return null;
    const s = this.q.stateAtOrAfter!.get(site, node, t) as StateRow | undefined;
    const o = this.q.offlineAtOrAfter!.get(site, node, Math.max(t, first)) as MarkRow | undefined;
    return earliest([s && fromState(s), o && fromOffline(o), this.marksIn(first, t, Infinity)[0]]);
  }

  /** The last observation before t whose state is not `state`. */
  beforeNot(site: string, node: string, t: number, state: MachineState): Observation | null {
    const first = this.firstStateTs(site, node);
    if (first === null) return null;
    const s = this.q.stateBeforeNot!.get(site, node, t, state) as StateRow | undefined;
    if (state === 'unknown') return s ? fromState(s) : null;
    const o = this.q.offlineBefore!.get(site, node, t, first) as MarkRow | undefined;
    return latest([s && fromState(s), o && fromOffline(o), this.marksIn(first, -Infinity, t).at(-1)]);
  }

  /** The first state row at or after t that says off or idle (a known "not running"). */
  knownStopAtOrAfter(site: string, node: string, t: number): Observation | null {
    const s = this.q.stateAtOrAfterIn!.get(site, node, t) as StateRow | undefined;
    return s ? fromState(s) : null;
  }

  /** Timestamp of the latest observation; the timeline before it is final. */
  lastTs(site: string, node: string): number | null {
    const first = this.firstStateTs(site, node);
    if (first === null) return null;
    const s = (this.q.lastState!.get(site, node) as { ts: number | null }).ts ?? first;
    const o = (this.q.lastOffline!.get(site, node) as { ts: number | null }).ts ?? -Infinity;
    const m = this.hubDown().at(-1)?.ts ?? -Infinity;
    return Math.max(s, o >= first ? o : -Infinity, m >= first ? m : -Infinity);
  }
}
