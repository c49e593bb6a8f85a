/**
 * SqlStore on the hub's SQLite connection (better-sqlite3, synchronous): each call runs at once
 * and returns a settled promise, statements are prepared once per SQL text. A transaction
 * spans awaits (BEGIN IMMEDIATE … COMMIT on the one connection), so while it is open every
 * other caller's statement waits for it, or it would run inside someone else's transaction.
 */
import type { Database, Statement } from 'better-sqlite3';
import type { SqlQueries, SqlStore, SqlValue } from './sql-store.js';

const toSqlite = (params: readonly SqlValue[]): unknown[] => params.map((p) => (typeof p === 'boolean' ? (p ? 1 : 0) : p));

export class SqliteSqlStore implements SqlStore {
  readonly dialect = 'sqlite' as const;
  private readonly db: Database;
  private readonly statements = new Map<string, Statement>();
  /** Settles when the open transaction ends; null when none is open. */
  private openTransaction: Promise<void> | null = null;
  private readonly direct: SqlQueries;

  constructor(db: Database) {
    this.db = db;
    this.direct = {
      dialect: 'sqlite',
      all: async <T extends object>(sql: string, params: readonly SqlValue[] = []) => this.prepared(sql).all(...toSqlite(params)) as T[],
      get: async <T extends object>(sql: string, params: readonly SqlValue[] = []) => this.prepared(sql).get(...toSqlite(params)) as T | undefined,
      run: async (sql: string, params: readonly SqlValue[] = []) => ({ changes: this.prepared(sql).run(...toSqlite(params)).changes }),
    };
  }

  // The `while` loops are inline on purpose: with no transaction open, the check and what follows
  // run in the same synchronous step (an `await` of even a settled promise would let another
  // caller open a transaction in between, and the statement would land inside it, or two
  // transactions would both BEGIN).
  async all<T extends object>(sql: string, params: readonly SqlValue[] = []): Promise<T[]> {
    while (this.openTransaction) await this.openTransaction;
    return this.direct.all<T>(sql, params);
  }

  async get<T extends object>(sql: string, params: readonly SqlValue[] = []): Promise<T | undefined> {
    while (this.openTransaction) await this.openTransaction;
    return this.direct.get<T>(sql, params);
  }

  async run(sql: string, params: readonly SqlValue[] = []): Promise<{ changes: number }> {
    while (this.openTransaction) await this.openTransaction;
    return this.direct.run(sql, params);
  }

  async transaction<T>(fn: (tx: SqlQueries) => Promise<T>): Promise<T> {
    while (this.openTransaction) await this.openTransaction;
    let end!: () => void;
    this.openTransaction = new Promise<void>((resolve) => (end = resolve));
    try {
      // Prepared once like any statement (exec would compile them on every batch of the ingest).
      this.prepared('BEGIN IMMEDIATE').run();
      try {
        const result = await fn(this.direct);
        this.prepared('COMMIT').run();
        return result;
      } catch (err) {
        if (this.db.inTransaction) this.prepared('ROLLBACK').run();
        throw err;
      }
    } finally {
      this.openTransaction = null;
      end();
    }
  }

  async close(): Promise<void> {
    while (this.openTransaction) await this.openTransaction;
    this.statements.clear();
  }

  private prepared(sql: string): Statement {
    let st = this.statements.get(sql);
    if (!st) {
      st = this.db.prepare(sql);
      this.statements.set(sql, st);
    }
    return st;
  }
}
