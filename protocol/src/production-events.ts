/**
 * Events a machine's agent publishes for production figures (docs/oee.md), on the node's
 * `event` topic like run_started. The hub checks these shapes before it counts them.
 */
import { z } from 'zod';
import { Amperes, Seq, Timestamp } from './payloads.js';

/** A machining cycle that has ended; `ts` is its end. */
export const CycleEvent = z.strictObject({
  ts: Timestamp,
  seq: Seq,
  type: z.literal('cycle'),
  startTs: Timestamp,
  durationS: z.number().min(0).max(86_400),
  peakA: Amperes,
  meanA: Amperes,
});
export type CycleEvent = z.infer<typeof CycleEvent>;

/**
 * The sensor reads its floor while the machine's calibrated off level is above it (clamp
 * unplugged, broken lead): the agent reports state `unknown` until `sensor_ok`.
 */
export const SensorFaultEvent = z.strictObject({
  ts: Timestamp,
  seq: Seq,
  type: z.literal('sensor_fault'),
  cause: z.enum(['at_floor']),
  /** First floor reading of the stretch. */
  sinceTs: Timestamp,
  /** The reading (amperes) and the calibrated off level it was judged against. */
  readingA: Amperes,
  offLevelA: Amperes,
});
export type SensorFaultEvent = z.infer<typeof SensorFaultEvent>;

export const SensorOkEvent = z.strictObject({
  ts: Timestamp,
  seq: Seq,
  type: z.literal('sensor_ok'),
  /** How long the fault lasted. */
  faultS: z.number().min(0),
});
export type SensorOkEvent = z.infer<typeof SensorOkEvent>;

/** Pieces counted at the machine (a good or scrap push button). */
export const QualityCountEvent = z.strictObject({
  ts: Timestamp,
  seq: Seq,
  type: z.literal('quality'),
  good: z.int().min(0).max(100_000),
  scrap: z.int().min(0).max(100_000),
});
export type QualityCountEvent = z.infer<typeof QualityCountEvent>;

/** Production event schemas by type (other event types stay free-form). */
export const productionEventSchemas = {
  cycle: CycleEvent,
  sensor_fault: SensorFaultEvent,
  sensor_ok: SensorOkEvent,
  quality: QualityCountEvent,
} as const;
