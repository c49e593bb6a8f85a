/**
 * Saved runtime settings in the hub's store (SQLite or PostgreSQL, through SqlStore): one row
 * per saved version (the history of who changed what), the newest in effect. Saving checks the
 * version the editor started from inside the write transaction, so two admins saving at once
 * cannot overwrite each other unnoticed (the primary key on `version` refuses the second
 * insert of a version on PostgreSQL, where the check and the insert of two hubs can interleave).
 */
import { sqlErrorKind, type SqlQueries, type SqlStore } from '../store/sql/sql-store.js';

export type SavedSettings = { version: number; document: unknown; updatedAt: number; updatedBy: string };

type Row = { version: number; document: string; updated_at: number; updated_by: string };

export class SettingsStore {
  private readonly sql: SqlStore;

  constructor(sql: SqlStore) {
    this.sql = sql;
  }

  /** The settings in effect, or null when nobody saved any. A row that does not parse is reported, not thrown. */
  async latest(): Promise<{ saved: SavedSettings | null; error: string | null }> {
    const row = await this.sql.get<Row>('SELECT version, document, updated_at, updated_by FROM runtime_settings ORDER BY version DESC LIMIT 1');
    if (!row) return { saved: null, error: null };
    try {
      return { saved: { version: row.version, document: JSON.parse(row.document) as unknown, updatedAt: row.updated_at, updatedBy: row.updated_by }, error: null };
    } catch (err) {
      return { saved: null, error: `saved settings version ${row.version} is not valid JSON: ${err instanceof Error ? err.message : String(err)}` };
    }
  }

  currentVersion(): Promise<number> {
    return SettingsStore.versionIn(this.sql);
  }

  private static async versionIn(q: SqlQueries): Promise<number> {
    const row = await q.get<{ v: number | null }>('SELECT max(version) AS v FROM runtime_settings');
    return row?.v ?? 0;
  }

  /** Stores `document` as the next version when `expectedVersion` is still the newest; else 'conflict'. */
  async save(document: unknown, expectedVersion: number, by: string, at: number): Promise<SavedSettings | 'conflict'> {
    try {
      return await this.sql.transaction(async (tx): Promise<SavedSettings | 'conflict'> => {
        const current = await SettingsStore.versionIn(tx);
        if (current !== expectedVersion) return 'conflict';
        const version = current + 1;
        await tx.run('INSERT INTO runtime_settings (version, document, updated_at, updated_by) VALUES (?, ?, ?, ?)', [version, JSON.stringify(document), at, by]);
        return { version, document, updatedAt: at, updatedBy: by };
      });
    } catch (err) {
      // Someone else stored this version between our check and our insert.
      if (sqlErrorKind(err) === 'unique') return 'conflict';
      throw err;
    }
  }

  /** Newest first: who saved when (the documents stay in the table for audit and rollback). */
  async history(limit = 50): Promise<Array<{ version: number; updatedAt: number; updatedBy: string }>> {
    const rows = await this.sql.all<Row>('SELECT version, updated_at, updated_by FROM runtime_settings ORDER BY version DESC LIMIT ?', [limit]);
    return rows.map((r) => ({ version: r.version, updatedAt: r.updated_at, updatedBy: r.updated_by }));
  }
}
