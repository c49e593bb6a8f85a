/**
 * `mieruka store migrate --from sqlite:<dir> --to postgres://…`: moves a single Pi's store into
 * the fleet's PostgreSQL without losing a row. Every table of the schema is copied in one
 * PostgreSQL transaction (all or nothing), in key order and in batches, ids kept (identity
 * sequences then continue after them). The target must be empty: merging two stores is not
 * a copy. Afterwards each table's row count is compared; any difference rolls it all back.
 */
import type Database from 'better-sqlite3';
import { MierukaError } from '@mieruka/protocol';
import type { SqlQueries, SqlStore, SqlValue } from '../sql/sql-store.js';
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

async function columnsOf(tx: SqlQueries, table: string): Promise<Array<{ name: string; identity: boolean }>> {
  const rows = await tx.all<{ name: string; identity: string }>(
    "SELECT column_name AS name, is_identity AS identity FROM information_schema.columns WHERE table_schema = 'public' AND table_name = ? ORDER BY ordinal_position",
    [table],
  );
  return rows.map((c) => ({ name: c.name, identity: c.identity === 'YES' }));
}

/** `postgres`: a PostgresSqlStore (its transaction holds one connection for the whole copy). */
export async function copySqliteToPostgres(sqlite: Database.Database, postgres: SqlStore, onProgress: (p: CopyProgress) => void = () => undefined): Promise<CopyResult> {
  return postgres.transaction(async (tx) => {
    const result: CopyResult = { tables: [], rows: 0 };
    const tables = schemaTables();
    for (const table of tables) {
      const nonEmpty = await tx.get(`SELECT 1 AS one FROM ${table} LIMIT 1`);
      if (nonEmpty) throw new MierukaError('CONFIG_INVALID', `the PostgreSQL store already holds rows in "${table}": migrate into an empty database (a fresh one from \`createdb\`)`);
    }
    for (const table of tables) {
      const columns = await columnsOf(tx, table);
      const names = columns.map((c) => c.name);
      const present = new Set((sqlite.prepare(`SELECT name FROM pragma_table_info(?)`).all(table) as Array<{ name: string }>).map((c) => c.name));
      const missing = names.filter((n) => !present.has(n));
      if (missing.length > 0) throw new MierukaError('STORE_FAILED', `the SQLite store has no column ${missing.join(', ')} in "${table}": run \`mieruka store migrate\` on it first`);
      const list = names.map((n) => `"${n}"`).join(', ');
      // In key order, so the copy reads the file front to back and ids arrive ascending.
      const order = (sqlite.prepare(`SELECT name FROM pragma_table_info(?) WHERE pk > 0 ORDER BY pk`).all(table) as Array<{ name: string }>).map((c) => `"${c.name}"`);
      const select = sqlite.prepare(`SELECT ${list} FROM ${table}${order.length > 0 ? ` ORDER BY ${order.join(', ')}` : ''}`).raw(true);
      let rows = 0;
      let batch: SqlValue[][] = [];
      const row = `(${names.map(() => '?').join(', ')})`;
      const overriding = columns.some((c) => c.identity) ? ' OVERRIDING SYSTEM VALUE' : '';
      const flush = async () => {
        if (batch.length === 0) return;
        await tx.run(`INSERT INTO ${table} (${list})${overriding} VALUES ${batch.map(() => row).join(', ')}`, batch.flat());
        rows += batch.length;
        onProgress({ table, rows });
        batch = [];
      };
      for (const values of select.iterate() as IterableIterator<SqlValue[]>) {
        batch.push(values);
        if (batch.length >= BATCH_ROWS) await flush();
      }
      await flush();
      // Identity columns continue after the copied ids.
      for (const c of columns.filter((col) => col.identity)) {
        await tx.get(`SELECT setval(pg_get_serial_sequence(?, ?), COALESCE((SELECT MAX("${c.name}") FROM ${table}), 0) + 1, false) AS next`, [table, c.name]);
      }
      const inSqlite = (sqlite.prepare(`SELECT COUNT(*) AS n FROM ${table}`).get() as { n: number }).n;
      const inPostgres = (await tx.get<{ n: number }>(`SELECT COUNT(*) AS n FROM ${table}`))?.n;
      if (inPostgres !== inSqlite || rows !== inSqlite) {
        throw new MierukaError('STORE_FAILED', `"${table}": ${inSqlite} rows in SQLite but ${String(inPostgres)} in PostgreSQL after the copy; nothing was kept`);
      }
      result.tables.push({ table, rows });
      result.rows += rows;
    }
    return result;
  });
}
