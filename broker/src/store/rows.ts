/**
 * What ingest hands to the store, and how one batch of it becomes SQL. Duplicates
 * (store-and-forward resends) hit a unique index and are ignored.
 */
import type { Database, Statement } from 'better-sqlite3';
import type { MachineState } from '@mieruka/protocol';

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
 * Called inside the batch's transaction, so its writes commit (or roll back) with the batch.
 */
export interface RowObserver {
  /** A data row of the batch was written; `inserted`: it is new (false: a duplicate, ignored). */
  stored(row: StoreRow, inserted: boolean): void;
  /** Every row of the batch is written (still inside the transaction). */
  batchEnd(): void;
  /** The batch's transaction rolled back: forget what was learned from it. */
  rolledBack(): void;
}

/** Rows kept in join_requests at most. */
export const MAX_JOIN_REQUESTS = 1000;

/** Prepared once per database; `writeRows` runs inside one transaction. */
export class RowWriter {
  private readonly db: Database;
  private readonly stmt: {
    status: Statement;
    seen: Statement;
    reading: Statement;
    state: Statement;
    event: Statement;
    clutter: Statement;
    motion: Statement;
    ingestError: Statement;
    joinRequest: Statement;
    statusLog: Statement;
    stateDirty: Statement;
    offlineDirty: Statement;
  };
  private readonly tx: (rows: readonly StoreRow[]) => number;
  private readonly observers: readonly RowObserver[];

  private readonly onObserverError: (err: unknown) => void;

  /** `onObserverError`: an observer threw; the batch's own rows still commit (derived rows are not worth losing data for). */
  constructor(db: Database, observers: readonly RowObserver[] = [], onObserverError: (err: unknown) => void = () => undefined) {
    this.db = db;
    this.observers = observers;
    this.onObserverError = onObserverError;
    this.stmt = {
      status: db.prepare(
        `INSERT INTO nodes (site, node, online, agent, version, status_ts, detail, backlog, last_seen) VALUES (@site, @node, @online, @agent, @version, @ts, @detail, @backlog, @receivedAt)
         ON CONFLICT (site, node) DO UPDATE SET online = excluded.online, agent = excluded.agent, version = excluded.version,
           status_ts = excluded.status_ts, detail = excluded.detail, backlog = excluded.backlog, last_seen = max(coalesce(last_seen, 0), excluded.last_seen)`,
      ),
      seen: db.prepare(
        `INSERT INTO nodes (site, node, last_seen) VALUES (?, ?, ?)
         ON CONFLICT (site, node) DO UPDATE SET last_seen = max(coalesce(last_seen, 0), excluded.last_seen)`,
      ),
      reading: db.prepare('INSERT OR IGNORE INTO readings (site, node, ts, seq, irms, received_at) VALUES (?, ?, ?, ?, ?, ?)'),
      state: db.prepare('INSERT OR IGNORE INTO states (site, node, ts, state, since, irms, received_at) VALUES (?, ?, ?, ?, ?, ?, ?)'),
      event: db.prepare('INSERT OR IGNORE INTO events (site, node, ts, seq, type, data, received_at) VALUES (?, ?, ?, ?, ?, ?, ?)'),
      clutter: db.prepare(
        'INSERT OR IGNORE INTO clutter (site, node, ts, seq, score, covered_ratio, slot, image_id, received_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)',
      ),
      motion: db.prepare('INSERT OR IGNORE INTO motion (site, node, ts, active, received_at) VALUES (?, ?, ?, ?, ?)'),
      ingestError: db.prepare(
        `INSERT INTO ingest_errors (site, node, reason, count, last_at, last_message) VALUES (?, ?, ?, 1, ?, ?)
         ON CONFLICT (site, node, reason) DO UPDATE SET count = count + 1, last_at = excluded.last_at, last_message = excluded.last_message`,
      ),
      // At most MAX_JOIN_REQUESTS rows: a flood of made-up ids only bumps the counts of the first ones.
      joinRequest: db.prepare(
        `INSERT INTO join_requests (site, node, first_at, last_at, count)
         SELECT @site, @node, @at, @at, 1
         WHERE (SELECT count(*) FROM join_requests) < ${MAX_JOIN_REQUESTS} OR EXISTS (SELECT 1 FROM join_requests WHERE site = @site AND node = @node)
         ON CONFLICT (site, node) DO UPDATE SET count = count + 1, last_at = excluded.last_at`,
      ),
      statusLog: db.prepare('INSERT INTO status_log (site, node, online, ts, received_at) VALUES (?, ?, ?, ?, ?)'),
      // Machine reports: remember the earliest new observation, so roll-ups are recomputed from there.
      stateDirty: db.prepare(
        `INSERT INTO rollup_cursors (site, node, dirty_ts) VALUES (?, ?, ?)
         ON CONFLICT (site, node) DO UPDATE SET dirty_ts = min(coalesce(dirty_ts, excluded.dirty_ts), excluded.dirty_ts)`,
      ),
      offlineDirty: db.prepare('UPDATE rollup_cursors SET dirty_ts = min(coalesce(dirty_ts, @at), @at) WHERE site = @site AND node = @node'),
    };
    this.tx = db.transaction((rows: readonly StoreRow[]) => this.apply(rows));
  }

  /** Writes the batch in one transaction; returns the number of data rows inserted (duplicates excluded). */
  write(rows: readonly StoreRow[]): number {
    try {
      return this.tx(rows);
    } catch (err) {
      for (const o of this.observers) o.rolledBack();
      throw err;
    }
  }

  private observe(row: StoreRow, changes: number): void {
    for (const o of this.observers) this.guard(o, () => o.stored(row, changes > 0));
  }

  private guard(o: RowObserver, call: () => void): void {
    try {
      call();
    } catch (err) {
      o.rolledBack();
      this.onObserverError(err);
    }
  }

  private apply(rows: readonly StoreRow[]): number {
    const s = this.stmt;
    let inserted = 0;
    /** One nodes upsert per node per batch, not per message. */
    const lastSeen = new Map<string, { site: string; node: string; at: number }>();
    for (const r of rows) {
      if (r.kind !== 'ingest-error' && r.kind !== 'join-request') {
        const key = `${r.site}/${r.node}`;
        const seen = lastSeen.get(key);
        if (!seen || seen.at < r.receivedAt) lastSeen.set(key, { site: r.site, node: r.node, at: r.receivedAt });
      }
      switch (r.kind) {
        case 'status':
          s.status.run({ site: r.site, node: r.node, online: r.online ? 1 : 0, agent: r.agent, version: r.version, ts: r.ts, detail: r.detail, backlog: r.backlog ?? null, receivedAt: r.receivedAt });
          s.statusLog.run(r.site, r.node, r.online ? 1 : 0, r.ts, r.receivedAt);
          if (!r.online) s.offlineDirty.run({ at: r.receivedAt, site: r.site, node: r.node });
          break;
        case 'reading': {
          const changes = s.reading.run(r.site, r.node, r.ts, r.seq, JSON.stringify(r.irms), r.receivedAt).changes;
          this.observe(r, changes);
          inserted += changes;
          break;
        }
        case 'state': {
          const changes = s.state.run(r.site, r.node, r.ts, r.state, r.since, JSON.stringify(r.irms), r.receivedAt).changes;
          if (changes > 0) s.stateDirty.run(r.site, r.node, r.ts);
          this.observe(r, changes);
          inserted += changes;
          break;
        }
        case 'event': {
          const changes = s.event.run(r.site, r.node, r.ts, r.seq, r.type, JSON.stringify(r.data), r.receivedAt).changes;
          this.observe(r, changes);
          inserted += changes;
          break;
        }
        case 'clutter':
          inserted += s.clutter.run(r.site, r.node, r.ts, r.seq, r.score, r.coveredRatio, r.slot, r.imageId, r.receivedAt).changes;
          break;
        case 'motion':
          inserted += s.motion.run(r.site, r.node, r.ts, r.active ? 1 : 0, r.receivedAt).changes;
          break;
        case 'ingest-error':
          s.ingestError.run(r.site, r.node, r.reason, r.receivedAt, r.message.slice(0, 500));
          break;
        case 'join-request':
          s.joinRequest.run({ site: r.site, node: r.node, at: r.receivedAt });
          break;
        case 'seen':
          break;
      }
    }
    for (const { site, node, at } of lastSeen.values()) s.seen.run(site, node, at);
    for (const o of this.observers) this.guard(o, () => o.batchEnd());
    return inserted;
  }

  get database(): Database {
    return this.db;
  }
}
