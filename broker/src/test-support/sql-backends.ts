/**
 * The two databases a hub module can sit on, for tests that must pass on both (issue 17: one
 * store interface, two implementations): the hub's SQLite file in a temp dir and a real
 * PostgreSQL 15 (Debian's server, one per test file, a fresh database per store), both at the
 * current schema. Usage, in a test file:
 *
 *   const backends = sqlBackends();            // registers beforeAll/afterAll
 *   describe.each(backends.each)('X on %s', (_name, open) => {
 *     it('…', async () => { const { sql, now } = await open(); … });
 *   });
 *
 * `open(options)` gives the SqlStore and, on SQLite, the better-sqlite3 handle under it (for
 * code that still needs it during the port); everything it opens is closed after the file.
 */
import { join } from 'node:path';
import type { Database } from 'better-sqlite3';
import { afterAll, beforeAll } from 'vitest';
import { openDatabase } from '../store/database.js';
import { migratePostgres, openPostgres } from '../store/postgres/pg-database.js';
import { PostgresSqlStore } from '../store/sql/postgres-sql-store.js';
import { SqliteSqlStore } from '../store/sql/sqlite-sql-store.js';
import type { SqlStore } from '../store/sql/sql-store.js';
import { startPostgres, type RunningPostgres } from '../../../test/helpers/postgres-server.js';
import { makeTempDir } from '../../../test/helpers/temp-dir.js';

export type OpenedSqlBackend = {
  sql: SqlStore;
  /** The SQLite connection under `sql`; null on PostgreSQL. */
  sqlite: Database | null;
  /** A PostgreSQL URL of this store's database (with the test password); null on SQLite. */
  url: string | null;
};

export type OpenSqlBackend = (options?: { now?: () => number }) => Promise<OpenedSqlBackend>;

export type SqlBackends = {
  /** For `describe.each`: [name, open] per database. */
  each: Array<[string, OpenSqlBackend]>;
  /** The PostgreSQL server of this file (started in beforeAll). */
  postgres(): RunningPostgres;
};

let databases = 0;

export function sqlBackends(): SqlBackends {
  let server: RunningPostgres | undefined;
  const cleanups: Array<() => Promise<unknown>> = [];
  beforeAll(async () => {
    server = await startPostgres();
  }, 60_000);
  afterAll(async () => {
    for (const c of cleanups.reverse()) await c().catch(() => undefined);
    cleanups.length = 0;
    await server?.stop();
  }, 60_000);

  const sqlite: OpenSqlBackend = async (options = {}) => {
    const dir = await makeTempDir();
    const db = openDatabase(join(dir.path, 'mieruka.db'), options.now ? { now: options.now } : {});
    cleanups.push(async () => (db.close(), dir.remove()));
    return { sql: new SqliteSqlStore(db), sqlite: db, url: null };
  };
  const postgres: OpenSqlBackend = async (options = {}) => {
    if (!server) throw new Error('sqlBackends(): PostgreSQL is not started (call sqlBackends() at the top of the test file)');
    const name = `t${process.pid}_${++databases}`;
    await server.createDatabase(name);
    const pool = await openPostgres(server.url(name));
    await migratePostgres(pool, options.now ?? (() => Date.now()));
    const store = new PostgresSqlStore(pool);
    cleanups.push(() => store.close());
    return { sql: store, sqlite: null, url: server.url(name) };
  };
  return {
    each: [
      ['SQLite', sqlite],
      ['PostgreSQL', postgres],
    ],
    postgres: () => {
      if (!server) throw new Error('PostgreSQL is not started');
      return server;
    },
  };
}
