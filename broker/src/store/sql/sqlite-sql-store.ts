/**
 * SqlStore on the hub's SQLite connection (better-sqlite3, synchronous): each call runs at once
 * and returns a settled promise, statements are prepared once per SQL text. A transaction
 * spans awaits (BEGIN IMMEDIATE … COMMIT on the one connection), so while it is open every
 * other caller's statement waits for it, or it would run inside someone else's transaction.
 */
import type { Database, Statement } from 'better-sqlite3';
import type { ImmediateSqlQueries, SqlQueries, SqlStore, SqlValue } from './sql-store.js';

/** SQLite has no booleans: 1 and 0. A copy only when there is one (the ingest binds millions of lists). */
const toSqlite = (params: readonly SqlValue[]): readonly unknown[] => {
  for (const p of params) if (typeof p === 'boolean') return params.map((v) => (typeof v === 'boolean' ? (v ? 1 : 0) : v));
  return params;
};

export class SqliteSqlStore implements SqlStore {
  readonly dialect = 'sqlite' as const;
  private readonly db: Database;
  private readonly statements = new Map<string, Statement>();
  /** Settles when the open transaction ends; null when none is open. */
  private openTransaction: Promise<void> | null = null;
  private readonly direct: SqlQueries;
  /** What a transaction's `fn` gets: the direct calls plus their synchronous twins. */
  private readonly inTransaction: SqlQueries;

  constructor(db: Database) {
    this.db = db;
    const immediate: ImmediateSqlQueries = {
      all: <T extends object>(sql: string, params: readonly SqlValue[] = []) => this.prepared(sql).all(...toSqlite(params)) as T[],
      get: <T extends object>(sql: string, params: readonly SqlValue[] = []) => this.prepared(sql).get(...toSqlite(params)) as T | undefined,
      run: (sql: string, params: readonly SqlValue[] = []) => ({ changes: this.prepared(sql).run(...toSqlite(params)).changes }),
    };
    this.direct = {
      dialect: 'sqlite',
      all: async <T extends object>(sql: string, params?: readonly SqlValue[]) => immediate.all<T>(sql, params),
      get: async <T extends object>(sql: string, params?: readonly SqlValue[]) => immediate.get<T>(sql, params),
      run: async (sql: string, params?: readonly SqlValue[]) => immediate.run(sql, params),
    };
    this.inTransaction = { ...this.direct, immediate };
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
        const result = await fn(this.inTransaction);
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
