/**
 * The persisted send queue (`mail_queue`, migration 3): one row per mail and recipient,
 * rendered when queued. A row stays `pending` until the SMTP server accepted it, so a hub
 * restart or an SMTP outage loses nothing (a crash between "accepted" and "marked sent" can
 * send one mail twice — at least once, never lost). Sent rows stay for the rate limit and as
 * a record, and are pruned after a while.
 */
import type { Database, Statement } from 'better-sqlite3';

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

export class MailQueue {
  private readonly db: Database;
  private readonly insertRow: Statement;
  private readonly dueRows: Statement<[number], Row>;
  private readonly sentCount: Statement<[string, number], { n: number }>;
  private readonly oldestSent: Statement<[string, number], { t: number | null }>;

  constructor(db: Database) {
    this.db = db;
    this.insertRow = db.prepare(
      `INSERT INTO mail_queue (alarm_id, kind, recipient, language, subject, text, html, status, attempts, next_attempt_at, created_at)
       VALUES (@alarmId, @kind, @recipient, @language, @subject, @text, @html, 'pending', 0, @now, @now)`,
    );
    this.dueRows = db.prepare("SELECT * FROM mail_queue WHERE status = 'pending' AND next_attempt_at <= ? ORDER BY id LIMIT 1");
    this.sentCount = db.prepare("SELECT count(*) AS n FROM mail_queue WHERE recipient = ? AND status = 'sent' AND sent_at > ?");
    this.oldestSent = db.prepare("SELECT min(sent_at) AS t FROM mail_queue WHERE recipient = ? AND status = 'sent' AND sent_at > ?");
  }

  enqueue(mails: readonly NewMail[], now: number): number[] {
    return this.db.transaction(() => mails.map((m) => Number(this.insertRow.run({ ...m, now }).lastInsertRowid)))();
  }

  /** The oldest pending mail that is due. */
  nextDue(now: number): QueuedMail | null {
    const row = this.dueRows.get(now);
    return row ? toMail(row) : null;
  }

  get(id: number): QueuedMail | null {
    const row = this.db.prepare('SELECT * FROM mail_queue WHERE id = ?').get(id) as Row | undefined;
    return row ? toMail(row) : null;
  }

  all(): QueuedMail[] {
    return (this.db.prepare('SELECT * FROM mail_queue ORDER BY id').all() as Row[]).map(toMail);
  }

  markSent(id: number, now: number): void {
    this.db.prepare("UPDATE mail_queue SET status = 'sent', sent_at = ?, attempts = attempts + 1, last_error = NULL WHERE id = ?").run(now, id);
  }

  markRetry(id: number, nextAttemptAt: number, error: string): void {
    this.db.prepare('UPDATE mail_queue SET attempts = attempts + 1, next_attempt_at = ?, last_error = ? WHERE id = ?').run(nextAttemptAt, error.slice(0, 500), id);
  }

  markFailed(id: number, error: string): void {
    this.db.prepare("UPDATE mail_queue SET status = 'failed', attempts = attempts + 1, last_error = ? WHERE id = ?").run(error.slice(0, 500), id);
  }

  hold(id: number): void {
    this.db.prepare("UPDATE mail_queue SET status = 'held' WHERE id = ?").run(id);
  }

  /** Mails accepted for `recipient` after `since`. */
  sentSince(recipient: string, since: number): number {
    return this.sentCount.get(recipient, since)?.n ?? 0;
  }

  oldestSentSince(recipient: string, since: number): number | null {
    return this.oldestSent.get(recipient, since)?.t ?? null;
  }

  heldRecipients(): string[] {
    return (this.db.prepare("SELECT DISTINCT recipient FROM mail_queue WHERE status = 'held' ORDER BY recipient").all() as { recipient: string }[]).map((r) => r.recipient);
  }

  held(recipient: string): QueuedMail[] {
    return (this.db.prepare("SELECT * FROM mail_queue WHERE status = 'held' AND recipient = ? ORDER BY id").all(recipient) as Row[]).map(toMail);
  }

  /** Back to pending (a single held mail goes out as it is). */
  release(id: number, now: number): void {
    this.db.prepare("UPDATE mail_queue SET status = 'pending', next_attempt_at = ? WHERE id = ?").run(now, id);
  }

  /** Queues `summary` and marks the held mails it lists, in one transaction. */
  summarize(heldIds: readonly number[], summary: NewMail, now: number): number {
    return this.db.transaction(() => {
      const id = Number(this.insertRow.run({ ...summary, now }).lastInsertRowid);
      const mark = this.db.prepare("UPDATE mail_queue SET status = 'summarized', summary_id = ? WHERE id = ? AND status = 'held'");
      for (const heldId of heldIds) mark.run(id, heldId);
      return id;
    })();
  }

  /** Pending and held mails. */
  backlog(): number {
    return (this.db.prepare("SELECT count(*) AS n FROM mail_queue WHERE status IN ('pending', 'held')").get() as { n: number }).n;
  }

  /** Every pending mail is due now (a restart is a good moment to try again). */
  retryAllNow(now: number): number {
    return this.db.prepare("UPDATE mail_queue SET next_attempt_at = ? WHERE status = 'pending' AND next_attempt_at > ?").run(now, now).changes;
  }

  /** Deletes finished rows older than `before`. */
  prune(before: number): number {
    return this.db.prepare("DELETE FROM mail_queue WHERE status IN ('sent', 'failed', 'summarized') AND created_at < ?").run(before).changes;
  }
}
