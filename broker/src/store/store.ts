/**
 * The hub's SQLite store (`<dataDir>/mieruka.db`): batched ingest writes, the snapshot
 * reload at start, and the users table for the dashboard login.
 */
import { join } from 'node:path';
import type { Database } from 'better-sqlite3';
import type { Logger } from 'pino';
import type { NodeSnapshot, Now } from '@mieruka/protocol';
import { BatchWriter, type BatchWriterStats } from './batch-writer.js';
import { openDatabase } from './database.js';
import { RowWriter, type RowObserver, type StoreRow } from './rows.js';
import { SqliteSqlStore } from './sql/sqlite-sql-store.js';
import type { SqlStore } from './sql/sql-store.js';
import { loadSnapshots } from './snapshot-queries.js';
import { WalCheckpointer } from './wal-checkpointer.js';

export type StoreOptions = {
  dataDir: string;
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
  observers?: (db: Database) => RowObserver[];
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
    return this.db !== null;
  }

  /** The open database (for repositories such as the user verifier). */
  get database(): Database {
    if (!this.db) throw new Error('Store is not started');
    return this.db;
  }

  /** The same database through SqlStore (the interface PostgreSQL also implements). */
  get sql(): SqlStore {
    if (!this.sqlStore) throw new Error('Store is not started');
    return this.sqlStore;
  }

  async start(): Promise<void> {
    if (this.db) return;
    const db = openDatabase(this.file, this.options.now ? { now: this.options.now } : {});
    const rows = new RowWriter(db, this.options.observers?.(db) ?? [], (err) => this.logger.error({ err }, 'derived rows failed; the batch itself is stored'));
    this.db = db;
    this.sqlStore = new SqliteSqlStore(db);
    this.writer = new BatchWriter<StoreRow>({
      batchSize: this.options.batchSize,
      flushIntervalMs: this.options.flushIntervalMs,
      write: (batch) => {
        const written = rows.write(batch);
        this.reportStored(batch);
        return written;
      },
      logger: this.logger,
    });
    // Checkpoints in a worker thread, not inside the ingest commits (wal-checkpointer.ts).
    this.checkpointer = new WalCheckpointer({ db, file: this.file, intervalMs: 500, logger: this.logger });
    await this.checkpointer.start();
    this.logger.debug({ file: this.file }, 'store opened');
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

  /** Writes every queued row now (tests; shutdown). */
  flush(): number {
    return this.writer?.flush() ?? 0;
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

  count(table: DataTable): number {
    if (!(DATA_TABLES as readonly string[]).includes(table)) throw new RangeError(`unknown table ${String(table)}`);
    return (this.database.prepare(`SELECT count(*) AS n FROM ${table}`).get() as { n: number }).n;
  }

  counts(): Record<DataTable, number> {
    return Object.fromEntries(DATA_TABLES.map((t) => [t, this.count(t)])) as Record<DataTable, number>;
  }

  async stop(): Promise<void> {
    const writer = this.writer;
    const db = this.db;
    this.writer = null;
    this.db = null;
    this.sqlStore = null;
    if (writer) {
      writer.stop();
      this.lastStats = writer.stats();
    }
    const checkpointer = this.checkpointer;
    this.checkpointer = null;
    await checkpointer?.stop();
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
