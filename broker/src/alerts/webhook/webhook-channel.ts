/**
 * Alarm notices as JSON POSTs to chat webhooks (Slack, Teams, Google Chat, LINE WORKS, each
 * in its own shape: ./formats) or any HTTP receiver. Each target has its own bounded
 * in-memory queue and sender, so a slow or broken target delays nobody else; failures are
 * retried with capped back-off (honouring Retry-After), 4xx answers other than 408/429 are
 * not retried. Queued notices are lost on a hub restart (a persisted queue, as for mail, is a
 * later step). Webhook URLs and headers are secrets: logs and status show the target's name
 * and host only.
 */
import { Agent as HttpAgent } from 'node:http';
import { Agent as HttpsAgent } from 'node:https';
import type { Logger } from 'pino';
import { MierukaError, MIERUKA_VERSION } from '@mieruka/protocol';
import type { AlarmNotice, AlarmSeverity, AlertChannel, ChannelStatus } from '../channel.js';
import { backoffDelayMs, type BackoffOptions } from '../patlite/backoff.js';
import { SEVERITIES_HIGH_TO_LOW } from '../patlite/severity-patterns.js';
import { postJson } from './http-post.js';
import { redactWebhookUrl } from './redact-url.js';
import { webhookPayload, type WebhookFormat } from './formats/index.js';
import type { WebhookLanguage } from './webhook-body.js';

export type WebhookTarget = {
  /** Shown in logs and status instead of the URL. */
  name: string;
  /** A secret: contains the token. https:// (http:// only on a trusted LAN). */
  url: string;
  /** Connect + response (default 5000 ms). */
  timeoutMs?: number;
  /** Extra headers (e.g. Authorization); secrets, never logged. */
  headers?: Record<string, string>;
  /** Body shape (default generic: text plus the structured alarm). */
  format?: WebhookFormat;
  lang?: WebhookLanguage;
  includeAckUrl?: boolean;
  /** Which notices to send (default all kinds). */
  kinds?: readonly AlarmNotice['kind'][];
  /** Least severity sent (default info = everything). */
  minSeverity?: AlarmSeverity;
  /** Override the channel's queueLimit / maxAttempts for this target. */
  queueLimit?: number;
  maxAttempts?: number;
};

export type WebhookChannelOptions = {
  name?: string;
  targets: readonly WebhookTarget[];
  /** Per target; when full the oldest notice is dropped (default 200). */
  queueLimit?: number;
  /** Attempts per notice before it is dropped (default 10). */
  maxAttempts?: number;
  retry?: BackoffOptions;
  timeZone?: string;
  logger: Logger;
  onStatusChange?: (status: ChannelStatus) => void;
};

export type WebhookTargetStats = { name: string; host: string; queued: number; sent: number; failed: number; dropped: number; fault: string | null };

type Item = { body: string; attempts: number };

type TargetState = {
  target: WebhookTarget;
  url: URL;
  host: string;
  queue: Item[];
  busy: boolean;
  timer: NodeJS.Timeout | null;
  fault: string | null;
  sent: number;
  failed: number;
  dropped: number;
};

export class WebhookChannel implements AlertChannel {
  readonly name: string;
  private readonly options: WebhookChannelOptions;
  private readonly logger: Logger;
  private readonly targets: TargetState[];
  private readonly queueLimit: number;
  private readonly maxAttempts: number;
  private agents: { http: HttpAgent; https: HttpsAgent } | null = null;
  private abort: AbortController | null = null;
  private started = false;
  private lastOk = true;

  constructor(options: WebhookChannelOptions) {
    this.options = options;
    this.name = options.name ?? 'webhook';
    this.logger = options.logger.child({ component: 'webhook', channel: this.name });
    this.queueLimit = Math.max(1, options.queueLimit ?? 200);
    this.maxAttempts = Math.max(1, options.maxAttempts ?? 10);
    this.targets = options.targets.map((target) => {
      let url: URL;
      try {
        url = new URL(target.url);
      } catch {
        throw new MierukaError('CONFIG_INVALID', `webhook ${target.name}: the URL is not valid`);
      }
      if (url.protocol !== 'https:' && url.protocol !== 'http:') throw new MierukaError('CONFIG_INVALID', `webhook ${target.name}: use an https:// URL`);
      return { target, url, host: redactWebhookUrl(url), queue: [], busy: false, timer: null, fault: null, sent: 0, failed: 0, dropped: 0 };
    });
  }

  async start(): Promise<void> {
    if (this.started) return;
    this.started = true;
    this.abort = new AbortController();
    this.agents = { http: new HttpAgent({ keepAlive: true, maxSockets: 2 }), https: new HttpsAgent({ keepAlive: true, maxSockets: 2 }) };
    for (const t of this.targets) {
      this.logger.info({ target: t.target.name, host: t.host }, 'webhook target ready');
      this.pump(t);
    }
  }

  async deliver(notice: AlarmNotice): Promise<void> {
    if (!this.started) return;
    for (const t of this.targets) {
      if (!wants(t.target, notice)) continue;
      const body = JSON.stringify(webhookPayload(t.target.format ?? 'generic', notice, { lang: t.target.lang, includeAckUrl: t.target.includeAckUrl, timeZone: this.options.timeZone }));
      t.queue.push({ body, attempts: 0 });
      const limit = Math.max(1, t.target.queueLimit ?? this.queueLimit);
      if (t.queue.length > limit) {
        // The oldest goes first: the newest notice tells the current state.
        t.queue.splice(t.busy ? 1 : 0, 1);
        t.dropped++;
        this.logger.warn({ target: t.target.name, queueLimit: limit, dropped: t.dropped }, 'webhook queue full: oldest notice dropped');
      }
      this.pump(t);
    }
  }

  status(): ChannelStatus {
    const pending = this.targets.reduce((n, t) => n + t.queue.length, 0);
    const faulty = this.targets.filter((t) => t.fault);
    if (faulty.length) return { ok: false, detail: faulty.map((t) => `${t.target.name} (${t.host}): ${t.fault}; ${t.queue.length} queued`).join(' | '), pending };
    return { ok: true, detail: `${this.targets.length} webhook target(s)`, pending };
  }

  stats(): WebhookTargetStats[] {
    return this.targets.map((t) => ({ name: t.target.name, host: t.host, queued: t.queue.length, sent: t.sent, failed: t.failed, dropped: t.dropped, fault: t.fault }));
  }

  async stop(): Promise<void> {
    if (!this.started) return;
    this.started = false;
    this.abort?.abort();
    for (const t of this.targets) {
      if (t.timer) clearTimeout(t.timer);
      t.timer = null;
      if (t.queue.length) this.logger.warn({ target: t.target.name, lost: t.queue.length }, 'webhook notices still queued at stop are lost');
      t.queue = [];
    }
    this.agents?.http.destroy();
    this.agents?.https.destroy();
    this.agents = null;
  }

  private pump(t: TargetState): void {
    if (!this.started || t.busy || t.timer || t.queue.length === 0) return;
    const item = t.queue[0]!;
    const agents = this.agents!;
    t.busy = true;
    item.attempts++;
    void postJson(t.url, item.body, {
      timeoutMs: t.target.timeoutMs ?? 5000,
      headers: { 'user-agent': `mieruka/${MIERUKA_VERSION}`, ...t.target.headers },
      agents,
      signal: this.abort!.signal,
    }).then((result) => {
      t.busy = false;
      if (!this.started) return;
      if (result.ok) {
        t.queue.shift();
        t.sent++;
        if (t.fault) this.logger.info({ target: t.target.name, host: t.host }, 'webhook delivers again');
        this.setFault(t, null);
        this.pump(t);
        return;
      }
      const giveUp = !result.retryable || item.attempts >= Math.max(1, t.target.maxAttempts ?? this.maxAttempts);
      if (giveUp) {
        t.queue.shift();
        t.failed++;
        this.logger.warn({ target: t.target.name, host: t.host, reason: result.reason, attempts: item.attempts }, 'webhook notice dropped');
        this.setFault(t, `${result.reason} (notice dropped after ${item.attempts} attempt${item.attempts > 1 ? 's' : ''})`);
        this.pump(t);
        return;
      }
      const delay = Math.max(backoffDelayMs(item.attempts, this.options.retry), Math.min(result.retryAfterMs ?? 0, this.options.retry?.maxMs ?? 60_000));
      if (t.fault === null || !t.fault.startsWith(result.reason)) this.logger.warn({ target: t.target.name, host: t.host, reason: result.reason }, 'webhook failed; retrying with back-off');
      this.setFault(t, `${result.reason} (attempt ${item.attempts}, next try in ${Math.round(delay / 100) / 10} s)`);
      t.timer = setTimeout(() => {
        t.timer = null;
        this.pump(t);
      }, delay);
    });
  }

  private setFault(t: TargetState, fault: string | null): void {
    t.fault = fault;
    const ok = this.targets.every((x) => x.fault === null);
    if (ok !== this.lastOk) {
      this.lastOk = ok;
      this.options.onStatusChange?.(this.status());
    }
  }
}

function wants(target: WebhookTarget, notice: AlarmNotice): boolean {
  if (target.kinds && !target.kinds.includes(notice.kind)) return false;
  const min = target.minSeverity ?? 'info';
  return SEVERITIES_HIGH_TO_LOW.indexOf(notice.alarm.severity) <= SEVERITIES_HIGH_TO_LOW.indexOf(min);
}
