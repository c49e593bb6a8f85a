/** The hub's session table against the shared SessionRecords suite, on a real SQLite file. */
import { join } from 'node:path';
import Sqlite, { type Database as SqliteDatabase } from 'better-sqlite3';
import { describe, expect, it } from 'vitest';
import { describeSessionRecords } from '../../../test/helpers/session-records-suite.js';
import { makeTempDir } from '../../../test/helpers/temp-dir.js';
import { openDatabase } from '../store/database.js';
import { MIGRATIONS, migrate } from '../store/migrations.js';
import { SqliteSessionRecords } from './sqlite-session-records.js';

describeSessionRecords(
  'SQLite',
  async () => {
    const dir = await makeTempDir();
    const file = join(dir.path, 'mieruka.db');
    const open: SqliteDatabase[] = [openDatabase(file)];
    return {
      records: new SqliteSessionRecords(open[0] as SqliteDatabase),
      reopen: () => {
        const db = openDatabase(file);
        open.push(db);
        return new SqliteSessionRecords(db);
      },
      close: async () => {
        for (const db of open) db.close();
        await dir.remove();
      },
    };
  },
  { persistent: true },
);

describe('SqliteSessionRecords', () => {
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
        const records = new SqliteSessionRecords(upgraded);
        records.add({ idHash: 'h'.repeat(43), user: { username: 'ops', role: 'viewer', sites: null }, kiosk: false, stamp: null, createdAt: 1, expiresAt: 2 }, 10);
        expect(records.count()).toBe(1);
        expect(upgraded.prepare('SELECT COUNT(*) AS n FROM users').get()).toEqual({ n: 1 });
      } finally {
        upgraded.close();
      }
    } finally {
      await dir.remove();
    }
  });
});
