/**
 * The mail channel: notices become one rendered mail per recipient in the persisted queue;
 * a pump sends them through nodemailer (SMTP, STARTTLS or TLS, auth). A failed send is
 * retried with exponential back-off (per mail, and the whole channel pauses on a failure so
 * an outage is not hammered); a restart retries at once. A recipient over the hourly limit
 * gets the excess later as one summary mail, never silently dropped.
 */
import type { Transporter } from 'nodemailer';
import type { Logger } from 'pino';
import type { SqlStore } from '../../store/sql/sql-store.js';
import type { AlarmNotice, AlertChannel, ChannelStatus } from '../channel.js';
import { MailQueue, type NewMail, type QueuedMail } from './mail-queue.js';
import type { Config } from '@mieruka/protocol';
import { nodeNamer } from '../rules/node-name.js';
import { recipientListsOf, recipientsFor, type RecipientLists } from './recipients.js';
import { senderDomain, transportOptions, type SmtpSettings } from './smtp-settings.js';
import { MAIL_TEMPLATES, type MailLanguage } from './templates/index.js';

const HOUR_MS = 3_600_000;
/** Finished rows are kept this long (rate limit needs an hour; the rest is a record). */
const KEEP_MS = 30 * 24 * HOUR_MS;

export type MailChannelOptions = {
  /** The hub's open store (the queue lives there); called at start. */
  sql: () => SqlStore;
  smtp: SmtpSettings;
  recipients: RecipientLists;
  perRecipientPerHour: number;
  /** Local wall time with zone, for "since" in mails. */
  formatTime: (t: number) => string;
  /** Display name of a machine or station. */
  nodeName?: (site: string, node: string) => string;
  /** Dashboard link for summary mails. */
  dashboardUrl?: string;
  logger: Logger;
  now?: () => number;
  /** Back-off: first retry after baseMs, doubling up to maxMs. Default 5 s … 5 min. */
  retry?: { baseMs?: number; maxMs?: number };
  /** How often the queue is looked at without a new notice. Default 1 s. */
  pollMs?: number;
  /** Injectable for tests; default nodemailer's SMTP transport. */
  createTransport?: (smtp: SmtpSettings) => Transporter;
};

export type MailChannelStats = { sent: number; failedAttempts: number; held: number; summaries: number };

type SendError = Error & { code?: string; responseCode?: number; command?: string };

/** nodemailer's SMTP transport, imported on first use. */
async function nodemailerTransport(): Promise<(smtp: SmtpSettings) => Transporter> {
  const { default: nodemailer } = await import('nodemailer');
  return (smtp) => nodemailer.createTransport(transportOptions(smtp));
}

export class MailChannel implements AlertChannel {
  readonly name = 'mail';
  private options: MailChannelOptions;
  private readonly logger: Logger;
  private readonly now: () => number;
  private readonly baseMs: number;
  private readonly maxMs: number;
  private queue: MailQueue | null = null;
  private transport: Transporter | null = null;
  private timer: NodeJS.Timeout | null = null;
  private pumping: Promise<void> | null = null;
  private again = false;
  private inFlight: AbortController | null = null;
  private pausedUntil = 0;
  private consecutiveFailures = 0;
  private failingSince: number | null = null;
  private lastError: string | null = null;
  /** Pending and held mails as last counted (status() is synchronous; the queue is not). */
  private backlogCount: number | undefined;
  private counters: MailChannelStats = { sent: 0, failedAttempts: 0, held: 0, summaries: 0 };

  constructor(options: MailChannelOptions) {
    this.options = options;
    this.logger = options.logger.child({ component: 'mail' });
    this.now = options.now ?? Date.now;
    this.baseMs = options.retry?.baseMs ?? 5_000;
    this.maxMs = Math.max(this.baseMs, options.retry?.maxMs ?? 300_000);
  }

  /** New recipients and machine names (runtime settings); mails already queued keep theirs. */
  reconfigure(config: Readonly<Config>): void {
    this.options = { ...this.options, recipients: recipientListsOf(config), nodeName: nodeNamer(config) };
  }

  /** Whether any address would get a notice. */
  get hasRecipients(): boolean {
    return this.options.recipients.default.length + this.options.recipients.escalation.length > 0;
  }

  async start(): Promise<void> {
    if (this.queue) return;
    // nodemailer is loaded only by a hub that sends mail.
    const createTransport = this.options.createTransport ?? (await nodemailerTransport());
    if (this.queue) return;
    const queue = new MailQueue(this.options.sql());
    const now = this.now();
    await queue.prune(now - KEEP_MS);
    const retried = await queue.retryAllNow(now);
    const backlog = await queue.backlog();
    if (this.queue) return;
    this.backlogCount = backlog;
    this.queue = queue;
    this.transport = createTransport(this.options.smtp);
    this.timer = setInterval(() => this.kick(), this.options.pollMs ?? 1_000);
    this.timer.unref();
    this.logger.info({ host: this.options.smtp.host, port: this.options.smtp.port, secure: this.options.smtp.secure, backlog, retried }, 'mail channel started');
    this.kick();
  }

  async stop(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
    const queue = this.queue;
    this.queue = null;
    this.inFlight?.abort(new Error('mail channel stopping'));
    await this.pumping?.catch(() => undefined);
    this.transport?.close();
    this.transport = null;
    if (queue) this.logger.debug('mail channel stopped');
  }

  async deliver(notice: AlarmNotice): Promise<void> {
    const queue = this.queue;
    if (!queue) {
      this.logger.warn({ alarm: notice.alarm.id, kind: notice.kind }, 'mail channel not started: notice not queued');
      return;
    }
    try {
      const mails = this.render(notice);
      if (mails.length === 0) return;
      await queue.enqueue(mails, this.now());
      this.backlogCount = (this.backlogCount ?? 0) + mails.length;
      this.kick();
    } catch (err) {
      this.logger.error({ err, alarm: notice.alarm.id }, 'cannot queue alarm mail');
    }
  }

  status(): ChannelStatus {
    const pending = this.queue ? this.backlogCount : undefined;
    if (this.failingSince !== null) return { ok: false, detail: this.lastError ?? 'sending fails', ...(pending === undefined ? {} : { pending }) };
    return { ok: true, ...(pending === undefined ? {} : { pending }) };
  }

  stats(): MailChannelStats {
    return { ...this.counters };
  }

  /** Runs the pump until nothing more is due now (tests; also what the poll timer does). */
  async pumpNow(): Promise<void> {
    this.kick();
    while (this.pumping) await this.pumping;
  }

  private kick(): void {
    if (!this.queue) return;
    if (this.pumping) {
      this.again = true;
      return;
    }
    this.pumping = (async () => {
      try {
        do {
          this.again = false;
          try {
            await this.pump();
          } finally {
            await this.countBacklog();
          }
        } while (this.again && this.queue);
      } catch (err) {
        this.logger.error({ err }, 'mail pump failed');
      }
    })().finally(() => {
      this.pumping = null;
    });
  }

  /** Refreshes the count status() reports. */
  private async countBacklog(): Promise<void> {
    const queue = this.queue;
    if (!queue) return;
    try {
      const n = await queue.backlog();
      if (this.queue === queue) this.backlogCount = n;
    } catch (err) {
      this.logger.warn({ err }, 'cannot count the mail backlog');
    }
  }

  private render(notice: AlarmNotice): NewMail[] {
    const a = notice.alarm;
    const nodeName = this.options.nodeName?.(a.site, a.node) ?? a.node;
    return recipientsFor(notice, this.options.recipients).map((r) => {
      const content = MAIL_TEMPLATES[r.language].notice({
        notice,
        nodeName,
        since: this.options.formatTime(a.activeSince),
        ...(a.clearedAt === undefined ? {} : { clearedAt: this.options.formatTime(a.clearedAt) }),
        ...(notice.dashboardUrl ? { dashboardUrl: notice.dashboardUrl } : {}),
        ...(notice.ackUrl ? { ackUrl: `${notice.ackUrl}&lang=${r.language}` } : {}),
        ...(notice.ackExpiresAt === undefined ? {} : { ackExpires: this.options.formatTime(notice.ackExpiresAt) }),
      });
      return { alarmId: a.id, kind: notice.kind, recipient: r.address, language: r.language, ...content };
    });
  }

  private async pump(): Promise<void> {
    for (;;) {
      const queue = this.queue;
      if (!queue) return;
      const now = this.now();
      await this.summarizeHeld(queue, now);
      if (now < this.pausedUntil) return;
      const mail = await queue.nextDue(now);
      if (!mail) {
        if ((await queue.backlog()) === 0) this.healthy();
        return;
      }
      // Summaries are made only when there is room, and never held themselves.
      if (mail.kind !== 'summary' && (await queue.sentSince(mail.recipient, now - HOUR_MS)) >= this.options.perRecipientPerHour) {
        await queue.hold(mail.id);
        this.counters.held += 1;
        this.logger.warn({ recipient: mail.recipient, limit: this.options.perRecipientPerHour }, 'mail rate limit reached: held for a summary');
        continue;
      }
      await this.send(queue, mail);
    }
  }

  private async send(queue: MailQueue, mail: QueuedMail): Promise<void> {
    const transport = this.transport;
    if (!transport) return;
    const abort = new AbortController();
    this.inFlight = abort;
    try {
      await transport.sendMail({
        from: this.options.smtp.from,
        to: mail.recipient,
        subject: mail.subject,
        text: mail.text,
        html: mail.html,
        // Stable per queued mail: a resend after a crash is recognisable as the same message.
        messageId: `<mieruka.${mail.id}.${mail.createdAt}@${senderDomain(this.options.smtp.from)}>`,
        headers: { 'Auto-Submitted': 'auto-generated', ...(mail.alarmId ? { 'X-Mieruka-Alarm': mail.alarmId } : {}) },
        signal: abort.signal,
      } as Parameters<Transporter['sendMail']>[0]);
      if (this.queue !== queue) return;
      await queue.markSent(mail.id, this.now());
      this.counters.sent += 1;
      this.consecutiveFailures = 0;
      this.pausedUntil = 0;
      this.healthy();
      this.logger.info({ id: mail.id, alarm: mail.alarmId, kind: mail.kind, recipient: mail.recipient }, 'mail sent');
    } catch (raw) {
      if (this.queue !== queue) return; // stopping: the mail stays pending for the next start
      const err = raw as SendError;
      const message = `${err.code ?? 'ERROR'}${err.responseCode ? ` ${err.responseCode}` : ''}: ${err.message}`.slice(0, 300);
      this.counters.failedAttempts += 1;
      if (err.responseCode !== undefined && err.responseCode >= 500 && /^RCPT/i.test(err.command ?? '')) {
        // The server refuses this address for good: retrying cannot help.
        await queue.markFailed(mail.id, message);
        this.logger.error({ id: mail.id, recipient: mail.recipient, error: message }, 'mail refused for this recipient: not retried');
        return;
      }
      const now = this.now();
      this.consecutiveFailures += 1;
      const delay = this.backoff(mail.attempts + 1);
      await queue.markRetry(mail.id, now + delay, message);
      this.pausedUntil = now + this.backoff(this.consecutiveFailures);
      this.failingSince ??= now;
      this.lastError = message;
      this.logger.warn({ id: mail.id, attempts: mail.attempts + 1, retryInMs: delay, error: message }, 'mail not sent: will retry');
    } finally {
      if (this.inFlight === abort) this.inFlight = null;
    }
  }

  private backoff(attempt: number): number {
    return Math.min(this.maxMs, this.baseMs * 2 ** Math.min(30, Math.max(0, attempt - 1)));
  }

  private healthy(): void {
    if (this.failingSince !== null) this.logger.info('mail delivery works again');
    this.failingSince = null;
    this.lastError = null;
  }

  /** For each recipient with held mails and room again: one summary (or the single mail as it was). */
  private async summarizeHeld(queue: MailQueue, now: number): Promise<void> {
    for (const recipient of await queue.heldRecipients()) {
      if ((await queue.sentSince(recipient, now - HOUR_MS)) >= this.options.perRecipientPerHour) continue;
      const held = await queue.held(recipient);
      const first = held[0];
      if (!first) continue;
      if (held.length === 1) {
        await queue.release(first.id, now);
        continue;
      }
      const language: MailLanguage = held.at(-1)?.language === 'en' ? 'en' : 'ja';
      const content = MAIL_TEMPLATES[language].summary({
        subjects: held.map((m) => m.subject),
        ...(this.options.dashboardUrl ? { dashboardUrl: this.options.dashboardUrl } : {}),
      });
      await queue.summarize(
        held.map((m) => m.id),
        { alarmId: null, kind: 'summary', recipient, language, ...content },
        now,
      );
      this.counters.summaries += 1;
      this.logger.info({ recipient, mails: held.length }, 'held mails summarized');
    }
  }
}
