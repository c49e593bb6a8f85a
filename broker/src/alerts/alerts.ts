/**
 * The Alerts service: rules over the hub's live stream and a periodic tick raise and resolve
 * alarms; the alarm manager keeps their lifecycle in the store (SQLite or PostgreSQL); notices go to every alert
 * channel (mail, towers, webhooks); alarm changes are this service's own stream (subscribe),
 * which the hub merges into the dashboard's live feed — never written back into the readings
 * stream the rules read. A channel
 * that reports not-ok for long enough raises the hub-level `channel_broken` alarm, told
 * through the other channels.
 */
import type { Logger } from 'pino';
import type { AlarmAckResult, AlarmItem, AlarmLinkResult, AlarmQuery, AlarmSeverity, AlarmUpdate } from '@mieruka/protocol';
import type { Config } from '@mieruka/protocol';
import { Fanout } from '../events/fanout.js';
import type { SqlStore } from '../store/sql/sql-store.js';
import type { LiveView } from '../ingest/live-union.js';
import { loadAckSecret } from './alarms/ack-secret.js';
import { signAckToken, verifyAckToken } from './alarms/ack-token.js';
import { AlarmChangeFeed, type ForeignAlarmChange } from './alarms/alarm-change-feed.js';
import { AlarmManager, type NoticeKind, type NotifyPolicy } from './alarms/alarm-manager.js';
import { AlarmStore, toItem } from './alarms/alarm-store.js';
import type { AlarmNotice, AlertChannel } from './channel.js';
import { publicBaseUrl } from './channels.js';
import { applyVerdict } from './rules/apply-verdict.js';
import { CHANNEL_BROKEN, evaluateChannels, HUB_NODE, type ChannelHealth } from './rules/channel-broken.js';
import { nodeNamer } from './rules/node-name.js';
import { RulesEngine } from './rules/rules-engine.js';
import { WorkCalendar } from './rules/work-calendar.js';

export type AlertsOptions = {
  config: Readonly<Config>;
  /** The hub's open store; called at start. */
  sql: () => SqlStore;
  /** The readings stream the rules watch (read only): in fleet mode every hub's nodes (LiveUnion). */
  live: LiveView;
  /** Where a generated ack secret is kept. */
  dataDir: string;
  channels: readonly AlertChannel[];
  logger: Logger;
  now?: () => number;
  /** Rule durations, reminders and channel health are checked this often. Default 1 s. */
  tickMs?: number;
  /**
   * Fleet mode (docs/scaling.md): hubs share the store, and only the one the hub's leadership
   * makes lead runs the rules, ticks and channels (lead()/follow()); every hub reads the others'
   * alarm changes from the shared history this often (ms). Absent: this hub leads from start().
   */
  fleet?: { changeFeedMs: number };
};

function calendarOf(config: Readonly<Config>): WorkCalendar {
  return new WorkCalendar({ timeZone: config.timezone, shifts: config.shifts, quietHours: config.alerts.quietHours ?? null });
}

/** Who a mail-link acknowledgement is recorded as. */
export const MAIL_LINK_ACTOR = 'mail-link';

const NAGGING: readonly NoticeKind[] = ['raised', 'reminder', 'escalated'];

export class Alerts {
  readonly channels: readonly AlertChannel[];
  private readonly options: AlertsOptions;
  private readonly logger: Logger;
  private readonly now: () => number;
  private calendar: WorkCalendar;
  /** The config in effect: the start-up one, then whatever runtime settings replaced it. */
  private config: Readonly<Config>;
  private readonly baseUrl: string | null;
  private manager: AlarmManager | null = null;
  /** Whether this hub runs the rules, ticks and channels now (always on a single hub once started). */
  private leading = false;
  private feed: AlarmChangeFeed | null = null;
  /** follow() under way (its waits), so a second call waits for the same one. */
  private handingOver: Promise<void> | null = null;
  private engine: RulesEngine | null = null;
  private secret: Buffer | null = null;
  private unsubscribe: (() => void) | null = null;
  private timer: NodeJS.Timeout | null = null;
  /** The tick in progress (one at a time), and whether another was asked for meanwhile. */
  private ticking: Promise<void> | null = null;
  private tickAgain = false;
  private readonly brokenSince = new Map<string, number>();
  private readonly alarmStream: Fanout<AlarmUpdate>;

  constructor(options: AlertsOptions) {
    this.options = options;
    this.channels = options.channels;
    this.logger = options.logger.child({ component: 'alerts' });
    this.alarmStream = new Fanout({ logger: this.logger, what: 'alarm' });
    this.now = options.now ?? Date.now;
    const { config } = options;
    this.config = config;
    this.calendar = calendarOf(config);
    this.baseUrl = publicBaseUrl(config);
  }

  get running(): boolean {
    return this.manager !== null;
  }

  /** Every alarm change (raised, updated, acknowledged, cleared); returns the unsubscribe function. */
  subscribe(listener: (update: AlarmUpdate) => void): () => void {
    return this.alarmStream.subscribe(listener);
  }

  /** Whether this hub runs the rules, ticks and channels now. */
  get isLeading(): boolean {
    return this.leading;
  }

  /** Opens the alarms (lists, acknowledgements, mail links work from here on); a single hub also starts leading. */
  async start(): Promise<void> {
    if (this.manager) return;
    const { config } = this;
    this.secret = await loadAckSecret({ configured: config.alerts.ackSecret, dataDir: this.options.dataDir, logger: this.logger });
    const store = new AlarmStore(this.options.sql());
    const manager = new AlarmManager({
      store,
      policy: this.policyOf(config),
      logger: this.logger,
      now: this.now,
      onChange: (change, alarm) => this.alarmStream.emit({ type: 'alarm', change, alarm }),
      onNotice: (kind, alarm, level, details) => this.dispatch(kind, alarm, level, details),
    });
    await manager.load();
    this.manager = manager;
    const fleet = this.options.fleet;
    if (!fleet) {
      await this.lead();
      return;
    }
    this.feed = new AlarmChangeFeed({ store, intervalMs: fleet.changeFeedMs, logger: this.logger, onChange: (c) => this.foreignChange(c) });
    await this.feed.start();
    this.logger.info('alarms open; rules and channels run on the leading hub');
  }

  /** Runs the rules, ticks and channels here (a single hub: at start; fleet mode: when this hub becomes the leader). */
  async lead(): Promise<void> {
    const manager = this.manager;
    if (!manager || this.leading) return;
    this.leading = true;
    const { config } = this;
    // Another hub led until now: its alarms are the store's, not this process's memory.
    if (this.options.fleet) await manager.load();
    this.startEngine(manager);
    for (const channel of this.channels) {
      try {
        await channel.start();
      } catch (err) {
        // A channel that cannot start reports not-ok and raises channel_broken; the rest go on.
        this.logger.error({ err, channel: channel.name }, 'alert channel failed to start');
      }
    }
    if (!config.alerts.smtp.host) this.logger.info('mail alerts off: no alerts.smtp.host');
    else if (config.alerts.recipients.default.length + config.alerts.recipients.escalation.length === 0) this.logger.warn('no mail recipients yet: alerts.recipients has no addresses');
    else if (!this.baseUrl) this.logger.warn('alerts.publicUrl is not set: alert mails carry no dashboard or acknowledge links');
    this.timer = setInterval(() => void this.tick(), this.options.tickMs ?? 1_000);
    this.timer.unref();
    const activeAlarms = Object.values(manager.activeBySeverity()).reduce((sum, n) => sum + n, 0);
    this.logger.info({ channels: this.channels.map((c) => c.name), activeAlarms }, 'alerts started');
    // Catch up at once: clears and notices that fell due while no hub led.
    await this.tick();
  }

  /** Stops the rules, ticks and channels (fleet mode: another hub leads now); lists and acknowledgements go on. */
  follow(): Promise<void> {
    if (!this.leading) return Promise.resolve();
    this.handingOver ??= this.handOver().finally(() => (this.handingOver = null));
    return this.handingOver;
  }

  private async handOver(): Promise<void> {
    this.unsubscribe?.();
    this.unsubscribe = null;
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
    this.engine = null;
    // What the rules asked for is written and told (still as the leader) before the channels stop.
    await this.ticking;
    await this.manager?.idle();
    this.leading = false;
    for (const channel of [...this.channels].reverse()) {
      try {
        await channel.stop();
      } catch (err) {
        this.logger.error({ err, channel: channel.name }, 'alert channel failed to stop');
      }
    }
    this.brokenSince.clear();
    this.logger.info('alerts handed over: rules and channels stopped on this hub');
  }

  /** Another hub changed an alarm: this hub's dashboards see it; the leader tells its channels of an acknowledgement. */
  private foreignChange(c: ForeignAlarmChange): void {
    const item = toItem(c.alarm);
    this.alarmStream.emit({ type: 'alarm', change: c.kind === 'reoccurred' ? 'updated' : c.kind, alarm: item });
    if (this.leading && c.kind === 'acknowledged' && c.alarm.notifiedLevel >= 0) this.dispatch('acknowledged', item, c.alarm.notifiedLevel, c.alarm.details);
  }

  /**
   * New runtime settings (rules, work hours, quiet hours, recipients, names) without a restart.
   * Alarms and their schedules stay in the store; the rules re-evaluate every node at once, so
   * an alarm whose rule was switched off or whose threshold moved resolves or raises now.
   */
  reconfigure(config: Readonly<Config>): void {
    this.config = config;
    this.calendar = calendarOf(config);
    for (const channel of this.channels) {
      try {
        channel.reconfigure?.(config);
      } catch (err) {
        this.logger.error({ err, channel: channel.name }, 'alert channel could not take the new settings');
      }
    }
    const manager = this.manager;
    if (!manager) return;
    manager.setPolicy(this.policyOf(config));
    if (!this.leading) return;
    this.startEngine(manager);
    void this.tick();
  }

  private policyOf(config: Readonly<Config>): NotifyPolicy {
    const { recipients } = config.alerts;
    return {
      remindEveryMs: recipients.remindEveryMin * 60_000,
      escalateAfterMs: recipients.escalation.length > 0 ? recipients.escalateAfterMin * 60_000 : null,
      // Reads the field, so a new calendar applies to the running manager too.
      isQuiet: (t) => this.calendar.isQuiet(t),
    };
  }

  /** (Re)starts the rules over the live state with the config in effect. */
  private startEngine(manager: AlarmManager): void {
    this.unsubscribe?.();
    const engine = new RulesEngine({
      rules: this.config.alerts.rules,
      calendar: this.calendar,
      sink: manager.sink,
      logger: this.logger,
      nameOf: nodeNamer(this.config),
      now: this.now,
    });
    engine.start(this.options.live.list(), this.engine?.watchingSince);
    this.engine = engine;
    this.unsubscribe = this.options.live.subscribe((update) => engine.handle(update));
  }

  async stop(): Promise<void> {
    // Nothing may write after the store closes: the rules, tick and channels stop first, then the
    // queued alarm changes finish.
    await this.follow();
    await this.feed?.stop();
    this.feed = null;
    const manager = this.manager;
    this.manager = null;
    await manager?.idle();
    if (manager) this.logger.debug('alerts stopped');
  }

  /**
   * Durations, silence, channel health, then due clears, reminders and escalations; settles when
   * their writes are done. One tick at a time: asked for during one, it runs once more after.
   * Never rejects (a failure is logged).
   */
  tick(): Promise<void> {
    if (this.ticking) {
      this.tickAgain = true;
      return this.ticking;
    }
    this.ticking = (async () => {
      try {
        do {
          this.tickAgain = false;
          await this.tickOnce();
        } while (this.tickAgain && this.manager);
      } finally {
        this.ticking = null;
      }
    })();
    return this.ticking;
  }

  private async tickOnce(): Promise<void> {
    const manager = this.manager;
    if (!manager || !this.leading) return;
    try {
      this.engine?.tick();
      this.checkChannels();
      // Queued after the rules' raises and resolves: when it settles, they have run too.
      await manager.tick();
    } catch (err) {
      this.logger.error({ err }, 'alerts tick failed');
    }
  }

  /** Settles when every alarm change asked for so far (by rules, ticks, acknowledgements) is written and told. */
  async settled(): Promise<void> {
    await this.manager?.idle();
  }

  /** Alarms active now (acknowledged or not) per severity; empty before start. */
  activeBySeverity(): Partial<Record<AlarmSeverity, number>> {
    return this.manager?.activeBySeverity() ?? {};
  }

  async listAlarms(query: AlarmQuery): Promise<AlarmItem[]> {
    return (await this.manager?.list(query)) ?? [];
  }

  async acknowledge(id: string, by: string): Promise<AlarmAckResult> {
    return (await this.manager?.acknowledge(id, by)) ?? { outcome: 'not_found', alarm: null };
  }

  async alarmLink(token: string, acknowledge: boolean): Promise<AlarmLinkResult> {
    const manager = this.manager;
    const secret = this.secret;
    if (!manager || !secret) return { outcome: 'invalid', alarm: null };
    const check = verifyAckToken(secret, token, this.now());
    if (!check.ok) return { outcome: check.reason, alarm: null };
    const alarm = await manager.get(check.alarmId);
    if (!alarm) return { outcome: 'invalid', alarm: null };
    if (alarm.acknowledged) return { outcome: 'already', alarm };
    if (!acknowledge) return { outcome: 'valid', alarm };
    const result = await manager.acknowledge(alarm.id, MAIL_LINK_ACTOR);
    return { outcome: result.outcome === 'acknowledged' ? 'acknowledged' : 'already', alarm: result.alarm };
  }

  /** A signed acknowledge link for the alarm, valid for alerts.ackLinkHours (null without publicUrl). */
  ackLink(alarmId: string): { url: string; expiresAt: number } | null {
    if (!this.baseUrl || !this.secret) return null;
    const expiresAt = Math.floor(this.now() + this.config.alerts.ackLinkHours * 3_600_000);
    const token = signAckToken(this.secret, alarmId, expiresAt);
    return { url: `${this.baseUrl}/api/alarms/ack?token=${encodeURIComponent(token)}`, expiresAt };
  }

  private dispatch(kind: NoticeKind, alarm: AlarmItem, level: number, details: Record<string, unknown>): void {
    // A follower's acknowledgement is told by the leader, which reads it from the shared history.
    if (!this.leading) return;
    const notice: AlarmNotice = { kind, alarm, level };
    if (this.baseUrl) notice.dashboardUrl = `${this.baseUrl}/alarms?focus=${encodeURIComponent(alarm.id)}`;
    if (NAGGING.includes(kind) && !alarm.acknowledged) {
      const link = this.ackLink(alarm.id);
      if (link) {
        notice.ackUrl = link.url;
        notice.ackExpiresAt = link.expiresAt;
      }
    }
    // A broken channel is not told about its own breakage (it would only queue it).
    const skip = new Set<string>();
    if (alarm.type === CHANNEL_BROKEN) {
      const names = details.channels;
      if (Array.isArray(names)) for (const n of names) if (typeof n === 'string') skip.add(n);
    }
    for (const channel of this.channels) {
      if (skip.has(channel.name)) continue;
      channel.deliver(notice).catch((err: unknown) => this.logger.error({ err, channel: channel.name, alarm: alarm.id }, 'alert channel refused a notice'));
    }
  }

  private checkChannels(): void {
    const manager = this.manager;
    if (!manager) return;
    const now = this.now();
    const health: ChannelHealth[] = this.channels.map((channel) => {
      let status: { ok: boolean; detail?: string };
      try {
        status = channel.status();
      } catch (err) {
        status = { ok: false, detail: err instanceof Error ? err.message : String(err) };
      }
      if (status.ok) this.brokenSince.delete(channel.name);
      else if (!this.brokenSince.has(channel.name)) this.brokenSince.set(channel.name, now);
      return { name: channel.name, ok: status.ok, ...(status.detail ? { detail: status.detail } : {}), brokenSince: this.brokenSince.get(channel.name) ?? null };
    });
    const settings = this.config.alerts.rules.channelBroken;
    applyVerdict(manager.sink, { site: this.config.site, node: HUB_NODE, type: CHANNEL_BROKEN }, settings, () => evaluateChannels(health, now, settings));
  }
}
