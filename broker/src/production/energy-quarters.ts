/**
 * Ampere-seconds per machine state in each quarter hour (table `energy_quarters`), kept up to
 * date as readings arrive; energy follows at query time (docs/oee.md):
 * kWh = A·s × V × (phases = 3 ? √3 : 1) × PF / 3.6e6.
 *
 * The rule, exactly:
 * 1. Only configured machines count: site = the hub's site, node = a key of `machines`; the
 *    current of a reading is `irms[channel]` (the machine's `channel`). A reading without
 *    that channel is no reading for energy (skipped everywhere, also as a successor).
 * 2. A machine's readings, ordered by (ts, seq): the reading at t, followed by the next one at
 *    t', counts its current I for min(t' − t, offlineAfterS) seconds from t. The rest of a
 *    longer gap is no data, not energy. The newest reading counts once its successor arrives.
 * 3. That span is booked to the machine's state in force at t: the newest `states` row with
 *    ts ≤ t (none: `unknown`) → running_as, idle_as, off_as or unknown_as.
 * 4. Quarters are UTC-aligned (quarter_start = ⌊ts / 900 000⌋ × 900 000); a span crossing a
 *    boundary is split there. Each piece is rounded to whole µA·s and the column holds
 *    Σ pieces / 10⁶: integer sums, so the result does not depend on the order data arrived in.
 * 5. A quarter has a row once one of its pieces is non-zero.
 *
 * In-order data is added as it comes (its spans summed per batch, one upsert per quarter). A late reading (older than the
 * machine's newest, e.g. an agent's store-and-forward backfill) or a state row that changes
 * the state of already booked spans marks a time range dirty; at the end of the batch the
 * quarters of that range are rebuilt from `readings` + `states` — so the table always equals
 * a full rebuild (`rebuildEnergyQuarters`). Quarters whose readings retention may already
 * have pruned (`horizon`) are final and never rebuilt.
 */
import type { MachineState } from '@mieruka/protocol';
import type { RowObserver, StoreRow } from '../store/rows.js';
import type { SqlQueries, SqlStore } from '../store/sql/sql-store.js';

export const QUARTER_MS = 15 * 60_000;

/** What the rule needs of a machine's config. */
export type EnergyMachine = { channel: number; offlineAfterS: number };
/** The machine config of a node, or null when it is no configured machine. */
export type EnergyMachines = (site: string, node: string) => EnergyMachine | null;

const COLUMN_INDEX: Record<MachineState, number> = { running: 0, idle: 1, off: 2, unknown: 3 };

type Reading = { ts: number; seq: number; amps: number };
/** µA·s per state column [running, idle, off, unknown], by quarter start. */
type Pieces = Map<number, [number, number, number, number]>;

const floorQuarter = (t: number) => Math.floor(t / QUARTER_MS) * QUARTER_MS;
const ceilQuarter = (t: number) => Math.ceil(t / QUARTER_MS) * QUARTER_MS;

/** The current on `channel`, or null when the reading has none. */
function ampsOf(irms: unknown, channel: number): number | null {
  const list = typeof irms === 'string' ? (JSON.parse(irms) as unknown) : irms;
  const a = Array.isArray(list) ? (list[channel] as unknown) : undefined;
  return typeof a === 'number' && Number.isFinite(a) ? a : null;
}

/** Adds the span [from, to) of `amps` to `pieces`, split at quarter boundaries, clipped to [clipFrom, clipTo). */
function addSpan(pieces: Pieces, from: number, to: number, amps: number, column: number, clipFrom = -Infinity, clipTo = Infinity): void {
  let a = Math.max(from, clipFrom);
  const b = Math.min(to, clipTo);
  while (a < b) {
    const q = floorQuarter(a);
    const end = Math.min(b, q + QUARTER_MS);
    const units = Math.round(amps * (end - a) * 1000);
    if (units !== 0) {
      const row = pieces.get(q) ?? [0, 0, 0, 0];
      row[column] = (row[column] ?? 0) + units;
      pieces.set(q, row);
    }
    a = end;
  }
}

/** The SQL of the rule, written once for SQLite and PostgreSQL. */
const SQL = {
  stateAt: 'SELECT state FROM states WHERE site = ? AND node = ? AND ts <= ? ORDER BY ts DESC LIMIT 1',
  statesWithin: 'SELECT ts, state FROM states WHERE site = ? AND node = ? AND ts > ? AND ts < ? ORDER BY ts',
  nextStateTs: 'SELECT min(ts) AS ts FROM states WHERE site = ? AND node = ? AND ts > ?',
  newestReadings: 'SELECT ts, seq, irms FROM readings WHERE site = ? AND node = ? AND seq <> ? ORDER BY ts DESC, seq DESC LIMIT 100',
  /** One page of readings after (ts, seq), in order. */
  readingsAfter: 'SELECT ts, seq, irms FROM readings WHERE site = ? AND node = ? AND (ts > ? OR (ts = ? AND seq > ?)) ORDER BY ts, seq LIMIT 1000',
  // Adding integers of µA·s to a column that holds integer / 10⁶ (see rule 4).
  add: `INSERT INTO energy_quarters (site, node, quarter_start, running_as, idle_as, off_as, unknown_as) VALUES (?, ?, ?, ?, ?, ?, ?)
     ON CONFLICT (site, node, quarter_start) DO UPDATE SET
       running_as = (round(energy_quarters.running_as * 1e6) + round(excluded.running_as * 1e6)) / 1e6,
       idle_as = (round(energy_quarters.idle_as * 1e6) + round(excluded.idle_as * 1e6)) / 1e6,
       off_as = (round(energy_quarters.off_as * 1e6) + round(excluded.off_as * 1e6)) / 1e6,
       unknown_as = (round(energy_quarters.unknown_as * 1e6) + round(excluded.unknown_as * 1e6)) / 1e6`,
  insert: 'INSERT INTO energy_quarters (site, node, quarter_start, running_as, idle_as, off_as, unknown_as) VALUES (?, ?, ?, ?, ?, ?, ?)',
  deleteRange: 'DELETE FROM energy_quarters WHERE site = ? AND node = ? AND quarter_start >= ? AND quarter_start < ?',
  // The next (site, node) of readings after a given one: hops along the index instead of scanning every reading.
  nextNode: 'SELECT site, node FROM readings WHERE site > ? OR (site = ? AND node > ?) ORDER BY site, node LIMIT 1',
} as const;

async function columnAt(sql: SqlQueries, site: string, node: string, ts: number): Promise<number> {
  const row = await sql.get<{ state: MachineState }>(SQL.stateAt, [site, node, ts]);
  return COLUMN_INDEX[row?.state ?? 'unknown'] ?? COLUMN_INDEX.unknown;
}

/** µA·s per state of one machine's spans inside [clipFrom, clipTo), by quarter start (rule 1–4). */
async function piecesFromReadings(sql: SqlQueries, site: string, node: string, machine: EnergyMachine, clipFrom: number, clipTo: number): Promise<Pieces> {
  const capMs = machine.offlineAfterS * 1000;
  const pieces: Pieces = new Map();
  // A span reaches at most capMs past its reading: earlier readings cannot touch [clipFrom, clipTo).
  const from = clipFrom - capMs;
  // The states in force over the readings, read once: the one at `from` and every change up to clipTo.
  const changes = await sql.all<{ ts: number; state: MachineState }>(SQL.statesWithin, [site, node, from, clipTo]);
  let column = await columnAt(sql, site, node, from);
  let nextChange = 0;
  const columnOf = (ts: number): number => {
    while (nextChange < changes.length && changes[nextChange]!.ts <= ts) column = COLUMN_INDEX[changes[nextChange++]!.state] ?? COLUMN_INDEX.unknown;
    return column;
  };
  let prev: Reading | null = null;
  let after = { ts: from, seq: Number.MIN_SAFE_INTEGER };
  for (;;) {
    const page = await sql.all<{ ts: number; seq: number; irms: string }>(SQL.readingsAfter, [site, node, after.ts, after.ts, after.seq]);
    for (const row of page) {
      const amps = ampsOf(row.irms, machine.channel);
      if (amps === null) continue;
      if (prev) addSpan(pieces, prev.ts, Math.min(row.ts, prev.ts + capMs), prev.amps, columnOf(prev.ts), clipFrom, clipTo);
      if (row.ts >= clipTo) return pieces; // it was the successor of the last reading inside
      prev = { ts: row.ts, seq: row.seq, amps };
    }
    if (page.length < 1000) return pieces;
    const last = page[page.length - 1]!;
    after = { ts: last.ts, seq: last.seq };
  }
}

/**
 * Ampere-seconds per state of one machine in [from, to), straight from readings and states by
 * the same rule as the table: for the part of a quarter a report's bucket holds (a shift that
 * starts at 08:10, a range from 23:40), where the quarter's sum would have to be prorated.
 */
export async function ampereSecondsFromReadings(sql: SqlQueries, site: string, node: string, machine: EnergyMachine, from: number, to: number): Promise<{ runningAs: number; idleAs: number; offAs: number; unknownAs: number }> {
  const sum = [0, 0, 0, 0];
  if (to > from) for (const row of (await piecesFromReadings(sql, site, node, machine, from, to)).values()) for (let i = 0; i < 4; i++) sum[i]! += row[i]!;
  return { runningAs: sum[0]! / 1e6, idleAs: sum[1]! / 1e6, offAs: sum[2]! / 1e6, unknownAs: sum[3]! / 1e6 };
}

/**
 * Recomputes the quarters of one machine that overlap [from, to) from readings and states
 * (whole quarters; rule 1–5). Returns the number of rows written. Run it inside a transaction.
 */
export async function rebuildMachineQuarters(tx: SqlQueries, site: string, node: string, machine: EnergyMachine, from: number, to: number): Promise<number> {
  const q0 = floorQuarter(from);
  const q1 = floorQuarter(to) + (to > floorQuarter(to) ? QUARTER_MS : 0);
  if (q1 <= q0) return 0;
  const pieces = await piecesFromReadings(tx, site, node, machine, q0, q1);
  await tx.run(SQL.deleteRange, [site, node, q0, q1]);
  for (const [start, [r, i, o, u]] of pieces) await tx.run(SQL.insert, [site, node, start, r / 1e6, i / 1e6, o / 1e6, u / 1e6]);
  return pieces.size;
}

/** Rebuilds [from, to) for every configured machine that has readings (tests, repairs), in one transaction. Returns rows written. */
export async function rebuildEnergyQuarters(sql: SqlStore, machines: EnergyMachines, from: number, to: number): Promise<number> {
  return sql.transaction(async (tx) => {
    let rows = 0;
    type Key = { site: string; node: string } | undefined;
    for (let key = await tx.get<NonNullable<Key>>(SQL.nextNode, ['', '', '']) as Key; key; key = (await tx.get<NonNullable<Key>>(SQL.nextNode, [key.site, key.site, key.node])) as Key) {
      const machine = machines(key.site, key.node);
      if (machine) rows += await rebuildMachineQuarters(tx, key.site, key.node, machine, from, to);
    }
    return rows;
  });
}

export type EnergyQuartersOptions = {
  machines: EnergyMachines;
  /**
   * Readings before this instant may have been pruned (hub.retention.readingsDays); null: all
   * are kept. Quarters that would need them are final (never rebuilt).
   */
  horizon?: () => number | null;
};

/** Keeps `energy_quarters` up to date from the rows the store writes (a RowObserver, inside each batch's transaction). */
export class EnergyQuarters implements RowObserver {
  private readonly options: EnergyQuartersOptions;
  /** Per machine: its newest reading (booked once its successor arrives). Cold after a restart or a rollback. */
  private readonly newest = new Map<string, Reading | null>();
  /** Per machine: in-order spans of this batch, added to the table once at its end (one upsert per quarter, not per reading). */
  private readonly pending = new Map<string, { site: string; node: string; pieces: Pieces }>();
  /** Per machine: time ranges to rebuild at the end of the batch. */
  private readonly dirty = new Map<string, { site: string; node: string; machine: EnergyMachine; from: number; to: number }>();

  constructor(options: EnergyQuartersOptions) {
    this.options = options;
  }

  /** A promise only for a machine's rows (the rest pass without one). */
  stored(tx: SqlQueries, row: StoreRow, inserted: boolean): Promise<void> | void {
    if (!inserted || (row.kind !== 'reading' && row.kind !== 'state')) return;
    const machine = this.options.machines(row.site, row.node);
    if (!machine) return;
    return row.kind === 'reading' ? this.reading(tx, row, machine) : this.state(tx, row.site, row.node, row.ts, machine);
  }

  async batchEnd(tx: SqlQueries): Promise<void> {
    // Added first: a rebuild afterwards replaces its quarters whole, these spans included.
    for (const { site, node, pieces } of this.pending.values()) {
      for (const [start, [a, b, c, d]] of pieces) await tx.run(SQL.add, [site, node, start, a / 1e6, b / 1e6, c / 1e6, d / 1e6]);
    }
    this.pending.clear();
    for (const d of this.dirty.values()) await this.rebuild(tx, d.site, d.node, d.machine, d.from, d.to);
    this.dirty.clear();
  }

  rolledBack(): void {
    this.newest.clear();
    this.pending.clear();
    this.dirty.clear();
  }

  /** Rebuilds the quarters overlapping [from, to), except those before the horizon. */
  rebuild(tx: SqlQueries, site: string, node: string, machine: EnergyMachine, from: number, to: number): Promise<number> {
    const horizon = this.options.horizon?.() ?? null;
    const start = horizon === null ? from : Math.max(from, ceilQuarter(horizon + machine.offlineAfterS * 1000));
    return start < to ? rebuildMachineQuarters(tx, site, node, machine, start, to) : Promise.resolve(0);
  }

  private async reading(tx: SqlQueries, r: Extract<StoreRow, { kind: 'reading' }>, machine: EnergyMachine): Promise<void> {
    const amps = ampsOf(r.irms, machine.channel);
    if (amps === null) return;
    const key = `${r.site}/${r.node}`;
    const last = await this.newestOf(tx, key, r.site, r.node, r.seq, machine);
    const capMs = machine.offlineAfterS * 1000;
    if (last === null || r.ts > last.ts || (r.ts === last.ts && r.seq > last.seq)) {
      if (last) {
        let p = this.pending.get(key);
        if (!p) {
          p = { site: r.site, node: r.node, pieces: new Map() };
          this.pending.set(key, p);
        }
        addSpan(p.pieces, last.ts, Math.min(r.ts, last.ts + capMs), last.amps, await columnAt(tx, r.site, r.node, last.ts));
      }
      this.newest.set(key, { ts: r.ts, seq: r.seq, amps });
      return;
    }
    // Late: it shortens its predecessor's span and adds its own, both within capMs of r.ts.
    this.markDirty(key, r.site, r.node, machine, r.ts - capMs, r.ts + capMs);
  }

  private async state(tx: SqlQueries, site: string, node: string, ts: number, machine: EnergyMachine): Promise<void> {
    const key = `${site}/${node}`;
    const last = await this.newestOf(tx, key, site, node, null, machine);
    // Spans booked so far start before the newest reading; those from ts on until the next state change move.
    if (last === null || ts > last.ts) return;
    const next = (await tx.get<{ ts: number | null }>(SQL.nextStateTs, [site, node, ts]))?.ts ?? null;
    this.markDirty(key, site, node, machine, ts, Math.min(next ?? Infinity, last.ts) + machine.offlineAfterS * 1000);
  }

  private markDirty(key: string, site: string, node: string, machine: EnergyMachine, from: number, to: number): void {
    const d = this.dirty.get(key);
    if (d) {
      d.from = Math.min(d.from, from);
      d.to = Math.max(d.to, to);
    } else this.dirty.set(key, { site, node, machine, from, to });
  }

  /** The machine's newest reading with a current on its channel, other than the one with `exceptSeq` (just inserted). */
  private async newestOf(tx: SqlQueries, key: string, site: string, node: string, exceptSeq: number | null, machine: EnergyMachine): Promise<Reading | null> {
    const known = this.newest.get(key);
    if (known !== undefined) return known;
    let found: Reading | null = null;
    for (const row of await tx.all<{ ts: number; seq: number; irms: string }>(SQL.newestReadings, [site, node, exceptSeq ?? -1])) {
      const amps = ampsOf(row.irms, machine.channel);
      if (amps !== null) {
        found = { ts: row.ts, seq: row.seq, amps };
        break;
      }
    }
    this.newest.set(key, found);
    return found;
  }
}
