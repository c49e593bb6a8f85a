/**
 * SqlStore on a PostgreSQL pool (fleet mode): `?` placeholders become `$n` (cached per SQL
 * text), a transaction holds one pooled connection from BEGIN to COMMIT, and other callers
 * use other connections, seeing the transaction only once committed.
 */
import type { Pool, PoolClient } from 'pg';
import { numberedPlaceholders } from './placeholders.js';
import type { SqlQueries, SqlStore, SqlValue } from './sql-store.js';

const toPostgres = (params: readonly SqlValue[]): unknown[] => params.map((p) => (typeof p === 'boolean' ? (p ? 1 : 0) : typeof p === 'bigint' ? p.toString() : p));

export class PostgresSqlStore implements SqlStore {
  readonly dialect = 'postgres' as const;
  private readonly pool: Pool;
  private readonly texts = new Map<string, string>();

  /** `pool`: from openPostgres (BIGINT and NUMERIC read as numbers). */
  constructor(pool: Pool) {
    this.pool = pool;
  }

  all<T extends object>(sql: string, params: readonly SqlValue[] = []): Promise<T[]> {
    return this.on(this.pool).all<T>(sql, params);
  }

  get<T extends object>(sql: string, params: readonly SqlValue[] = []): Promise<T | undefined> {
    return this.on(this.pool).get<T>(sql, params);
  }

  run(sql: string, params: readonly SqlValue[] = []): Promise<{ changes: number }> {
    return this.on(this.pool).run(sql, params);
  }

  async transaction<T>(fn: (tx: SqlQueries) => Promise<T>): Promise<T> {
    const client = await this.pool.connect();
    try {
      await client.query('BEGIN');
      try {
        const result = await fn(this.on(client));
        await client.query('COMMIT');
        return result;
      } catch (err) {
        await client.query('ROLLBACK').catch(() => undefined);
        throw err;
      }
    } finally {
      client.release();
    }
  }

  async close(): Promise<void> {
    await this.pool.end();
  }

  private on(target: Pool | PoolClient): SqlQueries {
    return {
      dialect: 'postgres',
      all: async <T extends object>(sql: string, params: readonly SqlValue[] = []) => (await target.query(this.text(sql), toPostgres(params))).rows as T[],
      get: async <T extends object>(sql: string, params: readonly SqlValue[] = []) => (await target.query(this.text(sql), toPostgres(params))).rows[0] as T | undefined,
      run: async (sql: string, params: readonly SqlValue[] = []) => ({ changes: (await target.query(this.text(sql), toPostgres(params))).rowCount ?? 0 }),
    };
  }

  private text(sql: string): string {
    let t = this.texts.get(sql);
    if (t === undefined) {
      t = numberedPlaceholders(sql);
      this.texts.set(sql, t);
    }
    return t;
  }
}
