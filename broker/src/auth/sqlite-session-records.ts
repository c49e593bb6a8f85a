/**
 * The dashboard's login sessions in the SQLite `dashboard_sessions` table (migration 11), so a
 * restarted or upgraded hub keeps everyone logged in. Implements the dashboard's
 * SessionRecords: rows are keyed by the hash of the session id (the dashboard never hands
 * over the id itself), so a copy of the database or a backup cannot be used to log in.
 */
import type { Database, Statement } from 'better-sqlite3';
import type { SessionRecord, SessionRecords } from '@mieruka/protocol';

type Row = { id_hash: string; username: string; role: string; sites: string | null; kiosk: number; stamp: string | null; created_at: number; expires_at: number };

export class SqliteSessionRecords implements SessionRecords {
  private readonly insert: Statement<[string, string, string, string | null, number, string | null, number, number]>;
  private readonly select: Statement<[string], Row>;
  private readonly remove: Statement<[string]>;
  private readonly removeExpired: Statement<[number]>;
  private readonly removeOldest: Statement<[number]>;
  private readonly countRows: Statement<[], { n: number }>;
  private readonly db: Database;

  constructor(db: Database) {
    this.db = db;
    this.insert = db.prepare(
      'INSERT INTO dashboard_sessions (id_hash, username, role, sites, kiosk, stamp, created_at, expires_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)',
    );
    this.select = db.prepare('SELECT id_hash, username, role, sites, kiosk, stamp, created_at, expires_at FROM dashboard_sessions WHERE id_hash = ?');
    this.remove = db.prepare('DELETE FROM dashboard_sessions WHERE id_hash = ?');
    this.removeExpired = db.prepare('DELETE FROM dashboard_sessions WHERE expires_at <= ?');
    // Oldest first by login time; rowid breaks ties in insertion order.
    this.removeOldest = db.prepare('DELETE FROM dashboard_sessions WHERE rowid IN (SELECT rowid FROM dashboard_sessions ORDER BY created_at, rowid LIMIT ?)');
    this.countRows = db.prepare('SELECT COUNT(*) AS n FROM dashboard_sessions');
  }

  add(record: SessionRecord, maxSessions: number): void {
    this.db.transaction(() => {
      const excess = this.count() - maxSessions + 1;
      if (excess > 0) this.removeOldest.run(excess);
      const { idHash, user, kiosk, stamp, createdAt, expiresAt } = record;
      this.insert.run(idHash, user.username, user.role, user.sites === null ? null : JSON.stringify(user.sites), kiosk ? 1 : 0, stamp, createdAt, expiresAt);
    }).immediate();
  }

  get(idHash: string): SessionRecord | null {
    const row = this.select.get(idHash);
    // A role this version does not know (a newer hub wrote it) is no session.
    if (!row || (row.role !== 'admin' && row.role !== 'viewer')) return null;
    const sites = parseSites(row.sites);
    // Unreadable sites never widen access: no session (the user logs in again).
    if (sites === undefined) return null;
    return {
      idHash: row.id_hash,
      user: { username: row.username, role: row.role, sites },
      kiosk: row.kiosk === 1,
      stamp: row.stamp,
      createdAt: row.created_at,
      expiresAt: row.expires_at,
    };
  }

  delete(idHash: string): boolean {
    return this.remove.run(idHash).changes > 0;
  }

  deleteExpired(now: number): number {
    return this.removeExpired.run(now).changes;
  }

  count(): number {
    return this.countRows.get()?.n ?? 0;
  }
}

/** NULL = every site; a JSON array of strings; anything else undefined (no session). */
function parseSites(text: string | null): string[] | null | undefined {
  if (text === null) return null;
  try {
    const value: unknown = JSON.parse(text);
    return Array.isArray(value) && value.every((v) => typeof v === 'string') ? (value as string[]) : undefined;
  } catch {
    return undefined;
  }
}
