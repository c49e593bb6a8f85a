/** The `alarms` and `alarm_events` tables (migration 3): rows in, AlarmRecords out. */
import type { AlarmItem, AlarmQuery, AlarmSeverity } from '@mieruka/protocol';
import type { SqlQueries, SqlStore, SqlValue } from '../../store/sql/sql-store.js';

/** An alarm with its notification schedule (what the manager works with). */
export type AlarmRecord = AlarmItem & {
  details: Record<string, unknown>;
  clearAfterMs: number;
  /** When the condition ended; the alarm clears at clearPendingSince + clearAfterMs unless it comes back. */
  clearPendingSince: number | null;
  /** -1: nobody told yet; 0: first recipients; 1: escalation list too. */
  notifiedLevel: number;
  nextNotifyAt: number | null;
  escalateAt: number | null;
  createdAt: number;
  updatedAt: number;
};

export type AlarmEventRow = { id: number; alarmId: string; ts: number; kind: string; actor: string | null; detail: unknown };

type Row = {
  id: string;
  site: string;
  node: string;
  type: string;
  severity: string;
  message_ja: string;
  message_en: string;
  details: string;
  active: number;
  active_since: number;
  last_raised_at: number;
  occurrences: number;
  clear_after_ms: number;
  clear_pending_since: number | null;
  cleared_at: number | null;
  acknowledged: number;
  acknowledged_by: string | null;
  acknowledged_at: number | null;
  notified_level: number;
  next_notify_at: number | null;
  escalate_at: number | null;
  created_at: number;
  updated_at: number;
};

function parseJson(text: string | null): unknown {
  if (text === null) return null;
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return null;
  }
}

function toRecord(r: Row): AlarmRecord {
  const details = parseJson(r.details);
  return {
    id: r.id,
    site: r.site,
    node: r.node,
    type: r.type,
    severity: r.severity as AlarmSeverity,
    message: { ja: r.message_ja, en: r.message_en },
    activeSince: r.active_since,
    active: r.active === 1,
    acknowledged: r.acknowledged === 1,
    ...(r.acknowledged_by === null ? {} : { acknowledgedBy: r.acknowledged_by }),
    ...(r.acknowledged_at === null ? {} : { acknowledgedAt: r.acknowledged_at }),
    ...(r.cleared_at === null ? {} : { clearedAt: r.cleared_at }),
    occurrences: r.occurrences,
    lastRaisedAt: r.last_raised_at,
    escalated: r.notified_level >= 1,
    details: typeof details === 'object' && details !== null && !Array.isArray(details) ? (details as Record<string, unknown>) : {},
    clearAfterMs: r.clear_after_ms,
    clearPendingSince: r.clear_pending_since,
    notifiedLevel: r.notified_level,
    nextNotifyAt: r.next_notify_at,
    escalateAt: r.escalate_at,
    createdAt: r.created_at,
    updatedAt: r.updated_at,
  };
}

/** The public view (API, live feed, channels): no schedule internals. */
export function toItem(a: AlarmRecord): AlarmItem {
  const item: AlarmItem = {
    id: a.id,
    site: a.site,
    node: a.node,
    type: a.type,
    severity: a.severity,
    message: { ...a.message },
    activeSince: a.activeSince,
    active: a.active,
    acknowledged: a.acknowledged,
    occurrences: a.occurrences,
    lastRaisedAt: a.lastRaisedAt,
    escalated: a.escalated,
  };
  if (a.acknowledgedBy !== undefined) item.acknowledgedBy = a.acknowledgedBy;
  if (a.acknowledgedAt !== undefined) item.acknowledgedAt = a.acknowledgedAt;
  if (a.clearedAt !== undefined) item.clearedAt = a.clearedAt;
  return item;
}

/** Columns the manager changes after insert. */
export type AlarmPatch = Partial<{
  severity: AlarmSeverity;
  message: { ja: string; en: string };
  details: Record<string, unknown>;
  active: boolean;
  lastRaisedAt: number;
  occurrences: number;
  clearPendingSince: number | null;
  clearedAt: number | null;
  acknowledged: boolean;
  acknowledgedBy: string | null;
  acknowledgedAt: number | null;
  notifiedLevel: number;
  nextNotifyAt: number | null;
  escalateAt: number | null;
}>;

const PATCH_COLUMNS: Record<keyof AlarmPatch, (v: never) => [string, SqlValue][]> = {
  severity: (v: AlarmSeverity) => [['severity', v]],
  message: (v: { ja: string; en: string }) => [
    ['message_ja', v.ja],
    ['message_en', v.en],
  ],
  details: (v: Record<string, unknown>) => [['details', JSON.stringify(v)]],
  active: (v: boolean) => [['active', v ? 1 : 0]],
  lastRaisedAt: (v: number) => [['last_raised_at', v]],
  occurrences: (v: number) => [['occurrences', v]],
  clearPendingSince: (v: number | null) => [['clear_pending_since', v]],
  clearedAt: (v: number | null) => [['cleared_at', v]],
  acknowledged: (v: boolean) => [['acknowledged', v ? 1 : 0]],
  acknowledgedBy: (v: string | null) => [['acknowledged_by', v]],
  acknowledgedAt: (v: number | null) => [['acknowledged_at', v]],
  notifiedLevel: (v: number) => [['notified_level', v]],
  nextNotifyAt: (v: number | null) => [['next_notify_at', v]],
  escalateAt: (v: number | null) => [['escalate_at', v]],
};

/** What a new alarm starts with: the identity and text of an AlarmItem, plus what only the store keeps. */
export type NewAlarm = Pick<AlarmItem, 'id' | 'site' | 'node' | 'type' | 'severity' | 'message' | 'activeSince'> & {
  details: Record<string, unknown>;
  clearAfterMs: number;
  now: number;
};

const INSERT_ALARM = `INSERT INTO alarms (id, site, node, type, severity, message_ja, message_en, details, active, active_since, last_raised_at,
    occurrences, clear_after_ms, acknowledged, notified_level, created_at, updated_at)
  VALUES (?, ?, ?, ?, ?, ?, ?, ?, 1, ?, ?, 1, ?, 0, -1, ?, ?)`;

// What the periodic tick may have to act on: a clear that is due, or a notification.
const DUE = `SELECT * FROM alarms WHERE active = 1 AND (clear_pending_since IS NOT NULL OR (acknowledged = 0 AND
    (notified_level < 0 OR next_notify_at <= ? OR escalate_at <= ?))) ORDER BY active_since, id`;

type EventRow = { id: number; alarm_id: string; ts: number; kind: string; actor: string | null; detail: string | null };

/**
 * The alarm tables over SqlStore (SQLite or PostgreSQL, the same SQL). Built on the store, or —
 * inside `transaction` — on the transaction's queries, so a change and its history row land
 * together.
 */
export class AlarmStore {
  private readonly db: SqlStore | SqlQueries;
  /** Ids of the history rows this process wrote (fleet mode: the change feed skips them). */
  private readonly own: Set<number>;

  constructor(db: SqlStore | SqlQueries, own: Set<number> = new Set()) {
    this.db = db;
    this.own = own;
  }

  /** Whether this process wrote the history row (its change is already known here). */
  isOwnEvent(id: number): boolean {
    return this.own.has(id);
  }

  /** The newest history row's id (0 without any). */
  async lastEventId(): Promise<number> {
    return (await this.db.get<{ id: number | null }>('SELECT max(id) AS id FROM alarm_events'))?.id ?? 0;
  }

  /** History rows after `id`, oldest first. */
  async eventsAfter(id: number, limit: number): Promise<Array<{ id: number; alarmId: string; kind: string; actor: string | null }>> {
    const rows = await this.db.all<{ id: number; alarm_id: string; kind: string; actor: string | null }>('SELECT id, alarm_id, kind, actor FROM alarm_events WHERE id > ? ORDER BY id LIMIT ?', [id, limit]);
    return rows.map((r) => ({ id: r.id, alarmId: r.alarm_id, kind: r.kind, actor: r.actor }));
  }

  async get(id: string): Promise<AlarmRecord | null> {
    const row = await this.db.get<Row>('SELECT * FROM alarms WHERE id = ?', [id]);
    return row ? toRecord(row) : null;
  }

  async active(): Promise<AlarmRecord[]> {
    return (await this.db.all<Row>('SELECT * FROM alarms WHERE active = 1 ORDER BY active_since, id')).map(toRecord);
  }

  /** The active alarm of one source and type, if any. */
  async activeFor(key: { site: string; node: string; type: string }): Promise<AlarmRecord | null> {
    const row = await this.db.get<Row>('SELECT * FROM alarms WHERE active = 1 AND site = ? AND node = ? AND type = ?', [key.site, key.node, key.type]);
    return row ? toRecord(row) : null;
  }

  async due(now: number): Promise<AlarmRecord[]> {
    return (await this.db.all<Row>(DUE, [now, now])).map(toRecord);
  }

  async insert(a: NewAlarm): Promise<AlarmRecord> {
    await this.db.run(INSERT_ALARM, [
      a.id,
      a.site,
      a.node,
      a.type,
      a.severity,
      a.message.ja,
      a.message.en,
      JSON.stringify(a.details),
      a.activeSince,
      a.now,
      a.clearAfterMs,
      a.now,
      a.now,
    ]);
    return (await this.get(a.id)) as AlarmRecord;
  }

  async update(id: string, patch: AlarmPatch, now: number): Promise<AlarmRecord> {
    const sets: string[] = ['updated_at = ?'];
    const values: SqlValue[] = [now];
    for (const [key, value] of Object.entries(patch) as [keyof AlarmPatch, never][]) {
      if (value === undefined) continue;
      for (const [column, v] of PATCH_COLUMNS[key](value)) {
        sets.push(`${column} = ?`);
        values.push(v);
      }
    }
    await this.db.run(`UPDATE alarms SET ${sets.join(', ')} WHERE id = ?`, [...values, id]);
    return (await this.get(id)) as AlarmRecord;
  }

  async addEvent(alarmId: string, ts: number, kind: string, actor: string | null = null, detail: unknown = null): Promise<void> {
    const row = await this.db.get<{ id: number }>('INSERT INTO alarm_events (alarm_id, ts, kind, actor, detail) VALUES (?, ?, ?, ?, ?) RETURNING id', [
      alarmId,
      ts,
      kind,
      actor,
      detail === null ? null : JSON.stringify(detail),
    ]);
    if (row) {
      this.own.add(row.id);
      // Only recent ids matter (the feed reads forward from its last id): keep the set small.
      if (this.own.size > 10_000) this.own.delete(this.own.values().next().value as number);
    }
  }

  async events(alarmId: string): Promise<AlarmEventRow[]> {
    const rows = await this.db.all<EventRow>('SELECT * FROM alarm_events WHERE alarm_id = ? ORDER BY id', [alarmId]);
    return rows.map((r) => ({ id: r.id, alarmId: r.alarm_id, ts: r.ts, kind: r.kind, actor: r.actor, detail: parseJson(r.detail) }));
  }

  async list(query: AlarmQuery): Promise<AlarmRecord[]> {
    const where: string[] = [];
    const values: SqlValue[] = [];
    if (query.state === 'active') where.push('active = 1');
    if (query.site !== undefined) {
      where.push('site = ?');
      values.push(query.site);
    }
    if (query.node !== undefined) {
      where.push('node = ?');
      values.push(query.node);
    }
    if (query.severity !== undefined && query.severity.length > 0) {
      where.push(`severity IN (${query.severity.map(() => '?').join(', ')})`);
      values.push(...query.severity);
    }
    if (query.from !== undefined) {
      where.push('active_since >= ?');
      values.push(query.from);
    }
    if (query.to !== undefined) {
      where.push('active_since < ?');
      values.push(query.to);
    }
    const sql = `SELECT * FROM alarms ${where.length ? `WHERE ${where.join(' AND ')}` : ''} ORDER BY active_since DESC, id DESC LIMIT ?`;
    return (await this.db.all<Row>(sql, [...values, Math.max(1, Math.min(10_000, Math.floor(query.limit)))])).map(toRecord);
  }

  /**
   * Runs `fn` in one transaction (an alarm change and its history row land together); `fn` gets
   * a store on the transaction and must await nothing but its calls (see SqlStore.transaction).
   */
  async transaction<T>(fn: (tx: AlarmStore) => Promise<T>): Promise<T> {
    const db = this.db;
    if (!('transaction' in db)) throw new Error('AlarmStore.transaction: already inside a transaction');
    return db.transaction((tx) => fn(new AlarmStore(tx, this.own)));
  }
}
