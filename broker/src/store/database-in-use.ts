/**
 * Whether another process has the SQLite database open (a running hub, `sqlite3`, a backup).
 * Leaving WAL mode needs the only connection to the file: SQLite refuses it (SQLITE_BUSY) while
 * any other holds it open, whatever it is doing, and the kernel drops those locks when a
 * process dies, so a crashed hub never leaves a stale "running" behind (unlike a PID file).
 * The switch folds the WAL into the main file; the next opening returns it to WAL.
 */
import { existsSync } from 'node:fs';
import Database from 'better-sqlite3';

export function databaseInUse(file: string): boolean {
  if (!existsSync(file)) return false;
  const db = new Database(file, { fileMustExist: true });
  try {
    db.pragma('busy_timeout = 0');
    db.pragma('journal_mode = DELETE');
    return db.pragma('journal_mode', { simple: true }) !== 'delete';
  } catch (err) {
    if ((err as { code?: string }).code?.startsWith('SQLITE_BUSY') || (err as { code?: string }).code?.startsWith('SQLITE_LOCKED')) return true;
    throw err;
  } finally {
    db.close();
  }
}
