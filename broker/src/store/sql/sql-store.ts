/**
 * One way for the hub's modules to reach their tables, whichever database holds them: SQLite
 * on a single Pi (embedded, synchronous underneath) or PostgreSQL in fleet mode (over the
 * network). Every call is asynchronous so the same module code runs on both; SQL is written
 * once, with `?` placeholders, in the dialect both understand (standard SQL, upserts with
 * `ON CONFLICT … DO …`, not `INSERT OR …`; column aliases in double quotes, `AS "firstAt"`,
 * because PostgreSQL folds unquoted names to lower case). sql-store.suite.ts is the contract
 * both implementations pass.
 */
export type SqlValue = string | number | bigint | boolean | null | Buffer;

export type SqlDialect = 'sqlite' | 'postgres';

/** The same statements answered at once, by a database inside the process (SQLite). */
export interface ImmediateSqlQueries {
  all<T extends object>(sql: string, params?: readonly SqlValue[]): T[];
  get<T extends object>(sql: string, params?: readonly SqlValue[]): T | undefined;
  run(sql: string, params?: readonly SqlValue[]): { changes: number };
}

export interface SqlQueries {
  readonly dialect: SqlDialect;
  /**
   * Present inside a transaction on an in-process database (SQLite): its statements without a
   * promise each. Only the ingest's hot loop uses it (a promise per row was most of what the
   * async store cost a single Pi, profiled); everything else stays on the async calls.
   */
  readonly immediate?: ImmediateSqlQueries;
  /** Every row, columns by name. */
  all<T extends object>(sql: string, params?: readonly SqlValue[]): Promise<T[]>;
  /** The first row, or undefined. */
  get<T extends object>(sql: string, params?: readonly SqlValue[]): Promise<T | undefined>;
  /** A statement without rows; how many rows it changed. */
  run(sql: string, params?: readonly SqlValue[]): Promise<{ changes: number }>;
}

export interface SqlStore extends SqlQueries {
  /**
   * Runs `fn` in one transaction: committed when it resolves, rolled back when it throws. Its
   * statements go through the `tx` it is given (a call on the store itself from inside would
   * wait for the transaction to end: on SQLite, forever); other callers never see half of it.
   * `fn` must await nothing but its `tx` calls: on SQLite they are already settled, so the whole
   * transaction runs in one turn of the event loop and the hub's synchronous writers (the
   * ingest batches on the same connection) cannot land inside it.
   */
  transaction<T>(fn: (tx: SqlQueries) => Promise<T>): Promise<T>;
  close(): Promise<void>;
}

export type SqlErrorKind = 'unique' | 'foreign-key' | 'check' | 'not-null' | 'other';

/** What kind of constraint a failed statement broke, the same on both databases. */
export function sqlErrorKind(err: unknown): SqlErrorKind {
  const code = String((err as { code?: unknown })?.code ?? '');
  // SQLite: extended result codes; PostgreSQL: SQLSTATE class 23.
  if (code === 'SQLITE_CONSTRAINT_UNIQUE' || code === 'SQLITE_CONSTRAINT_PRIMARYKEY' || code === '23505') return 'unique';
  if (code === 'SQLITE_CONSTRAINT_FOREIGNKEY' || code === '23503') return 'foreign-key';
  if (code === 'SQLITE_CONSTRAINT_CHECK' || code === '23514') return 'check';
  if (code === 'SQLITE_CONSTRAINT_NOTNULL' || code === '23502') return 'not-null';
  return 'other';
}
