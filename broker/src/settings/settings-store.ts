/**
 * Saved runtime settings in SQLite: one row per saved version (the history of who changed
 * what), the newest in effect. Saving checks the version the editor started from inside the
 * write transaction, so two admins saving at once cannot overwrite each other unnoticed.
 */
import type { Database } from 'better-sqlite3';

export type SavedSettings = { version: number; document: unknown; updatedAt: number; updatedBy: string };

type Row = { version: number; document: string; updated_at: number; updated_by: string };

export class SettingsStore {
  private readonly db: Database;

  constructor(db: Database) {
    this.db = db;
  }

  /** The settings in effect, or null when nobody saved any. A row that does not parse is reported, not thrown. */
  latest(): { saved: SavedSettings | null; error: string | null } {
    const row = this.db.prepare('SELECT version, document, updated_at, updated_by FROM runtime_settings ORDER BY version DESC LIMIT 1').get() as Row | undefined;
    if (!row) return { saved: null, error: null };
    try {
      return { saved: { version: row.version, document: JSON.parse(row.document) as unknown, updatedAt: row.updated_at, updatedBy: row.updated_by }, error: null };
    } catch (err) {
      return { saved: null, error: `saved settings version ${row.version} is not valid JSON: ${err instanceof Error ? err.message : String(err)}` };
    }
  }

  currentVersion(): number {
    const row = this.db.prepare('SELECT max(version) AS v FROM runtime_settings').get() as { v: number | null };
    return row.v ?? 0;
  }

  /** Stores `document` as the next version when `expectedVersion` is still the newest; else 'conflict'. */
  save(document: unknown, expectedVersion: number, by: string, at: number): SavedSettings | 'conflict' {
    return this.db.transaction((): SavedSettings | 'conflict' => {
      const current = this.currentVersion();
      if (current !== expectedVersion) return 'conflict';
      const version = current + 1;
      this.db.prepare('INSERT INTO runtime_settings (version, document, updated_at, updated_by) VALUES (?, ?, ?, ?)').run(version, JSON.stringify(document), at, by);
      return { version, document, updatedAt: at, updatedBy: by };
    }).immediate();
  }

  /** Newest first: who saved when (the documents stay in the table for audit and rollback). */
  history(limit = 50): Array<{ version: number; updatedAt: number; updatedBy: string }> {
    const rows = this.db.prepare('SELECT version, updated_at, updated_by FROM runtime_settings ORDER BY version DESC LIMIT ?').all(limit) as Row[];
    return rows.map((r) => ({ version: r.version, updatedAt: r.updated_at, updatedBy: r.updated_by }));
  }
}
