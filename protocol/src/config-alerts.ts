/** The `alerts` section: rules, recipients, SMTP, signal towers and webhooks (docs/alerts.md). */
import { z } from 'zod';
import { Host, Id, Port, Slot } from './config-fields.js';
import { ALARM_SEVERITIES, type AlarmSeverity } from './model/alarm.js';

const Severity = z.enum(ALARM_SEVERITIES);

const TowerLamp = z.enum(['off', 'on', 'blink']);
/** Lamps and buzzer (0 = off, 1–4 = PATLITE buzzer patterns) for one severity. */
const TowerPattern = z
  .strictObject({
    red: TowerLamp.default('off'),
    amber: TowerLamp.default('off'),
    green: TowerLamp.default('off'),
    blue: TowerLamp.optional(),
    white: TowerLamp.optional(),
    buzzer: z.int().min(0).max(4).default(0),
    /** Overrides the tower's holdS for this severity. */
    holdS: z.number().positive().max(86_400).optional(),
  })
  .nullable();

export const TowerConfig = z
  .strictObject({
    /** Unique; shown on the System page. */
    name: z.string().regex(/^[a-z0-9][a-z0-9_-]{0,31}$/, 'use a-z, 0-9, "_" and "-"'),
    /** PNS over TCP (LA6-POE, NH series), or relays on an edge agent's GPIO. */
    type: z.enum(['pns', 'relay']),
    /** pns: the tower's address and model (LA6-POE: la6, NH series: nh). */
    host: Host.optional(),
    /** pns: the tower's PNS port. */
    port: Port.default(10000),
    model: z.enum(['la6', 'nh']).optional(),
    /** la6: D (colours from Mieruka, one blink flag) or S (per-unit patterns, the LA6's colours); NH always S. */
    la6Command: z.enum(['D', 'S']).default('D'),
    /** pns: a command unanswered this long counts as a failure. */
    timeoutMs: z.int().min(100).max(60_000).default(3000),
    /** relay: the edge node whose GPIO relays drive the tower. */
    site: Id.optional(),
    node: Id.optional(),
    /** Pattern per severity; null: that severity does not light this tower. */
    patterns: z.partialRecord(Severity, TowerPattern).optional(),
    /** A lit pattern goes dark after this long unless renewed (never left lit by mistake). */
    holdS: z.number().positive().max(86_400).default(900),
    /** Only alarms of these nodes light this tower (default: all). */
    sources: z.array(Id).max(256).optional(),
    /** How often a quiet tower is asked for its status (its health on the System page). */
    probeIntervalS: z.number().min(10).max(86_400).default(300),
  })
  .refine((t) => t.type !== 'pns' || (t.host !== undefined && t.model !== undefined), { message: 'a pns tower needs host and model', path: ['host'] })
  .refine((t) => t.type !== 'relay' || t.node !== undefined, { message: 'a relay tower needs the node of its edge agent', path: ['node'] });

/** Body shapes a webhook can post (docs/alerts-channels.md); generic is Mieruka's own JSON. */
export const WEBHOOK_FORMATS = ['generic', 'slack', 'teams', 'google-chat', 'line-works'] as const;
export type WebhookFormat = (typeof WEBHOOK_FORMATS)[number];

export const WebhookConfig = z.strictObject({
  /** Unique; shown on the System page. */
  name: z.string().regex(/^[a-z0-9][a-z0-9_-]{0,31}$/, 'use a-z, 0-9, "_" and "-"'),
  /** Secret (chat webhook URLs carry their token). */
  url: z.string().regex(/^https?:\/\//, 'use an http:// or https:// URL'),
  /**
   * Body shape: generic (text plus the structured alarm), slack (Block Kit), teams (Adaptive
   * Card for a Workflows webhook), google-chat (cardsV2) or line-works (Incoming Webhook app).
   */
  format: z.enum(WEBHOOK_FORMATS).default('generic'),
  timeoutMs: z.int().min(100).max(60_000).default(5000),
  /** Extra request headers (e.g. Authorization); secret. */
  headers: z.record(z.string(), z.string()).optional(),
  /** Language of the message; default: alerts.language. */
  lang: z.enum(['ja', 'en']).optional(),
  /** Whether the signed acknowledge link goes to the chat (anyone in the room could use it). */
  includeAckUrl: z.boolean().default(false),
  /** Which alarm moments are posted (default: all). */
  kinds: z.array(z.enum(['raised', 'reminder', 'escalated', 'acknowledged', 'cleared'])).min(1).optional(),
  /** Alarms below this severity are not posted (default: info, everything). */
  minSeverity: Severity.optional(),
  /** Notices waiting while the target is down (default 200); the oldest are dropped past this. */
  queueLimit: z.int().min(1).max(10_000).optional(),
  /** Tries per notice (default 10), then it is dropped (counted, logged). */
  maxAttempts: z.int().min(1).max(100).optional(),
});
export const Language = z.enum(['ja', 'en']);
const Email = z.email('use an e-mail address like name@example.com').max(254);
/** An address, or an address with the language its mails are written in. */
export const Recipient = z.union([Email, z.strictObject({ address: Email, language: Language.optional() })]);
/** How long a condition must stay false before its alarm clears (dedups a flapping machine). */
const ClearAfterS = z.int().min(0).max(86_400);

/**
 * Each rule is declared once without defaults: per-node overrides use it as it is (only what
 * differs), the site-wide rule fills in the defaults given in AlertsConfig below.
 */
const ruleBase = {
  enabled: z.boolean(),
  /** Decides who is told and which tower pattern lights (docs/alerts.md). */
  severity: Severity,
  clearAfterS: ClearAfterS,
};
/** A running machine went straight to off (power cut, emergency stop), not via idle. */
const MachineStoppedRule = z.strictObject({ ...ruleBase });
/** A run finished normally (run_finished event, not interrupted). */
const JobFinishedRule = z.strictObject({ ...ruleBase });
/** Running without a break for afterMin (a job that never ends, a forgotten machine). */
const RunningLongRule = z.strictObject({ ...ruleBase, afterMin: z.number().positive().max(10_080) });
/** Idle for this long within a work shift (`shifts` are the work hours). */
const IdleLongRule = z.strictObject({ ...ruleBase, afterMin: z.number().positive().max(10_080) });
/**
 * Agent offline (its LWT status online:false), sensor silent (state unknown), or no data for
 * silentAfterS from a node that streams readings.
 */
const SensorOfflineRule = z.strictObject({ ...ruleBase, silentAfterS: z.int().min(5).max(86_400) });
/**
 * The machine's agent reports a sensor fault (its clamp reads the ADC's floor while the machine's
 * calibrated off level is above it: unplugged, broken lead); cleared by its sensor_ok.
 */
const SensorFaultRule = z.strictObject({ ...ruleBase });
/** A clutter score above `above` at one of `slots` (default: every scheduled slot, not manual shots). */
const ClutterHighRule = z.strictObject({ ...ruleBase, above: z.number().min(0).max(100), slots: z.array(Slot).max(24).optional() });
/** An alert channel (mail, tower, webhook) reports not-ok for afterS. Hub-wide. */
const ChannelBrokenRule = z.strictObject({ ...ruleBase, afterS: z.int().min(0).max(86_400) });
const RuleOverrides = z.strictObject({
  machineStopped: MachineStoppedRule.partial().optional(),
  jobFinished: JobFinishedRule.partial().optional(),
  runningLong: RunningLongRule.partial().optional(),
  idleLong: IdleLongRule.partial().optional(),
  sensorOffline: SensorOfflineRule.partial().optional(),
  sensorFault: SensorFaultRule.partial().optional(),
  clutterHigh: ClutterHighRule.partial().optional(),
});
const sev = (s: AlarmSeverity) => s;

export const AlertsConfig = z
  .strictObject({
    /** The dashboard as people reach it, e.g. http://192.168.1.20:8080 — mail links start here. Without it mails carry no links. */
    publicUrl: z.url({ protocol: /^https?$/, error: 'use an http:// or https:// URL' }).optional(),
    /** Secret that signs acknowledge links. When absent the hub generates one in its data dir. */
    ackSecret: z.string().min(32, 'use at least 32 characters').max(256).optional(),
    /** How long an acknowledge link in a mail stays valid. */
    ackLinkHours: z.number().positive().max(24 * 30).default(72),
    /** Language of mails (per recipient overridable); default: dashboard.language. */
    language: Language.optional(),
    smtp: z
      .strictObject({
        /** When absent no mail is sent (the mail channel is off). */
        host: Host.optional(),
        /** Default 465 with `secure`, else 587. */
        port: Port.optional(),
        /** TLS from the first byte (port 465). Otherwise STARTTLS. */
        secure: z.boolean().default(false),
        /** Refuse to send unless the server offers STARTTLS (ignored with `secure`). */
        requireTLS: z.boolean().default(true),
        /** Check the server certificate (turn off only for an in-house relay with a self-signed one). */
        rejectUnauthorized: z.boolean().default(true),
        /** SMTP login; with password. */
        user: z.string().min(1).max(256).optional(),
        /** Secret. */
        password: z.string().min(1).max(1024).optional(),
        /** Sender, "Name <address>" or an address; default: user when it is an address. */
        from: z.string().min(3).max(320).optional(),
        /** One SMTP conversation that takes longer fails (the mail is retried). */
        timeoutS: z.int().min(1).max(300).default(30),
      })
      .refine((s) => s.password === undefined || s.user !== undefined, { message: 'password needs a user', path: ['user'] })
      .prefault({}),
    recipients: z
      .strictObject({
        /** Told of every alarm (mail). */
        default: z.array(Recipient).max(100).default([]),
        /** Told when an alarm stays unacknowledged for escalateAfterMin. */
        escalation: z.array(Recipient).max(100).default([]),
        /** Minutes an alarm may stay unacknowledged before escalation is told. */
        escalateAfterMin: z.number().positive().max(10_080).default(30),
        /** Reminder interval while an alarm is active and unacknowledged; 0 = no reminders. */
        remindEveryMin: z.number().min(0).max(10_080).default(60),
      })
      .prefault({}),
    /** Local times (in `timezone`) without notifications; alarms are still recorded and shown. */
    quietHours: z
      .strictObject({ start: Slot, end: Slot })
      .refine((q) => q.start !== q.end, { message: 'start and end must differ', path: ['end'], params: { ja: '開始と終了は違う時刻にしてください' } })
      .optional(),
    /** At most this many mails per recipient and hour; the rest wait (alarm storms). */
    rateLimit: z.strictObject({ perRecipientPerHour: z.int().min(1).max(1000).default(20) }).prefault({}),
    rules: z
      .strictObject({
        machineStopped: MachineStoppedRule.partial()
          .prefault({})
          .transform((r) => ({ enabled: true, severity: sev('major'), clearAfterS: 300, ...r })),
        jobFinished: JobFinishedRule.partial()
          .prefault({})
          .transform((r) => ({ enabled: true, severity: sev('info'), clearAfterS: 0, ...r })),
        runningLong: RunningLongRule.partial()
          .prefault({})
          .transform((r) => ({ enabled: false, severity: sev('warning'), clearAfterS: 0, afterMin: 240, ...r })),
        idleLong: IdleLongRule.partial()
          .prefault({})
          .transform((r) => ({ enabled: false, severity: sev('warning'), clearAfterS: 0, afterMin: 30, ...r })),
        sensorOffline: SensorOfflineRule.partial()
          .prefault({})
          .transform((r) => ({ enabled: true, severity: sev('major'), clearAfterS: 120, silentAfterS: 120, ...r })),
        sensorFault: SensorFaultRule.partial()
          .prefault({})
          .transform((r) => ({ enabled: true, severity: sev('major'), clearAfterS: 0, ...r })),
        clutterHigh: ClutterHighRule.partial()
          .prefault({})
          .transform((r) => ({ enabled: true, severity: sev('minor'), clearAfterS: 0, above: 50, ...r })),
        channelBroken: ChannelBrokenRule.partial()
          .prefault({})
          .transform((r) => ({ enabled: true, severity: sev('major'), clearAfterS: 0, afterS: 60, ...r })),
        /** Per machine or station id: fields that differ from the rules above. */
        overrides: z.record(Id, RuleOverrides).default({}),
      })
      .prefault({}),
    /** PATLITE signal towers (docs/patlite.md): PNS over TCP, or a relay board on an edge agent. */
    towers: z
      .array(TowerConfig)
      .max(32)
      .default([])
      .refine((t) => new Set(t.map((x) => x.name)).size === t.length, 'tower names must be unique'),
    /** Chat/webhook targets (docs/alerts-channels.md); the url and headers are secrets. */
    webhooks: z
      .array(WebhookConfig)
      .max(32)
      .default([])
      .refine((t) => new Set(t.map((x) => x.name)).size === t.length, 'webhook names must be unique'),
  })
  .prefault({});

export type TowerConfig = z.infer<typeof TowerConfig>;
export type WebhookConfig = z.infer<typeof WebhookConfig>;
export type AlertsConfig = z.infer<typeof AlertsConfig>;
