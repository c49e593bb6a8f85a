/**
 * The hub's store: batched ingest writes, the snapshot reload at start, and the database the
 * hub's other modules reach through `sql`. On a single Pi it is the SQLite file
 * `<dataDir>/mieruka.db`; with `postgresUrl` (hub.store.url, fleet mode) a PostgreSQL
 * database shared by the hubs, through the same SqlStore interface and the same code.
 */
import { join } from 'node:path';
import type { Database } from 'better-sqlite3';
import type { Logger } from 'pino';
import type { NodeSnapshot, Now } from '@mieruka/protocol';
import { BatchWriter, type BatchWriterStats } from './batch-writer.js';
import { openDatabase } from './database.js';
import { migratePostgres, openPostgres } from './postgres/pg-database.js';
import { PostgresSqlStore } from './sql/postgres-sql-store.js';
import { RowWriter, type RowObserver, type StoreRow } from './rows.js';
import { SqliteSqlStore } from './sql/sqlite-sql-store.js';
import type { SqlStore } from './sql/sql-store.js';
import { loadSnapshots } from './snapshot-queries.js';
import { WalCheckpointer } from './wal-checkpointer.js';

export type StoreOptions = {
  dataDir: string;
  /** PostgreSQL instead of the SQLite file in dataDir (postgres://…; hub.store.url). */
  postgresUrl?: string;
  batchSize: number;
  flushIntervalMs: number;
  logger: Logger;
  /** The hub's clock, for migrations that judge data by the time. */
  now?: Now;
  /**
   * Told of each row once committed, with how long it waited since it was queued (ms on the
   * monotonic clock, so a clock jump or the demo's replay clock cannot skew it): the ingest
   * latency metric.
   */
  onStored?: (row: StoreRow, waitedMs: number) => void;
  /** Monotonic milliseconds for `onStored`. Default: performance.now. */
  monotonic?: () => number;
  /** Derive more rows inside each batch's transaction (production figures); built once the database is open. */
  observers?: () => RowObserver[];
};

export const DATA_TABLES = ['nodes', 'readings', 'states', 'events', 'clutter', 'motion', 'users', 'ingest_errors'] as const;
export type DataTable = (typeof DATA_TABLES)[number];

export class Store {
  private readonly options: StoreOptions;
  private readonly logger: Logger;
  private db: Database | null = null;
  private sqlStore: SqlStore | null = null;
  private writer: BatchWriter<StoreRow> | null = null;
  private checkpointer: WalCheckpointer | null = null;
  /** Counters survive stop so a stopped hub still reports what it wrote. */
  private lastStats: BatchWriterStats = { queued: 0, itemsWritten: 0, rowsWritten: 0, flushes: 0, failedFlushes: 0, dropped: 0 };
  /** When each queued row was queued (only with onStored); a dropped row's entry goes with it. */
  private readonly queuedAt = new WeakMap<StoreRow, number>();
  private readonly monotonic: () => number;

  constructor(options: StoreOptions) {
    this.options = options;
    this.logger = options.logger.child({ component: 'store' });
    this.monotonic = options.monotonic ?? (() => performance.now());
  }

  /** The database file of a data dir (whether one exists tells whether the dir was used). */
  static fileIn(dataDir: string): string {
    return join(dataDir, 'mieruka.db');
  }

  get file(): string {
    return Store.fileIn(this.options.dataDir);
  }

  get started(): boolean {
    return this.sqlStore !== null;
  }

  get dialect(): SqlStore['dialect'] {
    return this.options.postgresUrl ? 'postgres' : 'sqlite';
  }

  /** The SQLite connection, for the modules not yet on `sql` (they need the single-Pi store). */
  get database(): Database {
    if (!this.sqlStore) throw new Error('Store is not started');
    if (!this.db) throw new Error('this part of the hub still needs the SQLite store; it does not run on PostgreSQL yet');
    return this.db;
  }

  /** The same database through SqlStore (the interface PostgreSQL also implements). */
  get sql(): SqlStore {
    if (!this.sqlStore) throw new Error('Store is not started');
    return this.sqlStore;
  }

  async start(): Promise<void> {
    if (this.sqlStore) return;
    let sql: SqlStore;
    if (this.options.postgresUrl) {
      const pool = await openPostgres(this.options.postgresUrl, { applicationName: 'mieruka-hub' });
      try {
        await migratePostgres(pool, this.options.now ?? Date.now);
      } catch (err) {
        await pool.end().catch(() => undefined);
        throw err;
      }
      sql = new PostgresSqlStore(pool);
    } else {
      const db = openDatabase(this.file, this.options.now ? { now: this.options.now } : {});
      this.db = db;
      sql = new SqliteSqlStore(db);
      // Checkpoints in a worker thread, not inside the ingest commits (wal-checkpointer.ts).
      this.checkpointer = new WalCheckpointer({ db, file: this.file, intervalMs: 500, logger: this.logger });
      await this.checkpointer.start();
    }
    this.sqlStore = sql;
    const rows = new RowWriter(sql, this.options.observers?.() ?? [], (err) => this.logger.error({ err }, 'derived rows failed; the batch itself is stored'));
    this.writer = new BatchWriter<StoreRow>({
      batchSize: this.options.batchSize,
      flushIntervalMs: this.options.flushIntervalMs,
      write: async (batch) => {
        const written = await rows.write(batch);
        this.reportStored(batch);
        return written;
      },
      logger: this.logger,
    });
    this.logger.debug({ store: this.options.postgresUrl ? 'postgres' : this.file }, 'store opened');
  }

  /** Queues a row for the next batch. Returns false when the store is stopped. */
  /** Resolves once every row enqueued so far is committed (rejects if one was dropped). */
  written(): Promise<void> {
    return this.writer?.written() ?? Promise.resolve();
  }

  enqueue(row: StoreRow): boolean {
    if (!this.writer) return false;
    if (this.options.onStored) this.queuedAt.set(row, this.monotonic());
    return this.writer.push(row);
  }

  private reportStored(batch: readonly StoreRow[]): void {
    const onStored = this.options.onStored;
    if (!onStored) return;
    const now = this.monotonic();
    try {
      for (const row of batch) {
        const at = this.queuedAt.get(row);
        if (at !== undefined) onStored(row, Math.max(0, now - at));
      }
    } catch (err) {
      // The batch is committed: a failing observer must not make the writer retry (and duplicate) it.
      this.logger.error({ err }, 'onStored failed');
    }
  }

  /** Writes every queued row now (tests; shutdown); resolves to how many were written. */
  flush(): Promise<number> {
    return this.writer?.flush() ?? Promise.resolve(0);
  }

  writerStats(): BatchWriterStats {
    return this.writer?.stats() ?? this.lastStats;
  }

  /** Rows inserted into the data tables since start (duplicates excluded). */
  get rowsWritten(): number {
    return this.writerStats().rowsWritten;
  }

  loadSnapshots(): NodeSnapshot[] {
    return loadSnapshots(this.database);
  }

  async count(table: DataTable): Promise<number> {
    if (!(DATA_TABLES as readonly string[]).includes(table)) throw new RangeError(`unknown table ${String(table)}`);
    return (await this.sql.get<{ n: number }>(`SELECT count(*) AS n FROM ${table}`))?.n ?? 0;
  }

  async counts(): Promise<Record<DataTable, number>> {
    const out = {} as Record<DataTable, number>;
    for (const t of DATA_TABLES) out[t] = await this.count(t);
    return out;
  }

  async stop(): Promise<void> {
    const writer = this.writer;
    const db = this.db;
    const sql = this.sqlStore;
    this.writer = null;
    if (writer) {
      await writer.stop();
      this.lastStats = writer.stats();
    }
    this.db = null;
    this.sqlStore = null;
    const checkpointer = this.checkpointer;
    this.checkpointer = null;
    await checkpointer?.stop();
    await sql?.close().catch((err: unknown) => this.logger.warn({ err }, 'closing the store failed'));
    if (db) {
      try {
        // Fold the WAL back so the .db file alone is a complete copy after a clean stop.
        db.pragma('wal_checkpoint(TRUNCATE)');
      } catch (err) {
        this.logger.warn({ err }, 'WAL checkpoint failed');
      }
      db.close();
    }
  }
}
