/**
 * Deletes old rows every night so an SD card does not fill up (hub.retention, docs/config.md).
 * Raw samples (current readings, motion, machining cycles) go after `readingsDays`; the history
 * (states, status messages, run events, clutter scores, cleared alarms with their history, sent
 * mails, quality entries, stop reasons, and the energy roll-up per quarter hour) after
 * `historyDays`; 0 keeps a group forever. Not touched: users, accounts, nodes, settings, the
 * counters of ingest_errors and hub_runs (a row per node/reason or per start), and the usage
 * roll-ups, which the reports service keeps for its own horizon (usage-rollups.ts).
 *
 * Deletion goes node by node and `batchRows` rows per statement, with the event loop handed
 * back between statements, so ingest (same thread, same connection on SQLite; the same tables
 * on PostgreSQL) is never stalled for long. The SQL is the same on both (SqlStore). The newest row of each node is kept in every table the start-up snapshot reads, and
 * states and status messages a roll-up still has to read (after the machine's cursor in
 * rollup_cursors, or none built yet) are never deleted. The freed pages are reused by new rows
 * (no VACUUM: rewriting a large database on an SD card each night costs wear for nothing once
 * the size is steady); the checkpoint worker folds the WAL as after any write.
 *
 * The run is due at `at` local time in the site's zone, asked of the injected clock: a timer
 * re-checks at most every `checkIntervalMs`, so a clock set late (NTP after boot) or a DST
 * switch moves the run with the clock, and a run missed by more than an hour is skipped.
 */
import { setImmediate as yieldToEventLoop } from 'node:timers/promises';
import type { Logger } from 'pino';
import { DAY_MS, HOUR_MS, localTimeFor, type LocalTime, type Now, type RetentionRun } from '@mieruka/protocol';
import type { SqlStore, SqlValue } from './sql/sql-store.js';

export type RetentionSettings = { readingsDays: number; historyDays: number; at: string; batchRows: number };

export type RetentionPrunerOptions = {
  sql: () => SqlStore;
  retention: RetentionSettings;
  timeZone: string;
  now: Now;
  logger: Logger;
  /** Longest sleep between two looks at the clock (default one minute). */
  checkIntervalMs?: number;
};

type NodeKey = { site: string; node: string };
type Cursor = { valid_until: number | null; dirty_ts: number | null };

/** A run missed by more than this (hub down, clock jumped) waits for the next night. */
const MISSED_AFTER_MS = HOUR_MS;

/** The first instant at or after `from` whose local wall time is `at` ("HH:MM"); a time a DST jump skips moves forward by the jump. */
export function nextLocalTime(clock: LocalTime, at: string, from: number): number {
  const [hh, mm] = at.split(':').map(Number) as [number, number];
  let date = clock.dateOf(from);
  for (let i = 0; i < 3; i += 1) {
    const t = clock.instant(date, hh, mm);
    if (t >= from) return t;
    date = nextDate(date);
  }
  return clock.instant(date, hh, mm);
}

function nextDate(date: string): string {
  const [y, m, d] = date.split('-').map(Number) as [number, number, number];
  return new Date(Date.UTC(y, m - 1, d + 1)).toISOString().slice(0, 10);
}

export class RetentionPruner {
  private readonly options: RetentionPrunerOptions;
  private readonly logger: Logger;
  private readonly clock: LocalTime;
  private timer: NodeJS.Timeout | null = null;
  private running: Promise<RetentionRun> | null = null;
  private dueAt: number | null = null;
  /** The last finished run (null before the first). */
  lastRun: RetentionRun | null = null;

  constructor(options: RetentionPrunerOptions) {
    this.options = options;
    this.logger = options.logger.child({ component: 'retention' });
    this.clock = localTimeFor(options.timeZone);
  }

  /** When the next run is due (null when stopped). */
  get nextRunAt(): number | null {
    return this.dueAt;
  }

  start(): void {
    if (this.timer) return;
    this.dueAt = nextLocalTime(this.clock, this.options.retention.at, this.options.now());
    this.arm();
  }

  async stop(): Promise<void> {
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    this.dueAt = null;
    await this.running?.catch(() => undefined);
  }

  private arm(): void {
    const now = this.options.now();
    const wait = Math.min(Math.max(0, (this.dueAt ?? now) - now), this.options.checkIntervalMs ?? 60_000);
    this.timer = setTimeout(() => this.tick(), wait);
    this.timer.unref();
  }

  private tick(): void {
    if (!this.timer || this.dueAt === null) return;
    const now = this.options.now();
    if (now >= this.dueAt) {
      const missed = now - this.dueAt > MISSED_AFTER_MS;
      // From one minute on: a run that ends within its own minute must not be due again.
      this.dueAt = nextLocalTime(this.clock, this.options.retention.at, Math.max(now, this.dueAt + 60_000));
      if (missed) this.logger.info({ nextRunAt: this.dueAt }, 'nightly pruning missed (hub down or clock changed); next run tomorrow');
      else void this.prune().catch((err: unknown) => this.logger.error({ err }, 'nightly pruning failed'));
    }
    this.arm();
  }

  /** One pass now (a pass already running is joined, not doubled). */
  prune(): Promise<RetentionRun> {
    this.running ??= this.pass().finally(() => {
      this.running = null;
    });
    return this.running;
  }

  private async pass(): Promise<RetentionRun> {
    const { readingsDays, historyDays } = this.options.retention;
    const startedAt = this.options.now();
    const deleted: Record<string, number> = {};
    const add = (table: string, n: number) => {
      deleted[table] = (deleted[table] ?? 0) + n;
    };
    let error: string | undefined;
    try {
      if (readingsDays > 0) {
        const cutoff = startedAt - readingsDays * DAY_MS;
        add('readings', await this.pruneRaw('readings', 'ORDER BY ts DESC, seq DESC', cutoff));
        add('motion', await this.pruneRaw('motion', 'ORDER BY ts DESC, id DESC', cutoff));
        add('cycles', await this.pruneKeyed('cycles', 'site, node, seq', 'end_ts', cutoff));
      }
      if (historyDays > 0) {
        const cutoff = startedAt - historyDays * DAY_MS;
        const observations = await this.pruneObservations(cutoff);
        add('states', observations.states);
        add('status_log', observations.statusLog);
        add('events', await this.pruneByNode('events', 'ts', cutoff, null));
        add('clutter', await this.pruneByNode('clutter', 'ts', cutoff, 'ORDER BY ts DESC, seq DESC'));
        // An alarm's history (alarm_events) goes with it (ON DELETE CASCADE).
        add('alarms', await this.batches(`SELECT id FROM alarms WHERE active = 0 AND coalesce(cleared_at, updated_at) < ? LIMIT ?`, 'alarms', [cutoff]));
        add('mail_queue', await this.batches(`SELECT id FROM mail_queue WHERE status IN ('sent', 'failed', 'summarized') AND created_at < ? LIMIT ?`, 'mail_queue', [cutoff]));
        // Production figures: what operators entered, and the energy roll-up (its readings are gone sooner).
        add('quality_entries', await this.batches('SELECT id FROM quality_entries WHERE end_ts < ? LIMIT ?', 'quality_entries', [cutoff]));
        add('stop_reasons', await this.pruneKeyed('stop_reasons', 'site, node, start_ts', 'start_ts', cutoff));
        add('energy_quarters', await this.pruneKeyed('energy_quarters', 'site, node, quarter_start', 'quarter_start', cutoff));
      }
    } catch (err) {
      // The database closing under a run (hub stopping) or a disk error: counted so far, retried tomorrow.
      error = (err as Error).message;
    }
    const total = Object.values(deleted).reduce((a, b) => a + b, 0);
    const run: RetentionRun = { startedAt, finishedAt: this.options.now(), deleted, total, ...(error ? { error } : {}) };
    this.lastRun = run;
    if (error) this.logger.warn({ deleted, err: error }, 'nightly pruning stopped early');
    else this.logger.info({ deleted, total }, 'nightly pruning done');
    return run;
  }

  /** Deletes the rows `select` names (it must end in `LIMIT ?`, after `params`), one batch per statement, until none is left. */
  private async batches(select: string, table: string, params: readonly SqlValue[]): Promise<number> {
    const sql = this.options.sql();
    let total = 0;
    for (;;) {
      const { changes: n } = await sql.run(`DELETE FROM ${table} WHERE id IN (${select})`, [...params, this.options.retention.batchRows]);
      total += n;
      if (n < this.options.retention.batchRows) return total;
      await yieldToEventLoop();
    }
  }

  /** Rows of a WITHOUT ROWID table (primary key `key`) with `column` < cutoff, in batches like `batches`. */
  private async pruneKeyed(table: string, key: string, column: string, cutoff: number): Promise<number> {
    const sql = this.options.sql();
    let total = 0;
    for (;;) {
      const del = `DELETE FROM ${table} WHERE (${key}) IN (SELECT ${key} FROM ${table} WHERE ${column} < ? LIMIT ?)`;
      const { changes: n } = await sql.run(del, [cutoff, this.options.retention.batchRows]);
      total += n;
      if (n < this.options.retention.batchRows) return total;
      await yieldToEventLoop();
    }
  }

  /** Every (site, node) of a table, by hopping along its (site, node, …) index. */
  private async nodesOf(table: string): Promise<NodeKey[]> {
    const sql = this.options.sql();
    const next = (after: NodeKey) => sql.get<NodeKey>(`SELECT site, node FROM ${table} WHERE (site, node) > (?, ?) ORDER BY site, node LIMIT 1`, [after.site, after.node]);
    const out: NodeKey[] = [];
    for (let key = await next({ site: '', node: '' }); key; key = await next(key)) out.push(key);
    return out;
  }

  /** Rows of each node older than `cutoff` (column `column`), the node's newest row (by `newest`) excepted when given. */
  private async pruneByNode(table: string, column: string, cutoff: number, newest: string | null): Promise<number> {
    const sql = this.options.sql();
    let total = 0;
    for (const { site, node } of await this.nodesOf(table)) {
      const keep = newest ? ((await sql.get<{ id: number }>(`SELECT id FROM ${table} WHERE site = ? AND node = ? ${newest} LIMIT 1`, [site, node]))?.id ?? -1) : -1;
      const select = `SELECT id FROM ${table} WHERE site = ? AND node = ? AND ${column} < ? AND id <> ? LIMIT ?`;
      total += await this.batches(select, table, [site, node, cutoff, keep]);
      await yieldToEventLoop();
    }
    return total;
  }

  private pruneRaw(table: 'readings' | 'motion', newest: string, cutoff: number): Promise<number> {
    return this.pruneByNode(table, 'ts', cutoff, newest);
  }

  /**
   * States and offline marks are what the timeline and the usage roll-ups are computed from.
   * Per machine, nothing at or after its roll-up cursor's limit goes (valid_until, or dirty_ts
   * when earlier; no cursor built yet: nothing goes), and the newest state before the cut stays:
   * it says what the machine was doing at the cut.
   */
  private async pruneObservations(cutoff: number): Promise<{ states: number; statusLog: number }> {
    const sql = this.options.sql();
    let states = 0;
    let statusLog = 0;
    const limitFor = async (site: string, node: string): Promise<number> => {
      const c = await sql.get<Cursor>('SELECT valid_until, dirty_ts FROM rollup_cursors WHERE site = ? AND node = ?', [site, node]);
      // A node without a cursor is no machine (a station's status): only the retention applies.
      if (!c) return cutoff;
      if (c.valid_until === null) return -Infinity;
      return Math.min(cutoff, c.valid_until, c.dirty_ts ?? Infinity);
    };
    for (const { site, node } of await this.nodesOf('states')) {
      const limit = await limitFor(site, node);
      if (limit === -Infinity) continue;
      const keepFrom = (await sql.get<{ ts: number | null }>('SELECT max(ts) AS ts FROM states WHERE site = ? AND node = ? AND ts < ?', [site, node, limit]))?.ts ?? null;
      if (keepFrom === null) continue;
      states += await this.batches('SELECT id FROM states WHERE site = ? AND node = ? AND ts < ? LIMIT ?', 'states', [site, node, keepFrom]);
      await yieldToEventLoop();
    }
    for (const { site, node } of await this.nodesOf('status_log')) {
      const limit = await limitFor(site, node);
      if (limit === -Infinity) continue;
      statusLog += await this.batches('SELECT id FROM status_log WHERE site = ? AND node = ? AND received_at < ? LIMIT ?', 'status_log', [site, node, limit]);
      await yieldToEventLoop();
    }
    return { states, statusLog };
  }
}
