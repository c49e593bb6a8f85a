/**
 * A connection pool to the fleet's PostgreSQL store and its schema migrations. `pg` is
 * imported only here and only when a postgres:// URL is used, so a single-Pi hub never loads
 * it. Migrations run in one transaction under an advisory lock: two hubs starting together
 * migrate once, and a failed step leaves the schema as it was.
 */
import type { Pool, PoolClient } from 'pg';
import { MierukaError, redactUrl } from '@mieruka/protocol';
import { PG_MIGRATIONS, PG_SCHEMA_VERSION, type PgMigration } from './pg-migrations.js';

/** Any constant both hubs agree on; 'mier' 'uka1' in ASCII. */
const MIGRATION_LOCK = 0x6d696572_756b6131n;

export function isPostgresUrl(url: string): boolean {
  return /^postgres(ql)?:\/\//.test(url);
}

export async function openPostgres(url: string, options: { max?: number; applicationName?: string } = {}): Promise<Pool> {
  if (!isPostgresUrl(url)) throw new MierukaError('CONFIG_INVALID', `not a PostgreSQL URL (postgres://user@host/db): ${redactUrl(url)}`);
  const { default: pg } = await import('pg');
  // BIGINT columns hold epoch milliseconds and counts, all far below 2^53, and their SUMs are
  // NUMERIC: read both as numbers, as SQLite gives them (for this pool only; pg's global
  // parsers stay as they are).
  const asNumber = new Set<number>([pg.types.builtins.INT8, pg.types.builtins.NUMERIC]);
  const types = {
    getTypeParser: ((oid: number, format?: 'text' | 'binary') =>
      asNumber.has(oid) && format !== 'binary' ? (v: string) => Number(v) : pg.types.getTypeParser(oid, format ?? 'text')) as typeof pg.types.getTypeParser,
  };
  const pool = new pg.Pool({ connectionString: url, max: options.max ?? 4, application_name: options.applicationName ?? 'mieruka', types });
  // An idle client's error (the server restarted) must not crash the process; the pool replaces it.
  pool.on('error', () => undefined);
  try {
    const client = await pool.connect();
    client.release();
  } catch (err) {
    await pool.end().catch(() => undefined);
    throw new MierukaError('STORE_FAILED', `cannot connect to PostgreSQL at ${redactUrl(url)}: ${(err as Error).message}`, { cause: err });
  }
  return pool;
}

/** The schema version recorded in the database (0: none yet). */
export async function postgresVersion(db: Pool | PoolClient): Promise<number> {
  const table = await db.query<{ exists: boolean }>("SELECT to_regclass('public.schema_version') IS NOT NULL AS exists");
  if (!table.rows[0]?.exists) return 0;
  const r = await db.query<{ v: number | null }>('SELECT MAX(version) AS v FROM schema_version');
  return r.rows[0]?.v ?? 0;
}

/** Brings the schema to this release's version; refuses a database from a newer release. */
export async function migratePostgres(pool: Pool, now: () => number, migrations: readonly PgMigration[] = PG_MIGRATIONS): Promise<{ from: number; to: number }> {
  const client = await pool.connect();
  try {
    await client.query('BEGIN');
    await client.query('SELECT pg_advisory_xact_lock($1)', [MIGRATION_LOCK.toString()]);
    await client.query('CREATE TABLE IF NOT EXISTS schema_version (version BIGINT PRIMARY KEY, description TEXT NOT NULL, applied_at BIGINT NOT NULL)');
    const from = await postgresVersion(client);
    const latest = migrations[migrations.length - 1]?.version ?? 0;
    if (from > latest) {
      throw new MierukaError('STORE_FAILED', `the PostgreSQL store has schema version ${from}, newer than this release's ${latest}: upgrade mieruka on this hub`);
    }
    for (const m of migrations) {
      if (m.version <= from) continue;
      await client.query(m.sql);
      await client.query('INSERT INTO schema_version (version, description, applied_at) VALUES ($1, $2, $3)', [m.version, m.description, now()]);
    }
    await client.query('COMMIT');
    return { from, to: Math.max(from, latest) };
  } catch (err) {
    await client.query('ROLLBACK').catch(() => undefined);
    throw err;
  } finally {
    client.release();
  }
}

export { PG_SCHEMA_VERSION };
