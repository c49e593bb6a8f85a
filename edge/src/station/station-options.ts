/** What a clutter station is built from, what it reports, and what one shot gives. */
import type { ClutterPayload, ShiftSpec, StationConfig } from '@mieruka/protocol';
import type { Logger } from 'pino';
import type { ClutterScorer } from '../clutter/clutter-scorer.js';
import type { BackendPreference } from '../clutter/backend.js';
import type { NodeLink } from '../node-link.js';
import type { GpioPort } from '../patlite/gpio-port.js';
import type { Camera } from './camera/camera.js';
import type { SlotScheduler } from './slot-scheduler.js';
import type { MotionVoiceStats } from './voice/motion-voice.js';
import type { Voice } from './voice/voice.js';

/** A NodeLink that can also carry a status detail (MqttNodeLink can). */
export type StationLink = NodeLink & { setStatusDetail?(detail: string | undefined): void };

export interface ClutterStationOptions {
  link: StationLink;
  station: StationConfig;
  camera: Camera;
  /** GPIO for the light and the PIR; absent = both disabled. */
  gpio?: GpioPort;
  /** Absent = no voice. */
  voice?: Voice;
  logger: Logger;
  /** IANA time zone of the slots, shifts and image ids; default Asia/Tokyo. */
  timeZone?: string;
  /** The work calendar (config `shifts`): arrival lines are spoken only inside a shift. Absent: none, so never. */
  shifts?: readonly ShiftSpec[];
  /** Keeps the latest score across restarts (arrival lines choose by it); absent: kept in memory only. */
  lastScoreFile?: string;
  scheduler?: SlotScheduler;
  /** Epoch ms; injectable for tests. */
  clock?: () => number;
  /** Waits `ms` (light settle); injectable for tests. */
  sleep?: (ms: number) => Promise<void>;
  backend?: BackendPreference;
  /** A ready scorer (tests, `--once`); otherwise built at start() from the station config. */
  scorer?: ClutterScorer;
}

export interface ClutterStationStats {
  running: boolean;
  shots: number;
  published: number;
  cameraFailures: number;
  failures: number;
  motionEvents: number;
  voiceMessages: number;
  voiceFailures: number;
  commands: number;
  /** cmd/schedule payloads that were not valid. */
  commandsRefused: number;
  /** The photo times in effect (config, or the newest cmd/schedule from the hub). */
  slots: string[];
  lightOn: boolean;
  light: 'enabled' | 'disabled' | 'off-by-config';
  motion: 'enabled' | 'disabled' | 'off-by-config';
  lastScore: number | null;
  lastImageId: string | null;
  lastError: string | null;
  backend: string | null;
  /** Arrival lines (voice.onMotion): spoken and skipped by reason; null when off. */
  motionVoice: MotionVoiceStats | null;
}

export type ShotResult = { ok: true; payload: ClutterPayload } | { ok: false; error: string };
