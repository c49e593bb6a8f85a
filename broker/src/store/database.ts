/** Opens the SQLite file with the pragmas the hub relies on, then migrates it. */
import { dirname } from 'node:path';
import Database from 'better-sqlite3';
import { MierukaError, type Now } from '@mieruka/protocol';
import { MIGRATIONS, migrate } from './migrations.js';
import { makeDirsSync } from '@mieruka/protocol/node';

export type OpenDatabaseOptions = {
  /** Wait this long for a lock held by another connection (e.g. a backup) before failing. */
  busyTimeoutMs?: number;
  /** The hub's clock, for migrations that judge data by the time. */
  now?: Now;
};

export function openDatabase(file: string, options: OpenDatabaseOptions = {}): Database.Database {
  let db: Database.Database | undefined;
  try {
    makeDirsSync(dirname(file));
    db = new Database(file);
    // WAL: readers (dashboard, sqlite3 CLI, backups) never block the ingest writer.
    db.pragma('journal_mode = WAL');
    // NORMAL in WAL mode is durable against application crashes; a power cut may lose the last commit.
    db.pragma('synchronous = NORMAL');
    db.pragma(`busy_timeout = ${Math.max(0, Math.floor(options.busyTimeoutMs ?? 5000))}`);
    db.pragma('foreign_keys = ON');
    migrate(db, MIGRATIONS, options.now);
    return db;
  } catch (err) {
    db?.close();
    if (err instanceof MierukaError) throw err;
    throw new MierukaError('STORE_FAILED', `cannot open the database ${file}: ${(err as Error).message}`, { cause: err });
  }
}
