/**
 * The PostgreSQL schema equals the SQLite one, against a real PostgreSQL 15 (Debian's server in
 * a temp dir): same tables, columns in the same order, nullability, compatible types, primary
 * keys and unique indexes. A SQLite migration without its PostgreSQL twin fails here.
 */
import { join } from 'node:path';
import Database from 'better-sqlite3';
import type { Pool } from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startPostgres, type RunningPostgres } from '../../../../test/helpers/postgres-server.js';
import { makeTempDir } from '../../../../test/helpers/temp-dir.js';
import { openDatabase } from '../database.js';
import { migratePostgres, openPostgres, postgresVersion } from './pg-database.js';
import { PG_SCHEMA_VERSION } from './pg-migrations.js';
import { schemaTables } from './sqlite-to-postgres.js';

type Column = { name: string; type: string; notNull: boolean };

const SQLITE_TO_PG: Record<string, string> = { INTEGER: 'bigint', REAL: 'double precision', TEXT: 'text', BLOB: 'bytea' };

let server: RunningPostgres;
let pool: Pool;
let sqlite: Database.Database;
let removeDir: () => Promise<void>;

beforeAll(async () => {
  server = await startPostgres();
  pool = await openPostgres(server.url());
  const dir = await makeTempDir();
  removeDir = dir.remove;
  sqlite = openDatabase(join(dir.path, 'mieruka.db'));
}, 60_000);

afterAll(async () => {
  sqlite?.close();
  await pool?.end();
  await server?.stop();
  await removeDir?.();
});

function sqliteTables(): string[] {
  return (sqlite.prepare("SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT IN ('sqlite_sequence', 'schema_version') ORDER BY name").all() as Array<{ name: string }>).map((r) => r.name);
}

function sqliteColumns(table: string): Column[] {
  return (sqlite.prepare('SELECT name, type, "notnull" AS nn, pk FROM pragma_table_info(?) ORDER BY cid').all(table) as Array<{ name: string; type: string; nn: number; pk: number }>).map((c) => ({
    name: c.name,
    type: SQLITE_TO_PG[c.type.toUpperCase()] ?? `? ${c.type}`,
    // A primary key column cannot hold NULL in PostgreSQL; in SQLite only a rowid alias is forced.
    notNull: c.nn === 1 || c.pk > 0,
  }));
}

function sqliteUniqueKeys(table: string): string[] {
  const keys: string[] = [];
  for (const idx of sqlite.prepare('SELECT name, "unique" AS u, partial FROM pragma_index_list(?)').all(table) as Array<{ name: string; u: number; partial: number }>) {
    if (idx.u !== 1) continue;
    const cols = (sqlite.prepare('SELECT name FROM pragma_index_info(?) ORDER BY seqno').all(idx.name) as Array<{ name: string }>).map((c) => c.name);
    keys.push(`${cols.join(',')}${idx.partial ? ' (partial)' : ''}`);
  }
  const pk = (sqlite.prepare('SELECT name FROM pragma_table_info(?) WHERE pk > 0 ORDER BY pk').all(table) as Array<{ name: string }>).map((c) => c.name);
  if (pk.length > 0 && !keys.includes(pk.join(','))) keys.push(pk.join(','));
  return keys.sort();
}

describe('PostgreSQL schema', () => {
  it('migrates an empty database to the current version, once, and again is a no-op', async () => {
    expect(await migratePostgres(pool, () => 1)).toEqual({ from: 0, to: PG_SCHEMA_VERSION });
    expect(await migratePostgres(pool, () => 2)).toEqual({ from: PG_SCHEMA_VERSION, to: PG_SCHEMA_VERSION });
    expect(await postgresVersion(pool)).toBe(PG_SCHEMA_VERSION);
  });

  it('has the tables of the SQLite schema, each with the same columns, nullability and unique keys', async () => {
    const pgTables = (await pool.query<{ table_name: string }>("SELECT table_name FROM information_schema.tables WHERE table_schema = 'public' AND table_name <> 'schema_version' ORDER BY table_name")).rows.map((r) => r.table_name);
    expect(pgTables).toEqual(sqliteTables());
    expect([...schemaTables()].sort()).toEqual(pgTables);
    for (const table of pgTables) {
      const cols = await pool.query<{ column_name: string; data_type: string; is_nullable: string }>(
        "SELECT column_name, data_type, is_nullable FROM information_schema.columns WHERE table_schema = 'public' AND table_name = $1 ORDER BY ordinal_position",
        [table],
      );
      expect(cols.rows.map((c) => ({ name: c.column_name, type: c.data_type, notNull: c.is_nullable === 'NO' })), table).toEqual(sqliteColumns(table));
      const unique = await pool.query<{ cols: string; partial: boolean }>(
        `SELECT string_agg(a.attname, ',' ORDER BY k.ord) AS cols, ix.indpred IS NOT NULL AS partial
           FROM pg_index ix
           JOIN pg_class t ON t.oid = ix.indrelid
           CROSS JOIN LATERAL unnest(ix.indkey) WITH ORDINALITY AS k(attnum, ord)
           JOIN pg_attribute a ON a.attrelid = t.oid AND a.attnum = k.attnum
          WHERE t.relname = $1 AND ix.indisunique
          GROUP BY ix.indexrelid, ix.indpred`,
        [table],
      );
      expect(unique.rows.map((u) => `${u.cols}${u.partial ? ' (partial)' : ''}`).sort(), table).toEqual(sqliteUniqueKeys(table));
    }
  });

  it('refuses a database from a newer release and leaves it as it was', async () => {
    await pool.query('INSERT INTO schema_version (version, description, applied_at) VALUES ($1, $2, $3)', [PG_SCHEMA_VERSION + 50, 'from the future', 0]);
    await expect(migratePostgres(pool, () => 3)).rejects.toThrow(/newer than this release/);
    expect(await postgresVersion(pool)).toBe(PG_SCHEMA_VERSION + 50);
    await pool.query('DELETE FROM schema_version WHERE version = $1', [PG_SCHEMA_VERSION + 50]);
  });
});
