/**
 * The one configuration file (YAML). Every section belongs to one service; every field has a
 * sensible default so an empty file (or none) runs the demo. See docs/config.md.
 */
import { z } from 'zod';
import { ID_PATTERN } from './topics.js';

const Id = z.string().regex(ID_PATTERN, 'use a-z, 0-9 and "-" (1–64 chars, not starting or ending with "-")');
const Port = z.int().min(0).max(65535);
const Host = z.string().min(1).max(255);
const TimeZone = z.string().refine((tz) => {
  try {
    new Intl.DateTimeFormat('en', { timeZone: tz });
    return true;
  } catch {
    return false;
  }
}, 'unknown IANA time zone');
/** "HH:MM", 24-hour clock. */
const Slot = z.string().regex(/^([01]\d|2[0-3]):[0-5]\d$/, 'use HH:MM (24-hour)');
const Hsv = z.tuple([z.int().min(0).max(179), z.int().min(0).max(255), z.int().min(0).max(255)]);

export const MachineConfig = z
  .strictObject({
    name: z.string().max(100).optional(),
    /** Serial channel (0-based) of the CT clamp on this machine. */
    channel: z.int().min(0).max(15).default(0),
    /** Below this the machine is off (amperes RMS). */
    offBelowA: z.number().min(0).default(0.3),
    /** Above this the machine is running; in between it is idle. */
    runningAboveA: z.number().min(0).default(1.5),
    /** A new state must hold this long before it is reported (no event storms). */
    minDwellS: z.number().min(0).max(3600).default(3),
    /**
     * Dead band around each threshold (amperes): to cross a threshold upwards the current must
     * exceed it by this much, downwards fall below it by this much.
     */
    hysteresisA: z.number().min(0).default(0.1),
    /** No reading for this long → state `unknown` and a `sensor_offline` event. */
    offlineAfterS: z.number().min(1).max(86_400).default(15),
  })
  .refine((m) => m.runningAboveA > m.offBelowA, { message: 'runningAboveA must be greater than offBelowA', path: ['runningAboveA'] })
  .refine((m) => m.runningAboveA <= m.offBelowA || m.runningAboveA - m.hysteresisA > m.offBelowA + m.hysteresisA, {
    message: 'hysteresisA is too wide: the idle band between offBelowA and runningAboveA would vanish',
    path: ['hysteresisA'],
  });

const Weekday = z.enum(['mon', 'tue', 'wed', 'thu', 'fri', 'sat', 'sun']);

/** A work shift; `end` before `start` means the shift runs past midnight. */
export const ShiftConfig = z
  .strictObject({
    name: z.string().regex(/^[a-z0-9][a-z0-9_-]{0,31}$/, 'use a-z, 0-9, "_" and "-"'),
    start: Slot,
    end: Slot,
    days: z.array(Weekday).min(1).default(['mon', 'tue', 'wed', 'thu', 'fri']),
  })
  .refine((s) => s.start !== s.end, { message: 'start and end must differ', path: ['end'] });

export const StationConfig = z
  .strictObject({
    name: z.string().max(100).optional(),
    slots: z.array(Slot).max(24).default(['09:00', '12:00', '17:00']),
    /** HSV range of the mat, OpenCV conventions (H 0–179). */
    hsvLower: Hsv.default([35, 60, 40]),
    hsvUpper: Hsv.default([85, 255, 255]),
  })
  .refine((s) => s.hsvLower.every((v, i) => v <= (s.hsvUpper[i] ?? 0)), { message: 'hsvLower must not exceed hsvUpper', path: ['hsvLower'] });

const Calibration = z.strictObject({
  channel: z.int().min(0).max(15),
  ampsPerVolt: z.number().positive().optional(),
  noiseA: z.number().min(0).optional(),
});

export const ConfigSchema = z.strictObject({
  /** Site id: the third topic level. */
  site: Id.default('factory'),
  timezone: TimeZone.default('Asia/Tokyo'),
  log: z.strictObject({ level: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info') }).prefault({}),
  hub: z
    .strictObject({
      dataDir: z.string().min(1).default('./data'),
      mqtt: z
        .strictObject({
          host: Host.default('0.0.0.0'),
          port: Port.default(1883),
          /** MQTT over WebSocket is served on the HTTP port at this path. */
          wsPath: z.string().regex(/^\/[a-z0-9/_-]*$/).default('/mqtt'),
        })
        .prefault({}),
      http: z.strictObject({ host: Host.default('0.0.0.0'), port: Port.default(8080) }).prefault({}),
      ingest: z
        .strictObject({
          batchSize: z.int().min(1).max(10_000).default(500),
          flushIntervalMs: z.int().min(10).max(60_000).default(250),
        })
        .prefault({}),
    })
    .prefault({}),
  dashboard: z
    .strictObject({
      adminUser: z.string().min(1).max(64).default('admin'),
      /** Secret. When absent, `mieruka demo` generates one and prints it once. */
      adminPassword: z.string().min(8, 'use at least 8 characters').max(256).optional(),
      language: z.enum(['ja', 'en']).default('ja'),
      sessionHours: z.number().positive().max(24 * 90).default(12),
    })
    .prefault({}),
  bridge: z
    .strictObject({
      /** Serial device; when absent the bridge looks in /dev/serial/by-id. */
      serialPort: z.string().min(1).optional(),
      baudRate: z.int().positive().default(115200),
      mqttUrl: z.string().regex(/^(mqtts?|wss?|tcp):\/\//, 'use mqtt://, mqtts://, ws:// or wss://').default('mqtt://127.0.0.1:1883'),
      node: Id.optional(),
      calibration: z.array(Calibration).max(16).default([]),
      reconnectMaxMs: z.int().min(100).max(600_000).default(10_000),
    })
    .prefault({}),
  /** Work shifts for utilization reports (in `timezone`). */
  shifts: z
    .array(ShiftConfig)
    .max(16)
    .default([{ name: 'day', start: '08:00', end: '17:00', days: ['mon', 'tue', 'wed', 'thu', 'fri'] }])
    .refine((shifts) => new Set(shifts.map((s) => s.name)).size === shifts.length, 'shift names must be unique'),
  machines: z.record(Id, MachineConfig).default({}),
  stations: z.record(Id, StationConfig).default({}),
});

export type Config = z.infer<typeof ConfigSchema>;
export type ConfigInput = z.input<typeof ConfigSchema>;
export type MachineConfig = z.infer<typeof MachineConfig>;
export type StationConfig = z.infer<typeof StationConfig>;
export type ShiftConfig = z.infer<typeof ShiftConfig>;

/** Paths of fields whose values must never be logged. */
export const SECRET_PATHS = [['dashboard', 'adminPassword']] as const;
