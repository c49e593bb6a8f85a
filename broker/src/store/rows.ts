/**
 * What ingest hands to the store, and how one batch of it becomes SQL. Duplicates
 * (store-and-forward resends) hit a unique index and are ignored.
 */
import type { MachineState } from '@mieruka/protocol';
import type { SqlQueries, SqlStore, SqlValue } from './sql/sql-store.js';

type Where = { site: string; node: string; /** Hub clock when the message arrived (epoch ms). */ receivedAt: number };

export type StoreRow =
  | (Where & { kind: 'status'; ts: number; online: boolean; agent: string; version: string; detail: string | null; /** JSON of the node snapshot's backlog. */ backlog?: string | null })
  | (Where & { kind: 'reading'; ts: number; seq: number; irms: number[] })
  | (Where & { kind: 'state'; ts: number; state: MachineState; since: number; irms: number[] })
  | (Where & { kind: 'event'; ts: number; seq: number; type: string; data: Record<string, unknown> })
  | (Where & { kind: 'clutter'; ts: number; seq: number; score: number; coveredRatio: number; slot: string; imageId: string | null })
  | (Where & { kind: 'motion'; ts: number; active: boolean })
  /** A message was dropped; `site`/`node` are '' when the topic did not name them. */
  | (Where & { kind: 'ingest-error'; reason: string; message: string })
  /** A new node past the caps (hub.ingest.maxNodesPerSite, maxSites) was refused. */
  | (Where & { kind: 'join-request' })
  /** The node was heard from (image messages, which have no row of their own). */
  | (Where & { kind: 'seen' });

export type RowKind = StoreRow['kind'];

/**
 * Something that derives more rows from what the store writes (production figures, docs/oee.md).
 * Called inside the batch's transaction, with that transaction's `tx`, so its writes commit (or
 * roll back) with the batch. It must await nothing but `tx` calls (see SqlStore.transaction).
 */
export interface RowObserver {
  /** A data row of the batch was written; `inserted`: it is new (false: a duplicate, ignored). */
  stored(tx: SqlQueries, row: StoreRow, inserted: boolean): Promise<void> | void;
  /** Every row of the batch is written (still inside the transaction). */
  batchEnd(tx: SqlQueries): Promise<void> | void;
  /** The batch's transaction rolled back: forget what was learned from it. */
  rolledBack(): void;
}

/** Rows kept in join_requests at most. */
export const MAX_JOIN_REQUESTS = 1000;

/** A later value of last_seen / an earlier dirty_ts, written once for both databases (no scalar max/min in PostgreSQL). */
const LATER_LAST_SEEN = 'CASE WHEN nodes.last_seen IS NULL OR nodes.last_seen < excluded.last_seen THEN excluded.last_seen ELSE nodes.last_seen END';

/** The batch's SQL, in the dialect SQLite and PostgreSQL share (`?` placeholders, ON CONFLICT). */
const SQL = {
  reading: 'INSERT INTO readings (site, node, ts, seq, irms, received_at) VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT DO NOTHING',
  status: `INSERT INTO nodes (site, node, online, agent, version, status_ts, detail, backlog, last_seen) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)
     ON CONFLICT (site, node) DO UPDATE SET online = excluded.online, agent = excluded.agent, version = excluded.version,
       status_ts = excluded.status_ts, detail = excluded.detail, backlog = excluded.backlog, last_seen = ${LATER_LAST_SEEN}`,
  state: 'INSERT INTO states (site, node, ts, state, since, irms, received_at) VALUES (?, ?, ?, ?, ?, ?, ?) ON CONFLICT DO NOTHING',
  event: 'INSERT INTO events (site, node, ts, seq, type, data, received_at) VALUES (?, ?, ?, ?, ?, ?, ?) ON CONFLICT DO NOTHING',
  clutter: 'INSERT INTO clutter (site, node, ts, seq, score, covered_ratio, slot, image_id, received_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT DO NOTHING',
  motion: 'INSERT INTO motion (site, node, ts, active, received_at) VALUES (?, ?, ?, ?, ?) ON CONFLICT DO NOTHING',
  ingestError: `INSERT INTO ingest_errors (site, node, reason, count, last_at, last_message) VALUES (?, ?, ?, 1, ?, ?)
     ON CONFLICT (site, node, reason) DO UPDATE SET count = ingest_errors.count + 1, last_at = excluded.last_at, last_message = excluded.last_message`,
  // At most MAX_JOIN_REQUESTS rows: a flood of made-up ids only bumps the counts of the first ones.
  // The casts give PostgreSQL the parameters' types (a bare parameter in a SELECT list has none).
  joinRequest: `INSERT INTO join_requests (site, node, first_at, last_at, count)
     SELECT CAST(? AS TEXT), CAST(? AS TEXT), CAST(? AS BIGINT), CAST(? AS BIGINT), 1
     WHERE (SELECT count(*) FROM join_requests) < ${MAX_JOIN_REQUESTS} OR EXISTS (SELECT 1 FROM join_requests WHERE site = ? AND node = ?)
     ON CONFLICT (site, node) DO UPDATE SET count = join_requests.count + 1, last_at = excluded.last_at`,
  statusLog: 'INSERT INTO status_log (site, node, online, ts, received_at) VALUES (?, ?, ?, ?, ?)',
  // Machine reports: remember the earliest new observation, so roll-ups are recomputed from there.
  stateDirty: `INSERT INTO rollup_cursors (site, node, dirty_ts) VALUES (?, ?, ?)
     ON CONFLICT (site, node) DO UPDATE SET dirty_ts = CASE WHEN rollup_cursors.dirty_ts IS NULL OR rollup_cursors.dirty_ts > excluded.dirty_ts THEN excluded.dirty_ts ELSE rollup_cursors.dirty_ts END`,
  offlineDirty: 'UPDATE rollup_cursors SET dirty_ts = CASE WHEN dirty_ts IS NULL OR dirty_ts > CAST(? AS BIGINT) THEN CAST(? AS BIGINT) ELSE dirty_ts END WHERE site = ? AND node = ?',
} as const;

type ReadingRow = Extract<StoreRow, { kind: 'reading' }>;

/** Readings per INSERT: 6 parameters each, far below both databases' limits on parameters. */
const READINGS_PER_STATEMENT = 250;

const readingsSql = new Map<number, string>();
/** The multi-row readings insert for `n` rows (one SQL text per n, so each is prepared once). */
function readingsInsert(n: number): string {
  let sql = readingsSql.get(n);
  if (!sql) {
    sql = `INSERT INTO readings (site, node, ts, seq, irms, received_at) VALUES ${Array.from({ length: n }, () => '(?, ?, ?, ?, ?, ?)').join(', ')} ON CONFLICT DO NOTHING RETURNING site, node, seq`;
    readingsSql.set(n, sql);
  }
  return sql;
}

const NODES_PER_STATEMENT = 500;
const nodesSql = new Map<number, string>();
/** The nodes' last_seen upsert for `n` distinct nodes. */
function nodesSeenUpsert(n: number): string {
  let sql = nodesSql.get(n);
  if (!sql) {
    sql = `INSERT INTO nodes (site, node, last_seen) VALUES ${Array.from({ length: n }, () => '(?, ?, CAST(? AS BIGINT))').join(', ')} ON CONFLICT (site, node) DO UPDATE SET last_seen = ${LATER_LAST_SEEN}`;
    nodesSql.set(n, sql);
  }
  return sql;
}

/** An observer threw inside the batch: the transaction is rolled back and redone without it. */
class ObserverFailed extends Error {
  constructor(
    readonly observer: RowObserver,
    readonly reason: unknown,
  ) {
    super('a row observer failed');
  }
}

/**
 * Writes batches of rows, each in one transaction of a SqlStore (SQLite or PostgreSQL). A
 * throwing observer does not cost data: the batch is rolled back and written again without
 * that observer (PostgreSQL cannot go on inside a transaction after a failed statement, so
 * both databases take the same path); its derived rows for that batch are lost, and said.
 */
export class RowWriter {
  private readonly sql: SqlStore;
  private readonly observers: readonly RowObserver[];
  private readonly onObserverError: (err: unknown) => void;

  /** `onObserverError`: an observer threw; the batch's own rows still commit (derived rows are not worth losing data for). */
  constructor(sql: SqlStore, observers: readonly RowObserver[] = [], onObserverError: (err: unknown) => void = () => undefined) {
    this.sql = sql;
    this.observers = observers;
    this.onObserverError = onObserverError;
  }

  /** Writes the batch in one transaction; resolves to the number of data rows inserted (duplicates excluded). */
  async write(rows: readonly StoreRow[]): Promise<number> {
    let observers = this.observers;
    for (;;) {
      try {
        return await this.sql.transaction((tx) => this.apply(tx, rows, observers));
      } catch (err) {
        for (const o of observers) o.rolledBack();
        if (!(err instanceof ObserverFailed)) throw err;
        this.onObserverError(err.reason);
        observers = observers.filter((o) => o !== err.observer);
      }
    }
  }

  /**
   * Tells each observer; a promise only if one of them answers with one (most rows concern
   * none, and on SQLite the batch then runs without a promise per row).
   */
  private observe(observers: readonly RowObserver[], call: (o: RowObserver) => Promise<void> | void, from = 0): Promise<void> | void {
    for (let i = from; i < observers.length; i++) {
      const o = observers[i] as RowObserver;
      let pending: Promise<void> | void;
      try {
        pending = call(o);
      } catch (err) {
        throw new ObserverFailed(o, err);
      }
      if (pending) {
        return pending.then(
          () => this.observe(observers, call, i + 1),
          (err: unknown) => {
            throw new ObserverFailed(o, err);
          },
        );
      }
    }
  }

  /**
   * Inserts the readings in one statement; returns which of them are new. A key twice in the
   * run is new once (its first time), as it would be row by row.
   */
  private async insertReadings(tx: SqlQueries, run: readonly ReadingRow[]): Promise<(r: ReadingRow) => boolean> {
    const values: SqlValue[] = [];
    for (const r of run) values.push(r.site, r.node, r.ts, r.seq, JSON.stringify(r.irms), r.receivedAt);
    const inserted = await tx.all<{ site: string; node: string; seq: number }>(readingsInsert(run.length), values);
    const fresh = new Set(inserted.map((k) => `${k.site}/${k.node}/${k.seq}`));
    return (r) => fresh.delete(`${r.site}/${r.node}/${r.seq}`);
  }

  private async apply(tx: SqlQueries, rows: readonly StoreRow[], observers: readonly RowObserver[]): Promise<number> {
    let inserted = 0;
    /** One nodes upsert per node per batch, not per message. */
    const lastSeen = new Map<string, { site: string; node: string; at: number }>();
    const lastSeenOf = (r: StoreRow) => {
      const key = `${r.site}/${r.node}`;
      const seen = lastSeen.get(key);
      if (!seen || seen.at < r.receivedAt) lastSeen.set(key, { site: r.site, node: r.node, at: r.receivedAt });
    };
    // SQLite answers in-process: its statements run without a promise each (`immediate`), and
    // the loop below awaits only what really is one (PostgreSQL's answers, a busy observer).
    const immediate = tx.immediate;
    const run = immediate ? (sql: string, params: SqlValue[]) => immediate.run(sql, params).changes : (sql: string, params: SqlValue[]) => tx.run(sql, params).then((r) => r.changes);
    const stored = (r: StoreRow, changes: number): Promise<void> | void => {
      inserted += changes;
      if (observers.length > 0) return this.observe(observers, (o) => o.stored(tx, r, changes > 0));
    };
    for (let i = 0; i < rows.length; i++) {
      const r = rows[i] as StoreRow;
      if (r.kind === 'reading' && !immediate) {
        // Readings are most of every batch: over the network consecutive ones go in one
        // multi-row statement (one round trip instead of one each), then are told to the
        // observers in order. In-process, a prepared statement per row costs less (profiled).
        const readings = [r];
        while (readings.length < READINGS_PER_STATEMENT && rows[i + readings.length]?.kind === 'reading') readings.push(rows[i + readings.length] as ReadingRow);
        i += readings.length - 1;
        const fresh = await this.insertReadings(tx, readings);
        for (const reading of readings) {
          lastSeenOf(reading);
          const pending = stored(reading, fresh(reading) ? 1 : 0);
          if (pending) await pending;
        }
        continue;
      }
      if (r.kind !== 'ingest-error' && r.kind !== 'join-request') lastSeenOf(r);
      let changes: number | Promise<number> = 0;
      let observed = false;
      switch (r.kind) {
        case 'reading':
          changes = run(SQL.reading, [r.site, r.node, r.ts, r.seq, JSON.stringify(r.irms), r.receivedAt]);
          observed = true;
          break;
        // The rare kinds simply await (a settled value on SQLite).
        case 'status':
          await run(SQL.status, [r.site, r.node, r.online ? 1 : 0, r.agent, r.version, r.ts, r.detail, r.backlog ?? null, r.receivedAt]);
          await run(SQL.statusLog, [r.site, r.node, r.online ? 1 : 0, r.ts, r.receivedAt]);
          if (!r.online) await run(SQL.offlineDirty, [r.receivedAt, r.receivedAt, r.site, r.node]);
          break;
        case 'state':
          changes = run(SQL.state, [r.site, r.node, r.ts, r.state, r.since, JSON.stringify(r.irms), r.receivedAt]);
          if (typeof changes !== 'number') changes = await changes;
          if (changes > 0) await run(SQL.stateDirty, [r.site, r.node, r.ts]);
          observed = true;
          break;
        case 'event':
          changes = run(SQL.event, [r.site, r.node, r.ts, r.seq, r.type, JSON.stringify(r.data), r.receivedAt]);
          observed = true;
          break;
        case 'clutter':
          changes = run(SQL.clutter, [r.site, r.node, r.ts, r.seq, r.score, r.coveredRatio, r.slot, r.imageId, r.receivedAt]);
          break;
        case 'motion':
          changes = run(SQL.motion, [r.site, r.node, r.ts, r.active ? 1 : 0, r.receivedAt]);
          break;
        case 'ingest-error':
          await run(SQL.ingestError, [r.site, r.node, r.reason, r.receivedAt, r.message.slice(0, 500)]);
          break;
        case 'join-request':
          await run(SQL.joinRequest, [r.site, r.node, r.receivedAt, r.receivedAt, r.site, r.node]);
          break;
        case 'seen':
          break;
      }
      if (typeof changes !== 'number') changes = await changes;
      if (!observed) inserted += changes;
      else {
        const pending = stored(r, changes);
        if (pending) await pending;
      }
    }
    // Every node of the batch in one statement (its keys are unique, as an upsert of many rows needs).
    const seen = [...lastSeen.values()];
    for (let i = 0; i < seen.length; i += NODES_PER_STATEMENT) {
      const part = seen.slice(i, i + NODES_PER_STATEMENT);
      await tx.run(nodesSeenUpsert(part.length), part.flatMap(({ site, node, at }) => [site, node, at]));
    }
    if (observers.length > 0) await this.observe(observers, (o) => o.batchEnd(tx));
    return inserted;
  }
}
