/**
 * The persisted send queue (`mail_queue`, migration 3): one row per mail and recipient,
 * rendered when queued. A row stays `pending` until the SMTP server accepted it, so a hub
 * restart or an SMTP outage loses nothing (a crash between "accepted" and "marked sent" can
 * send one mail twice — at least once, never lost). Sent rows stay for the rate limit and as
 * a record, and are pruned after a while.
 */
import type { SqlStore, SqlValue } from '../../store/sql/sql-store.js';

export type MailStatus = 'pending' | 'held' | 'sent' | 'failed' | 'summarized';

export type QueuedMail = {
  id: number;
  alarmId: string | null;
  kind: string;
  recipient: string;
  language: string;
  subject: string;
  text: string;
  html: string;
  status: MailStatus;
  attempts: number;
  nextAttemptAt: number;
  lastError: string | null;
  createdAt: number;
  sentAt: number | null;
};

export type NewMail = { alarmId: string | null; kind: string; recipient: string; language: string; subject: string; text: string; html: string };

type Row = {
  id: number;
  alarm_id: string | null;
  kind: string;
  recipient: string;
  language: string;
  subject: string;
  text: string;
  html: string;
  status: MailStatus;
  attempts: number;
  next_attempt_at: number;
  last_error: string | null;
  created_at: number;
  sent_at: number | null;
};

const toMail = (r: Row): QueuedMail => ({
  id: r.id,
  alarmId: r.alarm_id,
  kind: r.kind,
  recipient: r.recipient,
  language: r.language,
  subject: r.subject,
  text: r.text,
  html: r.html,
  status: r.status,
  attempts: r.attempts,
  nextAttemptAt: r.next_attempt_at,
  lastError: r.last_error,
  createdAt: r.created_at,
  sentAt: r.sent_at,
});

const INSERT_MAIL = `INSERT INTO mail_queue (alarm_id, kind, recipient, language, subject, text, html, status, attempts, next_attempt_at, created_at)
  VALUES (?, ?, ?, ?, ?, ?, ?, 'pending', 0, ?, ?) RETURNING id`;

const insertParams = (m: NewMail, now: number): SqlValue[] => [m.alarmId, m.kind, m.recipient, m.language, m.subject, m.text, m.html, now, now];

/** The mail queue over SqlStore (SQLite or PostgreSQL, the same SQL). */
export class MailQueue {
  private readonly db: SqlStore;

  constructor(db: SqlStore) {
    this.db = db;
  }

  async enqueue(mails: readonly NewMail[], now: number): Promise<number[]> {
    return this.db.transaction(async (tx) => {
      const ids: number[] = [];
      for (const m of mails) ids.push(Number((await tx.get<{ id: number }>(INSERT_MAIL, insertParams(m, now)))?.id));
      return ids;
    });
  }

  /** The oldest pending mail that is due. */
  async nextDue(now: number): Promise<QueuedMail | null> {
    const row = await this.db.get<Row>("SELECT * FROM mail_queue WHERE status = 'pending' AND next_attempt_at <= ? ORDER BY id LIMIT 1", [now]);
    return row ? toMail(row) : null;
  }

  async get(id: number): Promise<QueuedMail | null> {
    const row = await this.db.get<Row>('SELECT * FROM mail_queue WHERE id = ?', [id]);
    return row ? toMail(row) : null;
  }

  async all(): Promise<QueuedMail[]> {
    return (await this.db.all<Row>('SELECT * FROM mail_queue ORDER BY id')).map(toMail);
  }

  async markSent(id: number, now: number): Promise<void> {
    await this.db.run("UPDATE mail_queue SET status = 'sent', sent_at = ?, attempts = attempts + 1, last_error = NULL WHERE id = ?", [now, id]);
  }

  async markRetry(id: number, nextAttemptAt: number, error: string): Promise<void> {
    await this.db.run('UPDATE mail_queue SET attempts = attempts + 1, next_attempt_at = ?, last_error = ? WHERE id = ?', [nextAttemptAt, error.slice(0, 500), id]);
  }

  async markFailed(id: number, error: string): Promise<void> {
    await this.db.run("UPDATE mail_queue SET status = 'failed', attempts = attempts + 1, last_error = ? WHERE id = ?", [error.slice(0, 500), id]);
  }

  async hold(id: number): Promise<void> {
    await this.db.run("UPDATE mail_queue SET status = 'held' WHERE id = ?", [id]);
  }

  /** Mails accepted for `recipient` after `since`. */
  async sentSince(recipient: string, since: number): Promise<number> {
    const row = await this.db.get<{ n: number }>("SELECT count(*) AS n FROM mail_queue WHERE recipient = ? AND status = 'sent' AND sent_at > ?", [recipient, since]);
    return Number(row?.n ?? 0);
  }

  async oldestSentSince(recipient: string, since: number): Promise<number | null> {
    const row = await this.db.get<{ t: number | null }>("SELECT min(sent_at) AS t FROM mail_queue WHERE recipient = ? AND status = 'sent' AND sent_at > ?", [recipient, since]);
    return row?.t ?? null;
  }

  async heldRecipients(): Promise<string[]> {
    const rows = await this.db.all<{ recipient: string }>("SELECT DISTINCT recipient FROM mail_queue WHERE status = 'held' ORDER BY recipient");
    return rows.map((r) => r.recipient);
  }

  async held(recipient: string): Promise<QueuedMail[]> {
    return (await this.db.all<Row>("SELECT * FROM mail_queue WHERE status = 'held' AND recipient = ? ORDER BY id", [recipient])).map(toMail);
  }

  /** Back to pending (a single held mail goes out as it is). */
  async release(id: number, now: number): Promise<void> {
    await this.db.run("UPDATE mail_queue SET status = 'pending', next_attempt_at = ? WHERE id = ?", [now, id]);
  }

  /** Queues `summary` and marks the held mails it lists, in one transaction. */
  async summarize(heldIds: readonly number[], summary: NewMail, now: number): Promise<number> {
    return this.db.transaction(async (tx) => {
      const id = Number((await tx.get<{ id: number }>(INSERT_MAIL, insertParams(summary, now)))?.id);
      for (const heldId of heldIds) await tx.run("UPDATE mail_queue SET status = 'summarized', summary_id = ? WHERE id = ? AND status = 'held'", [id, heldId]);
      return id;
    });
  }

  /** Pending and held mails. */
  async backlog(): Promise<number> {
    const row = await this.db.get<{ n: number }>("SELECT count(*) AS n FROM mail_queue WHERE status IN ('pending', 'held')");
    return Number(row?.n ?? 0);
  }

  /** Every pending mail is due now (a restart is a good moment to try again). */
  async retryAllNow(now: number): Promise<number> {
    return (await this.db.run("UPDATE mail_queue SET next_attempt_at = ? WHERE status = 'pending' AND next_attempt_at > ?", [now, now])).changes;
  }

  /** Deletes finished rows older than `before`. */
  async prune(before: number): Promise<number> {
    return (await this.db.run("DELETE FROM mail_queue WHERE status IN ('sent', 'failed', 'summarized') AND created_at < ?", [before])).changes;
  }
}
