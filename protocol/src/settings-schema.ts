/**
 * Runtime settings: the part of the configuration an admin may change from the dashboard
 * while the hub runs (thresholds, schedules, recipients, alarm rules, whether new nodes join by themselves). The document always
 * holds effective values. Saving lays it over the running config and validates the whole
 * config again with ConfigSchema, so every constraint (offBelowA < runningAboveA, shift
 * names unique, …) is written once, in the config schema. Secrets are never part of it.
 */
import { z } from 'zod';
import { Recipient } from './config-alerts.js';
import { ALARM_SEVERITIES } from './model/alarm.js';
import { Id, Slot } from './config-fields.js';
import { deepFreeze } from './config-parse.js';
import { ConfigSchema, DowntimeReasonConfig, Weekday, type Config } from './config-schema.js';

const Severity = z.enum(ALARM_SEVERITIES);
const Name = z.string().trim().max(100).nullable();
const Minutes = z.number().positive().max(10_080);

/** Shape only; the config schema checks the values when the settings are laid over the config. */
export const RuntimeSettingsSchema = z.strictObject({
  /** Work hours: utilization by shift, idle-too-long rule, reports. */
  shifts: z.array(z.strictObject({ name: z.string(), start: z.string(), end: z.string(), days: z.array(Weekday) })).max(16),
  /** No notifications in this window (alarms are still recorded and shown); null: none. */
  quietHours: z.strictObject({ start: Slot, end: Slot }).nullable(),
  recipients: z.strictObject({
    default: z.array(Recipient).max(100),
    escalation: z.array(Recipient).max(100),
    escalateAfterMin: Minutes,
    remindEveryMin: z.number().min(0).max(10_080),
  }),
  rules: z.strictObject({
    machineStopped: z.strictObject({ enabled: z.boolean(), severity: Severity }),
    jobFinished: z.strictObject({ enabled: z.boolean(), severity: Severity }),
    runningLong: z.strictObject({ enabled: z.boolean(), severity: Severity, afterMin: Minutes }),
    idleLong: z.strictObject({ enabled: z.boolean(), severity: Severity, afterMin: Minutes }),
    sensorOffline: z.strictObject({ enabled: z.boolean(), severity: Severity, silentAfterS: z.int().min(5).max(86_400) }),
    /** Optional: a document saved before the rule existed keeps the config file's values. */
    sensorFault: z.strictObject({ enabled: z.boolean(), severity: Severity }).optional(),
    clutterHigh: z.strictObject({ enabled: z.boolean(), severity: Severity, above: z.number().min(0).max(100) }),
  }),
  /** Current thresholds per machine (amperes RMS); the hub sends them to the machine's agent. */
  machines: z.record(
    Id,
    z.strictObject({ name: Name, offBelowA: z.number().min(0), runningAboveA: z.number().min(0), hysteresisA: z.number().min(0), minDwellS: z.number().min(0).max(3600) }),
  ),
  /** Photo times per clutter station; the hub sends them to the station. */
  stations: z.record(Id, z.strictObject({ name: Name, slots: z.array(Slot).max(24) })),
  /**
   * New nodes: join by themselves (within the caps) or wait for an admin. Optional so a
   * document saved before it existed still applies (the config file's value then stays).
   */
  ingest: z.strictObject({ autoJoin: z.boolean() }).optional(),
  /**
   * The downtime reasons operators pick (config `oee.reasons`), JA/EN, per machine. Optional
   * like `ingest`: a document saved before it existed keeps the config file's list.
   */
  downtimeReasons: z.array(DowntimeReasonConfig).max(50).optional(),
});

export type RuntimeSettings = z.infer<typeof RuntimeSettingsSchema>;
/** A problem at a settings path; `messageJa` is zod's Japanese text for it (custom messages stay English). */
export type SettingsIssue = { path: Array<string | number>; message: string; messageJa?: string };
export type SettingsCheck = { ok: true; config: Readonly<Config>; settings: RuntimeSettings } | { ok: false; issues: SettingsIssue[] };

const RULE_FIELDS = {
  machineStopped: ['enabled', 'severity'],
  jobFinished: ['enabled', 'severity'],
  runningLong: ['enabled', 'severity', 'afterMin'],
  idleLong: ['enabled', 'severity', 'afterMin'],
  sensorOffline: ['enabled', 'severity', 'silentAfterS'],
  sensorFault: ['enabled', 'severity'],
  clutterHigh: ['enabled', 'severity', 'above'],
} as const;

function pick<T extends object, K extends keyof T>(from: T, keys: readonly K[]): Pick<T, K> {
  const out = {} as Pick<T, K>;
  for (const k of keys) out[k] = from[k];
  return out;
}

/** The settings as they are in effect under `config`. Machines and stations: those configured plus `extraNodes`. */
export function settingsFromConfig(config: Readonly<Config>, extraNodes: { machines?: readonly string[]; stations?: readonly string[] } = {}): RuntimeSettings {
  const machineDefaults = ConfigSchema.shape.machines.unwrap().valueType.parse({});
  const stationDefaults = ConfigSchema.shape.stations.unwrap().valueType.parse({});
  const machines: RuntimeSettings['machines'] = {};
  for (const id of new Set([...Object.keys(config.machines), ...(extraNodes.machines ?? [])]).values()) {
    const m = config.machines[id] ?? machineDefaults;
    machines[id] = { name: m.name ?? null, offBelowA: m.offBelowA, runningAboveA: m.runningAboveA, hysteresisA: m.hysteresisA, minDwellS: m.minDwellS };
  }
  const stations: RuntimeSettings['stations'] = {};
  for (const id of new Set([...Object.keys(config.stations), ...(extraNodes.stations ?? [])]).values()) {
    const s = config.stations[id] ?? stationDefaults;
    stations[id] = { name: s.name ?? null, slots: [...s.slots] };
  }
  const { recipients, rules } = config.alerts;
  return {
    shifts: config.shifts.map((s) => ({ name: s.name, start: s.start, end: s.end, days: [...s.days] })),
    quietHours: config.alerts.quietHours ? { ...config.alerts.quietHours } : null,
    recipients: {
      default: structuredClone(recipients.default),
      escalation: structuredClone(recipients.escalation),
      escalateAfterMin: recipients.escalateAfterMin,
      remindEveryMin: recipients.remindEveryMin,
    },
    rules: {
      machineStopped: pick(rules.machineStopped, RULE_FIELDS.machineStopped),
      jobFinished: pick(rules.jobFinished, RULE_FIELDS.jobFinished),
      runningLong: pick(rules.runningLong, RULE_FIELDS.runningLong),
      idleLong: pick(rules.idleLong, RULE_FIELDS.idleLong),
      sensorOffline: pick(rules.sensorOffline, RULE_FIELDS.sensorOffline),
      sensorFault: pick(rules.sensorFault, RULE_FIELDS.sensorFault),
      clutterHigh: pick(rules.clutterHigh, RULE_FIELDS.clutterHigh),
    },
    machines,
    stations,
    ingest: { autoJoin: config.hub.ingest.autoJoin },
    downtimeReasons: config.oee.reasons.map((r) => ({ ...r, machines: [...r.machines] })),
  };
}

/** Where a settings field lives in the config tree (for mapping config issues back). */
function settingsPathOf(configPath: ReadonlyArray<PropertyKey>): Array<string | number> | null {
  const p = configPath.map((k) => (typeof k === 'symbol' ? String(k) : k));
  if (p[0] === 'shifts') return p;
  if (p[0] === 'machines' || p[0] === 'stations') return p;
  if (p[0] === 'alerts' && p[1] === 'quietHours') return ['quietHours', ...p.slice(2)];
  if (p[0] === 'alerts' && (p[1] === 'recipients' || p[1] === 'rules')) return p.slice(1);
  if (p[0] === 'hub' && p[1] === 'ingest' && p[2] === 'autoJoin') return ['ingest', 'autoJoin'];
  if (p[0] === 'oee' && p[1] === 'reasons') return ['downtimeReasons', ...p.slice(2)];
  return null;
}

/**
 * The messages of a failed parse in Japanese, issue for issue: the same parse again with zod's
 * ja locale for this call only (never z.config, which would change every other parse).
 * Messages the schema writes itself win over any locale; those that settings can meet carry
 * their Japanese in a refine's `params.ja`. Only run after a failure, so a valid save costs nothing extra.
 */
function japaneseMessages(schema: z.ZodType, input: unknown): string[] {
  const again = schema.safeParse(input, { error: z.locales.ja().localeError });
  if (again.success) return [];
  return again.error.issues.map((i) => (i.code === 'custom' && typeof i.params?.ja === 'string' ? i.params.ja : i.message));
}

function withJa(issue: SettingsIssue, messageJa: string | undefined): SettingsIssue {
  return messageJa === undefined || messageJa === issue.message ? issue : { ...issue, messageJa };
}

/**
 * Lays `input` over `base` and validates the result as a whole config. Returns the new config,
 * frozen like parseConfig's, and the settings as parsed, or every problem with its settings path.
 */
export function applySettings(base: Readonly<Config>, input: unknown): SettingsCheck {
  const shape = RuntimeSettingsSchema.safeParse(input);
  if (!shape.success) {
    const ja = japaneseMessages(RuntimeSettingsSchema, input);
    return { ok: false, issues: shape.error.issues.map((i, n) => withJa({ path: i.path.map((k) => (typeof k === 'symbol' ? String(k) : k)), message: i.message }, ja[n])) };
  }
  const s = shape.data;
  const tree = structuredClone(base) as unknown as Record<string, unknown> & Config;
  tree.shifts = s.shifts as Config['shifts'];
  for (const [id, m] of Object.entries(s.machines)) {
    const current = (tree.machines[id] ?? {}) as Record<string, unknown>;
    const { name, ...numbers } = m;
    const next: Record<string, unknown> = { ...current, ...numbers };
    if (name) next.name = name;
    else delete next.name;
    (tree.machines as Record<string, unknown>)[id] = next;
  }
  for (const [id, st] of Object.entries(s.stations)) {
    const current = (tree.stations[id] ?? {}) as Record<string, unknown>;
    const next: Record<string, unknown> = { ...current, slots: st.slots };
    if (st.name) next.name = st.name;
    else delete next.name;
    (tree.stations as Record<string, unknown>)[id] = next;
  }
  const alerts = tree.alerts as unknown as Record<string, unknown>;
  if (s.quietHours) alerts.quietHours = s.quietHours;
  else delete alerts.quietHours;
  alerts.recipients = { ...(alerts.recipients as object), ...s.recipients };
  const rules = alerts.rules as Record<string, object>;
  for (const key of Object.keys(RULE_FIELDS) as Array<keyof typeof RULE_FIELDS>) rules[key] = { ...rules[key], ...s.rules[key] };
  if (s.ingest) tree.hub = { ...tree.hub, ingest: { ...tree.hub.ingest, autoJoin: s.ingest.autoJoin } };
  if (s.downtimeReasons) tree.oee = { ...tree.oee, reasons: s.downtimeReasons as Config['oee']['reasons'] };

  const parsed = ConfigSchema.safeParse(tree);
  if (!parsed.success) {
    const ja = japaneseMessages(ConfigSchema, tree);
    return {
      ok: false,
      issues: parsed.error.issues.map((i, n) => withJa({ path: settingsPathOf(i.path) ?? ['(config)', ...i.path.map(String)], message: i.message }, ja[n])),
    };
  }
  return { ok: true, config: deepFreeze(parsed.data), settings: s };
}
