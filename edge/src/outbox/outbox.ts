/**
 * The agent's store-and-forward queue (docs/store-and-forward.md): every message with data is
 * written here before MQTT and deleted once the broker acknowledged it, so readings survive a
 * broker outage, an agent crash and a power cut.
 *
 * One SQLite file per node, in WAL mode. A commit only writes the WAL (`synchronous = NORMAL`);
 * `durable()` resolves once what was committed before it is synced to disk, off the event loop
 * (wal-sync.ts). Bounded by a number of messages and of bytes; when full the oldest rows go first and
 * the number dropped is kept in the file. The running totals live in a one-row table kept
 * right by triggers, so opening a full queue costs no scan.
 *
 * A file that cannot be opened or fails `PRAGMA quick_check` is set aside as
 * `<file>.corrupt-<ts>` and a fresh queue started (never a crash loop); a directory that cannot
 * hold a file at all leaves a queue in memory, which still bridges a broker outage.
 */
import { closeSync, existsSync, fdatasyncSync, openSync, renameSync } from 'node:fs';
import { dirname } from 'node:path';
import Database from 'better-sqlite3';
import type { Logger } from 'pino';
import { MierukaError, type Now } from '@mieruka/protocol';
import { makeDirsSync } from '@mieruka/protocol/node';
import { WalSync } from './wal-sync.js';

export const OUTBOX_DEFAULTS = {
  /** 7 days of 1 Hz readings (604,800) with room for states and events. */
  maxMessages: 1_000_000,
  /** Images are the big ones (≤ 512 KiB each). */
  maxBytes: 512 * 1024 * 1024,
} as const;

export interface OutboxOptions {
  /** The SQLite file; undefined keeps the queue in memory (no dataDir). */
  file: string | undefined;
  maxMessages?: number;
  maxBytes?: number;
  logger: Logger;
  now?: Now;
}

export interface OutboxRow {
  id: number;
  topic: string;
  payload: Buffer;
  retain: boolean;
  bytes: number;
}

export interface OutboxStats {
  queued: number;
  bytes: number;
  /** Enqueue time of the oldest waiting message; null when none waits. */
  oldestTs: number | null;
  /** Dropped because the queue was full, since the file was created. */
  dropped: number;
  /** Files found unreadable at open and set aside (this process). */
  corruptSetAside: number;
  /** False when the queue lives in memory only (no dataDir, or it could not hold a file). */
  persistent: boolean;
}

const SCHEMA = `
CREATE TABLE IF NOT EXISTS outbox (
  id INTEGER PRIMARY KEY AUTOINCREMENT,
  ts INTEGER NOT NULL,
  topic TEXT NOT NULL,
  retain INTEGER NOT NULL,
  bytes INTEGER NOT NULL,
  payload BLOB NOT NULL
);
CREATE TABLE IF NOT EXISTS totals (
  one INTEGER PRIMARY KEY CHECK (one = 1),
  queued INTEGER NOT NULL,
  bytes INTEGER NOT NULL,
  dropped INTEGER NOT NULL
);
INSERT OR IGNORE INTO totals (one, queued, bytes, dropped) VALUES (1, 0, 0, 0);
CREATE TRIGGER IF NOT EXISTS outbox_added AFTER INSERT ON outbox BEGIN
  UPDATE totals SET queued = queued + 1, bytes = bytes + NEW.bytes WHERE one = 1;
END;
CREATE TRIGGER IF NOT EXISTS outbox_removed AFTER DELETE ON outbox BEGIN
  UPDATE totals SET queued = queued - 1, bytes = bytes - OLD.bytes WHERE one = 1;
END;
`;

type Statements = {
  insert: Database.Statement<[number, string, number, number, Buffer]>;
  totals: Database.Statement<[], { queued: number; bytes: number; dropped: number }>;
  oldest: Database.Statement<[], { id: number; ts: number; bytes: number }>;
  deleteOldest: Database.Statement<[number]>;
  deleteOldestN: Database.Statement<[number]>;
  addDropped: Database.Statement<[number]>;
  deleteId: Database.Statement<[number]>;
  after: Database.Statement<[number], { id: number; topic: string; retain: number; bytes: number; payload: Buffer }>;
};

export class Outbox {
  private readonly options: OutboxOptions;
  private readonly maxMessages: number;
  private readonly maxBytes: number;
  private readonly now: Now;
  private db: Database.Database | null = null;
  private st: Statements | null = null;
  private persistent = false;
  private walSync: WalSync | null = null;
  private corruptSetAside = 0;

  constructor(options: OutboxOptions) {
    this.options = options;
    this.maxMessages = Math.max(1, Math.floor(options.maxMessages ?? OUTBOX_DEFAULTS.maxMessages));
    this.maxBytes = Math.max(1, Math.floor(options.maxBytes ?? OUTBOX_DEFAULTS.maxBytes));
    this.now = options.now ?? Date.now;
  }

  get isOpen(): boolean {
    return this.db !== null;
  }

  open(): void {
    if (this.db) return;
    const { file, logger } = this.options;
    if (file === undefined) {
      this.use(new Database(':memory:'), false);
      return;
    }
    try {
      this.use(openChecked(file), true);
      return;
    } catch (err) {
      if (isCorruption(err) && existsSync(file)) {
        const aside = `${file}.corrupt-${this.now()}`;
        try {
          renameSync(file, aside);
          for (const suffix of ['-wal', '-shm']) if (existsSync(file + suffix)) renameSync(file + suffix, aside + suffix);
          this.corruptSetAside++;
          logger.error({ err, file, setAside: aside }, 'OUTBOX CORRUPT: the store-and-forward queue could not be read; it was set aside and a fresh one started (messages in it are not sent)');
          this.use(openChecked(file), true);
          return;
        } catch (err2) {
          logger.error({ err: err2, file }, 'cannot set the corrupt outbox aside');
        }
      } else {
        logger.error({ err, file }, 'cannot open the outbox file');
      }
    }
    // Better a queue in memory than none: an outage is still bridged, only not a restart.
    logger.error({ file }, 'OUTBOX IN MEMORY: queued messages will not survive a restart of this agent');
    this.use(new Database(':memory:'), false);
  }

  close(): void {
    const db = this.db;
    this.db = null;
    this.st = null;
    const walSync = this.walSync;
    this.walSync = null;
    // Another connection (sqlite3, `mieruka doctor`) may keep the WAL from being checkpointed
    // at close: sync it here so every commit is on disk when close() returns.
    if (db && walSync && this.options.file) syncFileSync(`${this.options.file}-wal`);
    db?.close();
    walSync?.close();
  }

  /**
   * Resolves once every row committed before this call is on disk (at once for a queue in
   * memory). Rejects when the sync fails; the rows stay committed and are sent all the same.
   */
  durable(): Promise<void> {
    return this.walSync?.afterCommit() ?? Promise.resolve();
  }

  /** Syncs to disk done since open (each covers every commit before it). */
  get diskSyncs(): number {
    return this.walSync?.syncs ?? 0;
  }

  /**
   * Writes one message (durable once `durable()` resolves). Returns how many of the oldest
   * messages were dropped to make room.
   */
  append(topic: string, payload: Buffer, retain: boolean): number {
    return this.appendMany([{ topic, payload, retain }]);
  }

  /**
   * Writes messages in order in one transaction, which is what lets an agent keep up with a
   * fast sensor (see group-append.ts); durable once `durable()` resolves. All or none are
   * written. Returns how many of the oldest messages were dropped to make room.
   */
  appendMany(messages: ReadonlyArray<{ topic: string; payload: Buffer; retain: boolean }>): number {
    const { db, st } = this.opened();
    const ts = this.now();
    try {
      return db.transaction(() => {
        let dropped = 0;
        for (const m of messages) {
          st.insert.run(ts, m.topic, m.retain ? 1 : 0, m.payload.length + Buffer.byteLength(m.topic), m.payload);
          // Bounds hold after every row, as if they had come one by one.
          dropped += this.trim(st);
        }
        return dropped;
      })();
    } catch (err) {
      throw new MierukaError('STORE_FAILED', `outbox: cannot queue ${messages.length === 1 ? 'a message' : `${messages.length} messages`}: ${(err as Error).message}`, { cause: err });
    }
  }

  /** Messages after `afterId` in insertion order, lazily: stop iterating when you have enough. */
  *rowsAfter(afterId: number): Generator<OutboxRow> {
    const { st } = this.opened();
    for (const r of st.after.iterate(afterId)) yield { id: r.id, topic: r.topic, payload: r.payload, retain: r.retain === 1, bytes: r.bytes };
  }

  /** Removes delivered messages (ids gone already, e.g. dropped, are ignored). */
  remove(ids: readonly number[]): void {
    if (ids.length === 0) return;
    const { db, st } = this.opened();
    // Never waits for a sync (the next append's sync carries it): a delete lost to a power cut
    // only sends a message again, and the hub drops the duplicate.
    db.transaction(() => {
      for (const id of ids) st.deleteId.run(id);
    })();
  }

  stats(): OutboxStats {
    if (!this.st) return { queued: 0, bytes: 0, oldestTs: null, dropped: 0, corruptSetAside: this.corruptSetAside, persistent: this.persistent };
    const t = this.st.totals.get() ?? { queued: 0, bytes: 0, dropped: 0 };
    const oldest = t.queued > 0 ? (this.st.oldest.get()?.ts ?? null) : null;
    return { queued: t.queued, bytes: t.bytes, oldestTs: oldest, dropped: t.dropped, corruptSetAside: this.corruptSetAside, persistent: this.persistent };
  }

  /** Deletes the oldest rows until the bounds hold (the newest row always stays). */
  private trim(st: Statements): number {
    let dropped = 0;
    const t0 = st.totals.get();
    // Too many: one statement for the lot (a lowered maxMessages may leave many over).
    if (t0 && t0.queued > this.maxMessages) dropped += st.deleteOldestN.run(Math.min(t0.queued - this.maxMessages, t0.queued - 1)).changes;
    for (;;) {
      const t = st.totals.get();
      if (!t || t.queued <= 1 || (t.queued <= this.maxMessages && t.bytes <= this.maxBytes)) break;
      const oldest = st.oldest.get();
      if (!oldest) break;
      st.deleteOldest.run(oldest.id);
      dropped++;
    }
    if (dropped > 0) st.addDropped.run(dropped);
    return dropped;
  }

  private use(db: Database.Database, persistent: boolean): void {
    if (!persistent) db.exec(SCHEMA);
    this.db = db;
    this.persistent = persistent;
    this.walSync = persistent && this.options.file !== undefined ? new WalSync(this.options.file) : null;
    this.st = {
      insert: db.prepare('INSERT INTO outbox (ts, topic, retain, bytes, payload) VALUES (?, ?, ?, ?, ?)'),
      totals: db.prepare('SELECT queued, bytes, dropped FROM totals WHERE one = 1'),
      oldest: db.prepare('SELECT id, ts, bytes FROM outbox ORDER BY id LIMIT 1'),
      deleteOldest: db.prepare('DELETE FROM outbox WHERE id = ?'),
      deleteOldestN: db.prepare('DELETE FROM outbox WHERE id IN (SELECT id FROM outbox ORDER BY id LIMIT ?)'),
      addDropped: db.prepare('UPDATE totals SET dropped = dropped + ? WHERE one = 1'),
      deleteId: db.prepare('DELETE FROM outbox WHERE id = ?'),
      after: db.prepare('SELECT id, topic, retain, bytes, payload FROM outbox WHERE id > ? ORDER BY id'),
    };
  }

  private opened(): { db: Database.Database; st: Statements } {
    if (!this.db || !this.st) throw new MierukaError('STORE_FAILED', 'outbox is not open');
    return { db: this.db, st: this.st };
  }
}

/** Opens the file with the pragmas the queue relies on and checks it; throws on any damage. */
function openChecked(file: string): Database.Database {
  makeDirsSync(dirname(file));
  const db = new Database(file);
  try {
    // WAL: `sqlite3` can read the queue while the agent writes. NORMAL: a commit does not wait
    // for the disk on the event loop; WalSync syncs the WAL on the thread pool (durable()).
    // Checkpoints still sync the database file before the WAL is reused.
    db.pragma('journal_mode = WAL');
    db.pragma('synchronous = NORMAL');
    db.pragma('busy_timeout = 5000');
    const check = db.pragma('quick_check', { simple: true });
    if (check !== 'ok') throw Object.assign(new Error(`quick_check: ${String(check)}`), { code: 'SQLITE_CORRUPT' });
    db.exec(SCHEMA);
    return db;
  } catch (err) {
    db.close();
    throw err;
  }
}

/** fdatasync of a file that may not exist (a WAL not created yet). */
function syncFileSync(file: string): void {
  let fd: number;
  try {
    fd = openSync(file, 'r');
  } catch {
    return;
  }
  try {
    fdatasyncSync(fd);
  } finally {
    closeSync(fd);
  }
}

function isCorruption(err: unknown): boolean {
  const code = (err as { code?: unknown }).code;
  return code === 'SQLITE_CORRUPT' || code === 'SQLITE_NOTADB' || (typeof code === 'string' && code.startsWith('SQLITE_CORRUPT'));
}
