/**
 * zod schemas of every v1 payload (see docs/topics.md). The hub validates everything it
 * receives against these; agents validate what they publish in tests.
 */
import { z } from 'zod';

/** Epoch milliseconds between 2000-01-01 and 2100-01-01: catches seconds-vs-ms mix-ups. */
export const Timestamp = z.int().min(946_684_800_000).max(4_102_444_800_000);
/** Per-node message sequence number; survives restarts (store-and-forward dedup). */
export const Seq = z.int().min(0).max(Number.MAX_SAFE_INTEGER);
/** Amperes RMS; zod numbers reject NaN and ±Infinity. 10 kA is far beyond any CT clamp. */
export const Amperes = z.number().min(0).max(10_000);
export const MAX_CHANNELS = 16;
export const IrmsArray = z.array(Amperes).min(1).max(MAX_CHANNELS);

export const MACHINE_STATES = ['off', 'idle', 'running', 'unknown'] as const;
export const MachineState = z.enum(MACHINE_STATES);
export type MachineState = z.infer<typeof MachineState>;

const ShortText = z.string().min(1).max(64);

export const StatusBacklog = z.strictObject({
  queued: z.int().min(0).max(Number.MAX_SAFE_INTEGER),
  oldestTs: Timestamp.nullable(),
  dropped: z.int().min(0).max(Number.MAX_SAFE_INTEGER),
});
export type StatusBacklog = z.infer<typeof StatusBacklog>;

export const StatusPayload = z.strictObject({
  online: z.boolean(),
  ts: Timestamp,
  agent: ShortText,
  version: ShortText,
  /** Optional human-readable detail, e.g. "serial port /dev/ttyUSB0 missing". */
  detail: z.string().max(500).optional(),
  /**
   * The agent's store-and-forward queue (docs/store-and-forward.md): messages waiting for the
   * broker, the time of the oldest one (null: none waiting), and how many were dropped, oldest
   * first, because the queue was full (since the queue was created).
   */
  backlog: StatusBacklog.optional(),
});
export type StatusPayload = z.infer<typeof StatusPayload>;

export const CurrentPayload = z.strictObject({
  ts: Timestamp,
  seq: Seq,
  irms: IrmsArray,
});
export type CurrentPayload = z.infer<typeof CurrentPayload>;

export const StatePayload = z.strictObject({
  ts: Timestamp,
  state: MachineState,
  since: Timestamp,
  irms: IrmsArray,
});
export type StatePayload = z.infer<typeof StatePayload>;

/** Events carry a type and free extra fields (e.g. run_finished{durationS}). */
export const EventPayload = z.looseObject({
  ts: Timestamp,
  seq: Seq,
  type: z.string().regex(/^[a-z][a-z0-9_]{0,47}$/),
});
export type EventPayload = z.infer<typeof EventPayload>;

export const ClutterPayload = z.strictObject({
  ts: Timestamp,
  seq: Seq,
  score: z.number().min(0).max(100),
  coveredRatio: z.number().min(0).max(1),
  /** The schedule slot ("09:00") or "manual" for an on-demand capture. */
  slot: z.string().min(1).max(32),
  imageId: z.string().regex(/^[A-Za-z0-9_.-]{1,80}$/).nullable(),
});
export type ClutterPayload = z.infer<typeof ClutterPayload>;

export const MotionPayload = z.strictObject({
  ts: Timestamp,
  active: z.boolean(),
});
export type MotionPayload = z.infer<typeof MotionPayload>;

/** Commands from the hub; the action is in the topic, arguments in the payload. */
export const CommandPayload = z.looseObject({
  ts: Timestamp,
  id: z.string().max(64).optional(),
});
export type CommandPayload = z.infer<typeof CommandPayload>;

/** A signal-tower lamp as the hub asks for it; blinking is done by the tower or in software. */
export const PATLITE_LAMP_STATES = ['off', 'on', 'blink'] as const;
export const PatliteLamp = z.enum(PATLITE_LAMP_STATES);
export type PatliteLamp = z.infer<typeof PatliteLamp>;
/** Longest hold the hub may ask for: a tower is never left lit by mistake for more than a day. */
export const MAX_PATLITE_HOLD_S = 86_400;

/**
 * `cmd/patlite` (hub → edge): the whole tower state, not a delta, so a lost or repeated
 * command cannot leave a stale lamp on. `buzzer` is off (0/false), a pattern 1–4 or true
 * (= 1). `holdS` counts from `ts`: the edge turns everything off when it runs out, and
 * ignores a lit command whose hold already ran out (e.g. queued while the node was offline).
 */
export const PatliteCommand = z.strictObject({
  ts: Timestamp,
  id: z.string().max(64).optional(),
  red: PatliteLamp,
  amber: PatliteLamp,
  green: PatliteLamp,
  blue: PatliteLamp.optional(),
  white: PatliteLamp.optional(),
  buzzer: z.union([z.int().min(0).max(4), z.boolean()]),
  holdS: z.number().positive().max(MAX_PATLITE_HOLD_S).optional(),
});
export type PatliteCommand = z.infer<typeof PatliteCommand>;

/** The documented example of `cmd/patlite` (docs/patlite.md): red blinking, buzzer 1, ten minutes. */
export const examplePatliteCommand: PatliteCommand = { ts: 1_764_000_000_000, red: 'blink', amber: 'off', green: 'off', buzzer: 1, holdS: 600 };

/**
 * `cmd/thresholds` (hub → machine agent, retained): current thresholds an admin saved in the
 * dashboard. Retained, so an agent that starts later still gets them; they replace the
 * agent's own config values until the next such command.
 */
export const ThresholdsCommand = z.strictObject({
  ts: Timestamp,
  offBelowA: z.number().min(0).max(10_000),
  runningAboveA: z.number().min(0).max(10_000),
  hysteresisA: z.number().min(0).max(10_000),
  minDwellS: z.number().min(0).max(3600),
});
export type ThresholdsCommand = z.infer<typeof ThresholdsCommand>;

/** `cmd/schedule` (hub → clutter station, retained): the photo times ("HH:MM", station's zone). */
export const ScheduleCommand = z.strictObject({
  ts: Timestamp,
  slots: z.array(z.string().regex(/^([01]\d|2[0-3]):[0-5]\d$/)).max(24),
});
export type ScheduleCommand = z.infer<typeof ScheduleCommand>;

/**
 * `mieruka/v1/<site>/<node>/utilization` (hub → anyone, retained; only with Home Assistant
 * discovery on): a machine's utilization today, running / known time since local midnight.
 */
export const UtilizationPayload = z.strictObject({
  ts: Timestamp,
  /** Local date (hub timezone) the figures are for. */
  date: z.string().regex(/^\d{4}-\d{2}-\d{2}$/),
  /** Percent of the known time spent running, one decimal; null before anything is known today. */
  utilizationPct: z.number().min(0).max(100).nullable(),
  runningS: z.int().min(0),
  knownS: z.int().min(0),
});
export type UtilizationPayload = z.infer<typeof UtilizationPayload>;

export const MAX_JSON_PAYLOAD_BYTES = 64 * 1024;
export const MAX_IMAGE_BYTES = 512 * 1024;

export const payloadSchemas = {
  status: StatusPayload,
  current: CurrentPayload,
  state: StatePayload,
  event: EventPayload,
  clutter: ClutterPayload,
  motion: MotionPayload,
} as const;

export type JsonKind = keyof typeof payloadSchemas;
export type PayloadOf<K extends JsonKind> = z.infer<(typeof payloadSchemas)[K]>;

/** The documented example of each payload (docs/topics.md); the contract tests use them. */
export const examplePayloads: { [K in JsonKind]: PayloadOf<K> } = {
  status: { online: true, ts: 1_764_000_000_000, agent: 'bridge', version: '0.1.0' },
  current: { ts: 1_764_000_000_000, seq: 42, irms: [3.214] },
  state: { ts: 1_764_000_000_000, state: 'running', since: 1_763_999_000_000, irms: [3.214] },
  event: { ts: 1_764_000_000_000, seq: 7, type: 'run_finished', durationS: 1834 },
  clutter: { ts: 1_764_000_000_000, seq: 3, score: 23.4, coveredRatio: 0.234, slot: '17:00', imageId: '20251124-170000-bench-1' },
  motion: { ts: 1_764_000_000_000, active: true },
};
