/** The hub's session table against the shared SessionRecords suite, on a real SQLite file and a real PostgreSQL. */
import { join } from 'node:path';
import Sqlite from 'better-sqlite3';
import { describe, expect, it } from 'vitest';
import { sqlBackends } from '../test-support/sql-backends.js';
import { describeSessionRecords } from '../../../test/helpers/session-records-suite.js';
import { makeTempDir } from '../../../test/helpers/temp-dir.js';
import { openDatabase } from '../store/database.js';
import { MIGRATIONS, migrate } from '../store/migrations.js';
import { openPostgres } from '../store/postgres/pg-database.js';
import { PostgresSqlStore } from '../store/sql/postgres-sql-store.js';
import type { SqlStore } from '../store/sql/sql-store.js';
import { SqliteSqlStore } from '../store/sql/sqlite-sql-store.js';
import { SqlSessionRecords } from './sql-session-records.js';

const backends = sqlBackends();

for (const [name, open] of backends.each) {
  describeSessionRecords(
    name,
    async () => {
      const opened = await open();
      const others: Array<() => Promise<void>> = [];
      return {
        records: new SqlSessionRecords(opened.sql),
        // Another connection to the same database (a restarted hub).
        reopen: async () => {
          let sql: SqlStore;
          if (opened.sqlite) {
            const db = openDatabase(opened.sqlite.name);
            sql = new SqliteSqlStore(db);
            others.push(async () => void db.close());
          } else {
            sql = new PostgresSqlStore(await openPostgres(opened.url!));
            others.push(() => sql.close());
          }
          return new SqlSessionRecords(sql);
        },
        close: async () => {
          for (const c of others) await c();
        },
      };
    },
    { persistent: true },
  );
}

describe('SqlSessionRecords on SQLite', () => {
  it('gets its table from migration 11 on a database of an older hub, whose data stays', async () => {
    const dir = await makeTempDir();
    try {
      // A database as the hub before sessions left it: every migration up to 9.
      const older = new Sqlite(join(dir.path, 'older.db'));
      migrate(older, MIGRATIONS.filter((m) => m.version <= 9));
      older.prepare("INSERT INTO users (username, password_hash, role, created_at, updated_at) VALUES ('ops', 'x', 'viewer', 1, 1)").run();
      expect(older.prepare("SELECT name FROM sqlite_master WHERE name = 'dashboard_sessions'").get()).toBeUndefined();
      older.close();

      const upgraded = openDatabase(join(dir.path, 'older.db'));
      try {
        const records = new SqlSessionRecords(new SqliteSqlStore(upgraded));
        await records.add({ idHash: 'h'.repeat(43), user: { username: 'ops', role: 'viewer', sites: null }, kiosk: false, stamp: null, createdAt: 1, expiresAt: 2 }, 10);
        expect(await records.count()).toBe(1);
        expect(upgraded.prepare('SELECT COUNT(*) AS n FROM users').get()).toEqual({ n: 1 });
      } finally {
        upgraded.close();
      }
    } finally {
      await dir.remove();
    }
  });
});
