/**
 * A clutter station for the demo: instead of a camera it cycles through photo files, scores
 * each one and publishes `clutter` plus the annotated `image`, on a fixed interval and on
 * `cmd/capture`. The real station (camera, schedule, light, voice) replaces it later; the
 * scoring pipeline is shared (clutter-scorer.ts), with the backend chosen at start().
 */
import { readFile } from 'node:fs/promises';
import { basename } from 'node:path';
import type { ClutterPayload, StationConfig } from '@mieruka/protocol';
import type { Logger } from 'pino';
import type { NodeLink } from '../node-link.js';
import type { BackendPreference } from './backend.js';
import { createClutterScorer, type ClutterScorer } from './clutter-scorer.js';
import type { Quad } from './roi.js';
import { ShotNamer } from './shot-namer.js';

export interface DemoClutterStationOptions {
  link: NodeLink;
  /** Photo files, shot in order, round and round. */
  photos: string[];
  /** Time between shots (measured from the end of one shot to the start of the next). */
  intervalMs: number;
  station: StationConfig;
  logger: Logger;
  /** Epoch ms; injectable for tests. */
  clock?: () => number;
  /** Delay of the first shot after start(); default 1000 ms. */
  firstShotDelayMs?: number;
  /** IANA time zone of image ids and captions; default the host's. */
  timeZone?: string;
  /** OpenCV backend; default the station config's `backend`, else auto (native if it loads, else WASM). */
  backend?: BackendPreference;
}

/** Station fields proposed for the config schema (backend, denoise, roi); read when present. */
type StationScoring = StationConfig & { backend?: BackendPreference; denoise?: number; roi?: Quad | null };

export interface DemoClutterStationStats {
  running: boolean;
  /** Shots attempted (timer and commands). */
  shots: number;
  /** Shots whose clutter and image were both published. */
  published: number;
  /** Shots that failed (unreadable or invalid photo, publish error); the station keeps going. */
  failures: number;
  /** `cmd/capture` commands received. */
  captureCommands: number;
  lastScore: number | null;
  lastImageId: string | null;
  lastError: string | null;
  /** OpenCV backend scoring the shots ("native" | "wasm"), once started. */
  backend: string | null;
}

/** imageId must match /^[A-Za-z0-9_.-]{1,80}$/ (ClutterPayload). */

export class DemoClutterStation {
  private readonly opts: DemoClutterStationOptions;
  private readonly log: Logger;
  private readonly clock: () => number;
  private readonly names: ShotNamer;
  private timer: NodeJS.Timeout | null = null;
  private unsubscribe: (() => void) | null = null;
  private running = false;
  private scorer: ClutterScorer | null = null;
  /** Shots run one at a time, in order: seq and photo order stay consistent. */
  private queue: Promise<unknown> = Promise.resolve();
  private nextPhoto = 0;
  private readonly counters: Omit<DemoClutterStationStats, 'running' | 'backend'> = {
    shots: 0,
    published: 0,
    failures: 0,
    captureCommands: 0,
    lastScore: null,
    lastImageId: null,
    lastError: null,
  };

  constructor(opts: DemoClutterStationOptions) {
    if (opts.photos.length === 0) throw new RangeError('DemoClutterStation needs at least one photo');
    if (!Number.isFinite(opts.intervalMs) || opts.intervalMs < 1) throw new RangeError(`intervalMs must be ≥ 1, got ${opts.intervalMs}`);
    this.opts = { ...opts, photos: [...opts.photos] };
    this.log = opts.logger.child({ component: 'demo-clutter-station', node: opts.link.node });
    this.clock = opts.clock ?? Date.now;
    this.names = new ShotNamer(opts.timeZone);
  }

  /** Loads the scoring backend (logged), then subscribes to commands and starts the timer. */
  async start(): Promise<void> {
    if (this.running) return;
    this.running = true;
    if (!this.scorer) {
      const station = this.opts.station as StationScoring;
      try {
        const { scorer } = await createClutterScorer({
          hsvLower: station.hsvLower,
          hsvUpper: station.hsvUpper,
          roi: station.roi ?? null,
          denoise: station.denoise ?? 0,
          backend: this.opts.backend ?? station.backend ?? 'auto',
          logger: this.log,
        });
        this.scorer = scorer;
      } catch (err) {
        this.running = false;
        throw err;
      }
    }
    if (!this.running) return; // stop() while the backend was loading
    this.unsubscribe = this.opts.link.onCommand((action) => {
      if (action !== 'capture') return;
      this.counters.captureCommands++;
      void this.capture('manual');
    });
    this.schedule(this.opts.firstShotDelayMs ?? 1000);
    this.log.info({ photos: this.opts.photos.length, intervalMs: this.opts.intervalMs }, 'demo clutter station started');
  }

  /** Stops the timer and the command subscription, then waits for a shot in progress. */
  async stop(): Promise<void> {
    if (!this.running) return;
    this.running = false;
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    this.unsubscribe?.();
    this.unsubscribe = null;
    await this.queue;
    this.log.info('demo clutter station stopped');
  }

  /** Takes one shot now (after any shot in progress). Resolves to what was published, or null on failure or when stopped. */
  capture(slot = 'manual'): Promise<ClutterPayload | null> {
    if (!this.running) return Promise.resolve(null);
    const shot = this.queue.then(() => this.shoot(slot));
    this.queue = shot;
    return shot;
  }

  stats(): DemoClutterStationStats {
    return { running: this.running, ...this.counters, backend: this.scorer?.backend.name ?? null };
  }

  private schedule(delayMs: number): void {
    // A tick from before a stop()/start() may finish late: never keep two timers.
    if (this.timer) clearTimeout(this.timer);
    this.timer = setTimeout(() => {
      this.timer = null;
      void this.capture('demo').then(() => {
        if (this.running) this.schedule(this.opts.intervalMs);
      });
    }, delayMs);
  }

  /** Never throws: a bad photo or a failed publish is logged and counted. */
  private async shoot(slot: string): Promise<ClutterPayload | null> {
    if (!this.running) return null;
    const { link, photos } = this.opts;
    const scorer = this.scorer!;
    const photo = photos[this.nextPhoto % photos.length]!;
    this.nextPhoto++;
    this.counters.shots++;
    try {
      const frame = await scorer.decode(await readFile(photo));
      const ts = this.clock();
      const { result, images } = await scorer.scoreAndAnnotateFrame(frame, { caption: `${link.node} | ${slot} | ${this.names.human(ts)}` });
      const imageId = this.names.imageId(ts, link.node);
      const jpeg = images.jpeg;
      const payload: ClutterPayload = { ts, seq: link.nextSeq(), score: result.score, coveredRatio: result.coveredRatio, slot, imageId };
      // Clutter first: the hub files the image that follows under this shot.
      await link.publish('clutter', payload);
      await link.publishImage(jpeg);
      this.counters.published++;
      this.counters.lastScore = result.score;
      this.counters.lastImageId = imageId;
      this.log.info({ photo: basename(photo), score: result.score, slot, imageId, seq: payload.seq }, 'clutter shot published');
      return payload;
    } catch (err) {
      this.counters.failures++;
      this.counters.lastError = err instanceof Error ? err.message : String(err);
      this.log.warn({ photo: basename(photo), err }, 'clutter shot failed; continuing with the next photo');
      return null;
    }
  }

}
