/**
 * Posts every clutter score as one JSON object to a URL (e.g. a spreadsheet's web-app URL).
 * A bounded queue (oldest dropped when full), one request at a time, retries with capped
 * exponential back-off (or the server's Retry-After). Redirects are followed as an Apps Script
 * web app needs (it answers a POST with 302 to the result). A retry may repeat a POST the
 * receiver already stored, so each score carries a stable `id` (site/node/seq) the receiver
 * keys on. The URL holds a token: logs show only its scheme and host.
 */
import { Agent as HttpAgent } from 'node:http';
import { Agent as HttpsAgent } from 'node:https';
import type { Logger } from 'pino';
import { LocalTime } from '@mieruka/protocol';
import type { Config, PayloadOf } from '@mieruka/protocol';
import { postJson, redactWebhookUrl } from '../alerts/webhook/index.js';
import { readWebhookAnswer, type WebhookAnswer } from './webhook-answer.js';

export type ClutterWebhookOptions = {
  url: string;
  timeoutMs: number;
  lang: 'ja' | 'en';
  maxQueue: number;
  timeZone: string;
  /** The dashboard as people reach it; image links start here. Absent: no imageUrl. */
  publicUrl?: string;
  /** Display names of stations (of `site`). */
  site: string;
  stations?: Readonly<Record<string, { name?: string | undefined }>>;
  logger: Logger;
  /** First retry delay; doubles up to retryMaxMs. Default 1 s. */
  retryBaseMs?: number;
  retryMaxMs?: number;
  /** Tries per score before it is given up. Default 8. */
  maxAttempts?: number;
};

export type ClutterWebhookBody = {
  /** `<site>/<node>/<seq>`: the same score always has the same id (a receiver keys rows on it). */
  id: string;
  site: string;
  node: string;
  name: string | null;
  /** Local ISO time with offset (config.timezone). */
  ts: string;
  epochMs: number;
  seq: number;
  score: number;
  coveredRatio: number;
  slot: string;
  imageId: string | null;
  imageUrl: string | null;
  /** One line for people, in `lang`. */
  text: string;
};

export type ClutterWebhookStats = {
  queued: number;
  sent: number;
  /** Of `sent`: answered `duplicate: true` (the receiver had the row already, e.g. after a retry). */
  duplicates: number;
  failed: number;
  dropped: number;
  lastError: string | null;
};

type Item = { key: string; body: string; attempts: number };

const RECENT_KEYS = 10_000;
/** Hops followed per POST (Apps Script needs one). */
const MAX_REDIRECTS = 5;

export class ClutterWebhook {
  private readonly options: ClutterWebhookOptions;
  private readonly logger: Logger;
  private readonly url: URL;
  private readonly clock: LocalTime;
  private readonly queue: Item[] = [];
  /** Recently queued (site, node, seq): a store-and-forward resend is not posted twice. */
  private readonly recent = new Set<string>();
  private agents: { http: HttpAgent; https: HttpsAgent } | null = null;
  private abort: AbortController | null = null;
  private timer: NodeJS.Timeout | null = null;
  private busy = false;
  private counts = { sent: 0, duplicates: 0, failed: 0, dropped: 0 };
  private lastError: string | null = null;

  constructor(options: ClutterWebhookOptions) {
    this.options = options;
    this.url = new URL(options.url);
    this.clock = new LocalTime(options.timeZone);
    this.logger = options.logger.child({ component: 'clutter-webhook', target: redactWebhookUrl(this.url) });
  }

  start(): void {
    if (this.agents) return;
    this.agents = { http: new HttpAgent({ keepAlive: true }), https: new HttpsAgent({ keepAlive: true }) };
    this.abort = new AbortController();
    this.logger.info('clutter scores will be posted to a webhook');
    this.pump();
  }

  async stop(): Promise<void> {
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    this.abort?.abort();
    this.agents?.http.destroy();
    this.agents?.https.destroy();
    this.agents = null;
    this.abort = null;
  }

  stats(): ClutterWebhookStats {
    return { queued: this.queue.length, ...this.counts, lastError: this.lastError };
  }

  body(site: string, node: string, p: PayloadOf<'clutter'>): ClutterWebhookBody {
    const name = site === this.options.site ? (this.options.stations?.[node]?.name ?? null) : null;
    const base = this.options.publicUrl?.replace(/\/+$/, '');
    const imageUrl = base && p.imageId ? `${base}/api/nodes/${site}/${node}/images/${encodeURIComponent(p.imageId)}` : null;
    const who = name ?? node;
    const text = this.options.lang === 'ja' ? `${who} の散乱度 ${p.score}（${p.slot}）` : `Clutter score of ${who}: ${p.score} (${p.slot})`;
    return { id: scoreId(site, node, p.seq), site, node, name, ts: this.clock.iso(p.ts), epochMs: p.ts, seq: p.seq, score: p.score, coveredRatio: p.coveredRatio, slot: p.slot, imageId: p.imageId, imageUrl, text };
  }

  /** Queues one score (a repeat of a recent one is ignored). */
  offer(site: string, node: string, payload: PayloadOf<'clutter'>): void {
    const key = scoreId(site, node, payload.seq);
    if (!this.recent.has(key)) this.offerRecord(this.body(site, node, payload));
  }

  /** Queues any object for the receiver (a score, a day's utilization), keyed by its `id`. */
  offerRecord(body: { id: string }): void {
    const key = body.id;
    if (this.recent.has(key)) return;
    this.recent.add(key);
    if (this.recent.size > RECENT_KEYS) {
      const oldest = this.recent.values().next().value;
      if (oldest !== undefined) this.recent.delete(oldest);
    }
    this.queue.push({ key, body: JSON.stringify(body), attempts: 0 });
    while (this.queue.length > this.options.maxQueue) {
      // Never the one in flight (index 0 while busy).
      this.queue.splice(this.busy ? 1 : 0, 1);
      this.counts.dropped += 1;
    }
    this.pump();
  }

  private pump(): void {
    if (this.busy || this.timer || !this.agents) return;
    const item = this.queue[0];
    if (!item) return;
    this.busy = true;
    void this.send(item).finally(() => {
      this.busy = false;
      this.pump();
    });
  }

  private async send(item: Item): Promise<void> {
    const agents = this.agents;
    if (!agents) return;
    item.attempts += 1;
    const posted = await postJson(this.url, item.body, {
      timeoutMs: this.options.timeoutMs,
      agents,
      maxRedirects: MAX_REDIRECTS,
      ...(this.abort ? { signal: this.abort.signal } : {}),
    });
    if (!this.agents) return; // stopped meanwhile: the item stays queued
    const result: WebhookAnswer = posted.ok ? readWebhookAnswer(posted) : { delivered: false, ...posted };
    if (result.delivered) {
      this.queue.shift();
      this.counts.sent += 1;
      if (result.duplicate) this.counts.duplicates += 1;
      this.lastError = null;
      return;
    }
    this.lastError = result.reason;
    const maxAttempts = this.options.maxAttempts ?? 8;
    if (!result.retryable || item.attempts >= maxAttempts) {
      this.queue.shift();
      this.counts.failed += 1;
      this.logger.warn({ reason: result.reason, attempts: item.attempts, score: item.key }, 'clutter score not delivered to the webhook: given up');
      return;
    }
    const base = this.options.retryBaseMs ?? 1000;
    const max = this.options.retryMaxMs ?? 60_000;
    const delay = Math.min(max, Math.max(result.retryAfterMs ?? 0, base * 2 ** (item.attempts - 1)));
    this.logger.warn({ reason: result.reason, attempt: item.attempts, retryInMs: delay }, 'clutter webhook failed: will retry');
    this.timer = setTimeout(() => {
      this.timer = null;
      this.pump();
    }, delay);
  }
}

/** The id of one score: stable across retries, resends and hub restarts (seq survives them). */
export function scoreId(site: string, node: string, seq: number): string {
  return `${site}/${node}/${seq}`;
}

/** The clutter webhook as hub.clutterWebhook configures it; null when it is not configured. */
export function clutterWebhookFromConfig(config: Readonly<Config>, logger: Logger): ClutterWebhook | null {
  const webhook = config.hub.clutterWebhook;
  if (!webhook) return null;
  return new ClutterWebhook({
    url: webhook.url,
    timeoutMs: webhook.timeoutMs,
    maxQueue: webhook.maxQueue,
    lang: webhook.lang ?? config.dashboard.language,
    timeZone: config.timezone,
    site: config.site,
    stations: config.stations,
    logger,
    ...(config.alerts.publicUrl ? { publicUrl: config.alerts.publicUrl } : {}),
  });
}
