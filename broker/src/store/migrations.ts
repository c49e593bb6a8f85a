/**
 * Schema migrations, applied in order at start. Never edit a released migration: add one.
 * `schema_version` holds one row per applied migration.
 */
import type { Database } from 'better-sqlite3';
import { MierukaError, systemNow, type Now } from '@mieruka/protocol';

/** `sql` as a function gets the hub's clock (ms), for migrations that judge data by the time. */
export type Migration = { version: number; description: string; sql: string | ((now: number) => string) };

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
  {
    version: 2,
    description: 'machine reports: status history, hub runs, hourly usage roll-ups',
    sql: `
      -- Every status message (online and offline), in arrival order: an offline one starts
      -- "unknown" time for the machine. Arrival time, because a will carries its connect time.
      CREATE TABLE status_log (
        id INTEGER PRIMARY KEY,
        site TEXT NOT NULL,
        node TEXT NOT NULL,
        online INTEGER NOT NULL,
        ts INTEGER NOT NULL,
        received_at INTEGER NOT NULL
      );
      CREATE INDEX status_log_at ON status_log (site, node, received_at);

      -- One row per hub start; down_at (set at the next start) is where the hub stopped hearing.
      CREATE TABLE hub_runs (
        id INTEGER PRIMARY KEY,
        started_at INTEGER NOT NULL,
        alive_at INTEGER NOT NULL,
        stopped_at INTEGER,
        down_at INTEGER
      );

      -- Milliseconds per state in each complete local hour (in report_meta.rollup_timezone).
      CREATE TABLE usage_hourly (
        site TEXT NOT NULL,
        node TEXT NOT NULL,
        hour_start INTEGER NOT NULL,
        hour_end INTEGER NOT NULL,
        off_ms INTEGER NOT NULL,
        idle_ms INTEGER NOT NULL,
        running_ms INTEGER NOT NULL,
        unknown_ms INTEGER NOT NULL,
        PRIMARY KEY (site, node, hour_start)
      ) WITHOUT ROWID;

      -- usage_hourly rows in [valid_from, valid_until) are exact; dirty_ts is the earliest
      -- observation written since, so everything from the observation before it is recomputed.
      CREATE TABLE rollup_cursors (
        site TEXT NOT NULL,
        node TEXT NOT NULL,
        valid_from INTEGER,
        valid_until INTEGER,
        dirty_ts INTEGER,
        PRIMARY KEY (site, node)
      ) WITHOUT ROWID;
      INSERT INTO rollup_cursors (site, node) SELECT DISTINCT site, node FROM states;

      CREATE TABLE report_meta (key TEXT PRIMARY KEY, value TEXT NOT NULL) WITHOUT ROWID;

      CREATE INDEX events_type_ts ON events (site, node, type, ts);
    `,
  },
  {
    version: 3,
    description: 'alerts: alarms, alarm history, mail send queue',
    sql: `
      -- One row per alarm; the schedule columns (notified_level, next_notify_at, escalate_at,
      -- clear_pending_since) let reminders, escalation and delayed clears survive a restart.
      CREATE TABLE alarms (
        id TEXT PRIMARY KEY,
        site TEXT NOT NULL,
        node TEXT NOT NULL,
        type TEXT NOT NULL,
        severity TEXT NOT NULL,
        message_ja TEXT NOT NULL,
        message_en TEXT NOT NULL,
        details TEXT NOT NULL,
        active INTEGER NOT NULL,
        active_since INTEGER NOT NULL,
        last_raised_at INTEGER NOT NULL,
        occurrences INTEGER NOT NULL,
        clear_after_ms INTEGER NOT NULL,
        clear_pending_since INTEGER,
        cleared_at INTEGER,
        acknowledged INTEGER NOT NULL,
        acknowledged_by TEXT,
        acknowledged_at INTEGER,
        notified_level INTEGER NOT NULL,
        next_notify_at INTEGER,
        escalate_at INTEGER,
        created_at INTEGER NOT NULL,
        updated_at INTEGER NOT NULL
      );
      -- At most one active alarm per source and type.
      CREATE UNIQUE INDEX alarms_one_active ON alarms (site, node, type) WHERE active = 1;
      CREATE INDEX alarms_since ON alarms (active_since);

      CREATE TABLE alarm_events (
        id INTEGER PRIMARY KEY,
        alarm_id TEXT NOT NULL REFERENCES alarms (id) ON DELETE CASCADE,
        ts INTEGER NOT NULL,
        kind TEXT NOT NULL,
        actor TEXT,
        detail TEXT
      );
      CREATE INDEX alarm_events_alarm ON alarm_events (alarm_id, id);

      -- One row per mail and recipient, rendered when queued; rows stay after sending (rate limit, audit).
      CREATE TABLE mail_queue (
        id INTEGER PRIMARY KEY,
        alarm_id TEXT,
        kind TEXT NOT NULL,
        recipient TEXT NOT NULL,
        language TEXT NOT NULL,
        subject TEXT NOT NULL,
        text TEXT NOT NULL,
        html TEXT NOT NULL,
        status TEXT NOT NULL CHECK (status IN ('pending', 'held', 'sent', 'failed', 'summarized')),
        attempts INTEGER NOT NULL DEFAULT 0,
        next_attempt_at INTEGER NOT NULL,
        last_error TEXT,
        created_at INTEGER NOT NULL,
        sent_at INTEGER,
        summary_id INTEGER
      );
      CREATE INDEX mail_queue_due ON mail_queue (status, next_attempt_at);
      CREATE INDEX mail_queue_sent ON mail_queue (recipient, sent_at);
    `,
  },
  {
    version: 4,
    description: 'runtime settings saved from the dashboard, with their history',
    sql: `
      -- Every saved version is kept (who changed what, when); the newest is in effect.
      CREATE TABLE runtime_settings (
        version INTEGER PRIMARY KEY,
        document TEXT NOT NULL,
        updated_at INTEGER NOT NULL,
        updated_by TEXT NOT NULL
      );
    `,
  },
  {
    version: 5,
    description: 'MQTT device accounts (edge nodes and observers)',
    sql: `
      -- name is the MQTT username: "<site>/<node>" for a node, any other name for an observer.
      CREATE TABLE mqtt_accounts (
        name TEXT PRIMARY KEY,
        kind TEXT NOT NULL CHECK (kind IN ('node', 'observer')),
        password_hash TEXT NOT NULL,
        created_at INTEGER NOT NULL,
        updated_at INTEGER NOT NULL
      );
    `,
  },
  {
    version: 6,
    description: 'time sanity: readings stored from the future are deleted',
    // Before hub.ingest.maxFutureSkewS, a reading with ts in 2099 was stored, became its node's
    // newest value at every start and froze its state and alarms. Such rows are DELETED, not
    // clamped: their ts is a lie, and a clamped copy would invent a reading at a time nothing was
    // measured. "Future" is relative to the clock when the migration runs, with the default
    // skew (5 min). status_log is ordered by arrival time (received_at), so its ts cannot freeze
    // anything and it is left as is; the usage roll-ups never count past "now", so they stay valid.
    sql: (now) => {
      const limit = Math.floor(now) + 300_000;
      return `
        DELETE FROM readings WHERE ts > ${limit};
        DELETE FROM states WHERE ts > ${limit} OR since > ${limit};
        DELETE FROM events WHERE ts > ${limit};
        DELETE FROM clutter WHERE ts > ${limit};
        DELETE FROM motion WHERE ts > ${limit};
      `;
    },
  },
  {
    version: 7,
    description: 'nodes asking to join (refused past hub.ingest.maxNodesPerSite / maxSites or with autoJoin off), and those an admin admitted',
    sql: `
      CREATE TABLE join_requests (
        site TEXT NOT NULL,
        node TEXT NOT NULL,
        first_at INTEGER NOT NULL,
        last_at INTEGER NOT NULL,
        count INTEGER NOT NULL,
        -- Set when an admin admits the node: it may then join whatever the caps and autoJoin say.
        admitted_at INTEGER,
        admitted_by TEXT,
        PRIMARY KEY (site, node)
      ) WITHOUT ROWID;
    `,
  },
  {
    version: 8,
    description: "each node's store-and-forward backlog from its latest status (JSON: queued, oldestTs, dropped, at)",
    sql: `
      ALTER TABLE nodes ADD COLUMN backlog TEXT;
    `,
  },
  {
    version: 9,
    description: 'daily usage roll-ups; run events indexed by (ts, seq)',
    sql: `
      -- Milliseconds per state in each complete local day whose hours are all exact (same
      -- validity as usage_hourly): a 30-day report reads 30 rows per machine, not 720.
      CREATE TABLE usage_daily (
        site TEXT NOT NULL,
        node TEXT NOT NULL,
        day_start INTEGER NOT NULL,
        day_end INTEGER NOT NULL,
        off_ms INTEGER NOT NULL,
        idle_ms INTEGER NOT NULL,
        running_ms INTEGER NOT NULL,
        unknown_ms INTEGER NOT NULL,
        PRIMARY KEY (site, node, day_start)
      ) WITHOUT ROWID;
      -- Rebuilt with the days by the next updates.
      DELETE FROM usage_hourly;
      UPDATE rollup_cursors SET valid_from = NULL, valid_until = NULL;

      -- "The last run event before t" in index order (ts, seq) stops at the first match instead
      -- of sorting every older event of the machine.
      DROP INDEX events_ts;
      CREATE INDEX events_ts_seq ON events (site, node, ts, seq);
    `,
  },
  {
    version: 11,
    description: "dashboard login sessions (hashed ids), kept across restarts",
    sql: `
      -- id_hash is SHA-256 of the session id: the id (the browser's cookie) is never stored.
      CREATE TABLE dashboard_sessions (
        id_hash TEXT PRIMARY KEY,
        username TEXT NOT NULL,
        role TEXT NOT NULL,
        kiosk INTEGER NOT NULL,
        stamp TEXT,
        created_at INTEGER NOT NULL,
        expires_at INTEGER NOT NULL
      );
      CREATE INDEX dashboard_sessions_expires ON dashboard_sessions (expires_at);
      CREATE INDEX dashboard_sessions_created ON dashboard_sessions (created_at);
    `,
  },
  {
    version: 12,
    description: 'production figures: machining cycles, quality entries, downtime stop reasons, energy per quarter hour (docs/oee.md)',
    sql: `
      -- One row per cycle event from a machine's agent; (site, node, seq) makes a resend one row.
      CREATE TABLE cycles (
        site TEXT NOT NULL,
        node TEXT NOT NULL,
        seq INTEGER NOT NULL,
        start_ts INTEGER NOT NULL,
        end_ts INTEGER NOT NULL,
        duration_ms INTEGER NOT NULL,
        peak_a REAL NOT NULL,
        mean_a REAL NOT NULL,
        received_at INTEGER NOT NULL,
        PRIMARY KEY (site, node, seq)
      ) WITHOUT ROWID;
      CREATE INDEX cycles_end ON cycles (site, node, end_ts);

      -- Good / scrap counts for a period (start < end) or an instant (a button press: start = end).
      CREATE TABLE quality_entries (
        id INTEGER PRIMARY KEY AUTOINCREMENT,
        site TEXT NOT NULL,
        node TEXT NOT NULL,
        start_ts INTEGER NOT NULL,
        end_ts INTEGER NOT NULL,
        good INTEGER NOT NULL,
        scrap INTEGER NOT NULL,
        startup_scrap INTEGER NOT NULL,
        source TEXT NOT NULL CHECK (source IN ('dashboard', 'kiosk', 'button')),
        entered_by TEXT NOT NULL,
        entered_at INTEGER NOT NULL,
        note TEXT,
        CHECK (end_ts >= start_ts)
      );
      CREATE INDEX quality_entries_end ON quality_entries (site, node, end_ts);

      -- The reason given for a stop, keyed by the stop's start; a re-classification replaces it.
      CREATE TABLE stop_reasons (
        site TEXT NOT NULL,
        node TEXT NOT NULL,
        start_ts INTEGER NOT NULL,
        code TEXT NOT NULL,
        set_by TEXT NOT NULL,
        set_at INTEGER NOT NULL,
        PRIMARY KEY (site, node, start_ts)
      ) WITHOUT ROWID;

      -- Ampere-seconds per machine state in each quarter hour (UTC-aligned), from the current
      -- readings: energy follows from the machine's energy config at query time, so a corrected
      -- voltage or power factor applies to the past too.
      CREATE TABLE energy_quarters (
        site TEXT NOT NULL,
        node TEXT NOT NULL,
        quarter_start INTEGER NOT NULL,
        running_as REAL NOT NULL,
        idle_as REAL NOT NULL,
        off_as REAL NOT NULL,
        unknown_as REAL NOT NULL,
        PRIMARY KEY (site, node, quarter_start)
      ) WITHOUT ROWID;
    `,
  },
  {
    version: 13,
    description: "site-scoped dashboard viewers: the sites a user may see (none = every site)",
    sql: `
      -- No rows for a user = every site. Admins see every site whatever is stored here.
      CREATE TABLE user_sites (
        username TEXT NOT NULL REFERENCES users (username) ON DELETE CASCADE,
        site TEXT NOT NULL,
        PRIMARY KEY (username, site)
      ) WITHOUT ROWID;
      -- The sites of the session's user at login (JSON array), NULL = every site.
      ALTER TABLE dashboard_sessions ADD COLUMN sites TEXT;
    `,
  },
];

export const SCHEMA_VERSION = MIGRATIONS[MIGRATIONS.length - 1]?.version ?? 0;

export function currentVersion(db: Database): number {
  const row = db.prepare('SELECT max(version) AS v FROM schema_version').get() as { v: number | null };
  return row.v ?? 0;
}

/** Applies every migration newer than the database, each in its own transaction. */
export function migrate(db: Database, migrations: readonly Migration[] = MIGRATIONS, now: Now = systemNow): { from: number; to: number } {
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
      const at = now();
      db.exec(typeof m.sql === 'string' ? m.sql : m.sql(at));
      record.run(m.version, m.description, at);
    })();
  }
  return { from, to: Math.max(from, latest) };
}
