/**
 * `mieruka store migrate --from sqlite:<dir> --to postgres://…`: moves a single Pi's store into
 * the fleet's PostgreSQL without losing a row. Every table of the schema is copied in one
 * PostgreSQL transaction (all or nothing), in key order and in batches, ids kept (identity
 * sequences then continue after them). The target must be empty: merging two stores is not
 * a copy. Afterwards each table's row count is compared; any difference rolls it all back.
 */
import type Database from 'better-sqlite3';
import type { Pool, PoolClient } from 'pg';
import { MierukaError } from '@mieruka/protocol';
import { PG_MIGRATIONS } from './pg-migrations.js';

/** Rows per INSERT: well under PostgreSQL's 65,535 parameters for the widest table. */
const BATCH_ROWS = 500;

export type CopyProgress = { table: string; rows: number };
export type CopyResult = { tables: Array<{ table: string; rows: number }>; rows: number };

/** Tables of the PostgreSQL schema in creation order (a referenced table before its referrer). */
export function schemaTables(): string[] {
  const tables: string[] = [];
  for (const m of PG_MIGRATIONS) for (const match of m.sql.matchAll(/CREATE TABLE (\w+)/g)) tables.push(match[1]!);
  return tables;
}

async function columnsOf(client: PoolClient, table: string): Promise<Array<{ name: string; identity: boolean }>> {
  const r = await client.query<{ column_name: string; is_identity: string }>(
    "SELECT column_name, is_identity FROM information_schema.columns WHERE table_schema = 'public' AND table_name = $1 ORDER BY ordinal_position",
    [table],
  );
  return r.rows.map((c) => ({ name: c.column_name, identity: c.is_identity === 'YES' }));
}

export async function copySqliteToPostgres(sqlite: Database.Database, pool: Pool, onProgress: (p: CopyProgress) => void = () => undefined): Promise<CopyResult> {
  const client = await pool.connect();
  const result: CopyResult = { tables: [], rows: 0 };
  try {
    await client.query('BEGIN');
    const tables = schemaTables();
    for (const table of tables) {
      const nonEmpty = await client.query(`SELECT 1 FROM ${table} LIMIT 1`);
      if (nonEmpty.rowCount) throw new MierukaError('CONFIG_INVALID', `the PostgreSQL store already holds rows in "${table}": migrate into an empty database (a fresh one from \`createdb\`)`);
    }
    for (const table of tables) {
      const columns = await columnsOf(client, table);
      const names = columns.map((c) => c.name);
      const present = new Set((sqlite.prepare(`SELECT name FROM pragma_table_info(?)`).all(table) as Array<{ name: string }>).map((c) => c.name));
      const missing = names.filter((n) => !present.has(n));
      if (missing.length > 0) throw new MierukaError('STORE_FAILED', `the SQLite store has no column ${missing.join(', ')} in "${table}": run \`mieruka store migrate\` on it first`);
      const list = names.map((n) => `"${n}"`).join(', ');
      // In key order, so the copy reads the file front to back and ids arrive ascending.
      const order = (sqlite.prepare(`SELECT name FROM pragma_table_info(?) WHERE pk > 0 ORDER BY pk`).all(table) as Array<{ name: string }>).map((c) => `"${c.name}"`);
      const select = sqlite.prepare(`SELECT ${list} FROM ${table}${order.length > 0 ? ` ORDER BY ${order.join(', ')}` : ''}`).raw(true);
      let rows = 0;
      let batch: unknown[][] = [];
      const flush = async () => {
        if (batch.length === 0) return;
        const values = batch.map((_, r) => `(${names.map((__, c) => `$${r * names.length + c + 1}`).join(', ')})`).join(', ');
        const overriding = columns.some((c) => c.identity) ? ' OVERRIDING SYSTEM VALUE' : '';
        await client.query(`INSERT INTO ${table} (${list})${overriding} VALUES ${values}`, batch.flat());
        rows += batch.length;
        onProgress({ table, rows });
        batch = [];
      };
      for (const row of select.iterate() as IterableIterator<unknown[]>) {
        batch.push(row.map(toPostgres));
        if (batch.length >= BATCH_ROWS) await flush();
      }
      await flush();
      // Identity columns continue after the copied ids.
      for (const c of columns.filter((col) => col.identity)) {
        await client.query(`SELECT setval(pg_get_serial_sequence($1, $2), COALESCE((SELECT MAX("${c.name}") FROM ${table}), 0) + 1, false)`, [table, c.name]);
      }
      const inSqlite = (sqlite.prepare(`SELECT COUNT(*) AS n FROM ${table}`).get() as { n: number }).n;
      const inPostgres = (await client.query<{ n: number }>(`SELECT COUNT(*)::bigint AS n FROM ${table}`)).rows[0]?.n;
      if (inPostgres !== inSqlite || rows !== inSqlite) {
        throw new MierukaError('STORE_FAILED', `"${table}": ${inSqlite} rows in SQLite but ${String(inPostgres)} in PostgreSQL after the copy; nothing was kept`);
      }
      result.tables.push({ table, rows });
      result.rows += rows;
    }
    await client.query('COMMIT');
    return result;
  } catch (err) {
    await client.query('ROLLBACK').catch(() => undefined);
    throw err;
  } finally {
    client.release();
  }
}

/** SQLite hands back numbers, strings, null, bigints (safe integers off) and Buffers: all map as they are. */
function toPostgres(value: unknown): unknown {
  return typeof value === 'bigint' ? value.toString() : value;
}
