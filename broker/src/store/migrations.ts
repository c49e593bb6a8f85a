/**
 * Schema migrations, applied in order at start. Never edit a released migration: add one.
 * `schema_version` holds one row per applied migration.
 */
import type { Database } from 'better-sqlite3';
import { MierukaError } from '@mieruka/protocol';

export type Migration = { version: number; description: string; sql: string };

export const MIGRATIONS: readonly Migration[] = [
  {
    version: 1,
    description: 'nodes, readings, states, events, clutter, motion, users, ingest errors',
    sql: `
      CREATE TABLE nodes (
        site TEXT NOT NULL,
        node TEXT NOT NULL,
        online INTEGER,
        agent TEXT,
        version TEXT,
        status_ts INTEGER,
        detail TEXT,
        last_seen INTEGER,
        PRIMARY KEY (site, node)
      ) WITHOUT ROWID;

      CREATE TABLE readings (
        id INTEGER PRIMARY KEY,
        site TEXT NOT NULL,
        node TEXT NOT NULL,
        ts INTEGER NOT NULL,
        seq INTEGER NOT NULL,
        irms TEXT NOT NULL,
        received_at INTEGER NOT NULL
      );
      CREATE UNIQUE INDEX readings_seq ON readings (site, node, seq);
      CREATE INDEX readings_ts ON readings (site, node, ts);

      CREATE TABLE states (
        id INTEGER PRIMARY KEY,
        site TEXT NOT NULL,
        node TEXT NOT NULL,
        ts INTEGER NOT NULL,
        state TEXT NOT NULL,
        since INTEGER NOT NULL,
        irms TEXT NOT NULL,
        received_at INTEGER NOT NULL
      );
      -- state is retained and republished on reconnect: the same (node, ts) is one row.
      CREATE UNIQUE INDEX states_ts ON states (site, node, ts);

      CREATE TABLE events (
        id INTEGER PRIMARY KEY,
        site TEXT NOT NULL,
        node TEXT NOT NULL,
        ts INTEGER NOT NULL,
        seq INTEGER NOT NULL,
        type TEXT NOT NULL,
        data TEXT NOT NULL,
        received_at INTEGER NOT NULL
      );
      CREATE UNIQUE INDEX events_seq ON events (site, node, seq);
      CREATE INDEX events_ts ON events (site, node, ts);

      CREATE TABLE clutter (
        id INTEGER PRIMARY KEY,
        site TEXT NOT NULL,
        node TEXT NOT NULL,
        ts INTEGER NOT NULL,
        seq INTEGER NOT NULL,
        score REAL NOT NULL,
        covered_ratio REAL NOT NULL,
        slot TEXT NOT NULL,
        image_id TEXT,
        received_at INTEGER NOT NULL
      );
      CREATE UNIQUE INDEX clutter_seq ON clutter (site, node, seq);
      CREATE INDEX clutter_ts ON clutter (site, node, ts);

      CREATE TABLE motion (
        id INTEGER PRIMARY KEY,
        site TEXT NOT NULL,
        node TEXT NOT NULL,
        ts INTEGER NOT NULL,
        active INTEGER NOT NULL,
        received_at INTEGER NOT NULL
      );
      CREATE UNIQUE INDEX motion_ts ON motion (site, node, ts, active);

      CREATE TABLE users (
        username TEXT PRIMARY KEY,
        password_hash TEXT NOT NULL,
        role TEXT NOT NULL CHECK (role IN ('admin', 'viewer')),
        created_at INTEGER NOT NULL,
        updated_at INTEGER NOT NULL
      );

      -- Running counters of dropped messages, per node and reason ('' when the topic had no node).
      CREATE TABLE ingest_errors (
        site TEXT NOT NULL,
        node TEXT NOT NULL,
        reason TEXT NOT NULL,
        count INTEGER NOT NULL,
        last_at INTEGER NOT NULL,
        last_message TEXT NOT NULL,
        PRIMARY KEY (site, node, reason)
      ) WITHOUT ROWID;
    `,
  },
];

export const SCHEMA_VERSION = MIGRATIONS[MIGRATIONS.length - 1]?.version ?? 0;

export function currentVersion(db: Database): number {
  const row = db.prepare('SELECT max(version) AS v FROM schema_version').get() as { v: number | null };
  return row.v ?? 0;
}

/** Applies every migration newer than the database, each in its own transaction. */
export function migrate(db: Database, migrations: readonly Migration[] = MIGRATIONS): { from: number; to: number } {
  db.exec('CREATE TABLE IF NOT EXISTS schema_version (version INTEGER PRIMARY KEY, description TEXT NOT NULL, applied_at INTEGER NOT NULL)');
  const from = currentVersion(db);
  const latest = migrations[migrations.length - 1]?.version ?? 0;
  if (from > latest) {
    throw new MierukaError('STORE_FAILED', `database schema version ${from} is newer than this Mieruka (${latest}): upgrade Mieruka`);
  }
  const record = db.prepare('INSERT INTO schema_version (version, description, applied_at) VALUES (?, ?, ?)');
  for (const m of migrations) {
    if (m.version <= from) continue;
    db.transaction(() => {
      db.exec(m.sql);
      record.run(m.version, m.description, Date.now());
    })();
  }
  return { from, to: Math.max(from, latest) };
}
