/**
 * The dashboard's login sessions in the store's `dashboard_sessions` table (SQLite migration
 * 11, or PostgreSQL through SqlStore), so a restarted or upgraded hub keeps everyone logged in
 * (and, on PostgreSQL, every hub of a fleet knows every session). Implements the dashboard's
 * SessionRecords: rows are keyed by the hash of the session id (the dashboard never hands
 * over the id itself), so a copy of the database or a backup cannot be used to log in.
 */
import type { SessionRecord, SessionRecords } from '@mieruka/protocol';
import type { SqlQueries, SqlStore } from '../store/sql/sql-store.js';

type Row = { id_hash: string; username: string; role: string; sites: string | null; kiosk: number; stamp: string | null; created_at: number; expires_at: number };

const count = async (q: SqlQueries) => (await q.get<{ n: number }>('SELECT COUNT(*) AS n FROM dashboard_sessions'))?.n ?? 0;

export class SqlSessionRecords implements SessionRecords {
  private readonly sql: SqlStore;

  constructor(sql: SqlStore) {
    this.sql = sql;
  }

  async add(record: SessionRecord, maxSessions: number): Promise<void> {
    const { idHash, user, kiosk, stamp, createdAt, expiresAt } = record;
    await this.sql.transaction(async (tx) => {
      const excess = (await count(tx)) - maxSessions + 1;
      // Oldest first by login time; two logins in the same millisecond go in hash order.
      if (excess > 0) {
        await tx.run('DELETE FROM dashboard_sessions WHERE id_hash IN (SELECT id_hash FROM dashboard_sessions ORDER BY created_at, id_hash LIMIT ?)', [excess]);
      }
      await tx.run('INSERT INTO dashboard_sessions (id_hash, username, role, sites, kiosk, stamp, created_at, expires_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)', [
        idHash,
        user.username,
        user.role,
        user.sites === null ? null : JSON.stringify(user.sites),
        kiosk ? 1 : 0,
        stamp,
        createdAt,
        expiresAt,
      ]);
    });
  }

  async get(idHash: string): Promise<SessionRecord | null> {
    const row = await this.sql.get<Row>('SELECT id_hash, username, role, sites, kiosk, stamp, created_at, expires_at FROM dashboard_sessions WHERE id_hash = ?', [idHash]);
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

  async delete(idHash: string): Promise<boolean> {
    return (await this.sql.run('DELETE FROM dashboard_sessions WHERE id_hash = ?', [idHash])).changes > 0;
  }

  async deleteExpired(now: number): Promise<number> {
    return (await this.sql.run('DELETE FROM dashboard_sessions WHERE expires_at <= ?', [now])).changes;
  }

  count(): Promise<number> {
    return count(this.sql);
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
